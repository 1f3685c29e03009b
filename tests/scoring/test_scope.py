"""Scoring per connection: a Salesforce org and a HubSpot portal in one store, each scored with its own model,
its own checkpoint and its own lock; a run over the whole store still scores everyone, alone."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
import yaml
from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel, func, select

from connector.cli import main
from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, ContactRecord
from connector.errors import StoreBusyError
from connector.scoring import ContactScope, score_store
from connector.scoring.model import ScoringModel, load_model, parse_model
from connector.scoring.run_lock import scoring_lock
from connector.store import make_engine, session_scope
from connector.store.tables import Contact, ContactScore, RescoreQueue, ScoringCheckpoint, StageTransition
from connector.store.upgrade import MIGRATIONS_DIR
from connector.sync import run_sync
from tests.conftest import NOW
from tests.scoring.builders import EXAMPLES, StoreBuilder, days_ago, example, stored_score
from tests.sync.memory_crm import MemoryCrm

ACME = ContactScope("salesforce", "acme")
GLOBEX = ContactScope("hubspot", "globex")
LATER = NOW + timedelta(hours=1)


def acme_model() -> ScoringModel:
    return example("engagement_window")  # webinar attended: 50 points


def globex_model() -> ScoringModel:
    raw = acme_model().model_dump(by_alias=True)
    raw["behavior"]["rules"][0]["points"] = 10  # the same rules, but a webinar is worth 10
    return parse_model(raw)


def contact_of(store: StoreBuilder, scope: ContactScope) -> int:
    contact_id = store.contact()
    with session_scope(store.engine) as session:
        contact = session.get(Contact, contact_id)
        contact.source, contact.instance = scope.source, scope.instance
    return contact_id


def two_connections(engine, per_connection: int = 3) -> tuple[StoreBuilder, list[int], list[int]]:
    """Contacts of both connections, interleaved in the store, each with one old webinar."""
    store = StoreBuilder(engine)
    acme, globex = [], []
    for index in range(per_connection):
        acme.append(contact_of(store, ACME))
        globex.append(contact_of(store, GLOBEX))
        store.activity(acme[-1], "webinar_attended", days_ago(200 + index))
        store.activity(globex[-1], "webinar_attended", days_ago(200 + index))
    return store, acme, globex


def score_both(engine) -> None:
    score_store(engine, acme_model(), NOW, contacts=ACME, now=lambda: NOW)
    score_store(engine, globex_model(), NOW, contacts=GLOBEX, now=lambda: NOW)


def scores_of(engine, ids: list[int]) -> list[tuple]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(ContactScore).where(ContactScore.contact_id.in_(ids)).order_by(ContactScore.contact_id)
        )
        return [(row.contact_id, row.lead, row.stage, row.model_version, row.scored_at) for row in rows]


def transition_count(engine, ids: list[int]) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).select_from(StageTransition).where(StageTransition.contact_id.in_(ids))
        return session.exec(query).one()


def checkpoints(engine) -> dict[str, tuple]:
    with session_scope(engine) as session:
        return {row.scope: (row.model_version, row.as_of) for row in session.exec(select(ScoringCheckpoint))}


def queued(engine, ids: list[int]) -> set[int]:
    with session_scope(engine) as session:
        return set(session.exec(select(RescoreQueue.contact_id).where(RescoreQueue.contact_id.in_(ids))))


def test_each_connection_is_scored_with_its_own_model(engine):
    _, acme, globex = two_connections(engine)

    first = score_store(engine, acme_model(), NOW, contacts=ACME, now=lambda: NOW)
    second = score_store(engine, globex_model(), NOW, contacts=GLOBEX, now=lambda: NOW)

    assert (first.contacts_scored, second.contacts_scored) == (3, 3)
    assert {(row[1], row[3]) for row in scores_of(engine, acme)} == {(50, acme_model().version)}
    assert {(row[1], row[3]) for row in scores_of(engine, globex)} == {(10, globex_model().version)}
    assert checkpoints(engine) == {
        "salesforce:acme": (acme_model().version, NOW),
        "hubspot:globex": (globex_model().version, NOW),
    }


def test_a_connection_run_leaves_the_other_connections_scores_transitions_checkpoint_and_flags(engine):
    store, acme, globex = two_connections(engine)
    score_store(engine, globex_model(), NOW, contacts=GLOBEX, now=lambda: NOW)
    globex_scores, globex_transitions, globex_checkpoint = (
        scores_of(engine, globex),
        transition_count(engine, globex),
        checkpoints(engine)["hubspot:globex"],
    )
    store.activity(globex[0], "form_submit", NOW)  # new for globex, not yet scored by globex's run

    summary = score_store(engine, acme_model(), LATER, full=True, contacts=ACME, now=lambda: LATER)

    assert summary.contacts_scored == 3
    assert len(scores_of(engine, acme)) == 3 and transition_count(engine, acme) == 3
    assert scores_of(engine, globex) == globex_scores
    assert transition_count(engine, globex) == globex_transitions
    assert checkpoints(engine)["hubspot:globex"] == globex_checkpoint
    assert queued(engine, globex) == {globex[0]}  # a full run of acme takes only acme's contacts out
    assert queued(engine, acme) == set()


def test_alternating_connections_with_different_models_stay_incremental(engine):
    store, acme, _ = two_connections(engine)
    score_both(engine)
    store.activity(acme[1], "form_submit", NOW)

    again = score_store(engine, acme_model(), LATER, contacts=ACME, now=lambda: LATER)

    assert (again.full, again.contacts_scored, again.scores_changed) == (False, 1, 1)
    assert stored_score(engine, acme[1]).lead == 100


def test_incremental_planning_only_picks_the_connections_own_contacts(engine):
    store, _, globex = two_connections(engine)
    store.activity(globex[2], "form_submit", days_ago(25))  # leaves the 30-day window six days from now
    score_both(engine)
    store.activity(globex[0], "form_submit", NOW)  # queued for a rescore
    six_days_later = NOW + timedelta(days=6)

    acme_run = score_store(engine, acme_model(), six_days_later, contacts=ACME, now=lambda: six_days_later)
    globex_run = score_store(engine, globex_model(), six_days_later, contacts=GLOBEX, now=lambda: six_days_later)

    assert (acme_run.full, acme_run.contacts_scored) == (False, 0)
    assert (globex_run.full, globex_run.contacts_scored) == (False, 2)
    assert stored_score(engine, globex[2]).engagement == 0


def test_contacts_scored_by_a_whole_store_run_with_another_model_go_back_to_their_connections_model(engine):
    _, acme, _ = two_connections(engine)
    score_both(engine)
    everyone = score_store(engine, globex_model(), LATER, now=lambda: LATER)  # `scorebridge score`, one model
    assert everyone.contacts_scored == 6
    assert {row[1] for row in scores_of(engine, acme)} == {10}

    back = score_store(engine, acme_model(), LATER, contacts=ACME, now=lambda: LATER)

    assert (back.full, back.contacts_scored) == (False, 3)
    assert {(row[1], row[3]) for row in scores_of(engine, acme)} == {(50, acme_model().version)}
    assert "default" in checkpoints(engine)


def test_a_long_connection_name_gets_a_distinct_checkpoint_that_fits_the_column():
    long_a, long_b = ContactScope("hubspot", "a" * 100), ContactScope("hubspot", "a" * 99 + "b")

    assert len(long_a.checkpoint) <= 100
    assert long_a.checkpoint != long_b.checkpoint
    assert ACME.checkpoint == "salesforce:acme"


def run_during(engine, model: ScoringModel, scope: ContactScope | None, inner) -> list:
    """Score `scope`, and call `inner` once while that run holds its locks (from its first progress report)."""
    outcome: list = []

    def report(_step: str, _done: int, _total: int) -> None:
        if not outcome:
            try:
                outcome.append(inner())
            except StoreBusyError as busy:
                outcome.append(busy)

    score_store(engine, model, NOW, contacts=scope, now=lambda: NOW, progress=report)
    return outcome


def test_a_second_run_over_the_same_connection_is_refused_and_writes_nothing(engine):
    _, acme, _ = two_connections(engine)
    second_model = globex_model()

    [refused] = run_during(
        engine, acme_model(), ACME, lambda: score_store(engine, second_model, NOW, contacts=ACME, now=lambda: NOW)
    )

    assert isinstance(refused, StoreBusyError)
    assert "salesforce connection 'acme'" in str(refused)
    assert {(row[1], row[3]) for row in scores_of(engine, acme)} == {(50, acme_model().version)}
    assert checkpoints(engine) == {"salesforce:acme": (acme_model().version, NOW)}


@pytest.mark.parametrize(
    ("outer", "inner"), [(ACME, None), (None, GLOBEX)], ids=["store-run-during-acme", "globex-during-store-run"]
)
def test_a_whole_store_run_and_a_connection_run_never_overlap(engine, outer, inner):
    _, acme, globex = two_connections(engine)

    [refused] = run_during(
        engine, acme_model(), outer, lambda: score_store(engine, globex_model(), NOW, contacts=inner, now=lambda: NOW)
    )

    assert isinstance(refused, StoreBusyError)
    assert set(checkpoints(engine)) == {"salesforce:acme" if outer else "default"}
    assert {row[3] for row in scores_of(engine, acme + globex)} == {acme_model().version}


def test_runs_over_different_connections_may_overlap(engine):
    _, acme, globex = two_connections(engine)

    [inner] = run_during(
        engine, acme_model(), ACME, lambda: score_store(engine, globex_model(), NOW, contacts=GLOBEX, now=lambda: NOW)
    )

    assert inner.contacts_scored == 3
    assert {row[1] for row in scores_of(engine, acme)} == {50}
    assert {row[1] for row in scores_of(engine, globex)} == {10}


@pytest.fixture
def file_store(tmp_path):
    """A SQLite file store at the newest schema (created from the tables, stamped so `upgrade_store` leaves it)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, "head")
    yield url, engine
    engine.dispose()


def test_score_command_exits_6_with_one_line_while_a_sync_is_scoring(file_store, monkeypatch, capsys):
    url, engine = file_store
    _, acme, globex = two_connections(engine, per_connection=1)
    model = str(EXAMPLES / "engagement_window.yaml")
    monkeypatch.setattr(sys, "argv", ["scorebridge", "score", "--model", model, "--database", url])

    with scoring_lock(engine, ACME), pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 6
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and error.startswith("error: another scoring run is in progress")
    assert scores_of(engine, acme + globex) == []


def crm_with_one_webinar(crm_id: str) -> MemoryCrm:
    return MemoryCrm(
        contacts=[ContactRecord("Lead", crm_id, email=f"{crm_id}@example.com")],
        activities=[ActivityRecord(f"{crm_id}-a1", "Lead", crm_id, "webinar_attended", days_ago(2))],
    )


def test_syncs_of_two_connections_score_their_contacts_with_their_own_models(engine, tmp_path):
    globex_file = tmp_path / "globex.yaml"
    raw = yaml.safe_load((EXAMPLES / "engagement_window.yaml").read_text())
    raw["behavior"]["rules"][0]["points"] = 10
    globex_file.write_text(yaml.safe_dump(raw))
    acme = ConnectionConfig(name="acme", crm="salesforce", mapping=tmp_path / "unused.yaml")
    globex = ConnectionConfig(name="globex", crm="hubspot", mapping=tmp_path / "unused.yaml", model=globex_file)
    config = ConnectorConfig(model=EXAMPLES / "engagement_window.yaml", connections=[acme, globex])

    reports = [
        run_sync(engine, config, acme, crm_with_one_webinar("00Q1"), clock=lambda: NOW),
        run_sync(engine, config, globex, crm_with_one_webinar("501"), clock=lambda: NOW),
        run_sync(engine, config, acme, crm_with_one_webinar("00Q1"), clock=lambda: LATER),
    ]

    assert [report.status for report in reports] == ["succeeded"] * 3
    assert [report.counts["scored"] for report in reports] == [1, 1, 0]  # the third run is incremental
    with session_scope(engine) as session:
        query = select(Contact.instance, ContactScore.lead, ContactScore.model_version).join(ContactScore)
        stored = set(session.exec(query))
    assert stored == {("acme", 50, acme_model().version), ("globex", 10, load_model(globex_file).version)}
