"""Median time of one 2,000-row SOQL page from the Salesforce sandbox over real HTTPS, as a client sees it.

Usage: python benchmarks/sandbox_salesforce_benchmark.py [--people 5000] [--rounds 15]
Target (issue 3): at most 100 ms a page on the project machine, so the sandbox never limits a connector benchmark.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from simple_salesforce import Salesforce

from adapters.sandbox.population import generate_population
from adapters.sandbox.salesforce.server import start_salesforce_sandbox

#: The incremental read a connector makes: composite cursor order, a parent field, a dateTime filter.
TASK_PAGE = (
    "SELECT Id, WhoId, OwnerId, Subject, TaskSubtype, CallDisposition, ActivityDate, Who.Name, SystemModstamp "
    "FROM Task WHERE SystemModstamp >= 2026-01-01T00:00:00Z ORDER BY SystemModstamp, Id"
)
LEAD_PAGE = (
    "SELECT Id, Email, Title, Industry, NumberOfEmployees, AnnualRevenue, Country, LeadSource, Status, OwnerId, "
    "Owner.Name, HasOptedOutOfEmail, SystemModstamp FROM Lead WHERE IsConverted = false ORDER BY SystemModstamp, Id"
)


def median_ms(action: Callable[[], object], rounds: int) -> float:
    action()  # warm the connection pool and the TLS session
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    population = generate_population(args.people, seed=7, now=now)
    with tempfile.TemporaryDirectory() as workdir, start_salesforce_sandbox(Path(workdir)) as sandbox:
        started = time.perf_counter()
        counts = sandbox.app.load_population(population)
        print(f"loaded {counts} in {time.perf_counter() - started:.2f} s")
        sf = Salesforce(instance_url=sandbox.instance_url, session_id=sandbox.token, session=sandbox.session())
        for name, soql in (("Task", TASK_PAGE), ("Lead", LEAD_PAGE)):
            first = sf.query(soql)
            print(f"{name}: {first['totalSize']} rows match; first page {len(first['records'])} rows")
            print(f"  first page (runs the query): {median_ms(lambda soql=soql: sf.query(soql), args.rounds):6.1f} ms")
            if "nextRecordsUrl" in first:
                more = first["nextRecordsUrl"]
                page_ms = median_ms(lambda more=more: sf.query_more(more, identifier_is_url=True), args.rounds)
                print(f"  next page (cursor):          {page_ms:6.1f} ms")


if __name__ == "__main__":
    main()
