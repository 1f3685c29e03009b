"""`scorebridge import`: CSV and JSON Lines files into the store, with a per-row problem report.

The store tests run on SQLite and PostgreSQL (the `engine` fixture); the command-line test runs on SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from connector.errors import InputError
from connector.importer import import_activities, import_contacts, write_problem_report
from connector.store.tables import Activity, ActivityKind, Contact
from tests.store.store_reads import empty_rescore_queue, queued

CONTACTS_CSV = """\
object_type,crm_id,email,title,employees,annual_revenue,is_customer,created_at,favourite_colour
Lead,L1,ada@example.com,CTO,250,5000000,no,2026-01-05T08:00:00Z,green
Lead,L2,bob@example.com,Student,ten,$5M,yes,2026-01-06T08:00:00+02:00,
Contact,C1,cy@example.com,VP Sales,"1,200",,,,
"""
ACTIVITIES_CSV = """\
source_id,contact_crm_id,contact_object_type,type,occurred_at,url,campaign
a1,L1,,page_view,2026-03-01T10:00:00Z,/pricing,
a2,L1,Lead,email_open,2026-03-01T11:00:00Z,,spring
a3,C1,Contact,email_open,2026-03-02T11:00:00+01:00,,spring
"""
MARCH_4 = "2026-03-04T10:00:00Z"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


def rows(engine: Engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def contact(engine: Engine, crm_id: str) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(select(Contact).where(Contact.crm_id == crm_id)).mappings().one())


@pytest.fixture
def with_contacts(engine, tmp_path) -> Engine:
    import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS_CSV))
    return engine


def test_contacts_csv_fills_typed_fields_and_keeps_unknown_columns_as_extra(engine, tmp_path):
    report = import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS_CSV), source="import", instance="csv")

    assert (report.rows_read, report.stored.inserted) == (3, 3)
    ada = contact(engine, "L1")
    assert (ada["title"], ada["employees"], ada["annual_revenue"], ada["is_customer"]) == ("CTO", 250, 5e6, False)
    assert ada["created_at"] == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert (ada["source"], ada["instance"], ada["extra"]) == ("import", "csv", {"favourite_colour": "green"})
    assert contact(engine, "C1")["employees"] == 1200


def test_employees_ten_and_revenue_5m_are_left_empty_with_counted_warnings(engine, tmp_path):
    report = import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS_CSV))

    bob = contact(engine, "L2")
    assert (bob["employees"], bob["annual_revenue"], bob["is_customer"]) == (None, None, True)
    assert report.warnings == 2
    assert [str(problem) for problem in report.problems] == [
        f"{tmp_path / 'contacts.csv'}:3: employees='ten': not a number (field left empty)",
        f"{tmp_path / 'contacts.csv'}:3: annual_revenue='$5M': not a number (field left empty)",
    ]


def test_a_missing_required_column_rejects_the_whole_file_and_writes_nothing(with_contacts, tmp_path):
    no_time = write(tmp_path, "activities.csv", "source_id,contact_crm_id,type\na1,L1,page_view\n")

    with pytest.raises(InputError, match=r"activities.csv:1: missing required column\(s\) occurred_at") as raised:
        import_activities(with_contacts, no_time)

    assert raised.value.exit_code == 2
    assert rows(with_contacts, Activity) == 0


def test_unparsable_and_naive_times_skip_their_rows_and_say_why(with_contacts, tmp_path):
    text = """\
        source_id,contact_crm_id,type,occurred_at
        a1,L1,email_open,yesterday
        a2,L1,email_open,2026-03-01 11:00:00
        a3,L1,email_open,2026-03-01T11:00:00Z
        a4,,email_open,2026-03-01T11:00:00Z
    """
    report = import_activities(with_contacts, write(tmp_path, "activities.csv", text))

    assert (report.rows_read, report.stored.inserted, report.skipped) == (4, 1, 3)
    assert [(p.line, p.column, p.value, p.row_skipped) for p in report.problems] == [
        (2, "occurred_at", "yesterday", True),
        (3, "occurred_at", "2026-03-01 11:00:00", True),
        (5, "contact_crm_id", "", True),
    ]
    assert "no UTC offset" in report.problems[1].problem


def test_naive_times_are_taken_as_utc_only_when_asked(with_contacts, tmp_path):
    path = write(tmp_path, "activities.csv", "source_id,contact_crm_id,type,occurred_at\na1,L1,call,2026-03-01 11:00\n")

    report = import_activities(with_contacts, path, assume_utc=True)

    assert report.stored.inserted == 1
    with with_contacts.connect() as connection:
        assert connection.scalar(select(Activity.occurred_at)) == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def test_importing_the_same_files_twice_changes_nothing_the_second_time(engine, tmp_path):
    contacts, activities = write(tmp_path, "c.csv", CONTACTS_CSV), write(tmp_path, "a.csv", ACTIVITIES_CSV)
    import_contacts(engine, contacts)
    import_activities(engine, activities)
    empty_rescore_queue(engine)

    again_contacts, again_activities = import_contacts(engine, contacts), import_activities(engine, activities)

    assert (again_contacts.stored.inserted, again_contacts.stored.updated, again_contacts.stored.unchanged) == (0, 0, 3)
    assert (again_activities.stored.inserted, again_activities.stored.unchanged) == (0, 3)
    assert (rows(engine, Contact), rows(engine, Activity)) == (3, 3)
    assert queued(engine) == set()


def test_other_columns_become_attributes_and_empty_ones_do_not_count(with_contacts, tmp_path):
    import_activities(with_contacts, write(tmp_path, "a.csv", ACTIVITIES_CSV))

    with with_contacts.connect() as connection:
        kinds = {(kind.type, tuple(kind.attributes.items())) for kind in connection.execute(select(ActivityKind))}
    assert kinds == {("page_view", (("url", "/pricing"),)), ("email_open", (("campaign", "spring"),))}


def test_json_lines_activities_land_in_the_same_kinds_as_csv(with_contacts, tmp_path):
    import_activities(with_contacts, write(tmp_path, "a.csv", ACTIVITIES_CSV))
    first = {"source_id": "j1", "contact_crm_id": "L2", "type": "page_view", "occurred_at": MARCH_4, "url": "/pricing"}
    second = {
        "source_id": "j2",
        "contact_crm_id": "L2",
        "type": "webinar_attended",
        "occurred_at": MARCH_4,
        "minutes": 45,
    }
    jsonl = f"{json.dumps(first)}\n\n{json.dumps(second)}\nnot json\n"
    report = import_activities(with_contacts, write(tmp_path, "more.jsonl", jsonl))

    assert (report.stored.inserted, report.rejected_rows) == (2, 1)
    assert report.problems[0].line == 4
    with with_contacts.connect() as connection:
        attributes = connection.scalars(select(ActivityKind.attributes).where(ActivityKind.type == "webinar_attended"))
        assert list(attributes) == [{"minutes": "45"}]
    assert rows(with_contacts, ActivityKind) == 3


def test_activities_of_contacts_not_in_the_store_are_counted_as_skipped(with_contacts, tmp_path):
    text = (
        "source_id,contact_crm_id,type,occurred_at\na1,L1,call,2026-03-01T10:00:00Z\na2,L404,call,2026-03-01T10:00Z\n"
    )

    report = import_activities(with_contacts, write(tmp_path, "a.csv", text))

    assert (report.stored.inserted, report.stored.skipped, report.skipped) == (1, 1, 1)


def test_a_model_vocabulary_rejects_types_it_does_not_know(with_contacts, tmp_path):
    text = "source_id,contact_crm_id,type,occurred_at\na1,L1,call,2026-03-01T10:00:00Z\na2,L1,tweet,2026-03-01T10:00Z\n"

    report = import_activities(with_contacts, write(tmp_path, "a.csv", text), activity_types=frozenset({"call"}))

    assert report.stored.inserted == 1
    assert [(p.line, p.column, p.value) for p in report.problems] == [(3, "type", "tweet")]


def test_rows_with_the_wrong_number_of_values_are_reported_and_skipped(with_contacts, tmp_path):
    text = "source_id,contact_crm_id,type,occurred_at\na1,L1,call\n\na2,L1,call,2026-03-01T10:00:00Z\n"

    report = import_activities(with_contacts, write(tmp_path, "a.csv", text))

    assert (report.stored.inserted, report.rejected_rows) == (1, 1)
    assert "has 3 values, the header has 4" in str(report.problems[0])


def test_a_spreadsheet_byte_order_mark_does_not_hide_the_first_column(engine, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("\ufeffcrm_id,email\nL1,ada@example.com\n", encoding="utf-8")

    assert import_contacts(engine, path).stored.inserted == 1


def test_the_format_comes_from_the_extension_unless_given(engine, tmp_path):
    path = write(tmp_path, "contacts.txt", '{"crm_id": "L1"}\n')

    with pytest.raises(InputError, match="--format"):
        import_contacts(engine, path)
    assert import_contacts(engine, path, file_format="jsonl").stored.inserted == 1


def test_the_problem_report_file_lists_every_kept_problem(engine, tmp_path):
    report = import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS_CSV))

    write_problem_report(report, tmp_path / "problems.csv")

    lines = (tmp_path / "problems.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file,line,column,value,problem,outcome"
    assert lines[1].endswith(",3,employees,ten,not a number,field left empty")


def test_the_import_command_prints_a_summary_and_exits_2_on_a_bad_header(tmp_path):
    database = f"sqlite:///{tmp_path / 'store.db'}"
    contacts = write(tmp_path, "contacts.csv", CONTACTS_CSV)
    command = [sys.executable, "-m", "connector.cli", "import"]

    done = subprocess.run([*command, "contacts", str(contacts), "--database", database], capture_output=True, text=True)
    bad = write(tmp_path, "bad.csv", "source_id,type\na1,call\n")
    refused = subprocess.run([*command, "activities", str(bad), "--database", database], capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert "3 contacts rows read, 3 inserted" in done.stdout
    assert "contacts.csv:3: employees='ten': not a number" in done.stderr
    assert refused.returncode == 2
    assert "missing required column(s) contact_crm_id, occurred_at" in refused.stderr


def test_a_file_parsed_in_a_second_process_gives_the_same_store_and_report(engine, tmp_path):
    text = (
        ACTIVITIES_CSV
        + "a4,L404,,call,2026-03-03T10:00:00Z,,\na5,L1,,call,not a time,,\na6,C1,Contact,call,2026-03-03T10:00Z,,\n"
    )
    path = write(tmp_path, "a.csv", text)
    import_contacts(engine, write(tmp_path, "c.csv", CONTACTS_CSV))

    report = import_activities(engine, path, parse_in_background=True)
    again = import_activities(engine, path, parse_in_background=True)

    assert (report.rows_read, report.stored.inserted, report.stored.skipped, report.rejected_rows) == (6, 4, 1, 1)
    assert [(p.line, p.column, p.value) for p in report.problems] == [(6, "occurred_at", "not a time")]
    assert (again.stored.inserted, again.stored.unchanged) == (0, 4)
    with engine.connect() as connection:
        stored = connection.execute(
            select(Contact.crm_id, Activity.source_id).join(Activity).order_by(Activity.source_id)
        )
        assert [tuple(row) for row in stored] == [("L1", "a1"), ("L1", "a2"), ("C1", "a3"), ("C1", "a6")]


def test_a_bad_header_fails_before_the_second_process_starts(engine, tmp_path):
    with pytest.raises(InputError, match="missing required column"):
        import_activities(engine, write(tmp_path, "a.csv", "source_id\na1\n"), parse_in_background=True)
