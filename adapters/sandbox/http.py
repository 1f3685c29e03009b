"""The HTTP machinery both sandboxes share: routing, TLS, request counting and transport-level faults.

A CRM stand-in is a `CrmApp`: a list of routes plus the CRM's own error shapes. `SandboxServer` serves it on
loopback in a thread (tests, demo) or in the foreground (`scorebridge sandbox serve`).
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

ADMIN_PREFIX = "/__admin"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def bearer_token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, headers=dict(headers or {}))


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    """A method and a path pattern; named groups of the pattern become keyword arguments of the handler."""

    method: str
    pattern: str
    handler: Handler
    name: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = re.fullmatch(self.pattern, path)
        return found.groupdict() if found else None


@dataclass
class Fault:
    """One injected failure. Transport kinds: status, slow, reset, truncate; the rest are left to the app."""

    kind: str
    count: int = 1
    route: str = ".*"
    status: int = 503
    delay: float = 0.0
    share: float = 0.0

    def applies_to(self, route_name: str) -> bool:
        return self.count != 0 and re.search(self.route, route_name) is not None


TRANSPORT_FAULTS = frozenset({"status", "rate_limit", "slow", "reset", "truncate"})


class CrmApp(Protocol):
    """What a CRM stand-in provides to the server."""

    name: str

    def routes(self) -> Sequence[Route]: ...

    def error_response(self, status: int, kind: str) -> Response:
        """A body in the CRM's own error shape for an injected fault (429, 5xx) or an unknown route (404)."""
        ...

    def apply_fault(self, fault: Fault) -> None:
        """Data-level faults: expire sessions, exhaust the daily limit, reject a share of batch records."""
        ...


class FaultPlan:
    """Transport faults waiting to fire, consumed one request at a time (count -1 means forever)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, route_name: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(route_name):
                    if fault.count > 0:
                        fault.count -= 1
                    return fault
        return None


class RequestStats:
    """Requests served per route name and per status, for tests and benchmarks that count API calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()

    def record(self, route_name: str, status: int) -> None:
        with self._lock:
            self.by_route[route_name] += 1
            self.by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self.by_route.values()),
                "by_route": dict(self.by_route),
                "by_status": {str(code): n for code, n in self.by_status.items()},
            }

    def reset(self) -> None:
        with self._lock:
            self.by_route.clear()
            self.by_status.clear()


class SandboxServer:
    """Serves one `CrmApp` on loopback, optionally over TLS, with an admin API under ``/__admin``."""

    def __init__(
        self,
        app: CrmApp,
        *,
        admin_token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.app = app
        self.admin_token = admin_token
        self.faults = FaultPlan()
        self.stats = RequestStats()
        self._routes = list(app.routes())
        self._tls_context = tls_context
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        if tls_context is not None:
            # Handshakes happen in the handler threads, so one slow client cannot stall the accept loop.
            self._httpd.socket = tls_context.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        scheme = "https" if self._tls_context else "http"
        return f"{scheme}://{host}:{port}"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> SandboxServer:
        # A short poll interval lets stop() return in ~50 ms instead of the default 0.5 s (tests start many servers).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{self.app.name}"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- dispatch -----------------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> tuple[str, Response, Fault | None]:
        """Route a request; returns the route name, the response, and any transport fault to apply."""
        if request.path.startswith(ADMIN_PREFIX):
            return "admin", self._admin(request), None
        for route in self._routes:
            params = route.match(request.method, request.path)
            if params is None:
                continue
            fault = self.faults.take(route.name)
            if fault and fault.kind in ("status", "rate_limit"):
                status = 429 if fault.kind == "rate_limit" else fault.status
                return route.name, self.app.error_response(status, fault.kind), None
            return route.name, route.handler(request, **params), fault
        return "unknown", self.app.error_response(404, "not_found"), None

    def _admin(self, request: Request) -> Response:
        if request.bearer_token() != self.admin_token:
            return Response.json(401, {"message": "admin token required"})
        action = request.path.removeprefix(ADMIN_PREFIX)
        if action == "/stats" and request.method == "GET":
            return Response.json(200, self.stats.snapshot())
        if action == "/stats" and request.method == "DELETE":
            self.stats.reset()
            return Response.json(200, {"ok": True})
        if action == "/faults" and request.method == "POST":
            try:
                fault = Fault(**request.json())
                if fault.kind in TRANSPORT_FAULTS:
                    self.faults.add(fault)
                else:
                    self.app.apply_fault(fault)
            except (TypeError, ValueError) as error:  # an unknown field or kind: say so rather than drop the line
                return Response.json(400, {"message": f"bad fault: {error}"})
            return Response.json(200, {"ok": True})
        if action == "/faults" and request.method == "DELETE":
            self.faults.clear()
            self.app.apply_fault(Fault(kind="clear"))
            return Response.json(200, {"ok": True})
        return Response.json(404, {"message": f"no admin action {request.method} {action}"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as clients' connection pools expect
            # Headers and body go out in separate writes; with Nagle on, the body then waits for the client's
            # delayed ACK (about 40 ms a response on Linux).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:  # quiet: tests read their own output
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={key: value for key, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                route_name, response, fault = server.dispatch(request)
                server.stats.record(route_name, response.status)
                self._send(response, fault)

            def _send(self, response: Response, fault: Fault | None) -> None:
                body = response.body
                if fault and fault.kind == "slow":
                    time.sleep(fault.delay)
                if fault and fault.kind == "truncate":
                    body = body[: len(body) // 2]
                self.send_response(response.status)
                if body or response.status not in (204, 304):
                    self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body if fault and fault.kind == "reset" else body)))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if fault and fault.kind == "reset":
                    # Promise the whole body, send half of it, then drop the connection.
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        return _Handler
