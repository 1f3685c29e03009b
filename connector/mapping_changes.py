"""A changed mapping reaches what is stored: a fingerprint of each connection's mapping, the check against the CRM
before anything is pulled under a new one, and the full re-pull that reclassifies the stored activities.

The fingerprint is a sha256 of the mapping file's parsed content (comments and layout do not count), kept per
connection in the `sync_bookmark` table as the pseudo-stream `mapping`. When it differs from the mapping in use
(or `sync --full` asks), the sync forgets its bookmarks, reads everything again, gives stored records the kind the
new mapping gives them, removes the activities it no longer selects, and only then records the new fingerprint:
a run stopped half-way starts the reclassification again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from sqlmodel import Session

from connector.crm import ActivityRecord
from connector.store.activity_writer import remove_unseen
from connector.store.bookmarks import load_bookmark, load_mapping_fingerprint, save_mapping_fingerprint
from connector.store.counts import UpsertCounts
from connector.store.records import StoreTarget, upsert_activities


def mapping_fingerprint(path: Path) -> str | None:
    """sha256 of the file's parsed YAML; None when it cannot be read (the adapter reports that itself)."""
    try:
        parsed = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PullPlan:
    """What a run does about its mapping before pulling."""

    #: Compare the mapping with the CRM's own schema first, and stop at any problem.
    check: bool = False
    #: Forget the bookmarks, read everything, remove what was not read, then record the fingerprint.
    reclassify: bool = False
    #: A first pull of a fresh store: record the fingerprint as soon as the check passed.
    record_now: bool = False


def plan_pull(session: Session, connection: str, fingerprint: str | None, *, full: bool) -> PullPlan:
    first = load_bookmark(session, connection, "contacts") is None
    if fingerprint is None:  # no readable mapping file (an adapter built in code): check first pulls only
        return PullPlan(check=first or full, reclassify=full)
    stored = load_mapping_fingerprint(session, connection)
    if full or (stored is not None and stored != fingerprint) or (stored is None and not first):
        return PullPlan(check=True, reclassify=True)
    return PullPlan(check=first, record_now=stored is None)


@dataclass
class Reclassification:
    """A complete re-pull of one connection's activities: the source ids it stored, and the sweep after it."""

    fingerprint: str | None
    seen: set[str] = field(default_factory=set)

    def upsert(self, target: StoreTarget, source: str, instance: str, records: list[ActivityRecord]) -> UpsertCounts:
        """`upsert_activities`, remembering every record the mapping still selects."""
        self.seen.update(record.source_id for record in records if not record.deleted)
        return upsert_activities(target, source, instance, records)

    def finish(self, session: Session, *, source: str, connection: str, now: datetime) -> int:
        """Remove the activities the re-pull did not return and record the fingerprint, in the caller's
        transaction; returns how many were removed."""
        removed = remove_unseen(session.connection(), source, connection, self.seen)
        if self.fingerprint is not None:
            save_mapping_fingerprint(session, connection, self.fingerprint, now=now)
        return removed
