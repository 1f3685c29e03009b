"""The fall-below date in both CRMs (docs/scoring.md, "When a stage lapses"): with MQL held by engagement, the CRM's
`stage_until` field shows the day the reference computes, and a sync run at that moment moves the contact down and
writes its new stage, as explaining the CRM's records scored apart at that moment says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from connector.scoring import load_model
from connector.scoring.explain import explain
from connector.store import make_engine, session_scope
from connector.store.tables import Contact, ContactScore
from tests.e2e import crm_state, reference, variants
from tests.e2e.conftest import SandboxWorld


def stage_until_held(world: SandboxWorld) -> dict[str, str | None]:
    """crm_id -> the day in the CRM's stage-until field (YYYY-MM-DD), None when empty."""
    fields = {"stage_until": crm_state.STAGE_UNTIL[world.crm]}
    return {crm_id: _day(values["stage_until"]) for crm_id, values in crm_state.held_values(world.crm, world.app,
                                                                                           fields).items()}  # fmt: skip


def _day(value: Any) -> str | None:
    """A Salesforce Date is YYYY-MM-DD; a HubSpot date property is midnight UTC in epoch milliseconds."""
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC).date().isoformat()
    return text[:10]


def expected_days(exported: dict[str, dict]) -> dict[str, str | None]:
    return {crm_id: row["stage_until"] or None for crm_id, row in exported.items()}


def first_to_fall(store) -> tuple[str, datetime]:
    """The crm_id of the contact whose stage lapses first, and that moment."""
    query = (
        select(Contact.crm_id, ContactScore.fall_below_at)
        .join(ContactScore, ContactScore.contact_id == Contact.id)
        .where(ContactScore.fall_below_at.is_not(None))
        .order_by(ContactScore.fall_below_at, Contact.id)
        .limit(1)
    )
    with session_scope(store) as session:
        crm_id, moment = session.execute(query).one()
    return crm_id, moment


def test_the_crm_shows_until_when_a_stage_holds_and_a_sync_then_moves_the_contact_down(world, store, tmp_path):
    model = variants.write_model(world.workdir, "cooling-off", variants.cooling_off_model())
    world.config = world.config.model_copy(update={"model": model})
    first = world.sync(store)
    assert first.status == "succeeded", first.message
    exported = reference.reference_export(world, tmp_path / "reference", model=model, as_of=first.started_at,
                                          label="first")  # fmt: skip
    held = stage_until_held(world)
    assert {crm_id: held[crm_id] for crm_id in exported} == expected_days(exported)
    lapsing = {crm_id for crm_id, day in held.items() if day}
    assert lapsing and all(exported[crm_id]["stage"] == "mql" for crm_id in lapsing)

    crm_id, falls_at = first_to_fall(store)
    assert held[crm_id] == falls_at.date().isoformat()
    later = falls_at + timedelta(seconds=1)
    due_by_then = falling_by(store, later)
    second = world.sync(store, clock=lambda: later)  # the run `serve` brings forward to that moment

    assert second.status == "succeeded", second.message
    # `scorebridge score` stores no future moment, so the reference for `later` is explain's (which stores nothing)
    reference_engine = reference_store(tmp_path / "reference")
    due = explain(reference_engine, load_model(model), crm_id, later, now=later)
    reference_engine.dispose()
    assert due.stage not in ("mql", exported[crm_id]["stage"])
    now_held = world.scores()[crm_id]
    assert (now_held["stage"], now_held["engagement"]) == (due.stage, round(due.scores["engagement"]))
    assert stage_until_held(world)[crm_id] == (due.stage_until.date().isoformat() if due.stage_until else None)
    assert second.counts.get("stage_changes", 0) == due_by_then  # only a lapse moves a stage without new activity
    assert second.counts["written"] >= 1


def reference_store(workdir: Path) -> Engine:
    return make_engine(f"sqlite:///{workdir / 'reference.db'}")


def falling_by(store: Engine, moment: datetime) -> int:
    """How many contacts have a stored fall-below moment at or before `moment`."""
    query = select(func.count()).select_from(ContactScore).where(ContactScore.fall_below_at <= moment)
    with session_scope(store) as session:
        return session.execute(query).scalar_one()
