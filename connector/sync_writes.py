"""A sync run's write-back step: contacts' values, then accounts', sent in batches, each batch's ledger committed.

A crash between a batch's send and its ledger commit leaves the ledger as it was, so the next run sends the same
values again: harmless, the CRM ends as it would have. The account write-back asks the CRM for its account targets
only when the connection has scored accounts, so a mapping without an `accounts` section costs nothing.
"""

from __future__ import annotations

from sqlmodel import Session

from connector.account_writeback import has_scored_accounts, plan_account_writes
from connector.crm import ScoreWrite, WriteResult
from connector.store.engine import session_scope
from connector.store.tables import AccountWriteLedger, WriteLedger
from connector.sync_state import RunState
from connector.writeback import PlannedWrite, plan_writes, record_results

WRITE_BATCH = 1000  # adapters split further to their CRM's own limit (200 Salesforce, 100 HubSpot)
#: The prefix of the account write-back's counts: `account_writes_changed`, `account_written`, ...
ACCOUNT_COUNTS = "account_"


def write_back(run: RunState) -> None:
    """Send every changed value of the connection's contacts, then of its accounts."""
    run.phase("write-back")
    with session_scope(run.engine) as session:
        contacts = plan_contact_writes(run, session)
    _send(run, contacts, WriteLedger)
    with session_scope(run.engine) as session:
        accounts = plan_account_writes_of(run, session)
    _send(run, accounts, AccountWriteLedger, ACCOUNT_COUNTS)


def planned_writes(run: RunState, session: Session) -> tuple[ScoreWrite, ...]:
    """What a real run would write, contacts then accounts (for a dry run: nothing is sent or stored)."""
    return tuple(plan.write for plan in [*plan_contact_writes(run, session), *plan_account_writes_of(run, session)])


def plan_contact_writes(run: RunState, session: Session) -> list[PlannedWrite]:
    where = {"connection": run.connection.name, "source": run.connection.crm}
    return plan_writes(session, targets=run.adapter.write_targets(), **where)


def plan_account_writes_of(run: RunState, session: Session) -> list[PlannedWrite]:
    where = {"connection": run.connection.name, "source": run.connection.crm}
    if not has_scored_accounts(session, **where):
        return []
    return plan_account_writes(session, targets=run.adapter.account_write_targets(), **where)


def _send(run: RunState, planned: list[PlannedWrite], ledger: type, counts: str = "") -> None:
    run.counts[f"{counts}writes_changed"] += len(planned)
    size = getattr(run.adapter, "write_batch_size", None) or WRITE_BATCH  # optional, see CrmAdapter.write_scores
    for start in range(0, len(planned), size):
        run.check_stop()
        batch = planned[start : start + size]
        results = run.adapter.write_scores([plan.write for plan in batch])
        with session_scope(run.engine) as session:
            confirmed, failed = record_results(
                session, connection=run.connection.name, planned=batch, results=results, now=run.started_at,
                ledger=ledger,
            )  # fmt: skip
        run.counts[f"{counts}written"] += confirmed
        run.counts[f"{counts}write_failed"] += failed
        run.advance(len(batch))
        _warn_first_failed_write(run, results)


def _warn_first_failed_write(run: RunState, results: list[WriteResult]) -> None:
    """A run whose writes the CRM refused still succeeds, so its report must say what was left for the next run."""
    failure = next((result for result in results if not result.ok), None)
    if failure is not None and not any(warning.startswith("writes not confirmed") for warning in run.warnings):
        run.warnings.append(
            f"writes not confirmed by the CRM (e.g. {failure.crm_id}: {failure.error_code}: {failure.error_message});"
            " the next run sends them again"
        )
