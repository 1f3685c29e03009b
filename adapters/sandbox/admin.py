"""Talking to a running sandbox's admin endpoint (`/__admin/faults`, `/__admin/stats`), and fault specs.

A fault spec is what a person types: `KIND[:key=value,...]`, e.g. `rate_limit:count=5,route=query` or
`slow:delay=2.5,count=-1`. The same text works at start (`serve --fault`) and at run time (`sandbox fault`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import requests

from adapters.sandbox.http import ADMIN_PREFIX, Fault
from adapters.sandbox.tls import trusting_session
from connector.errors import InputError

# The Fault fields a spec may set, and how to read each from text.
_FIELD_TYPES: dict[str, type] = {"count": int, "route": str, "status": int, "delay": float, "share": float}
ADMIN_TIMEOUT_SECONDS = 10.0


def parse_fault_spec(spec: str) -> Fault:
    """`KIND[:key=value,...]` -> Fault; raises InputError naming the bad part."""
    kind, _, rest = spec.strip().partition(":")
    if not kind:
        raise InputError(f"fault {spec!r}: give a kind first, e.g. rate_limit:count=5")
    values: dict[str, Any] = {}
    for pair in filter(None, (part.strip() for part in rest.split(","))):
        key, equals, text = pair.partition("=")
        if not equals or key not in _FIELD_TYPES:
            raise InputError(f"fault {spec!r}: {pair!r} is not key=value with a key among {sorted(_FIELD_TYPES)}")
        try:
            values[key] = _FIELD_TYPES[key](text)
        except ValueError as error:
            raise InputError(f"fault {spec!r}: {key}={text!r} is not a {_FIELD_TYPES[key].__name__}") from error
    return Fault(kind=kind, **values)


def fault_as_json(fault: Fault) -> dict[str, Any]:
    return dataclasses.asdict(fault)


class AdminClient:
    """The admin API of one sandbox; `ca_file` is needed for the Salesforce stand-in, which serves HTTPS only."""

    def __init__(self, base_url: str, token: str, *, ca_file: Path | None = None) -> None:
        if base_url.startswith("https://") and ca_file is None:
            raise InputError(f"{base_url} is HTTPS: pass --ca-file with the CA file the sandbox printed at start")
        self._base = base_url.rstrip("/") + ADMIN_PREFIX
        self._session = trusting_session(ca_file) if ca_file else requests.Session()
        self._session.trust_env = False  # a proxy from the environment must not see loopback admin calls
        self._session.headers["Authorization"] = f"Bearer {token}"

    def add_fault(self, fault: Fault) -> None:
        self._call("POST", "/faults", json=fault_as_json(fault))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def reset_stats(self) -> None:
        self._call("DELETE", "/stats")

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, action: str, **kwargs: Any) -> Any:
        url = self._base + action
        try:
            response = self._session.request(method, url, timeout=ADMIN_TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            raise InputError(f"{url}: the sandbox does not answer ({type(error).__name__}); is it running?") from error
        if response.status_code == 401:
            raise InputError(f"{url}: the sandbox refused the token; use the one it printed at start")
        if response.status_code != 200:
            raise InputError(f"{url}: the sandbox answered {response.status_code}: {response.text[:200]}")
        return response.json()
