"""The write-back plan: which values each CRM record should get, and the ledger of what it already has.

Only values that differ from the last write the CRM confirmed are sent; a write counts as confirmed only when the
CRM's own response says so. Contacts keep their ledger in WriteLedger, accounts in AccountWriteLedger
(connector/account_writeback.py plans those); both are folded here, by one definition.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, insert, select
from sqlmodel import Session

from connector.crm import ScoreWrite, WriteResult
from connector.score_catalog import CONTACT_SCORES, GROUP_SCORES, group_target
from connector.store.tables import AccountWriteLedger, Contact, ContactScore, WriteLedger

REASONS_MAX_CHARS = 255
Value = str | int | None


#: The store id column of each ledger: a contact's values are confirmed per contact, an account's per account.
LEDGER_KEYS: dict[type, str] = {WriteLedger: "contact_id", AccountWriteLedger: "account_id"}


@dataclass(frozen=True)
class PlannedWrite:
    #: The store id of the record written: a contact's (WriteLedger) or an account's (AccountWriteLedger).
    record_id: int
    write: ScoreWrite


def reasons_text(reasons: Sequence[object]) -> str:
    """The top three reasons as one field value, cut to what a CRM text field holds."""
    return "; ".join(str(reason) for reason in reasons[:3])[:REASONS_MAX_CHARS]


def changed_values(wanted: Mapping[str, Value], confirmed: Mapping[str, Value] | None) -> dict[str, Value]:
    """The values the CRM has not confirmed yet (a target new to the mapping is in no ledger: it is sent)."""
    confirmed = confirmed or {}
    return {key: value for key, value in wanted.items() if key not in confirmed or confirmed[key] != value}


def written_values(score: ContactScore | Row, targets: Collection[str] | None = None) -> dict[str, Value]:
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
    values: dict[str, Value] = {name: round(getattr(score, name)) for name in CONTACT_SCORES}
    until = score.fall_below_at
    return values | {
        "stage": score.stage,
        "grade": score.grade,
        "reasons": reasons_text(score.reasons),
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
    # The score's columns rather than ContactScore objects: a first sync plans every contact, and building an ORM
    # object per contact cost more than the plan itself (a row answers the same attribute names).
    rows = session.execute(
        select(Contact.id, Contact.object_type, Contact.crm_id, WriteLedger.confirmed_values, *_SCORE_VALUES)
        .join(ContactScore, ContactScore.contact_id == Contact.id)
        .outerjoin(WriteLedger, (WriteLedger.contact_id == Contact.id) & (WriteLedger.connection == connection))
        .where(Contact.source == source, Contact.instance == connection)
        .where(Contact.deleted.is_(False), Contact.merged_into_id.is_(None))
        .order_by(Contact.object_type, Contact.id)  # one object type per batch where possible: fewer CRM calls
    )
    planned = []
    for row in rows:
        changed = changed_values(written_values(row, targets), row.confirmed_values)
        if changed:
            planned.append(PlannedWrite(row.id, ScoreWrite(row.object_type, row.crm_id, changed)))
    return planned


#: The ContactScore columns `written_values` reads, selected by their own names.
_SCORE_VALUES = [column for column in ContactScore.__table__.c if column.name != "contact_id"]  # type: ignore[attr-defined]


def record_results(
    session: Session,
    *,
    connection: str,
    planned: Sequence[PlannedWrite],
    results: Iterable[WriteResult],
    now: datetime,
    ledger: type[WriteLedger] | type[AccountWriteLedger] = WriteLedger,
) -> tuple[int, int]:
    """Fold the CRM's per-record answers into `ledger` (contacts' by default); returns (confirmed, failed)."""
    confirmed = failed = 0
    key = LEDGER_KEYS[ledger]
    # One query for the batch's ledger rows rather than one per record, and the new rows (all of them on a first
    # sync) inserted in one statement: a lookup, then an ORM object, per record was most of the write-back's time
    # after the CRM calls themselves.
    wanted = [plan.record_id for plan in planned]
    query = select(ledger).where(ledger.connection == connection, getattr(ledger, key).in_(wanted))
    ledgers = {getattr(row, key): row for row in session.execute(query).scalars()} if wanted else {}
    fresh: dict[int, dict] = {}
    for plan, result in zip(planned, results, strict=True):
        entry = ledgers.get(plan.record_id)
        if entry is None:
            state = fresh.setdefault(plan.record_id, {"connection": connection, key: plan.record_id, **_NO_LEDGER})
        else:
            state = {name: getattr(entry, name) for name in _NO_LEDGER}
        ok = _fold(state, plan, result, now)
        confirmed, failed = confirmed + ok, failed + (not ok)
        if entry is not None:
            for name in _NO_LEDGER:
                setattr(entry, name, state[name])
            session.add(entry)
    if fresh:
        session.execute(insert(ledger.__table__), list(fresh.values()))  # type: ignore[attr-defined]
    return confirmed, failed


#: A ledger row's values before any answer: nothing confirmed, nothing pending.
_NO_LEDGER: dict[str, object] = {
    "confirmed_values": {},
    "confirmed_at": None,
    "pending_values": None,
    "last_error": None,
    "attempts": 0,
}


def _fold(state: dict, plan: PlannedWrite, result: WriteResult, now: datetime) -> bool:
    """One answer folded into a ledger row's values; True when the CRM confirmed the write."""
    if result.ok:
        state["confirmed_values"] = {**state["confirmed_values"], **plan.write.values}
        state.update(confirmed_at=now, pending_values=None, last_error=None, attempts=0)
        return True
    state["pending_values"] = dict(plan.write.values)
    state["last_error"] = f"{result.error_code}: {result.error_message}"
    state["attempts"] += 1
    return False
