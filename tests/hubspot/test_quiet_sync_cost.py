"""What a sync costs when nothing changed: the contacts bookmark anchors at the read's start, so a quiet portal
stops re-reading our own write-back, and the tasks search leaves our own follow-up tasks out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.sandbox.http import Request
from connector.crm import Bookmark, ScoreWrite
from tests.hubspot.conftest import START, add_contact, route_calls

LOOKBACK = timedelta(seconds=300)  # the adapter's default settings.lookback_seconds


@dataclass
class StoredBookmarks:
    """The store's side of a sync, as far as pulling goes: the last bookmark each stream's pull yielded."""

    streams: dict[str, Bookmark] = field(default_factory=dict)

    def sync(self, adapter):
        """Pull contacts then activities from the stored bookmarks; returns the records each stream pulled."""
        contacts = self._pull("contacts", adapter.pull_contacts)
        activities = self._pull("activities", adapter.pull_activities)
        return contacts, activities

    def sync_all(self, adapter):
        """Every stream in the sync's order (accounts before contacts); returns how many records came."""
        pulls = [("accounts", adapter.pull_accounts), ("contacts", adapter.pull_contacts)]
        pulls += [("activities", adapter.pull_activities), ("outcomes", adapter.pull_outcomes)]
        return sum(len(self._pull(stream, pull)) for stream, pull in pulls)

    def _pull(self, stream, pull):
        records = []
        for page in pull(self.streams.get(stream)):
            records.extend(page.records)
            if page.bookmark is not None:
                self.streams[stream] = page.bookmark
        return records


def test_a_no_change_sync_after_a_writing_sync_costs_one_contacts_search_and_the_archived_listing(
    sandbox, adapter, fake_time
):
    adapter.setup()
    people = [add_contact(sandbox, f"p{index}@example.com") for index in range(201)]  # two search pages' worth
    sandbox.app.insert("notes", {"hs_timestamp": "2026-11-01T11:00:00Z"}, {"contacts": [people[0]]})
    store = StoredBookmarks()
    store.sync(adapter)
    fake_time.advance(60)
    adapter.write_scores([ScoreWrite("contact", crm_id, {"fit": 50}) for crm_id in people])
    fake_time.advance(3600)
    echoed, found = store.sync(adapter)  # our write-back comes back once, recognised as ours
    assert len(echoed) == len(people) and found == []
    assert store.streams["contacts"] == Bookmark("contacts", fake_time.now())

    fake_time.advance(3600)
    before, searches = adapter.usage().calls, route_calls(sandbox, "hubspot.search")
    pulled, found = store.sync(adapter)
    assert pulled == [] and found == []
    assert route_calls(sandbox, "hubspot.search") - searches == 1
    # the contacts search and the archived contacts listing: no re-read of our write-back, no activity source
    assert adapter.usage().calls - before == 2
    assert store.streams["contacts"] == Bookmark("contacts", fake_time.now())


def test_a_quiet_sync_of_every_stream_of_the_shipped_mapping_costs_five_calls(sandbox, adapter, fake_time):
    adapter.setup()
    company = sandbox.app.insert("companies", {"name": "Acme", "domain": "acme.com"})
    ann = sandbox.app.insert("contacts", {"email": "ann@acme.com"}, {"companies": [company]})
    sandbox.app.insert("deals", {"dealname": "Acme", "pipeline": "default"}, {"contacts": [ann]})
    store = StoredBookmarks()
    store.sync_all(adapter)
    for _ in range(2):  # the first increment re-reads the lookback once
        fake_time.advance(3600)
        store.sync_all(adapter)
    before = adapter.usage().calls
    assert store.sync_all(adapter) == 0
    # the companies search and archived list (`accounts`), the contacts search and archived list, the deals search
    assert adapter.usage().calls - before == 5


def test_a_contact_modified_just_before_the_previous_read_started_is_still_returned(sandbox, adapter, fake_time):
    store = StoredBookmarks(
        {"contacts": Bookmark("contacts", START - timedelta(days=1)), "activities": Bookmark("activities", START)}
    )
    store.sync(adapter)
    read_started = fake_time.now()
    assert store.streams["contacts"] == Bookmark("contacts", read_started)
    # Committed before that read began but not yet searchable then (HubSpot's index lags "a few moments").
    portal = sandbox.app.portal
    lagging = portal.insert("contacts", {"email": "late@example.com"}, modified_at=read_started - timedelta(seconds=10))
    portal.insert(
        "contacts", {"email": "older@example.com"}, modified_at=read_started - LOOKBACK - timedelta(seconds=1)
    )
    fake_time.advance(3600)
    pulled, _ = store.sync(adapter)
    assert [record.crm_id for record in pulled] == [lagging]


def test_an_increment_never_moves_the_contacts_bookmark_backwards(sandbox, adapter):
    ahead = Bookmark("contacts", START + timedelta(hours=1), "42")  # a bookmark later than this read's start
    pages = list(adapter.pull_contacts(ahead))
    assert pages[-1].bookmark == ahead


def test_our_own_tasks_are_left_out_by_the_tasks_search_itself(sandbox, adapter, mapping, fake_time, monkeypatch):
    adapter.setup()
    ann = add_contact(sandbox, "ann@example.com")
    key = mapping.tasks.key_property
    ours = sandbox.app.insert("tasks", {"hs_timestamp": "2026-11-01T12:00:00Z", key: "k1"}, {"contacts": [ann]})
    human = sandbox.app.insert("tasks", {"hs_timestamp": "2026-11-01T12:00:00Z"}, {"contacts": [ann]})
    searches = record_searches(sandbox, monkeypatch, "/crm/v3/objects/tasks/search")
    found = [r for page in adapter.pull_activities(Bookmark("activities", START)) for r in page.records]
    assert [record.source_id for record in found] == [f"tasks:{human}"]
    (request, answer), *_ = searches
    assert {"propertyName": key, "operator": "NOT_HAS_PROPERTY"} in request["filterGroups"][0]["filters"]
    assert ours not in [result["id"] for result in answer["results"]]


def record_searches(sandbox, monkeypatch, path: str) -> list[tuple[dict, dict]]:
    """Every (request body, response body) of searches on ``path`` from now on."""
    seen: list[tuple[dict, dict]] = []
    dispatch = sandbox.server.dispatch

    def recording(request: Request):
        route, response, fault = dispatch(request)
        if request.path == path:
            seen.append((request.json(), json.loads(response.body)))
        return route, response, fault

    monkeypatch.setattr(sandbox.server, "dispatch", recording)
    return seen
