"""An in-memory CRM implementing the adapter port, for tests of the sync's own bookkeeping.

It can be told to fail after creating tasks, which is exactly the crash the outbox must survive. Its outcomes are
pulled incrementally, like a real CRM's: those modified at or after the bookmark, oldest first, a page at a time.
Accounts come as a whole page each pull, like contacts; contacts name their accounts in `ContactRecord.accounts`,
and `matching` stands for the mapping's `accounts.match_leads_by`. `pulled` records the order of the streams.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from connector.crm import (
    ACCOUNT_TARGETS,
    CONTACT_TARGETS,
    AccountRecord,
    ActivityRecord,
    ApiUsage,
    Bookmark,
    ContactRecord,
    OutcomeRecord,
    Page,
    ScoreWrite,
    TaskContext,
    TaskReassignment,
    TaskRequest,
    TaskResult,
    TaskState,
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
    #: How many times the sync asked for the record link and stage words (at most once per run writing a task).
    context_asked: int = 0
    crash_after_create: bool = False
    #: The write targets its "mapping" names: every contact target unless a test says otherwise.
    targets: frozenset[str] = frozenset(CONTACT_TARGETS)
    calls: int = 0
    #: The keys of each `find_tasks` call, in order.
    looked_up: list[list[str]] = field(default_factory=list)
    #: Follow-up: what reps did (task id -> status; "Completed" closes), the owner each task has now, managers by
    #: owner, and the task ids of each `task_states` call.
    task_status: dict[str, str] = field(default_factory=dict)
    task_owner: dict[str, str] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)
    state_reads: list[list[str]] = field(default_factory=list)
    manager_reads: list[list[str]] = field(default_factory=list)
    reassignments: list[TaskReassignment] = field(default_factory=list)
    #: When the CRM created each task (task id -> moment); absent: the state says nothing of it.
    created: dict = field(default_factory=dict)
    #: Accounts / companies; empty stands for a mapping without an `accounts` section.
    accounts: list[AccountRecord] = field(default_factory=list)
    #: How the core may match leads no account holds (the mapping's `accounts.match_leads_by`).
    matching: tuple[str, ...] = ()
    #: The account write targets its "mapping" names: every one when it has accounts, unless a test says otherwise.
    account_targets: frozenset[str] | None = None
    #: The streams pulled, in order.
    pulled: list[str] = field(default_factory=list)

    def activity_types(self) -> frozenset[str]:
        return frozenset(activity.type for activity in self.activities)

    def check(self) -> list[str]:
        return []

    def setup(self) -> list[str]:
        return []

    def write_targets(self) -> frozenset[str]:
        return self.targets

    def pull_accounts(self, since: Bookmark | None) -> Iterator[Page[AccountRecord]]:
        self.pulled.append("accounts")
        if self.accounts:  # no accounts section: nothing yielded, nothing called
            self.calls += 1
            yield Page(self.accounts, None)

    def account_matching(self) -> tuple[str, ...]:
        return self.matching

    def account_write_targets(self) -> frozenset[str]:
        if self.account_targets is not None:
            return self.account_targets
        return frozenset(ACCOUNT_TARGETS) if self.accounts else frozenset()

    def pull_contacts(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        self.pulled.append("contacts")
        self.calls += 1
        yield Page(self.contacts, None)

    def pull_activities(self, since: Bookmark | None) -> Iterator[Page[ActivityRecord]]:
        self.pulled.append("activities")
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

    def complete(self, idempotency_key: str) -> None:
        """A rep marks the task done."""
        self.task_status[f"T-{idempotency_key}"] = "Completed"

    def delete(self, idempotency_key: str) -> None:
        del self.tasks[idempotency_key]

    def task_states(self, crm_task_ids: Sequence[str]) -> dict[str, TaskState]:
        self.calls += 1
        self.state_reads.append(list(crm_task_ids))
        held = {f"T-{key}": task for key, task in self.tasks.items()}
        states = {}
        for task_id in crm_task_ids:
            if task_id in held:
                status = self.task_status.get(task_id, "Not Started")
                owner = self.task_owner.get(task_id, held[task_id].owner_id)
                states[task_id] = TaskState(task_id, status, status == "Completed", owner, self.created.get(task_id))
        return states

    def owner_managers(self, owner_ids: Sequence[str]) -> dict[str, str]:
        self.calls += 1
        self.manager_reads.append(list(owner_ids))
        return {owner: self.managers[owner] for owner in owner_ids if owner in self.managers}

    def reassign_tasks(self, changes: Sequence[TaskReassignment]) -> list[WriteResult]:
        self.calls += 1
        self.reassignments.extend(changes)
        for change in changes:
            self.task_owner[change.crm_task_id] = change.owner_id
        return [WriteResult(change.crm_task_id, True) for change in changes]

    def usage(self) -> ApiUsage:
        return ApiUsage(calls=self.calls)

    def task_context(self) -> TaskContext:
        self.context_asked += 1
        return TaskContext("https://crm.example/{object_type}/{crm_id}", {"customer": "Customer (account)"})
