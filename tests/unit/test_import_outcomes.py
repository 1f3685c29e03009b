"""`scorebridge import outcomes`: closed-won data from billing or a warehouse, linked to the stored contacts.

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
from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.errors import InputError
from connector.importer import import_contacts, import_outcomes
from connector.store.tables import Contact, Outcome, OutcomeContact

CONTACTS_CSV = """\
object_type,crm_id,email,merged_into
Contact,C1,Ada@Example.com,
Contact,C2,bob@example.com,
Lead,L1,cy@example.com,
Lead,L2,cy.old@example.com,Contact:C2
"""
OUTCOMES_CSV = """\
outcome_id,contact_crm_id,contact_object_type,contact_email,amount,currency,stage,closed,won,created_at,closed_at
D1,C1;C2,Contact,,"12,000",usd,Closed Won,true,true,2026-03-01T09:00:00Z,2026-05-20T16:00:00Z
D2,,,cy@example.com,5000,EUR,Negotiation,,,2026-04-01T09:00:00Z,
D3,L1,,,a lot,USD,Closed Won,true,true,2026-04-02T09:00:00Z,2026-06-01T09:00:00Z
D4,,,,100,USD,Closed Lost,true,false,2026-04-03T09:00:00Z,2026-06-02T09:00:00Z
D5,C404,Contact,nobody@example.com,100,USD,Closed Lost,true,false,2026-04-03T09:00:00Z,someday
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


def outcome(engine: Engine, crm_id: str) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(select(Outcome).where(Outcome.crm_id == crm_id)).mappings().one())


def contacts_of(engine: Engine, crm_id: str) -> set[str]:
    query = (
        select(Contact.crm_id)
        .join(OutcomeContact, OutcomeContact.contact_id == Contact.id)
        .join(Outcome, Outcome.id == OutcomeContact.outcome_id)
        .where(Outcome.crm_id == crm_id)
    )
    with engine.connect() as connection:
        return set(connection.scalars(query))


@pytest.fixture
def with_contacts(engine, tmp_path) -> Engine:
    import_contacts(engine, write(tmp_path, "contacts.csv", CONTACTS_CSV))
    return engine


def test_outcomes_are_stored_with_typed_values_and_linked_by_id_or_email(with_contacts, tmp_path):
    report = import_outcomes(with_contacts, write(tmp_path, "deals.csv", OUTCOMES_CSV))

    won = outcome(with_contacts, "D1")
    assert (won["object_type"], won["amount"], won["currency"], won["stage"], won["won"], won["closed"]) == (
        "Opportunity",
        12_000.0,
        "USD",
        "Closed Won",
        True,
        True,
    )
    assert won["closed_at"] == datetime(2026, 5, 20, 16, tzinfo=UTC)
    assert contacts_of(with_contacts, "D1") == {"C1", "C2"}
    assert contacts_of(with_contacts, "D2") == {"L1"}
    assert (report.rows_read, report.stored.inserted) == (5, 3)


def test_an_open_outcome_without_closed_is_open_and_a_won_one_is_closed(with_contacts, tmp_path):
    text = "outcome_id,contact_crm_id,won\nD1,L1,\nD2,L1,yes\n"
    import_outcomes(with_contacts, write(tmp_path, "deals.csv", text))

    assert (outcome(with_contacts, "D1")["closed"], outcome(with_contacts, "D2")["closed"]) == (False, True)


def test_an_amount_that_is_not_a_number_skips_the_row_and_says_where(with_contacts, tmp_path):
    path = write(tmp_path, "deals.csv", OUTCOMES_CSV)

    report = import_outcomes(with_contacts, path)

    assert f"{path}:4: amount='a lot': not a number (row skipped)" in [str(problem) for problem in report.problems]
    assert f"{path}:5: contact_crm_id='': names no contact" in str(report.problems[1])
    assert report.rejected_rows == 2


def test_contacts_the_store_does_not_hold_are_counted_and_the_outcome_kept(with_contacts, tmp_path):
    path = write(tmp_path, "deals.csv", OUTCOMES_CSV)

    report = import_outcomes(with_contacts, path)

    assert report.stored.unlinked == 2  # C404 and nobody@example.com
    assert outcome(with_contacts, "D5")["closed_at"] is None  # 'someday' is a warning, the row is kept
    assert contacts_of(with_contacts, "D5") == set()
    assert f"{path}:6: closed_at='someday': not an ISO 8601 time" in str(report.problems[-1])


def test_one_row_per_outcome_and_contact_makes_one_outcome_with_every_contact(with_contacts, tmp_path):
    text = """\
    outcome_id,contact_crm_id,contact_object_type,amount,won
    D9,C1,Contact,900,
    D9,L1,Lead,900,
    D9,L2,Lead,900,true
    """
    report = import_outcomes(with_contacts, write(tmp_path, "deals.csv", text))

    assert contacts_of(with_contacts, "D9") == {"C1", "L1", "C2"}  # L2 was converted into C2
    assert outcome(with_contacts, "D9")["won"] is True
    assert (report.rows_read, report.stored.inserted) == (3, 1)


def test_importing_the_same_file_again_changes_nothing(with_contacts, tmp_path):
    path = write(tmp_path, "deals.csv", OUTCOMES_CSV)
    import_outcomes(with_contacts, path)

    again = import_outcomes(with_contacts, path)

    assert (again.stored.inserted, again.stored.updated, again.stored.unchanged) == (0, 0, 3)


def test_json_lines_take_lists_of_contacts(with_contacts, tmp_path):
    lines = [
        {"outcome_id": "D1", "contact_email": "ada@example.com;bob@example.com", "amount": 250.5, "won": True},
        {"outcome_id": "D2", "contact_crm_id": "L1", "amount": "lots"},
    ]
    path = write(tmp_path, "deals.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n")

    report = import_outcomes(with_contacts, path)

    assert contacts_of(with_contacts, "D1") == {"C1", "C2"} and outcome(with_contacts, "D1")["amount"] == 250.5
    assert [problem.column for problem in report.problems] == ["amount"]


def test_a_file_naming_no_contact_column_is_refused_before_anything_is_written(engine, tmp_path):
    path = write(tmp_path, "deals.csv", "outcome_id,amount\nD1,100\n")

    with pytest.raises(InputError, match="no column naming the outcome's contacts"):
        import_outcomes(engine, path)


def test_the_import_outcomes_command_prints_a_summary_with_unknown_contacts(tmp_path):
    database = f"sqlite:///{tmp_path / 'store.db'}"
    command = [sys.executable, "-m", "connector.cli", "import"]
    contacts = write(tmp_path, "contacts.csv", CONTACTS_CSV)
    deals = write(tmp_path, "deals.csv", OUTCOMES_CSV)

    subprocess.run([*command, "contacts", str(contacts), "--database", database], check=True, capture_output=True)
    done = subprocess.run([*command, "outcomes", str(deals), "--database", database], capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert "5 outcomes rows read, 3 inserted" in done.stdout
    assert "2 contact(s) named that the store does not hold (left out)" in done.stdout
    assert "deals.csv:4: amount='a lot': not a number (row skipped)" in done.stderr
    assert "Traceback" not in done.stderr
