"""Sync benchmark against the Salesforce sandbox (limits off): API calls per phase beside the minimum, and times.

    .venv/bin/python benchmarks/salesforce_sync_benchmark.py [--contacts 100000] [--activities N] [--seed 1]

Phases: the first sync; a sync with no change right after it (our own write-back moved SystemModstamp, so the
written records come back: the "echo"); another no-change sync; a sync after --changed of the scored leads and
contacts changed (half get a C-level title or lose it, half a new meeting); its echo; one more no-change sync.
The minimum is counted from the org's data and Salesforce's limits alone, never from the product's settings or
counts: per stream, the cheapest split of its objects between REST queries (pages of 2,000; the first pages of up
to five objects share one Composite call) and Bulk API 2.0 query jobs (create, one poll, result pages of 50,000, the
stand-in's page when no maxRecords is asked); the records to write (every scored person on a first sync, the
people the benchmark changed later) split cheapest between Bulk API 2.0 ingest jobs (create, upload, close, one
poll, the results: five calls an object) and collections of 200 that carry Leads and Contacts together; and the
follow-up Tasks the org gained (counted in the org) the same way. With the mapping's `outcomes` section the
outcomes stream is a third stream: a first sync must read every Opportunity, every OpportunityContactRole and every
Lead converted into an opportunity (counted in the org, as the other objects are); later phases change none.
With the mapping's `accounts` section the accounts stream is read first (every Account, Bulk when large), and the
accounts whose score fields changed in the org during a phase join the people's updates (collections carry
Accounts, Leads and Contacts together; Bulk is one job per object); Tasks on accounts are among the Tasks counted.
Not in the minimum, by design: the COUNT() queries that choose Bulk or REST, the describes of a mapping check and
the look-up of task keys before creating them (what a product must spend to know, not what the data needs).
Issue 13's goal: a first sync of 100,000 leads within 1.1x the minimum.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml
from sync_phases import (  # the script's own folder is on sys.path
    COMMON_COLUMNS,
    REPOSITORY,
    PhaseFigures,
    Scores,
    SyncBench,
    batches,
    listing,
    pages,
    population_of,
    print_routes,
    print_summary,
    print_table,
    utc_now,
    write_check,
)

from adapters.salesforce import soql
from adapters.salesforce.adapter import rule_condition
from adapters.sandbox.launch import RunningSandbox, ServeOptions, start_sandbox
from adapters.sandbox.salesforce.bulk import DEFAULT_RESULT_PAGE
from adapters.sandbox.salesforce.values import format_datetime
from connector.config import ConnectionConfig
from connector.sync import SyncReport

MAPPING = REPOSITORY / "mappings" / "salesforce.yaml"
#: Salesforce's limits, which the minimum is counted with (never the product's settings).
READ_PAGE = 2000  # the largest REST query batch (Sforce-Query-Options batchSize 200..2000)
WRITE_BATCH = 200  # sObject Collections, any mix of types
#: A Composite call holds up to five query subrequests and counts as one API call (Salesforce REST API guide,
#: "Send Multiple Requests Using Composite").
COMPOSITE_QUERIES = 5
#: Bulk API 2.0 query job: create and one poll, then a call per results page.
BULK_QUERY_CALLS = 2
BULK_RESULT_PAGE = DEFAULT_RESULT_PAGE
#: Bulk API 2.0 ingest job: create, upload the CSV, close, one poll, the successful results.
BULK_INGEST_CALLS = 5
USER_PREFIX = "005"  # a User id; a lead may be owned by a queue (a Group, 00G)
TASK_KEY_FIELD = "ScoreBridge_Key__c"  # the shipped mapping's tasks.key_field: the Tasks ScoreBridge created
CONTACT_OBJECTS = ("Lead", "Contact")
#: What an outcome is made of, by a label of its own (the contacts stream reads Lead too): (object, filters).
OUTCOME_OBJECTS = {
    "Opportunity": ("Opportunity", []),
    "OpportunityContactRole": ("OpportunityContactRole", []),
    "Lead converted into an opportunity": ("Lead", ["ConvertedOpportunityId != null"]),
}
SCORE_FIELD_PREFIX = "ScoreBridge_"  # the write-back fields `scorebridge setup` creates
C_LEVEL = r"\b(ceo|cto|cfo|coo|cmo|chief|founder|co-founder|owner|president)\b"  # as in mappings/scoring.yaml


@dataclass(frozen=True)
class Changes:
    """What the benchmark changed in the org before a sync: rows per object, and the people whose scores move."""

    rows_by_object: Mapping[str, int]
    #: Records whose scores must be written, by type (Lead, Contact).
    writes_by_object: Mapping[str, int]
    #: Their ids, for checking what the sync wrote.
    people: frozenset[str] = frozenset()


NO_CHANGES = Changes({}, {})


def main(argv: Sequence[str] | None = None) -> int:
    options = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="sf-sync-bench-") as folder:
        workdir = Path(folder)
        print(f"generating {options.contacts} people (seed {options.seed}) ...", flush=True)
        population = population_of(options.contacts, options.activities, seed=options.seed, now=utc_now())
        sandbox = start_sandbox(ServeOptions(crm="salesforce", workdir=workdir, rate_limit=None))
        try:
            loaded = sandbox.app.load_population(population)
            print(f"org: {len(population.touches)} generated touches ->", listing(loaded), flush=True)
            mapping = _mapping_with_lookback(workdir, options.lookback)
            return _benchmark(workdir, sandbox, mapping, options.changed, options.seed, options.gap)
        finally:
            sandbox.server.stop()


def _benchmark(workdir: Path, sandbox: RunningSandbox, mapping: Path, share: float, seed: int, gap: float) -> int:
    bench = SyncBench(workdir, _connection(sandbox.info, mapping), sandbox.server)
    print("setup:", len(bench.adapter().setup()), "fields created")
    streams = _stream_counts(bench.adapter())
    counts = {name: count for objects in streams.values() for name, count in objects.items()}  # labels differ
    print("rows the first sync must read:", listing(counts), flush=True)
    people = sum(streams["contacts"].values())
    first = Changes(counts, streams["contacts"])
    rows: list[PhaseFigures] = []
    steps: list[tuple[str, Changes | Callable[[], Changes]]] = [
        ("first sync", first),
        ("no change, right after (echo)", NO_CHANGES),
        ("no change, again", NO_CHANGES),
        (f"{share:.0%} changed", lambda: _change_people(sandbox.app, share, people, seed)),
        ("no change, right after (echo)", NO_CHANGES),
        ("no change, again", NO_CHANGES),
    ]
    checks: list[str] = []
    for name, planned in steps:
        if rows and gap:
            time.sleep(gap)  # syncs further apart than the lookback: what a schedule does
        changes = planned() if callable(planned) else planned
        before = _scores(sandbox.app) if rows else {}
        tasks_before, accounts_before = _scorebridge_tasks(sandbox.app), _account_scores(sandbox.app)

        def minimum(
            report: SyncReport,
            changes: Changes = changes,
            tasks: int = tasks_before,
            accounts: Scores = accounts_before,
        ) -> int:
            written = _changed(accounts, _account_scores(sandbox.app))
            return _minimum(changes, streams, _scorebridge_tasks(sandbox.app) - tasks, written)

        figures, report = bench.run(name, minimum)
        if rows:
            confirmed = report.counts.get("written", 0)
            checks.append(write_check(name, changes.people, before, _scores(sandbox.app), confirmed))
        rows.append(figures)
        print(f"  {name}: {figures.api_calls} calls in {figures.seconds:.1f} s", flush=True)
    print()
    print_table(rows, COMMON_COLUMNS)
    print_routes(rows)
    print_summary(rows, checks)
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="people in the org (Leads, some converted)")
    parser.add_argument(
        "--activities", type=int, default=None, help="generated touches (default: the generator's ~10 a person)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gap", type=float, default=0, help="seconds to wait between phases (default 0: back to back)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of scored people changed (0.01)")
    parser.add_argument(
        "--lookback", type=int, default=None, help="pull.lookback_seconds for this run (default: the mapping's 600)"
    )
    return parser.parse_args(argv)


def _mapping_with_lookback(workdir: Path, lookback: int | None) -> Path:
    """The project's mapping, or a copy of it with another lookback window."""
    if lookback is None:
        return MAPPING
    document = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    document["pull"]["lookback_seconds"] = lookback
    copy = workdir / "salesforce.yaml"
    copy.write_text(yaml.safe_dump(document), encoding="utf-8")
    print(f"mapping: {MAPPING.name} with pull.lookback_seconds = {lookback}")
    return copy


def _connection(info: Mapping[str, Any], mapping: Path) -> ConnectionConfig:
    os.environ["SF_BENCH_PASSWORD"] = info["password"]
    os.environ["SF_BENCH_SECRET"] = info["client_secret"]
    settings = {
        "auth": "password",
        "login_url": info["base_url"],
        "username": info["username"],
        "consumer_key": info["client_id"],
        "consumer_secret": {"env": "SF_BENCH_SECRET"},
        "password": {"env": "SF_BENCH_PASSWORD"},
        "ca_bundle": info["ca_file"],
    }
    return ConnectionConfig(name="bench-salesforce", crm="salesforce", mapping=mapping, settings=settings)


def _stream_counts(adapter: Any) -> dict[str, dict[str, int]]:
    """Per stream, the rows of each object the first sync must read, counted with the mapping's own filters."""
    mapping = adapter.mapping
    where: dict[str, list[str]] = {name: [] for name in mapping.objects}
    if "Lead" in where and not mapping.leads.include_converted:
        where["Lead"].append("IsConverted = false")
    for name, rules in mapping.activity_objects().items():
        conditions = [rule_condition(rule) for rule in rules]
        where[name] = [] if None in conditions else [" OR ".join(f"({c})" for c in conditions)]
    counted = {name: adapter.client.count(soql.count(name, rows), what=f"count {name}") for name, rows in where.items()}
    streams = {"contacts": list(mapping.objects), "activities": list(mapping.activity_objects())}
    counts = {stream: {name: counted[name] for name in names} for stream, names in streams.items()}
    if mapping.accounts is not None:  # every account, deleted ones aside, as the people are counted
        counts["accounts"] = {
            "Account": adapter.client.count(soql.count(mapping.accounts.object), what="count Account")
        }
    if mapping.outcomes is not None:
        counts["outcomes"] = {
            label: adapter.client.count(soql.count(name, rows), what=f"count {label}")
            for label, (name, rows) in OUTCOME_OBJECTS.items()
        }
    return counts


def _minimum(
    changes: Changes, streams: Mapping[str, Mapping[str, int]], tasks_created: int, accounts_written: int
) -> int:
    """Reads: per stream the cheapest split of its objects between REST and Bulk query (an object with nothing
    changed still costs its first page). Writes: the changed people with the accounts whose scores changed in the
    org (updates: collections carry every type together), and the new Tasks (inserts), each the cheapest split
    between Bulk ingest jobs and collections."""
    reads = sum(
        _read_minimum({name: changes.rows_by_object.get(name, 0) for name in objects}) for objects in streams.values()
    )
    updates = {**changes.writes_by_object, "Account": accounts_written}
    return reads + _write_minimum(updates) + _write_minimum({"Task": tasks_created})


def _read_minimum(rows: Mapping[str, int]) -> int:
    return min(
        sum(BULK_QUERY_CALLS + pages(rows[name], BULK_RESULT_PAGE) for name in bulk)
        + math.ceil((len(rows) - len(bulk)) / COMPOSITE_QUERIES)
        + sum(pages(count, READ_PAGE) - 1 for name, count in rows.items() if name not in bulk)
        for bulk in _subsets(rows)
    )


def _write_minimum(records: Mapping[str, int]) -> int:
    wanted = {name: count for name, count in records.items() if count}
    return min(
        BULK_INGEST_CALLS * len(bulk) + batches(sum(n for name, n in wanted.items() if name not in bulk), WRITE_BATCH)
        for bulk in _subsets(wanted)
    )


def _subsets(names: Mapping[str, int]) -> list[frozenset[str]]:
    return [frozenset(chosen) for size in range(len(names) + 1) for chosen in combinations(names, size)]


def _scorebridge_tasks(app: Any) -> int:
    return sum(1 for row in app.store.rows("Task") if row.get(TASK_KEY_FIELD))


def _account_scores(app: Any) -> Scores:
    """The score values on each Account, as the org holds them."""
    return {
        row["Id"]: {name: value for name, value in row.items() if name.startswith(SCORE_FIELD_PREFIX)}
        for row in app.store.rows("Account")
    }


def _changed(before: Scores, after: Scores) -> int:
    """Records whose score values differ between two snapshots: the writes a sync could not have done without."""
    return sum(1 for record_id, values in after.items() if before.get(record_id, {}) != values)


def _scored_rows(app: Any) -> dict[str, list[dict[str, Any]]]:
    leads = [row for row in app.store.rows("Lead") if not row.get("IsConverted")]
    return {"Lead": leads, "Contact": app.store.rows("Contact")}


def _change_people(app: Any, share: float, people: int, seed: int) -> Changes:
    """Change ``share`` of the scored people through the sandbox app: even picks get a title that moves their fit
    (C-level <-> Analyst), odd picks a new completed meeting (an Event, 30 points in the model)."""
    rows = [(name, row) for name, listed in _scored_rows(app).items() for row in listed]
    picked = random.Random(seed).sample(rows, max(1, round(people * share)))
    touched: Counter[str] = Counter()
    who: dict[str, set[str]] = {name: set() for name in CONTACT_OBJECTS}
    now = utc_now()
    for number, (name, row) in enumerate(picked):
        who[name].add(row["Id"])
        if number % 2 == 0:
            title = "Analyst" if re.search(C_LEVEL, (row.get("Title") or "").lower()) else "Chief Revenue Officer"
            app.store.update(name, row["Id"], {"Title": title}, trusted=True)
            touched[name] += 1
        else:
            app.insert("Event", _meeting(row, now, app.store.api_user_id))
            touched["Event"] += 1
    return Changes(dict(touched), {name: len(ids) for name, ids in who.items()}, frozenset().union(*who.values()))


def _meeting(row: Mapping[str, Any], now: Any, fallback_owner: str) -> dict[str, Any]:
    """A completed meeting with the person; a queue cannot own an Event, so a queue-owned lead's goes to the user."""
    start = format_datetime(now)
    owner = row["OwnerId"] if str(row["OwnerId"]).startswith(USER_PREFIX) else fallback_owner
    return {
        "Subject": "Meeting",
        "WhoId": row["Id"],
        "Type": "Meeting",
        "OwnerId": owner,
        "ActivityDate": now.date().isoformat(),
        "ActivityDateTime": start,
        "StartDateTime": start,
        "DurationInMinutes": 30,
        "EndDateTime": format_datetime(now + timedelta(minutes=30)),
        "EventSubtype": "Event",
    }


def _scores(app: Any) -> Scores:
    """The score values ScoreBridge wrote on each scored record, as the org holds them."""
    return {
        row["Id"]: {name: value for name, value in row.items() if name.startswith(SCORE_FIELD_PREFIX)}
        for listed in _scored_rows(app).values()
        for row in listed
    }


if __name__ == "__main__":
    sys.exit(main())
