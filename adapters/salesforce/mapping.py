"""The schema of `mappings/salesforce.yaml`: which objects to read, how their fields become a normalized contact,
which records become which activities, and where scores are written. Validated once, at start."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from adapters.salesforce.account_mapping import AccountMapping
from adapters.salesforce.field_map import FieldMap, FieldName, known_targets, short_forms
from adapters.salesforce.field_map import Strict as _Strict
from adapters.value_map import Scalar
from connector.crm import CONTACT_FIELDS, unknown_target
from connector.errors import ConfigError

ContactObject = Literal["Lead", "Contact"]

#: Where the lead or contact of an activity is, when a rule does not say: the first non-empty field wins.
DEFAULT_WHO_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Task": ("WhoId",),
    "Event": ("WhoId",),
    "CampaignMember": ("ContactId", "LeadId"),
}


class ObjectMapping(_Strict):
    #: Normalized field name -> source. Names outside the standard contact fields land in `extra`.
    fields: dict[str, FieldMap] = Field(default_factory=dict)
    #: Logical write-back target (fit, lead, ..., stage_until, groups.<group>.lead; connector/score_catalog.py)
    #: -> the field that receives it.
    write_back: dict[str, FieldName] = Field(default_factory=dict)

    _short_form = field_validator("fields", mode="before")(short_forms)

    _known_targets = field_validator("write_back")(known_targets(unknown_target))


class LeadOptions(_Strict):
    #: Read converted leads on the first sync too (later syncs always see conversions, to follow them).
    include_converted: bool = False


class ActivityRule(_Strict):
    """Which records of one object become one activity type, and when it happened."""

    type: str = Field(min_length=1)
    object: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    equals: dict[FieldName, Scalar] = Field(default_factory=dict)
    starts_with: dict[FieldName, str] = Field(default_factory=dict)
    #: Keeps rows whose field holds this text anywhere (SOQL LIKE '%text%', which ignores case).
    contains: dict[FieldName, str] = Field(default_factory=dict)
    timestamp: FieldName = "CreatedDate"
    who: tuple[FieldName, ...] | None = None
    attributes: dict[str, FieldName] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _knows_its_contact(self) -> ActivityRule:
        if self.who is None and self.object not in DEFAULT_WHO_FIELDS:
            raise ValueError(f"`who` is required for {self.object} (the field(s) holding the lead or contact id)")
        return self

    @property
    def who_fields(self) -> tuple[str, ...]:
        return self.who or DEFAULT_WHO_FIELDS[self.object]


class TaskOptions(_Strict):
    #: Task field holding ScoreBridge's idempotency key; `scorebridge setup` creates it.
    key_field: FieldName = "ScoreBridge_Key__c"
    status: str = "Not Started"
    priority: str = "Normal"
    #: The User (005...) who gets the tasks of leads a queue owns: Lead.OwnerId may be a queue (a Group), but
    #: Task.OwnerId references users only. Empty: the task is left to Salesforce's default, the integration user.
    queue_owner: str | None = Field(default=None, pattern=r"^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$")


class OutcomeOptions(_Strict):
    """Which opportunities count as won and lost, and which fields say what else an outcome needs.

    Stages are the StageName picklist's values (admins rename and add them). Without `won_stages`, Salesforce's
    own IsWon decides (set per stage in Setup > Opportunity Stages); without `lost_stages`, a closed stage
    (IsClosed) that does not count as won counts as lost.
    """

    won_stages: tuple[str, ...] = ()
    lost_stages: tuple[str, ...] = ()
    amount: FieldName = "Amount"
    #: The opportunity's lead source, through the same value map as the contacts' (null: none).
    lead_source: FieldMap | None = FieldMap(field="LeadSource", unlisted="keep")
    #: A field telling the sales process apart, such as RecordType.DeveloperName (null: one pipeline).
    pipeline: FieldName | None = None
    #: CurrencyIsoCode in orgs with multiple currencies enabled; single-currency orgs have no such field.
    currency: FieldName | None = None

    @field_validator("lead_source", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"field": value} if isinstance(value, str) else value

    @field_validator("won_stages", "lost_stages")
    @classmethod
    def _named(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not stage.strip() for stage in value):
            raise ValueError("a stage name cannot be empty")
        return value

    @model_validator(mode="after")
    def _won_or_lost(self) -> OutcomeOptions:
        both = sorted(set(self.won_stages) & set(self.lost_stages))
        if both:
            raise ValueError(f"{', '.join(map(repr, both))} cannot count as both won and lost")
        return self


class PullOptions(_Strict):
    #: Re-read this far behind the bookmark to catch records committed after their SystemModstamp.
    lookback_seconds: int = Field(default=600, ge=0)
    #: Records per REST query page (Salesforce allows 200..2000) and per page handed to the store.
    page_size: int = Field(default=2000, ge=200, le=2000)
    #: On a first sync, objects with at least this many rows are read with Bulk API 2.0; null turns Bulk off. A
    #: query job costs three calls up to 50,000 rows (create, poll, a page); REST pages of 2,000 cost as much from
    #: 6,000 rows on.
    bulk_threshold: int | None = Field(default=6_000, ge=1)
    #: Rows per Bulk API 2.0 results page.
    bulk_page_size: int = Field(default=50_000, ge=1)
    bulk_poll_seconds: float = Field(default=2.0, ge=0)


class WriteOptions(_Strict):
    #: A write-back of at least this many records of one object, or this many new tasks, goes through one Bulk
    #: API 2.0 ingest job (about five API calls) instead of a collection call per 200; null: collections always.
    #: 1,001 is where a job starts to cost fewer calls than collections (1,000 records: five calls either way).
    bulk_threshold: int | None = Field(default=1001, ge=1)
    bulk_poll_seconds: float = Field(default=2.0, ge=0)
    #: A job still running after this long is aborted; what it did not process goes through collections.
    bulk_timeout_seconds: float = Field(default=1800.0, gt=0)


class SalesforceMapping(_Strict):
    objects: dict[ContactObject, ObjectMapping]
    leads: LeadOptions = LeadOptions()
    activities: list[ActivityRule] = Field(default_factory=list)
    tasks: TaskOptions = TaskOptions()
    pull: PullOptions = PullOptions()
    write: WriteOptions = WriteOptions()
    #: Opportunities as outcomes; without this section outcomes are not read at all.
    outcomes: OutcomeOptions | None = None
    #: Accounts and the contacts' links to them; without this section neither is read, and nothing is written.
    accounts: AccountMapping | None = None
    #: The file this was read from, for messages.
    source: str = Field(default="mappings/salesforce.yaml", exclude=True)

    @field_validator("objects")
    @classmethod
    def _at_least_one(cls, value: dict[str, ObjectMapping]) -> dict[str, ObjectMapping]:
        if not value:
            raise ValueError("map at least one of Lead or Contact")
        return value

    def activity_types(self) -> frozenset[str]:
        """Every activity type this mapping can produce."""
        return frozenset(rule.type for rule in self.activities)

    def activity_attributes(self) -> dict[str, frozenset[str]]:
        """Per activity type, the attribute names some rule producing it carries."""
        named: dict[str, set[str]] = {}
        for rule in self.activities:
            named.setdefault(rule.type, set()).update(rule.attributes)
        return {kind: frozenset(names) for kind, names in named.items()}

    def filled_fields(self) -> dict[str, frozenset[str] | None]:
        """Per contact field some object fills (extra fields as `extra.<name>`), the values it can take, lower
        case; None when any value can come through."""
        filled: dict[str, frozenset[str] | None] = {}
        for object_mapping in self.objects.values():
            for name, spec in object_mapping.fields.items():
                key = name if name in CONTACT_FIELDS else f"extra.{name}"
                values = spec.produces()
                known = filled.get(key, frozenset())
                filled[key] = None if values is None or known is None else known | values
        return filled

    def activity_objects(self) -> dict[str, list[ActivityRule]]:
        """Rules grouped by object, in file order: one query per object, the first matching rule wins."""
        grouped: dict[str, list[ActivityRule]] = {}
        for rule in self.activities:
            grouped.setdefault(rule.object, []).append(rule)
        return grouped


def load_mapping(path: Path) -> SalesforceMapping:
    """Read and validate a mapping file; the first problem becomes a ConfigError naming the file and key."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError("file not found", source=str(path)) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"not valid YAML: {error}", source=str(path)) from None
    return parse_mapping(raw, source=str(path))


def parse_mapping(raw: Any, *, source: str) -> SalesforceMapping:
    if not isinstance(raw, Mapping):
        raise ConfigError("the top level must be a mapping of keys", source=source)
    try:
        return SalesforceMapping(**raw, source=source)
    except ValidationError as error:
        first = error.errors()[0]
        key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]).lstrip(".")
        more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
        raise ConfigError(f"{first['msg']}{more}", source=source, key=key or None) from None
