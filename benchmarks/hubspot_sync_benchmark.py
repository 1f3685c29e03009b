"""Sync benchmark against the HubSpot sandbox with its default limit of 100 calls per 10 s: calls, time, 429s.

    .venv/bin/python benchmarks/hubspot_sync_benchmark.py [--contacts 10000] [--activities N] [--seed 1] [--first-only]

Phases as in the Salesforce benchmark: the first sync; a no-change sync right after it (our write-back moved
hs_lastmodifieddate, so the written contacts come back: the "echo"); a no-change sync after it; a sync after
--changed of the contacts changed (half get a C-level job title or lose it, half a completed meeting, which
HubSpot rolls up onto the contact); its echo; and one more.
The minimum is what the portal's data requires of the endpoints the adapter uses, counted from the portal and the
API's page limits alone (never from the product's own counts): list pages of 100 (contacts and engagements with
their associations inline) and the archived-contacts listing on a first sync; on later syncs a search page per 200
changed contacts plus the archived listing, and, once any contact changed, one read of each activity source (a
search per engagement type, email events, the forms and each form's submissions, web events); a batch update per
100 contacts whose scores must be written (every active contact on a first sync, the changed ones later) and a
batch create per 100 follow-up tasks the portal gained. With the mapping's `outcomes:` section, deals: on a first
sync, list pages of 100 deals of the mapped pipelines, a v4 association read per 1,000 of them, one read of the
pipelines and the archived-deals listing; on later syncs one deals search (plus the archived listing when the
mapping says `archived: every_run`); the benchmark changes no deal. With its `accounts:` section, companies: on a
first sync, list pages of 100 companies, active and archived (each contact's companies come inline with the
contacts' list pages), and a batch update per 100 companies (the model scores every live account); on later syncs
the companies search, the archived listing when read every run, and a v4 association read per 1,000 changed
contacts (a search page carries no associations); no company write is counted after the first sync (which
accounts move depends on the model, so the minimum stays a lower bound). Archived listings count pages of what the
portal's recycle bin holds (one call when it is empty), each only when the mapping reads it.
The tasks counted are the ones the portal gained during the sync (read from the portal, not from the report).
The floor is the least time that many calls take under the limits alone, for a rolling window admits a burst:
the first 100 calls at once, each further block of 100 one window (10 s) later; searches (exempt from that
window) five a second the same way. The first sync starts with an empty window (the benchmark waits one window
after `setup`, whose calls the process's limiter remembers), as a first run in a new process would.
Goals: issue 13, first sync wall time <= 1.15 x the floor at 5,000 and 10,000 contacts with no 429; issue 5,
calls ratio <= 1.05 and a no-change sync of <= 3 calls that writes nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sync_phases import (  # the script's own folder is on sys.path
    COMMON_COLUMNS,
    REPOSITORY,
    Column,
    PhaseFigures,
    SyncBench,
    against,
    batches,
    listing,
    pages,
    population_of,
    print_routes,
    print_summary,
    print_table,
    ratio_text,
    utc_now,
    write_check,
)

from adapters.hubspot.account_mapping import AccountMapping
from adapters.hubspot.mapping import OutcomeMapping, load_mapping
from adapters.sandbox.launch import RunningSandbox, ServeOptions, start_sandbox
from connector.config import ConnectionConfig

MAPPING = REPOSITORY / "mappings" / "hubspot.yaml"
RATE_LIMIT = 100  # calls per 10-second window: the sandbox's default, HubSpot's private-app burst limit
RATE_WINDOW_SECONDS = 10.0
LIST_PAGE = 100
SEARCH_PAGE = 200
ASSOCIATION_BATCH = 1000
EMAIL_EVENTS_PAGE = 1000
WEB_EVENTS_PAGE = 1000
FORMS_PAGE = 50
SUBMISSIONS_PAGE = 50
WRITE_BATCH = 100
TIME_GOAL = 1.15
SEARCHES_PER_SECOND = 5  # HubSpot's search limit per account, which the sandbox applies too
#: Runs follow each other at once by default: the adapter keeps each portal's rate windows for the process's life,
#: as the service does between scheduled runs. A new process (one CLI run after another) starts with empty windows.
GAP_SECONDS = 0.0
SCORE_PROPERTY_PREFIX = "scorebridge_"  # the write-back properties `scorebridge setup` creates
ENGAGEMENT_TYPES = ("calls", "meetings", "emails", "notes", "tasks")
C_LEVEL = r"\b(ceo|cto|cfo|coo|cmo|chief|founder|co-founder|owner|president)\b"  # as in mappings/scoring.yaml


@dataclass(frozen=True)
class Changes:
    """What the benchmark changed before a sync: contacts, and new engagements by type."""

    contacts: frozenset[str]
    engagements: Mapping[str, int]


NO_CHANGES = Changes(frozenset(), {})


def main(argv: Sequence[str] | None = None) -> int:
    options = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="hs-sync-bench-") as folder:
        workdir = Path(folder)
        print(f"generating {options.contacts} people (seed {options.seed}) ...", flush=True)
        population = population_of(options.contacts, options.activities, seed=options.seed, now=utc_now())
        sandbox = start_sandbox(ServeOptions(crm="hubspot", workdir=workdir, rate_limit=RATE_LIMIT))
        try:
            sandbox.app.load_population(population)
            print(f"portal: {len(population.people)} contacts, {len(population.touches)} generated touches ->",
                  listing(_portal_counts(sandbox.app)), flush=True)  # fmt: skip
            return _benchmark(workdir, sandbox, options)
        finally:
            sandbox.server.stop()


def _benchmark(workdir: Path, sandbox: RunningSandbox, options: argparse.Namespace) -> int:
    share, gap, seed = options.changed, options.gap, options.seed
    bench = SyncBench(workdir, _connection(sandbox.info, options.lookback), sandbox.server)
    print("setup:", len(bench.adapter().setup()), "properties and groups created")
    time.sleep(RATE_WINDOW_SECONDS + 0.5)  # the first sync starts with an empty window (see the docstring)
    app = sandbox.app
    steps: list[tuple[str, Callable[[], Changes] | None]] = [
        ("first sync", None),
        ("no change, right after (echo)", lambda: NO_CHANGES),
        ("no change, again", lambda: NO_CHANGES),
        (f"{share:.0%} changed", lambda: _change_contacts(app, share, seed)),
        ("no change, right after (echo)", lambda: NO_CHANGES),
        ("no change, again", lambda: NO_CHANGES),
    ]
    rows: list[PhaseFigures] = []
    checks: list[str] = []
    for name, planned in steps[: 1 if options.first_only else None]:
        if rows and gap:
            time.sleep(gap)
        if planned is None:
            counts = _portal_counts(app)  # before the sync, which adds its follow-up tasks to the portal
            tasks = _our_tasks(app)
            figures, report = bench.run(name, lambda _, c=counts, t=tasks: _filed(_first_minimum(app, c, t)))
        else:
            changes = planned()
            before, tasks = _scores(app), _our_tasks(app)
            figures, report = bench.run(name, lambda _, c=changes, t=tasks: _filed(_increment_minimum(app, c, t)))
            confirmed = report.counts.get("written", 0)
            checks.append(write_check(name, changes.contacts, before, _scores(app), confirmed))
        rows.append(figures)
        MINIMA[id(figures)] = LAST_MINIMUM[0]
        calls = f"{figures.api_calls} calls in {figures.seconds:.1f} s"
        print(f"  {name}: {calls}, {figures.rate_limited} x 429", flush=True)
    print()
    print_table(rows, [*COMMON_COLUMNS, *TIME_COLUMNS])
    print_routes(rows)
    print_summary(rows, checks, _rate_goals)
    return 0


def window_floor_seconds(calls: int, limit: int, window: float) -> float:
    """The least time ``calls`` requests take under a rolling window of ``limit`` per ``window`` seconds: the first
    ``limit`` go at once, each further block of ``limit`` one window later."""
    return (calls - 1) // limit * window if calls > 0 else 0.0


@dataclass(frozen=True)
class Minimum:
    """The calls the portal's data requires, apart: searches have their own window, outside the burst one."""

    calls: int
    searches: int = 0

    @property
    def floor_seconds(self) -> float:
        burst = window_floor_seconds(self.calls - self.searches, RATE_LIMIT, RATE_WINDOW_SECONDS)
        return max(burst, window_floor_seconds(self.searches, SEARCHES_PER_SECOND, 1.0))


#: Each phase's minimum by its row's id (phase names repeat); the table needs the searches beside the calls.
MINIMA: dict[int, Minimum] = {}
#: The minimum `SyncBench.run` had counted last (its callback may only answer a number).
LAST_MINIMUM = [Minimum(0)]


def _filed(minimum: Minimum) -> int:
    LAST_MINIMUM[0] = minimum
    return minimum.calls


def floor_seconds(row: PhaseFigures) -> float:
    return MINIMA[id(row)].floor_seconds


def time_ratio(row: PhaseFigures) -> float:
    """Wall time over the floor; a floor of 0 (everything fits in one burst) reads as no ratio."""
    floor = floor_seconds(row)
    return row.seconds / floor if floor else float("inf")


TIME_COLUMNS = (
    Column("floor s", lambda r: f"{floor_seconds(r):.1f}"),
    Column("vs floor", lambda r: ratio_text(time_ratio(r))),
    Column("429s", lambda r: str(r.rate_limited)),
)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument(
        "--activities", type=int, default=None, help="generated touches (default: the generator's ~10 a person)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed", type=float, default=0.01, help="share of contacts changed (0.01)")
    parser.add_argument("--first-only", action="store_true", help="the first sync alone (issue 13's time figure)")
    parser.add_argument(
        "--gap",
        type=float,
        default=GAP_SECONDS,
        help="seconds to wait between phases (default 0: back to back)",
    )
    parser.add_argument(
        "--lookback", type=int, default=None, help="settings.lookback_seconds for this run (default: the adapter's 300)"
    )
    return parser.parse_args(argv)


def _connection(info: Mapping[str, Any], lookback: int | None = None) -> ConnectionConfig:
    os.environ["HS_BENCH_TOKEN"] = info["access_token"]
    settings = {"auth": "private_app", "host": info["base_url"], "access_token": {"env": "HS_BENCH_TOKEN"}}
    if lookback is not None:
        settings["lookback_seconds"] = lookback
        print(f"connection: settings.lookback_seconds = {lookback}")
    return ConnectionConfig(name="bench-hubspot", crm="hubspot", mapping=MAPPING, settings=settings)


def _portal_counts(app: Any) -> dict[str, int]:
    portal = app.portal
    marketing = portal.marketing
    with portal.lock:
        counts = {name: portal.objects.count(name) for name in ("contacts", *ENGAGEMENT_TYPES)}
        counts["email events"] = len(marketing.email_events)
        counts["forms"] = len(marketing.forms)
        counts["form submissions"] = sum(len(listed) for listed in marketing.submissions.values())
        counts["web events"] = sum(1 for event in marketing.web_events if event.object_type == "contact")
        counts["deals"], counts["archived deals"] = _deals_counts(portal, load_mapping(MAPPING).outcomes)
        counts["archived contacts"] = _archived_count(portal, "contacts")
        counts["companies"], counts["archived companies"] = _companies_counts(portal, load_mapping(MAPPING).accounts)
    return counts


def _archived_count(portal: Any, object_type: str) -> int:
    return len(portal.objects.page(object_type, 0, 10**9, archived=True)[0])


def _companies_counts(portal: Any, accounts: AccountMapping | None) -> tuple[int, int]:
    """Active and archived companies (none without an `accounts:` section)."""
    if accounts is None:
        return 0, 0
    return portal.objects.count("companies"), _archived_count(portal, "companies")


def _companies_first_minimum(counts: Mapping[str, int]) -> int:
    """List pages of the companies, active and archived (each contact's companies come inline with the contacts'
    list pages), and a batch update per 100 companies: the model scores every live account on a first sync."""
    if load_mapping(MAPPING).accounts is None:
        return 0
    companies = counts["companies"]
    return (
        pages(companies, LIST_PAGE) + pages(counts["archived companies"], LIST_PAGE) + batches(companies, WRITE_BATCH)
    )


def _companies_increment_minimum(app: Any, changes: Changes) -> tuple[int, int]:
    """(calls, of which searches): the companies search (the benchmark changes no company), the archived listing
    when read every run, and one v4 association read per 1,000 changed contacts (a search page carries none). No
    company write is counted: which accounts move depends on the model, so the minimum leaves them out."""
    accounts = load_mapping(MAPPING).accounts
    if accounts is None:
        return 0, 0
    archived = pages(_archived_count(app.portal, "companies"), LIST_PAGE) if accounts.archived == "every_run" else 0
    return 1 + archived + batches(len(changes.contacts), ASSOCIATION_BATCH), 1


def _deals_counts(portal: Any, outcomes: OutcomeMapping | None) -> tuple[int, int]:
    """Active and archived deals of the mapped pipelines (none without an `outcomes:` section)."""
    if outcomes is None:
        return 0, 0
    deals = portal.objects.page("deals", 0, 10**9, archived=False)[0]
    gone = portal.objects.page("deals", 0, 10**9, archived=True)[0]
    mapped = [
        deal for deal in deals + gone if not outcomes.pipelines or deal.properties.get("pipeline") in outcomes.pipelines
    ]
    archived = sum(1 for deal in mapped if deal.archived)
    return len(mapped) - archived, archived


def _deals_first_minimum(counts: Mapping[str, int]) -> int:
    """List pages of deals, their contacts 1,000 deals a read, the pipelines, the archived listing."""
    if load_mapping(MAPPING).outcomes is None:
        return 0
    deals = counts["deals"]
    reads = pages(deals, LIST_PAGE) + batches(deals, ASSOCIATION_BATCH) + (1 if deals else 0)
    return reads + pages(counts["archived deals"], LIST_PAGE)


def _deals_increment_minimum() -> int:
    """One deals search (no deal changes here), and the archived listing when read every run."""
    outcomes = load_mapping(MAPPING).outcomes
    if outcomes is None:
        return 0
    return 1 + (1 if outcomes.archived == "every_run" else 0)


def _first_minimum(app: Any, counts: Mapping[str, int], tasks_before: int) -> Minimum:
    """List pages of everything (associations inline), the archived listing, one pass of each marketing source;
    a score written on every contact, and the tasks the portal gained."""
    reads = pages(counts["contacts"], LIST_PAGE) + pages(counts["archived contacts"], LIST_PAGE)
    reads += sum(pages(counts[name], LIST_PAGE) for name in ENGAGEMENT_TYPES)
    reads += pages(counts["email events"], EMAIL_EVENTS_PAGE) + pages(counts["web events"], WEB_EVENTS_PAGE)
    reads += _forms_minimum(app, lambda listed: len(listed))
    writes = batches(counts["contacts"], WRITE_BATCH) + _task_minimum(app, tasks_before)
    return Minimum(reads + _deals_first_minimum(counts) + _companies_first_minimum(counts) + writes)


def _increment_minimum(app: Any, changes: Changes, tasks_before: int) -> Minimum:
    """The changed contacts and the archived listing; with any change, one read of every activity source; a score
    written on each changed contact, and the tasks the portal gained."""
    searches = pages(len(changes.contacts), SEARCH_PAGE)
    every_run = load_mapping(MAPPING).contact.archived == "every_run"
    reads = searches + (pages(_archived_count(app.portal, "contacts"), LIST_PAGE) if every_run else 0)
    if changes.contacts:
        for name in ENGAGEMENT_TYPES:
            created = changes.engagements.get(name, 0)
            searches += pages(created, SEARCH_PAGE)
            reads += pages(created, SEARCH_PAGE) + batches(created, ASSOCIATION_BATCH)
        reads += 2 + _forms_minimum(app, lambda listed: 0)  # email events, web events, forms
    deals = _deals_increment_minimum()
    companies, company_searches = _companies_increment_minimum(app, changes)
    writes = batches(len(changes.contacts), WRITE_BATCH) + _task_minimum(app, tasks_before)
    return Minimum(reads + deals + companies + writes, searches + min(deals, 1) + company_searches)


def _forms_minimum(app: Any, submissions: Callable[[list[Any]], int]) -> int:
    listed = app.portal.marketing.submissions
    return pages(len(listed), FORMS_PAGE) + sum(
        pages(submissions(items), SUBMISSIONS_PAGE) for items in listed.values()
    )


def _task_minimum(app: Any, before: int) -> int:
    """A batch create per 100 follow-up tasks the portal gained during the sync."""
    return batches(_our_tasks(app) - before, WRITE_BATCH)


def _our_tasks(app: Any) -> int:
    """Tasks in the portal that carry ScoreBridge's task key (what `scorebridge sync` creates)."""
    key = load_mapping(MAPPING).tasks.key_property
    with app.portal.lock:
        return sum(1 for task in app.portal.objects.active("tasks") if task.properties.get(key))


def _change_contacts(app: Any, share: float, seed: int) -> Changes:
    """Even picks get a job title that moves their fit (C-level <-> Analyst); odd picks a completed meeting,
    associated to them; HubSpot then updates the contact's activity roll-ups, which moves hs_lastmodifieddate."""
    portal = app.portal
    with portal.lock:
        contacts = list(portal.objects.active("contacts"))
        picked = random.Random(seed).sample(contacts, max(1, round(len(contacts) * share)))
        now = utc_now()
        meetings = 0
        for number, contact in enumerate(picked):
            if number % 2 == 0:
                title = contact.properties.get("jobtitle") or ""
                new = "Analyst" if re.search(C_LEVEL, title.lower()) else "Chief Revenue Officer"
                portal.objects.update(contact, {"jobtitle": new}, now)
            else:
                portal.insert("meetings", _meeting(now), {"contacts": [contact.id]})
                portal.objects.update(contact, {}, now)  # the roll-up HubSpot makes
                meetings += 1
    return Changes(frozenset(str(contact.id) for contact in picked), {"meetings": meetings})


def _meeting(now: Any) -> dict[str, str]:
    start = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "hs_meeting_title": "Meeting (video)",
        "hs_meeting_outcome": "COMPLETED",
        "hs_timestamp": start,
        "hs_meeting_start_time": start,
        "hs_meeting_end_time": (now + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


def _scores(app: Any) -> dict[str, dict[str, object]]:
    """The score properties ScoreBridge wrote on each contact, as the portal holds them."""
    with app.portal.lock:
        contacts = list(app.portal.objects.active("contacts"))
        return {
            str(contact.id): {k: v for k, v in contact.properties.items() if k.startswith(SCORE_PROPERTY_PREFIX)}
            for contact in contacts
        }


def _rate_goals(row: PhaseFigures) -> list[str]:
    floor = floor_seconds(row)
    seconds = f"wall {row.seconds:.1f} s vs floor {floor:.1f} s"
    ratio = against("time ratio", time_ratio(row), TIME_GOAL) if floor else "one burst: no floor to compare"
    return [f"calls {row.api_calls} vs minimum {row.minimum}", seconds, ratio, f"429s {row.rate_limited}"]


if __name__ == "__main__":
    sys.exit(main())
