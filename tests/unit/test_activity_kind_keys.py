"""An activity's kind key is the same whether it was built before (remembered) or not, and for any attribute."""

from datetime import UTC, datetime

from connector.crm import ActivityRecord
from connector.store.activity_writer import kind_key
from connector.store.records import _activity_row

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _record(**attributes: object) -> ActivityRecord:
    return ActivityRecord(
        source_id="meetings:1", contact_object_type="contact", contact_crm_id="7", type="meeting", occurred_at=AT,
        attributes=attributes,
    )  # fmt: skip


def test_the_remembered_key_is_the_key_and_attribute_order_does_not_matter():
    first = _activity_row(_record(outcome="COMPLETED", source="video"))[1]
    again = _activity_row(_record(source="video", outcome="COMPLETED"))[1]
    assert first == again == kind_key("meeting", [("outcome", "COMPLETED"), ("source", "video")])


def test_an_unhashable_attribute_value_still_gets_its_key():
    row = _activity_row(_record(topics=["pricing", "security"]))
    assert row[1] == kind_key("meeting", [("topics", ["pricing", "security"])])


def test_an_unstorable_attribute_is_cleaned_in_the_remembered_key_too():
    assert _activity_row(_record(outcome="DONE\x00"))[1] == kind_key("meeting", [("outcome", "DONE")])
