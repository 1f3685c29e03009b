"""The sync pulls outcomes as its third stream: after contacts and activities, a page and its bookmark in one
transaction, counted, and read again from the start by `--full`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import Bookmark, ContactRecord, OutcomeContact, OutcomeRecord
from connector.store import session_scope
from connector.store.bookmarks import load_bookmark
from connector.store.tables import Outcome
from connector.sync import run_sync
from connector.sync_console import report_table
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
CONNECTION = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
CONFIG = ConnectorConfig(model=MODEL, connections=[CONNECTION])


def opportunity(crm_id: str, hours_ago: int, *contact_ids: str, **fields) -> OutcomeRecord:
    roles = tuple(OutcomeContact("Contact", contact_id, primary=True) for contact_id in contact_ids)
    return OutcomeRecord("Opportunity", crm_id, roles, modified_at=NOW - timedelta(hours=hours_ago), **fields)


def crm_with_deals(*outcomes: OutcomeRecord, page_size: int = 100) -> MemoryCrm:
    contacts = [ContactRecord("Contact", "003A", email="ana@example.com"), ContactRecord("Contact", "003B")]
    return MemoryCrm(contacts=contacts, outcomes=list(outcomes), outcome_page_size=page_size)


def stored_outcomes(engine) -> dict[str, tuple[str | None, bool]]:
    with session_scope(engine) as session:
        return {row.crm_id: (row.stage, row.won) for row in session.execute(select(Outcome)).scalars()}


def outcome_bookmark(engine) -> Bookmark | None:
    with session_scope(engine) as session:
        return load_bookmark(session, "acme", "outcomes")


def test_a_sync_stores_the_outcomes_of_its_contacts_and_counts_them(engine):
    crm = crm_with_deals(opportunity("006X", 5, "003A"), opportunity("006Y", 3, "003B", stage="Closed Won", won=True))

    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    assert report.status == "succeeded"
    assert report.counts["pulled_outcomes"] == 2
    assert stored_outcomes(engine) == {"006X": (None, False), "006Y": ("Closed Won", True)}
    assert outcome_bookmark(engine) == Bookmark("outcomes", NOW - timedelta(hours=3), "006Y")


def test_the_next_sync_asks_only_for_outcomes_changed_since_the_bookmark(engine):
    crm = crm_with_deals(opportunity("006X", 5, "003A"), opportunity("006Y", 3, "003B"))
    run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)
    crm.outcomes.append(opportunity("006Z", 1, "003A", stage="Negotiation"))

    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    assert crm.outcome_pulls[-1] == Bookmark("outcomes", NOW - timedelta(hours=3), "006Y")
    assert report.counts["pulled_outcomes"] == 2  # the bookmark's own record again (closed range), and the new one
    assert set(stored_outcomes(engine)) == {"006X", "006Y", "006Z"}


class _CrmFailingAfterFirstOutcomePage(MemoryCrm):
    def pull_outcomes(self, since):
        pages = super().pull_outcomes(since)
        yield next(pages)
        raise ConnectionError("connection reset by peer")


def test_a_run_that_fails_mid_stream_keeps_each_stored_page_with_its_bookmark(engine):
    outcomes = [opportunity("006X", 5, "003A"), opportunity("006Y", 3, "003B")]
    failing = _CrmFailingAfterFirstOutcomePage(contacts=crm_with_deals().contacts, outcomes=outcomes)
    failing.outcome_page_size = 1

    report = run_sync(engine, CONFIG, CONNECTION, failing, clock=lambda: NOW)

    assert report.status == "failed"
    assert set(stored_outcomes(engine)) == {"006X"}
    assert outcome_bookmark(engine) == Bookmark("outcomes", NOW - timedelta(hours=5), "006X")
    resumed = crm_with_deals(*outcomes, page_size=1)
    run_sync(engine, CONFIG, CONNECTION, resumed, clock=lambda: NOW)
    assert resumed.outcome_pulls == [Bookmark("outcomes", NOW - timedelta(hours=5), "006X")]
    assert set(stored_outcomes(engine)) == {"006X", "006Y"}


def test_full_reads_every_outcome_again(engine):
    crm = crm_with_deals(opportunity("006X", 5, "003A"))
    run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW, full=True)

    assert crm.outcome_pulls == [None, None]


def test_links_to_contacts_the_crm_has_not_given_us_are_counted(engine):
    crm = crm_with_deals(opportunity("006X", 5, "003A", "003NOTPULLED"))

    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    assert report.status == "succeeded"
    assert report.counts["outcome_links_unknown"] == 1 and report.counts["pulled_outcomes"] == 1


def test_the_sync_summary_names_outcomes_pulled_and_contacts_missing(engine):
    crm = crm_with_deals(opportunity("006X", 5, "003A", "003NOTPULLED"))

    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    rows = dict(zip(*(column.cells for column in report_table(report).columns), strict=True))
    assert rows["outcomes pulled"] == "1"
    assert rows["outcome contacts not in the store (links left out)"] == "1"
