"""Long pulls against a portal with a low limit: at least 90% of the allowed rate, and not a single 429.

The sandbox counts requests on the same fake clock the limiter sleeps on, so the figures are exact.
"""

from __future__ import annotations

import math

from adapters.sandbox.hubspot import RateLimits
from connector.crm import Bookmark
from tests.hubspot.conftest import START

BURST = 10


def floor_seconds(calls: int, per_window: int, window: float) -> float:
    """The least time `calls` requests take under a rolling window: a full window between every batch."""
    return math.floor((calls - 1) / per_window) * window


def test_a_long_backfill_uses_at_least_90_percent_of_the_burst_limit_without_429s(
    start_sandbox, make_adapter, fake_time
):
    sandbox = start_sandbox(RateLimits(per_ten_seconds=BURST))
    for index in range(2_450):
        sandbox.app.insert("contacts", {"email": f"p{index}@example.com"})
    adapter = make_adapter(sandbox, burst_limit=BURST)
    pulled = sum(len(page.records) for page in adapter.pull_contacts(None))
    elapsed = (fake_time.now() - START).total_seconds()
    usage = adapter.usage()
    assert pulled == 2_450 and usage.calls == 25 + 1
    assert usage.rate_limited == 0 and sandbox.server.stats.snapshot()["by_status"].get("429") is None
    assert floor_seconds(usage.calls, BURST, 10.0) <= elapsed <= floor_seconds(usage.calls, BURST, 10.0) / 0.9


def test_an_incremental_pull_keeps_searches_under_five_per_second_without_429s(
    start_sandbox, make_adapter, fake_time, mapping
):
    sandbox = start_sandbox(RateLimits(per_ten_seconds=BURST, searches_per_second=5))
    for index in range(3_000):
        sandbox.app.insert("contacts", {"email": f"p{index}@example.com"})
    # Searches only: without `accounts`, a page of changed contacts costs no company association read.
    without_accounts = mapping.model_copy(update={"accounts": None})
    adapter = make_adapter(sandbox, mapping=without_accounts, burst_limit=BURST, search_per_second=5)
    pages = list(adapter.pull_contacts(Bookmark("contacts", START)))
    elapsed = (fake_time.now() - START).total_seconds()
    searches = sandbox.server.stats.snapshot()["by_route"]["hubspot.search"]
    assert sum(len(page.records) for page in pages) == 3_000 and searches == 15
    assert adapter.usage().rate_limited == 0
    assert floor_seconds(searches, 5, 1.0) <= elapsed <= floor_seconds(searches, 5, 1.0) / 0.9
