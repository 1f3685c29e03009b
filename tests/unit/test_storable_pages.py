"""A page of records is screened at once; a record that needs cleaning is cleaned alone, as before."""

from datetime import UTC, datetime

from connector.crm import ActivityRecord, ContactRecord
from connector.store.storable import Screened

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _activity(number: int, kind: str = "call", **attributes: str) -> ActivityRecord:
    return ActivityRecord(
        source_id=f"calls:{number}", contact_object_type="contact", contact_crm_id=str(number), type=kind,
        occurred_at=AT, attributes=attributes,
    )  # fmt: skip


def test_a_clean_page_is_the_same_records_with_nothing_counted():
    page = [_activity(number, outcome="connected") for number in range(100)]
    screened = Screened()
    kept = screened.activities(page)
    assert kept == page and all(a is b for a, b in zip(kept, page, strict=True))
    assert (screened.cleaned, screened.rejected) == (0, 0)


def test_one_unstorable_value_cleans_that_record_alone():
    page = [_activity(1), _activity(2, outcome="con\x00nected"), _activity(3)]
    screened = Screened()
    kept = screened.activities(page)
    assert [a.attributes for a in kept] == [{}, {"outcome": "connected"}, {}]
    assert kept[0] is page[0] and kept[2] is page[2]
    assert (screened.cleaned, screened.rejected) == (1, 0)


def test_an_identity_too_long_for_its_column_rejects_that_record_alone():
    page = [
        ContactRecord(object_type="contact", crm_id="1", modified_at=AT),
        ContactRecord(object_type="contact", crm_id="9" * 500, modified_at=AT),
    ]
    screened = Screened()
    assert [c.crm_id for c in screened.contacts(page)] == ["1"]
    assert (screened.cleaned, screened.rejected) == (0, 1)
