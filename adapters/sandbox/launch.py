"""Starting a stand-in the way `scorebridge sandbox serve` does: build the app, fill it, serve it, save it.

The CLI turns options into a `ServeOptions`; everything else happens here so that tests drive the same path
without a subprocess. Each CRM has one builder that maps the options onto its stand-in's factory.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.sandbox.http import TRANSPORT_FAULTS, Fault, SandboxServer
from adapters.sandbox.population import generate_population
from adapters.sandbox.state import load_state, save_state
from connector.errors import InputError

DEFAULT_RATE_LIMIT = 100  # HubSpot's private-app burst allowance per 10 seconds


@dataclass(frozen=True)
class ServeOptions:
    """What `scorebridge sandbox serve` was asked for; None means "the stand-in's default"."""

    crm: str
    workdir: Path  # where the Salesforce CA file is written
    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    session_ttl: float | None = None
    rate_limit: int | None = DEFAULT_RATE_LIMIT  # None: no rate limits at all
    daily_limit: int | None = None
    faults: tuple[Fault, ...] = ()
    generate: int | None = None
    seed: int = 1
    days: int = 365
    load: Path | None = None
    state: Path | None = None
    #: The stand-in's clock (tests move it instead of waiting); None: the wall clock.
    clock: Callable[[], datetime] | None = None


@dataclass
class RunningSandbox:
    """A started stand-in and what a client needs to reach it."""

    crm: str
    server: SandboxServer
    app: Any
    token: str
    info: dict[str, Any] = field(default_factory=dict)

    def stop(self, state: Path | None) -> None:
        """Stop serving, then save the state if asked (after the last request, so nothing is lost)."""
        self.server.stop()
        if state is not None:
            save_state(state, self.crm, self.app.dump_state())


@dataclass(frozen=True)
class BuiltApp:
    """What a CRM builder returns: the app, its TLS context (if it serves HTTPS), and its part of the info."""

    app: Any
    tls_context: Any = None
    info: dict[str, Any] = field(default_factory=dict)


def start_sandbox(options: ServeOptions, *, now: datetime | None = None) -> RunningSandbox:
    """Build the stand-in, fill it (state file, else --load and --generate), inject start faults, serve it."""
    token = options.token or f"sb-{secrets.token_urlsafe(24)}"
    built = _builder(options.crm)(options, token)
    filled_from = _fill(built.app, options, now or datetime.now(UTC))
    server = SandboxServer(
        built.app, admin_token=token, host=options.host, port=options.port, tls_context=built.tls_context
    ).start()
    try:
        for fault in options.faults:
            inject_fault(server, fault)
    except ValueError as error:  # the stand-in does not know this kind
        server.stop()
        raise InputError(f"--fault: {error}") from error
    info = {
        "crm": options.crm,
        "base_url": server.base_url,
        "admin_token": token,
        "admin_url": f"{server.base_url}/__admin",
        "data": filled_from,
        **{key: value.replace("{base_url}", server.base_url) if isinstance(value, str) else value
           for key, value in built.info.items()},
    }  # fmt: skip
    if options.state:
        info["state_file"] = str(options.state)
    return RunningSandbox(options.crm, server, built.app, token, info)


def inject_fault(server: SandboxServer, fault: Fault) -> None:
    """As the admin endpoint does: transport faults go to the server, data faults to the app."""
    if fault.kind in TRANSPORT_FAULTS:
        server.faults.add(fault)
    else:
        server.app.apply_fault(fault)


def serve_until(running: RunningSandbox, stop: threading.Event, *, state: Path | None) -> None:
    """Serve until `stop` is set (the CLI sets it on SIGINT/SIGTERM), then stop and save."""
    try:
        while not stop.wait(0.5):  # short waits keep the main thread responsive to signals
            pass
    finally:
        running.stop(state)


def _fill(app: Any, options: ServeOptions, now: datetime) -> str:
    """Load the state file when it exists; otherwise --load, then --generate. Says what it did."""
    if options.state is not None:
        saved = load_state(options.state, options.crm)
        if saved is not None:
            app.restore_state(saved)
            return f"restored from {options.state}"
    done = []
    if options.load is not None:
        app.load_records(_read_records(options.load))
        done.append(f"loaded {options.load}")
    if options.generate:
        population = generate_population(options.generate, seed=options.seed, now=now, days=options.days)
        app.load_population(population)
        done.append(f"generated {options.generate} people, {len(population.touches)} touches (seed {options.seed})")
    return "; ".join(done) or "empty"


def _read_records(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"--load {path}: not a readable JSON file ({error})") from error


def _builder(crm: str) -> Callable[[ServeOptions, str], BuiltApp]:
    from adapters.registry import crm_named

    try:
        return crm_named(crm).stand_in.build
    except KeyError as unknown:
        raise InputError(f"--crm: {unknown.args[0]}") from None


def build_salesforce(options: ServeOptions, token: str) -> BuiltApp:
    from adapters.sandbox.salesforce.app import DEFAULT_DAILY_LIMIT, DEFAULT_SESSION_TIMEOUT, SalesforceApp
    from adapters.sandbox.salesforce.sessions import Credentials
    from adapters.sandbox.tls import make_loopback_tls

    ttl = timedelta(seconds=options.session_ttl) if options.session_ttl else DEFAULT_SESSION_TIMEOUT
    credentials = Credentials()
    app = SalesforceApp(session_timeout=ttl, daily_limit=options.daily_limit or DEFAULT_DAILY_LIMIT,
                        credentials=credentials, **({"clock": options.clock} if options.clock else {}))  # fmt: skip
    tls = make_loopback_tls(options.workdir)
    info = {
        "instance_url": "{base_url}",
        # Salesforce issues its own session ids; this one is live until it idles out (--session-ttl) or expires.
        "session_id": app.issue_token(),
        "token_url": "{base_url}/services/oauth2/token",
        "username": credentials.username,
        "password": credentials.password,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "ca_file": str(tls.ca_file),
        "session_ttl_seconds": int(ttl.total_seconds()),
        "example": "Salesforce(instance_url=INSTANCE_URL, session_id=SESSION_ID, "
        "session=adapters.sandbox.tls.trusting_session(CA_FILE))",
        "daily_limit": app.api_counter.limit,
    }
    return BuiltApp(app, tls.server_context, info)


def build_hubspot(options: ServeOptions, token: str) -> BuiltApp:
    from adapters.sandbox.hubspot import HubSpotApp, HubSpotSettings, RateLimits

    defaults = RateLimits()
    limits = RateLimits(
        per_ten_seconds=options.rate_limit or defaults.per_ten_seconds,
        daily=options.daily_limit or defaults.daily,
        enabled=options.rate_limit is not None,
    )
    settings = HubSpotSettings(private_app_tokens=(token,), limits=limits)
    if options.session_ttl:
        settings = dataclasses.replace(settings, token_lifetime=timedelta(seconds=options.session_ttl))
    oauth = settings.oauth
    info = {
        "host": "{base_url}",
        "access_token": token,
        "oauth_token_url": "{base_url}/oauth/v1/token",
        "oauth_client_id": oauth.client_id,
        "oauth_client_secret": oauth.client_secret,
        "oauth_refresh_token": oauth.refresh_token,
        "example": "HubSpot(access_token=ACCESS_TOKEN, host=HOST)",
        # A connection to this stand-in paces itself to the allowance it was started with.
        **({"burst_limit": limits.per_ten_seconds} if limits.enabled else {}),
        "rate_limit": f"{limits.per_ten_seconds} per 10 s, {limits.searches_per_second} searches/s, {limits.daily}/day"
        if limits.enabled
        else "off",
    }
    return BuiltApp(HubSpotApp(settings, *([options.clock] if options.clock else [])), None, info)
