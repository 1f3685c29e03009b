"""The write-back plan: which values each CRM record should get, and the ledger of what it already has.

Only values that differ from the last write the CRM confirmed are sent; a write counts as confirmed only when the
CRM's own response says so.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from connector.crm import ScoreWrite, WriteResult
from connector.score_catalog import CONTACT_SCORES, GROUP_SCORES, group_target
from connector.store.tables import Contact, ContactScore, WriteLedger

REASONS_MAX_CHARS = 255
Value = str | int | None


@dataclass(frozen=True)
class PlannedWrite:
    contact_id: int
    write: ScoreWrite


def written_values(score: ContactScore, targets: Collection[str] | None = None) -> dict[str, Value]:
    """What a contact's CRM record should show, by write target (connector/score_catalog.py): whole-number scores,
    so tiny decay drifts cause no writes, and days for dates. Only `targets` when given (the mapping's).

    A group target of a group the contact has no entry for has no value and is left out: every scored contact has
    an entry for every group of the model, so a missing one is a group the model no longer has (or a typo in the
    mapping), and blanking what sales see because of a model edit would be worse than leaving it.
    """
    values = _contact_values(score) | _group_values(score.groups or {})
    if targets is None:
        return values
    return {target: value for target, value in values.items() if target in targets}


def _contact_values(score: ContactScore) -> dict[str, Value]:
    reasons = "; ".join(str(reason) for reason in score.reasons[:3])
    values: dict[str, Value] = {name: round(getattr(score, name)) for name in CONTACT_SCORES}
    until = score.fall_below_at
    return values | {
        "stage": score.stage,
        "grade": score.grade,
        "reasons": reasons[:REASONS_MAX_CHARS],
        "stage_until": None if until is None else until.date().isoformat(),  # a UTC day, as the CRMs' date fields
    }


def _group_values(groups: Mapping[str, Mapping[str, object]]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for group, entry in groups.items():
        for name in GROUP_SCORES:
            if name in entry:
                values[group_target(group, name)] = round(float(entry[name]))  # type: ignore[arg-type]
        stage = entry.get("stage")
        values[group_target(group, "stage")] = None if stage is None else str(stage)
    return values


def plan_writes(
    session: Session, *, connection: str, source: str, targets: Collection[str] | None = None
) -> list[PlannedWrite]:
    """Every live contact of the connection whose values for `targets` (the adapter's `write_targets()`; None:
    every target) differ from what the CRM last confirmed. A target the mapping starts naming is not in the
    ledger yet, so it is written at the next run."""
    rows = session.execute(
        select(Contact.id, Contact.object_type, Contact.crm_id, ContactScore, WriteLedger.confirmed_values)
        .join(ContactScore, ContactScore.contact_id == Contact.id)
        .outerjoin(WriteLedger, (WriteLedger.contact_id == Contact.id) & (WriteLedger.connection == connection))
        .where(Contact.source == source, Contact.instance == connection)
        .where(Contact.deleted.is_(False), Contact.merged_into_id.is_(None))
        .order_by(Contact.object_type, Contact.id)  # one object type per batch where possible: fewer CRM calls
    )
    planned = []
    for contact_id, object_type, crm_id, score, confirmed in rows:
        wanted = written_values(score, targets)
        confirmed = confirmed or {}
        changed = {key: value for key, value in wanted.items() if key not in confirmed or confirmed[key] != value}
        if changed:
            planned.append(PlannedWrite(contact_id, ScoreWrite(object_type, crm_id, changed)))
    return planned


def record_results(
    session: Session,
    *,
    connection: str,
    planned: Sequence[PlannedWrite],
    results: Iterable[WriteResult],
    now: datetime,
) -> tuple[int, int]:
    """Fold the CRM's per-record answers into the ledger; returns (confirmed, failed)."""
    confirmed = failed = 0
    # One query for the batch's ledger rows rather than one per record: on a first sync none exists yet, and a
    # lookup per record was most of the write-back's time after the CRM calls themselves.
    wanted = [plan.contact_id for plan in planned]
    query = select(WriteLedger).where(WriteLedger.connection == connection, WriteLedger.contact_id.in_(wanted))
    ledgers = {row.contact_id: row for row in session.execute(query).scalars()} if wanted else {}
    for plan, result in zip(planned, results, strict=True):
        ledger = ledgers.get(plan.contact_id) or WriteLedger(connection=connection, contact_id=plan.contact_id)
        ledgers[plan.contact_id] = ledger
        if result.ok:
            ledger.confirmed_values = {**ledger.confirmed_values, **plan.write.values}
            ledger.confirmed_at, ledger.pending_values, ledger.last_error, ledger.attempts = now, None, None, 0
            confirmed += 1
        else:
            ledger.pending_values = dict(plan.write.values)
            ledger.last_error = f"{result.error_code}: {result.error_message}"
            ledger.attempts += 1
            failed += 1
        session.add(ledger)
    return confirmed, failed
