"""`scorebridge sandbox ...`: run a local Salesforce or HubSpot stand-in."""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import threading
from enum import StrEnum
from pathlib import Path

import typer

from adapters.registry import crm_names
from connector.errors import InputError

sandbox_app = typer.Typer(help="Run a local Salesforce or HubSpot stand-in for trials, tests and benchmarks.")


#: The CRMs with a stand-in, from the one list of CRMs (adapters/registry.py).
Crm = StrEnum("Crm", {name: name for name in crm_names()})


FAULT_HELP = (
    "KIND[:key=value,...], repeatable. Kinds: status, rate_limit, slow, reset, truncate (transport); "
    "reject_share, expire_sessions, daily_limit, revoke_tokens (HubSpot), clear (data); reps_work (reps complete "
    "a share of the open tasks). "
    "Keys: count (-1 = forever), route (regex on route names), "
    "status, delay (seconds), share (0..1). Example: rate_limit:count=5,route=search"
)


@sandbox_app.command()
def serve(
    crm: Crm = typer.Option(..., "--crm", help="Which CRM to stand in for."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; loopback unless you mean otherwise."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port; 0 picks a free one (printed at start)."),
    generate: int | None = typer.Option(None, "--generate", min=0, help="Generate this many people at start."),
    seed: int = typer.Option(1, "--seed", help="Seed of --generate: the same seed gives the same data."),
    days: int = typer.Option(365, "--days", min=1, help="Days of activity history --generate makes."),
    load: Path | None = typer.Option(None, "--load", help="JSON file of records in the CRM's own field names."),
    state: Path | None = typer.Option(
        None, "--state", help="Load this state file at start (if it exists), save at exit."
    ),
    token: str | None = typer.Option(
        None, "--token", help="Admin token; HubSpot private-app token too (default: random)."
    ),
    session_ttl: float | None = typer.Option(
        None, "--session-ttl", min=1, help="Seconds: Salesforce session idle timeout, HubSpot OAuth token life."
    ),
    rate_limit: int = typer.Option(100, "--rate-limit", min=1, help="HubSpot requests per 10 s per token."),
    no_rate_limit: bool = typer.Option(False, "--no-rate-limit", help="Serve without rate limits (benchmarks)."),
    daily_limit: int | None = typer.Option(None, "--daily-limit", min=1, help="API requests allowed per day."),
    fault: list[str] = typer.Option([], "--fault", help=FAULT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the connection info as one JSON line."),
) -> None:
    """Serve a stand-in in the foreground until Ctrl-C or SIGTERM; print what a client needs to reach it."""
    from adapters.sandbox.admin import parse_fault_spec
    from adapters.sandbox.launch import ServeOptions, serve_until, start_sandbox

    workdir = Path(tempfile.mkdtemp(prefix="scorebridge-sandbox-"))
    options = ServeOptions(
        crm=crm.value,
        workdir=workdir,
        host=host,
        port=port,
        token=token,
        session_ttl=session_ttl,
        rate_limit=None if no_rate_limit else rate_limit,
        daily_limit=daily_limit,
        faults=tuple(parse_fault_spec(spec) for spec in fault),
        generate=generate,
        seed=seed,
        days=days,
        load=load,
        state=state,
    )
    try:
        stop = _stop_on_signals()  # before the data is made: a Ctrl-C then stops cleanly once it is served
        running = start_sandbox(options)
        _print_info(running.info, as_json=as_json)
        serve_until(running, stop, state=state)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the CA is made afresh at every start
    typer.echo(f"stopped{f'; state saved to {state}' if state else ''}", err=True)


@sandbox_app.command()
def fault(
    specs: list[str] = typer.Argument(None, help=FAULT_HELP),
    url: str = typer.Option(..., "--url", help="The sandbox base URL it printed at start."),
    token: str = typer.Option(..., "--token", help="The admin token it printed at start."),
    ca_file: Path | None = typer.Option(None, "--ca-file", help="Its CA file (Salesforce: HTTPS only)."),
    clear: bool = typer.Option(False, "--clear", help="Remove every pending fault (before adding any given)."),
) -> None:
    """Inject faults into a running sandbox, or clear them."""
    from adapters.sandbox.admin import AdminClient, parse_fault_spec

    faults = [parse_fault_spec(spec) for spec in specs or []]
    if not faults and not clear:
        raise InputError("give at least one fault (e.g. rate_limit:count=3) or --clear")
    client = AdminClient(url, token, ca_file=ca_file)
    try:
        if clear:
            client.clear_faults()
        for each in faults:
            client.add_fault(each)
    finally:
        client.close()
    typer.echo(f"{'cleared faults; ' if clear else ''}injected {len(faults)} fault(s)")


@sandbox_app.command()
def stats(
    url: str = typer.Option(..., "--url", help="The sandbox base URL it printed at start."),
    token: str = typer.Option(..., "--token", help="The admin token it printed at start."),
    ca_file: Path | None = typer.Option(None, "--ca-file", help="Its CA file (Salesforce: HTTPS only)."),
    reset: bool = typer.Option(False, "--reset", help="Zero the counters after printing them."),
) -> None:
    """Print the requests a running sandbox has served, per route and per status, as JSON."""
    from adapters.sandbox.admin import AdminClient

    client = AdminClient(url, token, ca_file=ca_file)
    try:
        typer.echo(json.dumps(client.stats(), indent=2, sort_keys=True))
        if reset:
            client.reset_stats()
    finally:
        client.close()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return stop


def _print_info(info: dict, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(info, sort_keys=True), color=False)
        return
    typer.echo(f"ScoreBridge {info['crm']} sandbox is serving. Stop it with Ctrl-C (state is saved on exit).")
    width = max(len(key) for key in info) + 2
    for key, value in info.items():
        typer.echo(f"  {key.replace('_', ' ') + ':':<{width}} {value}")
