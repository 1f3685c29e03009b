"""Which contacts a run must rescore: all of them, or only those whose scores can have changed since the checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.decay import model_decay, rule_decays
from connector.scoring.model import ScoringModel
from connector.scoring.scope import DEFAULT_SCOPE, Condition, ContactScope, checkpoint_name, contact_in_scope
from connector.scoring.shard import Shard, run_checkpoint_name, shard_prefix
from connector.scoring.snapshot import raw_rows


@dataclass(frozen=True)
class Checkpoint:
    model_version: str
    as_of: int


@dataclass(frozen=True)
class RunPlan:
    """A full run (targets None, with the reason) or the contact ids an incremental run rescores."""

    targets: np.ndarray | None
    why_full: str | None = None

    @property
    def full(self) -> bool:
        return self.targets is None


def read_checkpoint(connection: Connection, name: str) -> Checkpoint | None:
    sql = "SELECT model_version, as_of FROM scoring_checkpoint WHERE scope = ?"
    rows = [row for batch in raw_rows(connection, sql, (name,)) for row in batch]
    return Checkpoint(rows[0][0], int(rows[0][1])) if rows else None


def latest_scored_as_of(connection: Connection, scope: ContactScope | None, shard: Shard | None = None) -> int | None:
    """The latest as-of at which any run covering some of the scope's contacts stored live scores.

    A run over the whole store covers every connection's contacts, and a connection's contacts are also covered by
    the whole-store checkpoint; a live run at an earlier moment would move those contacts' scores backwards.
    """
    covering = _covering_checkpoints(scope, shard)
    [[latest]] = next(raw_rows(connection, f"SELECT MAX(as_of) FROM scoring_checkpoint{covering.where_clause}",
                               covering.params))  # fmt: skip
    return None if latest is None else int(latest)


def write_checkpoint(connection: Connection, name: str, model: ScoringModel, as_of: int) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    try:
        cursor.execute(
            f"INSERT INTO scoring_checkpoint (scope, model_version, as_of) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (scope) DO UPDATE SET model_version = excluded.model_version, as_of = excluded.as_of",
            (name, model.version, as_of),
        )
    finally:
        cursor.close()


def plan_run(
    connection: Connection,
    model: ScoringModel,
    checkpoint: Checkpoint | None,
    as_of: int,
    full: bool,
    scope: ContactScope | None = None,
    shard: Shard | None = None,
) -> RunPlan:
    """The plan of a run over `scope` (None: the whole store) or one shard of it, whose checkpoint is `checkpoint`."""
    if full:
        return RunPlan(None, "--full asked")
    if checkpoint is None:
        return RunPlan(None, "first scoring run")
    if checkpoint.model_version != model.version:
        return RunPlan(None, "the model changed")
    mixed = _other_models_scored(connection, model, scope)
    span = _PlanSpan(checkpoint.as_of, as_of, scope, shard)
    return RunPlan(_changed_contacts(connection, model, span, mixed))


def _other_models_scored(connection: Connection, model: ScoringModel, scope: ContactScope | None) -> bool:
    """Whether a run over contacts of the scope may have stored scores of another model than `model`.

    Every stored score row carries the model of the run that wrote it, and that run moved its own checkpoint to
    that model in the same transaction; a run with a new model is a full run over its scope, so it rewrites every
    live contact there. Rows of another model can therefore only sit in the scope while a checkpoint covering some
    of its contacts names another model: the whole-store checkpoint covers every contact, a connection's covers
    its own (the same rule as `latest_scored_as_of`).
    """
    other = Condition("model_version <> ?", (model.version,)).also(_covering_checkpoints(scope))
    [[count]] = next(raw_rows(connection, f"SELECT COUNT(*) FROM scoring_checkpoint WHERE {other.sql}", other.params))
    return bool(count)


def _covering_checkpoints(scope: ContactScope | None, shard: Shard | None = None) -> Condition:
    """The checkpoints of runs that may have scored contacts of the scope: every one for the whole store; for a
    connection, the whole store's and the connection's, and those of their shards (connector/scoring/shard.py).
    For one shard, less its sibling shards of the same N: they never hold its contacts."""
    if scope is None:
        covering = Condition()
    else:
        names = (DEFAULT_SCOPE, checkpoint_name(scope))
        shards = (f"{shard_prefix(None)}%", f"{shard_prefix(scope)}%")  # "_" in a name matches more: harmless here
        covering = Condition("(scope IN (?, ?) OR scope LIKE ? OR scope LIKE ?)", (*names, *shards))
    if shard is None or shard.count == 1:
        return covering
    siblings = [
        run_checkpoint_name(owner, Shard(index, shard.count))
        for owner in {None, scope}
        for index in range(shard.count)
        if index != shard.index
    ]
    return covering.also(Condition(f"scope NOT IN ({', '.join('?' * len(siblings))})", tuple(siblings)))


@dataclass(frozen=True)
class _PlanSpan:
    """What an incremental run covers: the moments since its checkpoint, and its scope and shard."""

    last: int
    as_of: int
    scope: ContactScope | None
    shard: Shard | None


def _changed_contacts(connection: Connection, model: ScoringModel, span: _PlanSpan, mixed: bool) -> np.ndarray:
    """Contacts of the scope in the rescore queue (connector/store/rescore_queue.py), not scored with this model,
    or crossing a time boundary between the two as-of times: one UNION of the reasons, limited to the scope by one
    join at the end."""
    scope, shard = span.scope, span.shard
    in_shard = Condition() if shard is None else shard.condition("c.id")
    in_scope = contact_in_scope(scope).also(in_shard)
    parts = _change_queries(model, span.last, span.as_of, in_scope, mixed)
    sql = " UNION ".join(part for part, _ in parts)
    params = [value for _, values in parts for value in values]
    if scope is not None:
        # the time-boundary parts yield a few ids each: look those up by key, once, rather than building the
        # connection's whole id list for every part
        owner = contact_in_scope(scope, "owner")
        sql = f"SELECT changed.id FROM ({sql}) changed JOIN contact owner ON owner.id = changed.id WHERE {owner.sql}"
        params.extend(owner.params)
    if shard is not None:
        sql = f"SELECT sharded.id FROM ({sql}) sharded WHERE {shard.condition('sharded.id').sql}"
        params.extend(shard.condition("sharded.id").params)
    ids = [row[0] for batch in raw_rows(connection, sql, params) for row in batch]
    return np.array(sorted(ids), dtype=np.int64)


def _change_queries(
    model: ScoringModel, last: int, as_of: int, in_scope: Condition, mixed: bool
) -> list[tuple[str, tuple]]:
    active = "SELECT a.contact_id AS id FROM activity a WHERE a.occurred_at > ? AND a.occurred_at <= ?"
    parts = [
        # new contacts too: the one writer of contacts (connector/store/contact_writer.py) queues them, and only a
        # scoring run takes them out, so a live contact never scored is always queued. The queue alone, no join:
        # the scope and shard are applied to the whole union (`_changed_contacts`), and a deleted or merged contact
        # among the targets is dropped by the run's reads (and so leaves the queue). A join with `contact` here let
        # PostgreSQL hash all of `contact` for 1,000 queued ids (44 of 58 ms at 100,000 contacts)
        ("SELECT q.contact_id AS id FROM rescore_queue q", ()),
    ]  # fmt: skip
    if mixed:  # scored by another model (see _other_models_scored): a join of the scope's contacts and scores
        parts.append(
            ("SELECT c.id AS id FROM contact c LEFT JOIN contact_score s ON s.contact_id = c.id "
             f"WHERE (s.contact_id IS NULL OR s.model_version <> ?) AND c.deleted = ?{in_scope.and_clause}",
             (model.version, False, *in_scope.params))
        )  # fmt: skip
    parts += [
        # activities dated after the last as-of that are now in the past (future-dated, or a replay moving forward)
        (active, (last, as_of)),
        # stages that lapse by themselves (decay, window, recency, quiet period) since the last run: the moment
        # each was due is stored with its score (connector/scoring/fall_below.py)
        ("SELECT s.contact_id AS id FROM contact_score s WHERE s.fall_below_at > ? AND s.fall_below_at <= ?",
         (last, as_of)),
    ]  # fmt: skip
    windows, decaying = _engagement_windows(model)
    # activities that were inside their engagement window last time and have left it since (one part per window
    # length: a superset of the contacts, since a part does not ask which rule an activity matched)
    parts.extend((active, (last - window, as_of - window)) for window in windows)
    if decaying:  # decay moves every score with a decaying activity in its window
        parts.append((active, (as_of - max(decaying), as_of)))
    for days in _engagement_boundaries(model):
        span = round(days * SECONDS_PER_DAY)
        # a band as long as a window: the window's part above holds every contact with an activity in
        # (last - span, as_of - span], so only an engagement at the span's first second is left to find
        end = min(last - span + 1, as_of - span) if span in windows else as_of - span
        parts.append((_LAST_ENGAGED_BETWEEN, (last - span, end) * 2))
    return parts


#: Contacts whose stored last engagement lies in [?, ?): those that crossed an age since the last run. Found through
#: the activities of that span (the occurred_at index), each checked against its stored row by key, rather than by
#: an index on `last_engaged_at`, which nearly every rescored row moved (migration 0010). The same contacts: a
#: stored last engagement is the time of one of the contact's activities, and deleting or moving an activity
#: queues its contact. CROSS JOIN walks the activities first on SQLite too.
_LAST_ENGAGED_BETWEEN = (
    "SELECT s.contact_id AS id FROM activity a CROSS JOIN contact_score s WHERE a.occurred_at >= ? "
    "AND a.occurred_at < ? AND s.contact_id = a.contact_id AND s.last_engaged_at >= ? AND s.last_engaged_at < ?"
)


def _engagement_windows(model: ScoringModel) -> tuple[list[int], list[int]]:
    """The distinct engagement windows (seconds) of the rules, and those of the rules whose points decay."""
    decays = rule_decays(model) or (model_decay(model),)
    seconds = [round(decay.window_days * SECONDS_PER_DAY) for decay in decays]
    decaying = [window for window, decay in zip(seconds, decays, strict=True) if np.isfinite(decay.half_life_days)]
    return sorted(set(seconds)), decaying


def _engagement_boundaries(model: ScoringModel) -> list[float]:
    """Ages of the last engaging activity at which a score or stage changes: recency bands, the quiet period."""
    days = {band.within_days for band in model.recency.bands}
    if model.lifecycle.quiet_days is not None:
        days.add(model.lifecycle.quiet_days)  # often the last band's age: one lookup serves both
    return sorted(days)
