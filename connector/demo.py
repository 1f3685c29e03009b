"""`scorebridge demo`: two syncs against local CRM stand-ins, and what a user wants to see afterwards.

The CLI starts the stand-ins and hands over one `DemoCrm` each; this module knows no CRM. It runs a first sync,
lets the stand-ins' "users" add activity, runs a second, incremental sync, then reports: the hottest contacts
with their reasons, the hottest accounts with their engaged people (when the mappings read accounts), who just
became MQL or SQL and the tasks created for their owners, the engagement index by
lead source and product interest, and the API calls each sync took; last it writes the `scorebridge report` page.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.account_members import account_members, person_name
from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import CrmAdapter
from connector.errors import InputError
from connector.outbox import transition_task_key
from connector.private_files import make_private_dir
from connector.reports.engagement_index import engagement_index
from connector.reports.index_console import index_table
from connector.store.tables import Account, AccountScore, Contact, ContactScore, StageTransition, TaskOutbox
from connector.sync import SyncReport, run_sync

HOTTEST_SHOWN = 10
HOTTEST_ACCOUNTS_SHOWN = 5
NEW_QUALIFIED_SHOWN = 10
#: Left in the demo's folder so that the next demo may replace it, and only it.
DEMO_MARKER = ".scorebridge-demo"


@dataclass(frozen=True)
class DemoCrm:
    """One stand-in as the demo sees it: its connection, how to build an adapter, how to make its users work."""

    connection: ConnectionConfig
    build_adapter: Callable[[], CrmAdapter]
    #: Adds new activity for a share of the people; returns how many touches were added.
    users_keep_working: Callable[[], int]


def prepare_demo_folder(folder: Path) -> None:
    """An empty private folder for a demo: a new one, an empty one, or a previous demo's, replaced."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--workdir {folder}: not a folder")
    if folder.exists() and any(folder.iterdir()) and not (folder / DEMO_MARKER).is_file():
        raise InputError(f"--workdir {folder} holds files no demo wrote (no {DEMO_MARKER}): name a new or empty folder")
    shutil.rmtree(folder, ignore_errors=True)
    make_private_dir(folder)
    (folder / DEMO_MARKER).write_text("Written by `scorebridge demo`: the next demo run deletes this folder.\n")


def run_demo(console: Console, engine: Engine, config: ConnectorConfig, crms: list[DemoCrm]) -> None:
    for crm in crms:
        actions = crm.build_adapter().setup()
        console.print(f"[bold]{crm.connection.name}[/]: setup created {len(actions)} field(s) or propert(ies)")
    first = _sync_all(console, engine, config, crms, "first sync")
    with Session(engine) as session:
        last_transition = session.execute(select(StageTransition.id).order_by(StageTransition.id.desc())).scalar()
    for crm in crms:
        console.print(f"{crm.connection.name}: the users keep working, {crm.users_keep_working():,} new touchpoints")
    second = _sync_all(console, engine, config, crms, "second sync (incremental)")
    with Session(engine) as session:
        console.print(_hottest_table(session))
        if accounts := hottest_accounts_table(session):
            console.print(accounts)
        console.print(_newly_qualified_table(session, last_transition or 0))
    for by in ("lead_source", "product_interest"):
        console.print(index_table(engagement_index(engine, by)))
    console.print(_api_calls_table(first, second))


def write_demo_report(
    console: Console, engine: Engine, config: ConnectorConfig, path: Path, now: datetime | None = None
) -> None:
    """The demo's last step: the report page (as `scorebridge report --html` writes it), its path, two figures."""
    from connector.reports.closed_loop import build_report, headline_figures
    from connector.reports.closed_loop_page import write_page
    from connector.scoring import load_model

    report = build_report(engine, load_model(config.model_path()), now=now or datetime.now(UTC))
    write_page(report, path)
    console.print(f"Report written to {path}: " + "; ".join(headline_figures(report)))


def _sync_all(
    console: Console, engine: Engine, config: ConnectorConfig, crms: list[DemoCrm], title: str
) -> list[SyncReport]:
    console.rule(title)
    reports = []
    for crm in crms:
        report = run_sync(engine, config, crm.connection, crm.build_adapter())
        counts = report.counts
        seconds = (report.ended_at - report.started_at).total_seconds()
        console.print(
            f"{crm.connection.name}: {report.status} in {seconds:.1f} s; pulled {counts.get('pulled_contacts', 0):,} "
            f"contacts and {counts.get('pulled_activities', 0):,} activities, scored {counts.get('scored', 0):,}, "
            f"{counts.get('stage_changes', 0):,} stage changes, wrote {counts.get('written', 0):,} records"
            + (f" and {counts['account_written']:,} accounts" if counts.get("account_written") else "")
            + f", created {counts.get('tasks_created', 0):,} tasks"
            + (
                f" ({counts['account_tasks_queued']:,} for account owners)"
                if counts.get("account_tasks_queued")
                else ""
            )
            + (f", {counts['tasks_historic']:,} older ones recorded, not sent" if counts.get("tasks_historic") else "")
            + (f" [red]({report.message})[/]" if report.message else "")
        )
        reports.append(report)
    return reports


def _hottest_table(session: Session) -> Table:
    table = Table(title="Hottest contacts (combined score)", title_justify="left")
    for column in ("contact", "CRM", "title", "stage", "combined", "fit", "engagement", "top reasons"):
        table.add_column(column, justify="right" if column in ("combined", "fit", "engagement") else "left")
    rows = session.execute(
        select(Contact, ContactScore)
        .join(ContactScore, ContactScore.contact_id == Contact.id)
        .where(Contact.deleted.is_(False), ContactScore.stage != "disqualified")
        .order_by(ContactScore.combined.desc(), Contact.id)
        .limit(HOTTEST_SHOWN)
    )
    for contact, score in rows:
        table.add_row(
            person_name(contact),
            contact.source,
            contact.title or "",
            score.stage,
            f"{score.combined:.0f}",
            f"{score.fit:.0f}",
            f"{score.engagement:.0f}",
            "; ".join(str(reason) for reason in score.reasons[:3]),
        )
    return table


def hottest_accounts_table(session: Session) -> Table | None:
    """The top accounts by score with their stage and engaged people; None when no account is scored."""
    rows = session.execute(
        select(Account, AccountScore)
        .join(AccountScore, AccountScore.account_id == Account.id)
        .where(Account.deleted.is_(False), Account.merged_into_id.is_(None))
        .order_by(AccountScore.score.desc(), Account.id)
        .limit(HOTTEST_ACCOUNTS_SHOWN)
    ).all()
    if not rows:
        return None
    table = Table(title="Hottest accounts (account score)", title_justify="left")
    for column in ("account", "CRM", "stage", "score", "engaged", "engaged people", "buying group"):
        table.add_column(column, justify="right" if column in ("score", "engaged") else "left")
    for account, score in rows:
        engaged = [person_name(member.contact) for member in account_members(session, account.id) if member.engaged]
        table.add_row(account.name or account.crm_id, account.source, score.stage or "", f"{score.score:.0f}",
                      str(score.engaged_contacts), ", ".join(engaged), ", ".join(map(str, score.coverage)))  # fmt: skip
    return table


def _newly_qualified_table(session: Session, after_transition: int) -> Table:
    table = Table(title="Just became MQL or SQL in the second sync, and the task created", title_justify="left")
    for column in ("contact", "CRM", "from", "to", "why", "task for owner", "task"):
        table.add_column(column)
    rows = session.execute(
        select(StageTransition, Contact)
        .join(Contact, Contact.id == StageTransition.contact_id)
        .where(StageTransition.id > after_transition, StageTransition.to_stage.in_(("mql", "sql")))
        .order_by(StageTransition.id)
        .limit(NEW_QUALIFIED_SHOWN)
    )
    for transition, contact in rows:
        task = session.get(TaskOutbox, (contact.instance, transition_task_key(contact, transition)))
        table.add_row(
            person_name(contact),
            contact.source,
            transition.from_stage or "new",
            transition.to_stage,
            transition.reason,
            (task.payload.get("owner_id") or "") if task else "",
            (task.crm_task_id or task.status) if task else "no task",
        )
    return table


def _api_calls_table(first: list[SyncReport], second: list[SyncReport]) -> Table:
    table = Table(title="API calls", title_justify="left")
    for column in ("connection", "first sync", "second sync", "429s"):
        table.add_column(column, justify="left" if column == "connection" else "right")
    for before, after in zip(first, second, strict=True):
        table.add_row(
            before.connection,
            f"{before.counts.get('api_calls', 0):,}",
            f"{after.counts.get('api_calls', 0):,}",
            f"{before.counts.get('rate_limited', 0) + after.counts.get('rate_limited', 0):,}",
        )
    return table
