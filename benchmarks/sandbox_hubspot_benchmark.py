"""How fast the HubSpot sandbox serves a 100-record contacts page over real HTTP, with rate limits off.

Target (issue 3): a median of 10 ms or less, so that the sandbox never limits a benchmark of the connector.
Run: .venv/bin/python benchmarks/sandbox_hubspot_benchmark.py [--contacts N] [--pages N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import requests
from hubspot import HubSpot

from adapters.sandbox.hubspot import HubSpotSettings, RateLimits, start_hubspot_sandbox
from adapters.sandbox.population import generate_population

PROPERTIES = ["email", "firstname", "lastname", "jobtitle", "lifecyclestage", "hs_lead_status", "numemployees",
              "industry", "country", "hubspot_owner_id", "hs_lastmodifieddate"]  # fmt: skip
TARGET_MS = 10.0


def _median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def _time_pages(fetch, pages: int) -> list[float]:
    timings = []
    after = None
    for _ in range(pages):
        started = time.perf_counter()
        after = fetch(after)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    population = generate_population(args.contacts, seed=1, now=datetime(2026, 11, 1, tzinfo=UTC))
    settings = HubSpotSettings(limits=RateLimits(enabled=False))
    with start_hubspot_sandbox(settings=settings, population=population) as sandbox:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {sandbox.token}"
        url = f"{sandbox.base_url}/crm/v3/objects/contacts"

        def raw_page(after: str | None) -> str | None:
            params = {
                "limit": 100,
                "properties": PROPERTIES,
                "archived": "false",
                **({"after": after} if after else {}),
            }
            body = session.get(url, params=params, timeout=10).json()
            assert len(body["results"]) == 100
            return body.get("paging", {}).get("next", {}).get("after")

        api = HubSpot(access_token=sandbox.token, host=sandbox.base_url).crm.contacts.basic_api

        def client_page(after: str | None) -> str | None:
            page = api.get_page(limit=100, after=after, properties=PROPERTIES, archived=False)
            return page.paging.next.after if page.paging else None

        _time_pages(raw_page, 10)  # warm up connections
        raw = _time_pages(raw_page, args.pages)
        typed = _time_pages(client_page, args.pages)
    print(
        f"contacts in portal: {args.contacts}; pages timed: {args.pages} of 100 records, {len(PROPERTIES)} properties"
    )
    print(f"median, requests (raw JSON):          {_median_ms(raw):6.2f} ms   (target <= {TARGET_MS:.0f} ms)")
    print(
        f"median, hubspot-api-client get_page:  {_median_ms(typed):6.2f} ms   (includes the client's deserialization)"
    )
    print(f"p95, requests:                        {sorted(raw)[int(len(raw) * 0.95)] * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
