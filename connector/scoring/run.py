"""`score_store`: one scoring run over the store, full or incremental, and the summary it reports."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy.engine import Connection, Engine

from connector.errors import InputError
from connector.scoring.chunks import (
    CHUNK_CONTACTS,
    SQLITE_CHUNK_CACHE_KIB,
    ContactSlice,
    contact_slices,
    run_contact_ids,
    targeted_cache_kib,
)
from connector.scoring.collector import collecting_run_objects_only
from connector.scoring.frame import score_frame
from connector.scoring.kinds import KindTable
from connector.scoring.model import ScoringModel
from connector.scoring.planning import plan_run, read_checkpoint, write_checkpoint
from connector.scoring.read_ahead import ActivityTable, activity_tables
from connector.scoring.replay import live_moment_problem
from connector.scoring.results import Transition, WriteOutcome, write_results
from connector.scoring.run_lock import scoring_lock
from connector.scoring.scope import ContactScope, checkpoint_name, contact_in_scope
from connector.scoring.shard import Shard, run_checkpoint_name
from connector.scoring.shard_checkpoint import combine_shard_checkpoints
from connector.scoring.snapshot import (
    TARGET_TABLE,
    activity_arrays,
    count_future_activities,
    load_targets,
    read_contacts,
    read_kinds,
    read_previous,
)
from connector.store.page_cache import bulk_page_cache
from connector.store.rescore_queue import take_out
from connector.store.types import from_epoch, to_epoch

#: Called with (step name, steps done, steps in all) so the CLI can draw a progress bar.
Progress = Callable[[str, int, int], None]
STEPS = ("plan", "read", "score", "write")


@dataclass(frozen=True, slots=True)  # a first run at a million contacts holds a million of them
class StageChange:
    contact_id: int
    from_stage: str | None
    to_stage: str
    at: datetime
    reason: str
    notify: bool
    #: When the stage began to hold, from the activity that put the contact there (None: no activity did).
    triggered_at: datetime | None = None


@dataclass(frozen=True)
class ScoreRunSummary:
    as_of: datetime
    model_version: str
    full: bool
    why_full: str | None
    contacts_scored: int
    rows_written: int
    scores_changed: int
    transitions: tuple[StageChange, ...]
    #: Customers who started engaging again after a quiet period (the model's lifecycle.reengaged).
    reengaged: tuple[int, ...]
    warnings: Mapping[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def notifications(self) -> tuple[StageChange, ...]:
        """Transitions into a stage the model marks `notify`: the sync turns them into sales tasks."""
        return tuple(change for change in self.transitions if change.notify)


def score_store(
    engine: Engine,
    model: ScoringModel,
    as_of: datetime | None = None,
    *,
    full: bool = False,
    contacts: ContactScope | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: Progress | None = None,
    clock: Callable[[], float] = time.perf_counter,
    shard: Shard | None = None,
    chunk_contacts: int = CHUNK_CONTACTS,
) -> ScoreRunSummary:
    """Score the store as of `as_of` (default now) in one transaction; only what changed is written.

    With `contacts`, only that connection's contacts are read, planned, scored and written, under a checkpoint of
    their own; with `shard`, only that shard of them (connector/scoring/shard.py), under the shard's checkpoint.
    Contacts are scored `chunk_contacts` at a time (connector/scoring/chunks.py), all in the one transaction.
    Raises StoreBusyError, touching nothing, while an overlapping run holds the scoring lock, and InputError,
    touching nothing, for a moment before the last live run or after now (see `replay_store`).
    """
    started = clock()
    report = progress or (lambda _step, _done, _total: None)
    current = now()
    moment = to_epoch(as_of or current)
    checkpoint = run_checkpoint_name(contacts, shard)
    with scoring_lock(engine, contacts, shard), collecting_run_objects_only():
        # the page cache outlives the run's transaction: its changed pages go to the log once, at the commit
        with (
            engine.connect() as connection,
            bulk_page_cache(connection, SQLITE_CHUNK_CACHE_KIB) as grow_cache,
            connection.begin(),
        ):
            report("plan", 0, len(STEPS))
            _refuse_replay(connection, contacts, moment, to_epoch(current), shard)
            plan = plan_run(connection, model, read_checkpoint(connection, checkpoint), moment, full, contacts, shard)
            if plan.targets is not None:
                load_targets(connection, plan.targets)
                grow_cache(targeted_cache_kib(len(plan.targets)))
            run = _RunSelection(plan.targets, contacts, shard, chunk_contacts)
            summary = _score_and_write(connection, model, moment, to_epoch(current), run, report)
            write_checkpoint(connection, checkpoint, model, moment)
        if shard is not None:
            combine_shard_checkpoints(engine, contacts, shard, model)
        report("write", len(STEPS), len(STEPS))
    return ScoreRunSummary(**summary, full=plan.full, why_full=plan.why_full, seconds=clock() - started)


def _refuse_replay(
    connection: Connection, scope: ContactScope | None, as_of: int, now: int, shard: Shard | None
) -> None:
    problem = live_moment_problem(connection, scope, as_of, now, shard)
    if problem:
        raise InputError(
            f"{problem}: live scores only move forward, so nothing was stored; "
            "`scorebridge score --as-of` and `index --as-of` replay such a moment without storing it"
        )


def stale_scores_problem(engine: Engine, model: ScoringModel, scope: ContactScope, as_of: datetime) -> str | None:
    """Why the scope's stored scores are not the ones computed with `model` at `as_of`; None when they are.

    The sync asks this before it queues tasks or writes back, so scores computed at any other moment (a replay,
    a run with another model file) can never reach the CRM.
    """
    with engine.connect() as connection:
        checkpoint = read_checkpoint(connection, checkpoint_name(scope))
    if checkpoint is None:
        return "the connection's contacts have not been scored"
    if checkpoint.model_version != model.version:
        return f"the stored scores come from model {checkpoint.model_version[:12]}, not {model.version[:12]}"
    if checkpoint.as_of != to_epoch(as_of):
        stored = from_epoch(checkpoint.as_of).isoformat()
        return f"the stored scores are as of {stored}, not this run's {as_of.isoformat()}"
    return None


@dataclass(frozen=True)
class _RunSelection:
    """The contacts a run reads: its planned targets (incremental) or all of its scope (full), of its shard."""

    #: The ascending ids an incremental run planned (of its scope and shard; live or not), None for a full run.
    targets: np.ndarray | None
    scope: ContactScope | None
    shard: Shard | None = None
    chunk_contacts: int = CHUNK_CONTACTS

    @property
    def targeted(self) -> bool:
        return self.targets is not None


def _score_and_write(
    connection: Connection, model: ScoringModel, as_of: int, now: int, run: _RunSelection, report: Progress
) -> dict:
    report("read", 1, len(STEPS))
    kinds = read_kinds(connection, model)
    # an incremental run cuts its chunks from its planned targets: a deleted or merged one among them only makes a
    # chunk look one contact larger, and the reads leave it out
    ids = run.targets if run.targets is not None else run_contact_ids(connection, run.scope, run.shard)
    report("score", 2, len(STEPS))
    tally = _RunTally()
    parts = list(contact_slices(ids, run.chunk_contacts, run.shard))
    reads = activity_tables(connection, as_of, run.targeted, run.scope, parts)
    with reads as tables:
        for part, activity_table in zip(parts, tables, strict=True):
            scored, outcome, warnings = _score_chunk(connection, model, kinds, (as_of, now), run, part, activity_table)
            # each chunk's transitions become the summary's stage changes at once, so only one form is held
            tally.add(scored, outcome, warnings, _stage_changes(model, outcome.transitions, as_of))
    report("write", 3, len(STEPS))
    _take_out_of_rescore_queue(connection, run)
    tally.warnings.update(_activity_warnings(connection, kinds, now, run))
    return {
        "as_of": from_epoch(as_of),
        "model_version": model.version,
        "contacts_scored": tally.contacts,
        "rows_written": tally.rows_written,
        "scores_changed": tally.scores_changed,
        "transitions": tuple(tally.transitions),
        "reengaged": tuple(tally.reengaged),
        "warnings": dict(tally.warnings),
    }


def _score_chunk(
    connection: Connection,
    model: ScoringModel,
    kinds: KindTable,
    moments: tuple[int, int],
    run: _RunSelection,
    part: ContactSlice,
    activity_table: ActivityTable,
) -> tuple[int, WriteOutcome, dict[str, int]]:
    """Score and write one chunk of the run's contacts: (contacts scored, what was written, warnings). Its
    activities are asked for last, so a read ahead (read_ahead.py) has the longest to finish."""
    (as_of, now), targeted, scope = moments, run.targeted, run.scope
    contacts = read_contacts(connection, model, targeted, now, scope, part)
    stored, previous = read_previous(connection, model, contacts, targeted, scope, part)
    activities = activity_arrays(contacts, activity_table())
    frame = score_frame(model, kinds, contacts, activities, as_of, previous)
    outcome = write_results(connection, model, frame, contacts, activities, stored, as_of)
    warnings = dict(contacts.warnings)
    warnings.update({f"fit rules skipped: {name} empty": count for name, count in frame.fit.skipped.items()})
    return contacts.size, outcome, warnings


@dataclass
class _RunTally:
    """What the chunks of one run wrote, added up."""

    contacts: int = 0
    rows_written: int = 0
    scores_changed: int = 0
    transitions: list[StageChange] = field(default_factory=list)
    reengaged: list[int] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)

    def add(
        self, contacts: int, outcome: WriteOutcome, warnings: Mapping[str, int], changes: tuple[StageChange, ...]
    ) -> None:
        self.contacts += contacts
        self.rows_written += outcome.rows_written
        self.scores_changed += outcome.scores_changed
        self.transitions.extend(changes)
        self.reengaged.extend(outcome.newly_reengaged)
        self.warnings.update(warnings)


def _activity_warnings(connection: Connection, kinds: KindTable, now: int, run: _RunSelection) -> dict[str, int]:
    warnings = {}
    future = count_future_activities(connection, now, run.targeted, run.scope, ContactSlice(shard=run.shard))
    if future:
        warnings["activities dated in the future (ignored)"] = future
    if kinds.unknown_type_kinds:
        warnings["activity kinds of a type the model does not know"] = kinds.unknown_type_kinds
    return warnings


def _stage_changes(model: ScoringModel, transitions: tuple[Transition, ...], as_of: int) -> tuple[StageChange, ...]:
    notify = {stage.name for stage in model.stages if stage.notifies}
    at = from_epoch(as_of)
    return tuple(
        StageChange(
            change.contact_id,
            change.from_stage,
            change.to_stage,
            at,
            change.reason,
            change.to_stage in notify,
            None if change.triggered_at is None else from_epoch(change.triggered_at),
        )
        for change in transitions
    )


def _take_out_of_rescore_queue(connection: Connection, run: _RunSelection) -> None:
    """The run's contacts leave the rescore queue: its targets, or every contact of its scope and shard."""
    if run.targeted:
        take_out(connection, f"SELECT contact_id FROM {TARGET_TABLE}")
        return
    in_scope = contact_in_scope(run.scope, "contact").also(ContactSlice(shard=run.shard).on("contact.id"))
    scored = f"SELECT contact.id FROM contact WHERE {in_scope.sql}" if in_scope.sql else None
    take_out(connection, scored, in_scope.params)
