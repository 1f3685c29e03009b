"""The normalized store: contacts and activities from any CRM in one shape, and what scoring and sync keep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from connector.store.types import UTCEpoch


def _epoch(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCEpoch(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Contact(SQLModel, table=True):
    """A lead or contact, identified by where it lives in which CRM."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("source", "instance", "object_type", "crm_id", name="uq_contact_crm"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)
    instance: str = Field(max_length=100)
    object_type: str = Field(max_length=40)
    crm_id: str = Field(max_length=64)
    email: str | None = Field(default=None, max_length=320, index=True)
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    seniority: str | None = None
    department: str | None = None
    company: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    country: str | None = None
    lead_source: str | None = None
    product_interest: str | None = None
    lifecycle: str | None = None
    owner_id: str | None = Field(default=None, max_length=64)
    is_customer: bool = False
    email_opt_out: bool = False
    created_at: datetime | None = _epoch()
    modified_at: datetime | None = _epoch()
    extra: dict = _json()
    deleted: bool = False
    merged_into_id: int | None = Field(default=None, foreign_key="contact.id")


class RescoreQueue(SQLModel, table=True):
    """The contacts whose fields or activities changed since they were last scored, and new ones never scored: an
    incremental run scores them and takes them out (connector/store/rescore_queue.py)."""

    __tablename__ = "rescore_queue"

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, sa_column_kwargs={"autoincrement": False})


class ActivityKind(SQLModel, table=True):
    """A distinct (type, attributes) pair; activities point at one so rules are matched once per kind."""

    __tablename__ = "activity_kind"
    __table_args__ = (UniqueConstraint("fingerprint", name="uq_activity_kind_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64)
    type: str = Field(max_length=60, index=True)
    attributes: dict = _json()


class Activity(SQLModel, table=True):
    """One touchpoint of one contact at one moment; re-importing the same source record never adds a row."""

    __tablename__ = "activity"
    __table_args__ = (
        UniqueConstraint("contact_id", "source_id", name="uq_activity_source"),
        # kind_id too: a scoring chunk reads its activities from the index alone (migration 0007)
        Index("ix_activity_contact_time_kind", "contact_id", "occurred_at", "kind_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    kind_id: int = Field(foreign_key="activity_kind.id")
    occurred_at: datetime = _epoch(nullable=False, index=True)
    source_id: str = Field(max_length=120)


class ContactScore(SQLModel, table=True):
    """The current scores and stage of a contact."""

    __tablename__ = "contact_score"
    # PostgreSQL: room on each page for a rescored row's new version, so the update is HOT (no index entry
    # written) while `fall_below_at`, the one indexed value besides the key, stays put (migration 0010;
    # https://www.postgresql.org/docs/current/storage-hot.html)
    __table_args__ = {"postgresql_with": {"fillfactor": 85}}

    contact_id: int = Field(foreign_key="contact.id", primary_key=True)
    fit: float = 0
    lead: float = 0
    engagement: float = 0
    recency: float = 0
    combined: float = 0
    grade: str | None = Field(default=None, max_length=2)
    stage: str = Field(max_length=30)
    engaged: bool = False
    #: Not indexed: incremental planning finds the contacts whose last engagement crossed a recency band through
    #: the activities of that moment (connector/scoring/planning.py); an index moved with nearly every rescore.
    last_engaged_at: datetime | None = _epoch()
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    model_version: str = Field(max_length=64)
    scored_at: datetime = _epoch(nullable=False)
    #: A customer engaging again after a quiet period (the model's lifecycle.reengaged); notified once per return.
    reengaged: bool = False
    #: Scores per score group (the model's `groups`): ``{"analytics": {"lead": 40.0, "engagement": 12.5,
    #: "stage": "mql"}}``. A JSON document, so a new group is a model change, not a migration.
    groups: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    #: For a contact in a stage it entered by a score threshold: when it drops below that threshold if nothing else
    #: happens (decay, window, quiet period); the sync rescores it then. None when nothing will make it fall.
    fall_below_at: datetime | None = _epoch(index=True)
    #: A 64-bit fingerprint of the values above (connector/scoring/digest.py): a rescore compares it alone, and
    #: builds and reads whole rows only for contacts whose fingerprint moved. None: not written by such a run yet.
    digest: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ScoreChange(SQLModel, table=True):
    """A row each time a contact's scores changed: the score history."""

    __tablename__ = "score_change"

    id: int | None = Field(default=None, primary_key=True)
    #: Neither indexed nor a foreign key (migration 0010): the history is read by time for every contact at once
    #: (connector/analytics/score_history.py), never by contact; contacts are never deleted; and PostgreSQL checked
    #: the key by locking the contact row, a write to its page for every history row.
    contact_id: int
    fit: float
    lead: float
    engagement: float
    recency: float
    combined: float
    stage: str = Field(max_length=30)
    model_version: str = Field(max_length=64)
    scored_at: datetime = _epoch(nullable=False)


class StageTransition(SQLModel, table=True):
    """A contact moving between lifecycle stages, with the reason in words."""

    __tablename__ = "stage_transition"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    from_stage: str | None = Field(default=None, max_length=30)
    to_stage: str = Field(max_length=30)
    at: datetime = _epoch(nullable=False, index=True)
    reason: str
    model_version: str = Field(max_length=64)
    #: When the stage began to hold: the activity that lifted the lead score over the stage's threshold, or the
    #: stage's trigger activity. A rebuilt store computes the same moment from the CRM's activities, which is why
    #: task keys use it; None when no activity put the contact there (a field rule, a fit threshold).
    triggered_at: datetime | None = _epoch()


class ScoringCheckpoint(SQLModel, table=True):
    """When the store was last scored, and with which model: drives incremental rescoring."""

    __tablename__ = "scoring_checkpoint"

    scope: str = Field(primary_key=True, max_length=100)
    model_version: str = Field(max_length=64)
    as_of: datetime = _epoch(nullable=False)


class SyncBookmark(SQLModel, table=True):
    """How far each stream of each connection has been pulled; written with the records it covers."""

    __tablename__ = "sync_bookmark"

    connection: str = Field(primary_key=True, max_length=100)
    stream: str = Field(primary_key=True, max_length=60)
    modified_at: datetime = _epoch(nullable=False)
    last_id: str = Field(default="", max_length=64)
    updated_at: datetime = _epoch(nullable=False)


class WriteLedger(SQLModel, table=True):
    """The values last confirmed written to each CRM record, so only changes are sent."""

    __tablename__ = "write_ledger"

    connection: str = Field(primary_key=True, max_length=100)
    contact_id: int = Field(foreign_key="contact.id", primary_key=True)
    confirmed_values: dict = _json()
    confirmed_at: datetime | None = _epoch()
    pending_values: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    last_error: str | None = None
    attempts: int = 0


class TaskOutbox(SQLModel, table=True):
    """Follow-up tasks to create in the CRM, keyed so a crash, a retry or a rebuilt store never creates one twice.

    The key is what the CRM knows (record, stage, moment); two connections of one store may hold the same key.
    `status`: pending, sent, or historic (a transition older than `tasks.recent_days`: recorded, never sent).
    """

    __tablename__ = "task_outbox"

    connection: str = Field(primary_key=True, max_length=100, index=True)
    idempotency_key: str = Field(primary_key=True, max_length=120)
    contact_id: int = Field(foreign_key="contact.id")
    reason: str
    payload: dict = _json()
    status: str = Field(default="pending", max_length=20, index=True)
    crm_task_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _epoch(nullable=False)
    attempts: int = 0
    last_error: str | None = None
    #: What caused the task: a stage transition ("stage"), a customer re-engaging ("reengaged"), or an
    #: unworked task ("escalation", `escalation_of` names the task it follows up).
    kind: str = Field(default="stage", max_length=20)
    owner_id: str | None = Field(default=None, max_length=64)
    due_at: datetime | None = _epoch()
    #: The task's status as the CRM last reported it (Salesforce Task.Status, HubSpot hs_task_status).
    crm_status: str | None = Field(default=None, max_length=40)
    completed_at: datetime | None = _epoch()
    status_checked_at: datetime | None = _epoch()
    escalated_at: datetime | None = _epoch()
    escalation_of: str | None = Field(default=None, max_length=120)
    #: For an account task ("account" kind): the account whose owner gets it; `contact_id` is then the account's
    #: most engaged contact, the person the task names first.
    account_id: int | None = Field(default=None, foreign_key="account.id")


class SyncRun(SQLModel, table=True):
    """One sync run of one connection: when, how it ended, and counts per phase."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    connection: str = Field(max_length=100, index=True)
    started_at: datetime = _epoch(nullable=False)
    ended_at: datetime | None = _epoch()
    status: str = Field(default="running", max_length=20)
    counts: dict = _json()
    warnings: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Outcome(SQLModel, table=True):
    """An opportunity or deal and how it ended: what the scores are measured against."""

    __tablename__ = "outcome"
    __table_args__ = (UniqueConstraint("source", "instance", "object_type", "crm_id", name="uq_outcome_crm"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)
    instance: str = Field(max_length=100)
    object_type: str = Field(max_length=40)
    crm_id: str = Field(max_length=64)
    stage: str | None = Field(default=None, max_length=100)
    pipeline: str | None = Field(default=None, max_length=100)
    closed: bool = False
    won: bool = False
    amount: float | None = None
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime | None = _epoch(index=True)
    closed_at: datetime | None = _epoch()
    lead_source: str | None = None
    modified_at: datetime | None = _epoch()
    deleted: bool = False


class OutcomeContact(SQLModel, table=True):
    """Which contacts an outcome belongs to (Salesforce contact roles, HubSpot deal associations)."""

    __tablename__ = "outcome_contact"

    outcome_id: int = Field(foreign_key="outcome.id", primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, index=True)
    role: str | None = Field(default=None, max_length=80)
    is_primary: bool = False


class Account(SQLModel, table=True):
    """A company (Salesforce Account, HubSpot company), identified by where it lives in which CRM."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("source", "instance", "object_type", "crm_id", name="uq_account_crm"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)
    instance: str = Field(max_length=100)
    object_type: str = Field(max_length=40)
    crm_id: str = Field(max_length=64)
    name: str | None = Field(default=None, index=True)
    #: Lower case, bare ("acme.com"): unlinked leads are matched to an account by their email's domain.
    domain: str | None = Field(default=None, max_length=255, index=True)
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    country: str | None = None
    owner_id: str | None = Field(default=None, max_length=64)
    is_customer: bool = False
    created_at: datetime | None = _epoch()
    modified_at: datetime | None = _epoch()
    extra: dict = _json()
    deleted: bool = False
    merged_into_id: int | None = Field(default=None, foreign_key="account.id")


class AccountContact(SQLModel, table=True):
    """Which contacts belong to which account, and how that is known.

    `matched_by`: "account", "converted" or "association" when the CRM links them (connector.crm.AccountLink), or
    "domain" / "company" when ScoreBridge matched an unlinked lead by its email domain or company name.
    """

    __tablename__ = "account_contact"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", primary_key=True, index=True)
    is_primary: bool = True
    matched_by: str = Field(default="account", max_length=20)


class AccountScore(SQLModel, table=True):
    """The current scores and stage of an account, rolled up from its contacts."""

    __tablename__ = "account_score"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    fit: float = 0
    engagement: float = 0
    score: float = 0
    grade: str | None = Field(default=None, max_length=2)
    stage: str | None = Field(default=None, max_length=30)
    engaged_contacts: int = 0
    #: The buying-group roles (the model's `accounts.buying_group`) at least one engaged contact fills.
    coverage: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: The latest engaging activity of any of its contacts.
    last_engaged_at: datetime | None = _epoch()
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    model_version: str = Field(max_length=64)
    scored_at: datetime = _epoch(nullable=False)


class AccountTransition(SQLModel, table=True):
    """An account moving between account stages, with the reason in words."""

    __tablename__ = "account_transition"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    from_stage: str | None = Field(default=None, max_length=30)
    to_stage: str | None = Field(default=None, max_length=30)
    at: datetime = _epoch(nullable=False, index=True)
    reason: str
    model_version: str = Field(max_length=64)


class AccountWriteLedger(SQLModel, table=True):
    """The values last confirmed written to each Account / company record (as WriteLedger does for contacts)."""

    __tablename__ = "account_write_ledger"

    connection: str = Field(primary_key=True, max_length=100)
    account_id: int = Field(foreign_key="account.id", primary_key=True)
    confirmed_values: dict = _json()
    confirmed_at: datetime | None = _epoch()
    pending_values: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    last_error: str | None = None
    attempts: int = 0
