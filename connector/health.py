"""The service's HTTP side: /healthz (process up), /readyz (store and runs working), /metrics (Prometheus), /report."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from connector.errors import ConfigError, ScoreBridgeError, StoreUnavailableError
from connector.metrics import CONTENT_TYPE, metrics_registry, render_metrics
from connector.runs import connection_health

log = logging.getLogger(__name__)

HEALTHZ_PATH = "/healthz"
READYZ_PATH = "/readyz"
METRICS_PATH = "/metrics"
#: The `scorebridge report` page, built from the store on each request (read-only).
REPORT_PATH = "/report"
#: How often the server thread looks for a shutdown request; stopping the service waits at most this long.
SHUTDOWN_POLL_SECONDS = 0.05


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Readiness:
    """The /readyz answer: ready or not, and each reason in words."""

    ready: bool
    reasons: tuple[str, ...] = ()
    connections: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def body(self) -> bytes:
        payload = {"ready": self.ready, "reasons": list(self.reasons), "connections": dict(self.connections)}
        return json.dumps(payload, default=str).encode()


def store_problem(engine: Engine) -> str | None:
    """None when the store answers `select 1`, else why not."""
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except (SQLAlchemyError, StoreUnavailableError) as error:
        first_line = str(error).splitlines()[0] if str(error) else ""
        return f"store unreachable: {type(error).__name__}: {first_line}"
    return None


def check_readiness(engine: Engine, connections: list[str], *, max_failing_seconds: float, now: datetime) -> Readiness:
    """Ready when the store answers and no connection has been failing for longer than the threshold."""
    problem = store_problem(engine)
    if problem:
        return Readiness(False, (problem,))
    reasons, states = [], {}
    for health in connection_health(engine, connections):
        failing_for = health.failing_for(now)
        last = health.last_run
        states[health.connection] = {
            "last_status": last.status if last else None,
            "last_started_at": last.started_at.isoformat() if last else None,
            "failing_for_seconds": round(failing_for),
        }
        if failing_for > max_failing_seconds:
            reasons.append(
                f"connection {health.connection}: runs failing for {round(failing_for)} s "
                f"(threshold {max_failing_seconds:g} s); see `scorebridge runs --connection {health.connection}`"
            )
    return Readiness(not reasons, tuple(reasons), states)


class HealthServer:
    """Serves the endpoints from a thread (/report when given a page builder); `port=0` picks a free port (tests)."""

    def __init__(
        self,
        engine: Engine,
        crm_by_connection: Mapping[str, str],
        *,
        host: str,
        port: int,
        max_failing_seconds: float,
        clock: Callable[[], datetime] = _utc_now,
        report_page: Callable[[], str] | None = None,
    ) -> None:
        self._engine = engine
        self._report_page = report_page
        self._connections = list(crm_by_connection)
        self._max_failing_seconds = max_failing_seconds
        self._clock = clock
        self._registry = metrics_registry(engine, crm_by_connection, clock)
        self._stopping = threading.Event()
        try:
            self._http = ThreadingHTTPServer((host, port), _handler_for(self))
        except OSError as error:
            raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}", key="service.port") from None
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="scorebridge-http",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    def start(self) -> None:
        self._thread.start()
        log.info("health and metrics on http://%s:%d", *self._http.server_address[:2])

    def mark_stopping(self) -> None:
        """From now on /readyz says the service is shutting down, so traffic and alerts move on."""
        self._stopping.set()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() would wait forever for a loop that never started
            self._http.shutdown()
            self._thread.join(timeout=10)
        self._http.server_close()

    def readiness(self) -> Readiness:
        if self._stopping.is_set():
            return Readiness(False, ("shutting down",))
        return check_readiness(
            self._engine, self._connections, max_failing_seconds=self._max_failing_seconds, now=self._clock()
        )

    def metrics(self) -> bytes:
        return render_metrics(self._registry)

    def report(self) -> tuple[int, bytes]:
        """(status, HTML) of /report: 404 without a page builder, 503 when the store has nothing to report yet."""
        if self._report_page is None:
            return 404, b"<p>not found</p>"
        try:
            return 200, self._report_page().encode()
        except ScoreBridgeError as error:
            return 503, f"<p>{escape(str(error))}</p>".encode()


def _handler_for(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class HealthHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == HEALTHZ_PATH:
                self._send(200, b'{"alive":true}', "application/json")
            elif path == READYZ_PATH:
                readiness = server.readiness()
                self._send(200 if readiness.ready else 503, readiness.body(), "application/json")
            elif path == METRICS_PATH:
                self._send(200, server.metrics(), CONTENT_TYPE)
            elif path == REPORT_PATH:
                self._send(*server.report(), "text/html; charset=utf-8")
            else:
                self._send(404, b'{"error":"not found"}', "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            # Probes arrive every few seconds; at INFO they would drown the sync logs.
            log.debug("%s " + format, self.address_string(), *args)

    return HealthHandler
