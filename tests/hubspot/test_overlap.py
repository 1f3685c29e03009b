"""Overlapped reading and writing: sources read at once keep their own order, errors and early stops reach the
caller, and against the stand-in (which enforces the rolling window) concurrency costs no 429 and moves no bookmark
past a page the caller has not yet taken."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from adapters.hubspot.overlap import each_at_once, merged, prefetched
from adapters.sandbox.hubspot import RateLimits
from adapters.sandbox.hubspot.marketing import EmailEvent
from adapters.sandbox.hubspot.wire import epoch_ms
from connector.crm import Bookmark, ScoreWrite
from tests.hubspot.conftest import START, add_contact

BURST = 10


def numbered(name: str, count: int) -> Iterator[tuple[str, int]]:
    yield from ((name, number) for number in range(count))


def test_merged_yields_every_item_of_every_source_each_in_its_own_order():
    sources = [numbered(name, 50) for name in "abcde"]
    items = list(merged(sources, threads=3, ahead=2))
    assert sorted(items) == sorted((name, number) for name in "abcde" for number in range(50))
    for name in "abcde":
        assert [number for source, number in items if source == name] == list(range(50))


def test_merged_reads_sources_at_once():
    # Source b can only finish once source a has started: read one after another, this would never end.
    a_started = threading.Event()

    def a() -> Iterator[str]:
        a_started.set()
        yield "a"

    def b() -> Iterator[str]:
        assert a_started.wait(timeout=5)
        yield "b"

    assert sorted(merged([b(), a()], threads=2)) == ["a", "b"]


def test_one_thread_reads_strictly_in_order_in_the_callers_thread():
    seen: list[str] = []

    def source(name: str) -> Iterator[str]:
        seen.append(threading.current_thread().name)
        yield name

    assert list(merged([source("x"), source("y")], threads=1)) == ["x", "y"]
    assert set(seen) == {threading.current_thread().name}


def test_a_sources_error_reaches_the_caller_and_the_others_stop():
    stopped = threading.Event()

    def endless() -> Iterator[int]:
        try:
            while True:
                yield 1
        finally:
            stopped.set()

    def failing() -> Iterator[int]:
        yield 2
        raise RuntimeError("page 2 failed")

    with pytest.raises(RuntimeError, match="page 2 failed"):
        list(merged([endless(), failing()], threads=2, ahead=1))
    assert stopped.wait(timeout=5)


def test_closing_the_reader_early_closes_the_source_in_its_worker():
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            while True:
                yield 1
        finally:
            closed.set()

    reading = prefetched(endless(), threads=4)
    assert next(reading) == 1
    reading.close()
    assert closed.wait(timeout=5)


def test_each_at_once_answers_in_the_items_order():
    assert each_at_once(lambda n: n * n, list(range(20)), threads=4) == [n * n for n in range(20)]


def test_activity_sources_read_at_once_cost_no_429_and_find_what_one_at_a_time_finds(
    start_sandbox, make_adapter, fake_time
):
    sandbox = start_sandbox(RateLimits(per_ten_seconds=BURST))
    people = [add_contact(sandbox, f"p{n}@example.com") for n in range(30)]
    for number, person in enumerate(people * 8):
        kind = ("calls", "meetings", "notes", "emails")[number % 4]
        sandbox.app.insert(kind, {"hs_timestamp": "2026-10-30T09:00:00Z"}, {"contacts": [person]})
    marketing = sandbox.app.portal.marketing
    for number in range(2_500):
        at = epoch_ms(START) - number * 1_000
        marketing.email_events.append(EmailEvent(f"e{number}", "OPEN", f"p{number % 30}@example.com", at, 1))

    def pulled(threads: int) -> tuple[list[tuple[str, str]], int]:
        adapter = make_adapter(sandbox, burst_limit=BURST, concurrent_requests=threads)
        list(adapter.pull_contacts(None))
        pages = list(adapter.pull_activities(None))
        assert pages[-1].bookmark is not None and all(page.bookmark is None for page in pages[:-1])
        found = sorted((r.source_id, r.contact_crm_id) for page in pages for r in page.records)
        return found, adapter.usage().rate_limited

    together, limited_together = pulled(4)
    one_by_one, _ = pulled(1)
    assert together == one_by_one and len(together) > 2_500
    assert limited_together == 0 and sandbox.server.stats.snapshot()["by_status"].get("429") is None


def test_contact_pages_read_ahead_keep_their_bookmarks_in_order_behind_their_records(
    start_sandbox, make_adapter, fake_time
):
    sandbox = start_sandbox(RateLimits(per_ten_seconds=BURST))
    for number in range(1_000):
        add_contact(sandbox, f"p{number}@example.com")
        if number % 7 == 0:
            fake_time.advance(1.0)  # several contacts share each modification time
    adapter = make_adapter(sandbox, burst_limit=BURST, concurrent_requests=4)
    taken: list[tuple] = []
    last: tuple = ()
    for page in adapter.pull_contacts(Bookmark("contacts", START)):
        taken.extend((record.modified_at, int(record.crm_id)) for record in page.records)
        if page.bookmark is None or not page.bookmark.last_id:
            continue
        mark = (page.bookmark.modified_at, int(page.bookmark.last_id))
        assert mark >= last  # bookmarks never go back
        # every record the bookmark passes has been handed over, in this page or before it
        assert all(seen <= mark for seen in taken) and max(taken) == mark
        last = mark
    assert len(taken) == 1_000 and taken == sorted(taken)
    assert adapter.usage().rate_limited == 0


def test_write_batches_sent_at_once_cost_no_429_and_answer_each_write_in_order(start_sandbox, make_adapter):
    sandbox = start_sandbox(RateLimits(per_ten_seconds=BURST))
    people = [add_contact(sandbox, f"p{n}@example.com") for n in range(1_000)]
    adapter = make_adapter(sandbox, burst_limit=BURST, concurrent_requests=4)
    adapter.setup()
    writes = [ScoreWrite("contact", person, {"lead": float(n)}) for n, person in enumerate(people)]
    results = adapter.write_scores(writes)
    assert [result.crm_id for result in results] == people and all(result.ok for result in results)
    assert adapter.usage().rate_limited == 0
    stored = {str(c.id): c.properties for c in sandbox.app.portal.objects.active("contacts")}
    name = adapter.mapping.write_back.properties["lead"].name
    assert all(stored[person][name] == str(n) for n, person in enumerate(people))
