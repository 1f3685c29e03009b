"""An in-memory CRM implementing the adapter port, for tests of the sync's own bookkeeping.

It can be told to fail after creating tasks, which is exactly the crash the outbox must survive. Its outcomes are
pulled incrementally, like a real CRM's: those modified at or after the bookmark, oldest first, a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from connector.crm import (
    CONTACT_TARGETS,
    ActivityRecord,
    ApiUsage,
    Bookmark,
    ContactRecord,
    OutcomeRecord,
    Page,
    ScoreWrite,
    TaskRequest,
    TaskResult,
    WriteResult,
)


class CrashAfterCreate(Exception):
    """Stands for a timeout or a crash after the CRM created the tasks but before we heard back."""


@dataclass
class MemoryCrm:
    contacts: list[ContactRecord] = field(default_factory=list)
    activities: list[ActivityRecord] = field(default_factory=list)
    #: Opportunities / deals; each needs `modified_at`, which the incremental pull orders and filters by.
    outcomes: list[OutcomeRecord] = field(default_factory=list)
    outcome_page_size: int = 100
    #: The bookmark each `pull_outcomes` call was given, in order.
    outcome_pulls: list[Bookmark | None] = field(default_factory=list)
    values: dict[str, dict] = field(default_factory=dict)
    tasks: dict[str, TaskRequest] = field(default_factory=dict)
    reject_ids: set[str] = field(default_factory=set)
    crash_after_create: bool = False
    #: The write targets its "mapping" names: every contact target unless a test says otherwise.
    targets: frozenset[str] = frozenset(CONTACT_TARGETS)
    calls: int = 0
    #: The keys of each `find_tasks` call, in order.
    looked_up: list[list[str]] = field(default_factory=list)

    def activity_types(self) -> frozenset[str]:
        return frozenset(activity.type for activity in self.activities)

    def check(self) -> list[str]:
        return []

    def setup(self) -> list[str]:
        return []

    def write_targets(self) -> frozenset[str]:
        return self.targets

    def pull_contacts(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        self.calls += 1
        yield Page(self.contacts, None)

    def pull_activities(self, since: Bookmark | None) -> Iterator[Page[ActivityRecord]]:
        self.calls += 1
        yield Page(self.activities, None)

    def pull_outcomes(self, since: Bookmark | None) -> Iterator[Page[OutcomeRecord]]:
        self.outcome_pulls.append(since)
        changed = sorted(
            (outcome for outcome in self.outcomes if since is None or outcome.modified_at >= since.modified_at),
            key=lambda outcome: (outcome.modified_at, outcome.crm_id),
        )
        for start in range(0, len(changed), self.outcome_page_size):
            self.calls += 1
            page = changed[start : start + self.outcome_page_size]
            yield Page(page, Bookmark("outcomes", page[-1].modified_at, page[-1].crm_id))

    def write_scores(self, writes: Sequence[ScoreWrite]) -> list[WriteResult]:
        self.calls += 1
        results = []
        for write in writes:
            if write.crm_id in self.reject_ids:
                results.append(WriteResult(write.crm_id, False, "INVALID_FIELD", "rejected"))
            else:
                self.values.setdefault(write.crm_id, {}).update(write.values)
                results.append(WriteResult(write.crm_id, True))
        return results

    def find_tasks(self, idempotency_keys: Sequence[str]) -> dict[str, str]:
        self.calls += 1
        self.looked_up.append(list(idempotency_keys))
        return {key: f"T-{key}" for key in idempotency_keys if key in self.tasks}

    def create_tasks(self, tasks: Sequence[TaskRequest]) -> list[TaskResult]:
        self.calls += 1
        for task in tasks:
            self.tasks[task.idempotency_key] = task
        if self.crash_after_create:
            self.crash_after_create = False
            raise CrashAfterCreate
        return [TaskResult(task.idempotency_key, f"T-{task.idempotency_key}") for task in tasks]

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=self.calls)
