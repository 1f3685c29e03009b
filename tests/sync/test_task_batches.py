"""The outbox's hand-over to a CRM with a bulk API: batches as large as the adapter asks, and a CRM whose creates
outlive the run that sent them (a Salesforce Bulk job) settled before tasks tried earlier are looked up."""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.outbox import TASK_BATCH, Delivery, deliver_tasks
from tests.sync.memory_crm import CrashAfterCreate, MemoryCrm
from tests.sync.test_outbox import _contact_reaching, _enqueue


@dataclass
class BulkMemoryCrm(MemoryCrm):
    task_batch_size: int = 1000
    #: How many looked-up batches each `settle_task_creates` call came before.
    settled: list[int] = field(default_factory=list)

    def settle_task_creates(self) -> None:
        self.settled.append(len(self.looked_up))


def test_an_adapter_with_a_larger_task_batch_gets_every_pending_task_in_one_look_up_and_one_create(engine):
    for number in range(TASK_BATCH + 1):
        _contact_reaching(engine, f"00Q{number}", "sql")
    _enqueue(engine)
    crm = BulkMemoryCrm()
    assert deliver_tasks(engine, crm, "acme") == Delivery(created=TASK_BATCH + 1)
    assert [len(keys) for keys in crm.looked_up] == [TASK_BATCH + 1]
    assert crm.settled == []  # nothing was tried before: nothing can still be under way


def test_tasks_tried_before_a_crash_are_settled_before_their_look_up(engine):
    _contact_reaching(engine, "00Q1", "sql")
    _enqueue(engine)
    crm = BulkMemoryCrm(crash_after_create=True)
    runs = [_deliver_or_crash(engine, crm), _deliver_or_crash(engine, crm)]
    assert runs == [None, Delivery(found=1)]
    assert crm.settled == [1]  # after the first run's look-up, before the second's


def _deliver_or_crash(engine, crm: MemoryCrm) -> Delivery | None:
    try:
        return deliver_tasks(engine, crm, "acme")
    except CrashAfterCreate:
        return None
