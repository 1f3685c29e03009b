"""The adapter against what the corrected HubSpot stand-in refuses or leaves out: an id twice among the writes,
and objects without their default properties."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from adapters.hubspot.contacts import contact_record
from adapters.hubspot.pull import modified_at
from adapters.hubspot.write import batches_of_distinct_ids
from connector.crm import ScoreWrite
from tests.hubspot.conftest import add_contact, route_calls


def test_two_writes_to_one_contact_land_in_order_without_a_refused_batch(sandbox, adapter):
    adapter.setup()
    ann, bob = add_contact(sandbox, "ann@example.com"), add_contact(sandbox, "bob@example.com")
    writes = [
        ScoreWrite("contact", ann, {"fit": 10}),
        ScoreWrite("contact", bob, {"fit": 20}),
        ScoreWrite("contact", ann, {"fit": 30}),
    ]
    results = adapter.write_scores(writes)
    assert [(r.crm_id, r.ok) for r in results] == [(ann, True), (bob, True), (ann, True)]
    assert route_calls(sandbox, "hubspot.objects.batch_update") == 2  # never a 400 split: two clean batches
    assert sandbox.app.portal.objects.get("contacts", ann).properties["scorebridge_fit_score"] == "30"


def test_batches_never_name_an_id_twice_and_keep_each_ids_order():
    pending = [(index, {"id": crm_id}) for index, crm_id in enumerate("aabacbbbd")]
    batches = batches_of_distinct_ids(pending, 3)
    for batch in batches:
        ids = [item["id"] for _, item in batch]
        assert len(ids) == len(set(ids)) and len(batch) <= 3
    order = [index for batch in batches for index, _ in batch]
    assert sorted(order) == list(range(len(pending)))
    for crm_id in "abcd":
        positions = [order.index(index) for index, item in pending if item["id"] == crm_id]
        assert positions == sorted(positions)


def test_a_contact_without_its_default_properties_still_parses(mapping):
    updated = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    bare = SimpleNamespace(id="77", properties={}, created_at=None, updated_at=updated, archived=False)
    record = contact_record(bare, mapping, None)
    assert (record.crm_id, record.created_at, record.modified_at) == ("77", None, updated)
    nothing = SimpleNamespace(id="78", properties=None, created_at=None, updated_at=None, archived=False)
    assert contact_record(nothing, mapping, None).crm_id == "78"
    assert modified_at(nothing) == datetime.min.replace(tzinfo=UTC)
