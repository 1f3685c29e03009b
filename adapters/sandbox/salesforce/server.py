"""Starting the Salesforce sandbox in-process: a TLS server on an ephemeral loopback port, and what a client needs."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import requests

from adapters.sandbox.http import SandboxServer
from adapters.sandbox.salesforce.app import DEFAULT_DAILY_LIMIT, DEFAULT_SESSION_TIMEOUT, SalesforceApp
from adapters.sandbox.salesforce.records import utc_now
from adapters.sandbox.tls import make_loopback_tls, trusting_session

API_VERSION = "59.0"  # simple-salesforce 1.12.10's default


@dataclass(frozen=True)
class SalesforceSandbox:
    """A running sandbox: the server, its app (for loading data), and the connection facts for clients."""

    server: SandboxServer
    app: SalesforceApp
    instance_url: str
    token: str
    ca_file: Path
    admin_token: str

    def session(self) -> requests.Session:
        """A requests session that trusts the sandbox CA (whatever REQUESTS_CA_BUNDLE says)."""
        return trusting_session(self.ca_file)

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> SalesforceSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_salesforce_sandbox(
    directory: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Callable[[], datetime] = utc_now,
    session_timeout: timedelta = DEFAULT_SESSION_TIMEOUT,
    daily_limit: int = DEFAULT_DAILY_LIMIT,
    app: SalesforceApp | None = None,
) -> SalesforceSandbox:
    """Serve a Salesforce org over HTTPS in a background thread; the CA file goes to `directory`."""
    tls = make_loopback_tls(directory)
    app = app or SalesforceApp(clock=clock, session_timeout=session_timeout, daily_limit=daily_limit)
    admin_token = secrets.token_urlsafe(24)
    server = SandboxServer(app, admin_token=admin_token, host=host, port=port, tls_context=tls.server_context)
    server.start()
    return SalesforceSandbox(server, app, server.base_url, app.issue_token(), tls.ca_file, admin_token)
