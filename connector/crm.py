"""The port every CRM adapter implements, and the frozen records that cross it.

The core owns this interface; `adapters/salesforce` and `adapters/hubspot` implement it and import nothing else
from the core but `connector.errors`. Records carry the normalized shape, never a client library's objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar
from urllib.parse import urlsplit

# The write targets and what each must hold, for the adapters (which import nothing else of the core).
from connector.score_catalog import ACCOUNT_TARGETS as ACCOUNT_TARGETS
from connector.score_catalog import CONTACT_TARGETS as CONTACT_TARGETS
from connector.score_catalog import TargetKind as TargetKind
from connector.score_catalog import clears_when_empty as clears_when_empty
from connector.score_catalog import target_kind as target_kind
from connector.score_catalog import unknown_account_target as unknown_account_target
from connector.score_catalog import unknown_target as unknown_target

#: The normalized contact fields a mapping may fill; anything else lands in ``extra``.
CONTACT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "department",
    "company",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "lead_source",
    "product_interest",
    "lifecycle",
    "owner_id",
    "is_customer",
    "email_opt_out",
)


#: The normalized account fields a mapping may fill; anything else lands in ``extra``.
ACCOUNT_FIELDS = ("name", "domain", "industry", "employees", "annual_revenue", "country", "owner_id", "is_customer")


def bare_domain(text: str) -> str | None:
    """The bare, lower-case web domain of free text (`https://www.Acme.com:8443/about` -> `acme.com`), the shape
    `AccountRecord.domain` carries and leads' email domains are matched on; None when it names no host. Both CRMs
    keep a company's web address as text admins type (Salesforce Website, HubSpot domain), so a scheme is
    optional; a value that is no address is None, never an error (a CRM record never crashes a sync)."""
    text = text.strip()
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    except ValueError:  # a bracketed host that is no IPv6 address
        return None
    host = host.rstrip(".").removeprefix("www.")
    return host if host and " " not in host else None


@dataclass(frozen=True)
class AccountLink:
    """A contact's membership of an account, as the CRM records it.

    `matched_by` says how the CRM knows: "account" (Salesforce Contact.AccountId), "converted" (a converted
    Salesforce lead's ConvertedAccountId), "association" (a HubSpot contact -> company association). Leads the CRM
    links to nothing are matched by the core (email domain, company name; connector/accounts), never by an adapter.
    """

    account_crm_id: str
    primary: bool = True
    matched_by: str = "account"


@dataclass(frozen=True)
class AccountRecord:
    """One account (Salesforce Account, HubSpot company) as the CRM holds it, in ScoreBridge's field names."""

    object_type: str
    crm_id: str
    name: str | None = None
    #: The company's web domain, lower case, without scheme, "www." or path ("acme.com"): what leads are matched on.
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: float | None = None
    country: str | None = None
    owner_id: str | None = None
    is_customer: bool = False
    created_at: datetime | None = None
    modified_at: datetime | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    deleted: bool = False
    #: For an account merged into another: the surviving account's CRM id (Salesforce MasterRecordId, HubSpot's
    #: merged company). Its contacts and history belong to the survivor.
    merged_into: str | None = None
    #: Values the adapter could not parse (field name -> problem); the field was left empty.
    warnings: Mapping[str, str] = field(default_factory=dict)
    #: What the record's account stage field (the mapping's `accounts.write_back.stage`) holds now: what ScoreBridge
    #: last told the CRM. A store that never scored the account starts from it (connector/accounts/writing.py).
    shown_stage: str | None = None


@dataclass(frozen=True)
class ContactRecord:
    """One lead or contact as the CRM holds it, in ScoreBridge's field names."""

    object_type: str
    crm_id: str
    email: str | None = None
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
    owner_id: str | None = None
    is_customer: bool = False
    email_opt_out: bool = False
    created_at: datetime | None = None
    modified_at: datetime | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    deleted: bool = False
    #: For a converted Salesforce lead: the contact its history now belongs to, as "Contact:<id>".
    merged_into: str | None = None
    #: Values the adapter could not parse (field name -> problem); the field was left empty.
    warnings: Mapping[str, str] = field(default_factory=dict)
    #: The accounts the CRM links this record to (primary first); empty for a lead no account holds, and always
    #: empty when the mapping has no `accounts` section. The store replaces the contact's CRM links with these.
    accounts: Sequence[AccountLink] = ()


@dataclass(frozen=True)
class ActivityRecord:
    """One touchpoint, already classified into the scoring model's activity vocabulary."""

    source_id: str
    contact_object_type: str
    contact_crm_id: str
    type: str
    occurred_at: datetime
    attributes: Mapping[str, str] = field(default_factory=dict)
    deleted: bool = False


@dataclass(frozen=True)
class OutcomeContact:
    """A contact an outcome belongs to: Salesforce's OpportunityContactRole, HubSpot's deal -> contact association."""

    object_type: str
    crm_id: str
    role: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class OutcomeRecord:
    """What became of a lead: an opportunity (Salesforce) or deal (HubSpot), won, lost or still open.

    `closed` and `won` follow the mapping's lists of won / lost stages (admins rename stages in both CRMs), falling
    back to the CRM's own flags (IsClosed / IsWon, hs_is_closed / hs_is_closed_won) where the mapping lists none.
    """

    object_type: str
    crm_id: str
    contacts: Sequence[OutcomeContact]
    stage: str | None = None
    pipeline: str | None = None
    closed: bool = False
    won: bool = False
    amount: float | None = None
    currency: str | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    lead_source: str | None = None
    modified_at: datetime | None = None
    deleted: bool = False
    #: Values the adapter could not parse (field name -> problem); the field was left empty.
    warnings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Bookmark:
    """Where an incremental stream stopped: the last modification time seen and the id that broke the tie."""

    stream: str
    modified_at: datetime
    last_id: str = ""


RecordT = TypeVar("RecordT", ContactRecord, ActivityRecord, OutcomeRecord, AccountRecord)


@dataclass(frozen=True)
class Page(Generic[RecordT]):
    """A batch of records plus the bookmark that is safe to commit once they are stored."""

    records: Sequence[RecordT]
    bookmark: Bookmark | None
    skipped: int = 0


@dataclass(frozen=True)
class ScoreWrite:
    """The values to write on one CRM record, by logical target name (fit, stage, stage_until, groups.x.lead, ...;
    `connector.score_catalog` lists them). A date target's value is a day as YYYY-MM-DD, or None."""

    object_type: str
    crm_id: str
    values: Mapping[str, str | float | int | None]


@dataclass(frozen=True)
class WriteResult:
    crm_id: str
    ok: bool
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class TaskRequest:
    """A follow-up task for sales; the idempotency key makes re-sending after a crash harmless."""

    idempotency_key: str
    object_type: str
    crm_id: str
    owner_id: str | None
    subject: str
    description: str
    due_at: datetime


@dataclass(frozen=True)
class TaskResult:
    idempotency_key: str
    crm_task_id: str | None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class TaskState:
    """A follow-up task as the CRM holds it now: what the rep did with it, and who has it."""

    crm_task_id: str
    #: The CRM's own status value (Salesforce Task.Status such as "In Progress", HubSpot hs_task_status such as
    #: "WAITING"), kept as the CRM spells it.
    status: str | None
    #: Done with: Salesforce's IsClosed, HubSpot's status COMPLETED.
    closed: bool
    owner_id: str | None
    #: When the CRM created the task (Salesforce CreatedDate, HubSpot hs_createdate); the SLA runs from here.
    created_at: datetime | None = None


@dataclass(frozen=True)
class TaskReassignment:
    """Give an existing task to another owner (a Salesforce User id, a HubSpot owner id)."""

    crm_task_id: str
    owner_id: str


@dataclass(frozen=True)
class ApiUsage:
    """API calls this adapter made, and the CRM's daily allocation as last reported."""

    calls: int
    daily_used: int | None = None
    daily_limit: int | None = None
    rate_limited: int = 0


@dataclass(frozen=True)
class TaskContext:
    """What a task's text needs from the CRM, asked once per run that writes a task (connector/task_text.py).

    The core writes the words; the CRM knows how its users see a record: the page that opens it, and the words its
    picklists show for ScoreBridge's stages and attribute values.
    """

    #: The page of a record, with `{object_type}` and `{crm_id}` to fill; "" when the CRM gives no link.
    record_url: str = ""
    #: ScoreBridge stage name -> the word the CRM shows for it (HubSpot's lifecycle stage label, Salesforce's Lead
    #: Status), where the mapping maps exactly one CRM value to that stage.
    stage_labels: Mapping[str, str] = field(default_factory=dict)

    def record_link(self, object_type: str, crm_id: str) -> str | None:
        if not self.record_url:
            return None
        return self.record_url.format(object_type=object_type, crm_id=crm_id)


class CrmAdapter(Protocol):
    """What the sync needs from a CRM. Each method's contract is in its docstring."""

    def activity_types(self) -> frozenset[str]:
        """The activity types the mapping can produce (checked against the scoring model's vocabulary); no I/O."""
        ...

    def check(self) -> list[str]:
        """Validate the mapping against the CRM's own schema; return problems, empty when all is well."""
        ...

    def setup(self) -> list[str]:
        """Create the missing write-back fields; idempotent; return a line per action taken."""
        ...

    def write_targets(self) -> frozenset[str]:
        """The logical write targets the mapping sends somewhere (fit, stage_until, groups.x.lead, ...); no I/O."""
        ...

    def pull_contacts(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        """Contacts changed at or after ``since`` minus the lookback, oldest first, deleted ones flagged."""
        ...

    def pull_activities(self, since: Bookmark | None) -> Iterator[Page[ActivityRecord]]:
        """Activities changed at or after ``since`` minus the lookback, oldest first."""
        ...

    def pull_outcomes(self, since: Bookmark | None) -> Iterator[Page[OutcomeRecord]]:
        """Opportunities / deals changed at or after ``since`` minus the lookback, oldest first, deleted ones
        flagged, each with the contacts it belongs to. Yields nothing (and calls nothing) when the mapping has no
        `outcomes` section."""
        ...

    def pull_accounts(self, since: Bookmark | None) -> Iterator[Page[AccountRecord]]:
        """Accounts / companies changed at or after ``since`` minus the lookback, oldest first, deleted and merged
        ones flagged. Yields nothing (and calls nothing) when the mapping has no `accounts` section. Pulled before
        contacts, so a contact's account links point at stored accounts."""
        ...

    def account_matching(self) -> tuple[str, ...]:
        """How the core matches leads the CRM links to no account, in order: "domain" (the lead's email domain
        against the account's domain), "company" (the lead's company against the account's name); the mapping's
        `accounts.match_leads_by`, () when it says none or has no `accounts` section; no I/O."""
        ...

    def account_write_targets(self) -> frozenset[str]:
        """The account write targets (`connector.score_catalog.ACCOUNT_TARGETS`) the mapping sends somewhere; empty
        without an `accounts` section; no I/O. `write_scores` takes an account's values as a ScoreWrite whose
        object_type is the account object (Account, companies)."""
        ...

    def write_scores(self, writes: Sequence[ScoreWrite]) -> list[WriteResult]:
        """Write values, batching as the CRM allows; one result per write, in order; never raise per record.

        The sync hands over at most `WRITE_BATCH` writes a call (its ledger commits per call), or as many as the
        adapter's optional `write_batch_size` attribute says, for a CRM whose bulk API pays off on larger batches."""
        ...

    def find_tasks(self, idempotency_keys: Sequence[str]) -> dict[str, str]:
        """Tasks already in the CRM for these keys (key -> CRM task id), to avoid duplicates after a crash.

        Before looking up tasks it tried to create earlier, the outbox calls the adapter's optional
        `settle_task_creates()`, for a CRM where a create outlives the run that sent it (a Salesforce Bulk job)."""
        ...

    def create_tasks(self, tasks: Sequence[TaskRequest]) -> list[TaskResult]:
        """Create follow-up tasks linked to their lead, contact or account (a TaskRequest whose object_type is the
        account object: Salesforce WhatId, a HubSpot task -> company association); one result per task, in order.

        The outbox hands over at most `TASK_BATCH` tasks a call (each batch looked up first with `find_tasks`), or
        as many as the adapter's optional `task_batch_size` attribute says, for a CRM whose bulk API pays off."""
        ...

    def task_states(self, crm_task_ids: Sequence[str]) -> dict[str, TaskState]:
        """The current state of these tasks (task id -> state), read in as few calls as the CRM allows; a task the
        CRM no longer holds (deleted) is left out. Raises the adapter's usual errors when the CRM cannot answer."""
        ...

    def owner_managers(self, owner_ids: Sequence[str]) -> dict[str, str]:
        """Owner id -> the id of that owner's manager, for the owners that have one. A CRM that knows no managers
        (HubSpot) returns an empty dict without calling anything."""
        ...

    def reassign_tasks(self, changes: Sequence[TaskReassignment]) -> list[WriteResult]:
        """Give tasks to other owners; one result per change, in order (`crm_id` is the task id); never raises per
        task. Setting the owner a task already has is harmless, so a repeated change is safe."""
        ...

    def usage(self) -> ApiUsage:
        """API usage so far in this adapter's life."""
        ...

    # What a task says: the core writes the text (connector/task_text.py), the adapter knows how the CRM shows it.

    def task_context(self) -> TaskContext:
        """The record link pattern and the CRM's words for the stages; called at most once per run, and only by a
        run that writes a task (it may cost a call or two). What the token may not read is left out (no link, the
        usual stage names), so tasks are still written; other failures raise as any call does."""
        ...
