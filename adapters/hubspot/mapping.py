"""The schema of ``mappings/hubspot.yaml``: which HubSpot properties and activity sources feed ScoreBridge,
and which properties the scores are written to. Validated once, at start, into frozen objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from adapters.hubspot.account_mapping import AccountMapping
from adapters.hubspot.mapping_forms import (
    Frozen,
    PropertyMap,
    WriteProperty,
    check_holds,
    only_known,
    split_value_maps,
)
from adapters.value_map import ValueMap, apply_case
from connector.crm import CONTACT_FIELDS, target_kind, unknown_target
from connector.errors import ConfigError

ENGAGEMENT_OBJECTS = ("calls", "meetings", "emails", "notes", "tasks")
#: The attributes each fixed activity source carries (adapters/hubspot/marketing.py builds them).
MARKETING_EMAIL_ATTRIBUTES = frozenset({"campaign", "url"})
FORM_ATTRIBUTES = frozenset({"form", "form_id", "url"})
WEB_EVENT_ATTRIBUTES = frozenset({"event", "url"})
#: Legacy email event types HubSpot reports for marketing emails (GET /email/public/v1/events).
EMAIL_EVENT_TYPES = ("OPEN", "CLICK", "BOUNCE", "UNSUBSCRIBE", "STATUSCHANGE", "SPAMREPORT", "DELIVERED", "SENT")


class TypeRule(Frozen):
    """Classify a record as another activity type when every named value matches its pattern.

    Patterns are case-insensitive shell-style globs: ``COMPLETED`` matches exactly, ``demo*`` a prefix,
    ``*not interested*`` anywhere.
    """

    type: str
    when: dict[str, str] = Field(min_length=1)

    def matches(self, values: Mapping[str, str | None]) -> bool:
        return all(
            fnmatchcase((values.get(name) or "").lower(), pattern.lower()) for name, pattern in self.when.items()
        )


def classify(default: str, rules: tuple[TypeRule, ...], values: Mapping[str, str | None]) -> str:
    """The first matching rule's type, else the default."""
    return next((rule.type for rule in rules if rule.matches(values)), default)


class EngagementSource(Frozen):
    """A CRM engagement object (calls, meetings, ...) read through its associations to contacts."""

    type: str
    #: Activity attribute name -> engagement property whose value it carries (long form: with a value map).
    attributes: dict[str, str] = Field(default_factory=dict)
    #: Activity attribute name -> how its property's values are translated (from the long form).
    attribute_values: dict[str, ValueMap] = Field(default_factory=dict)
    overrides: tuple[TypeRule, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _long_forms(cls, raw: object) -> object:
        return split_value_maps(raw, "attributes", "attribute_values")

    def attribute(self, name: str, value: str) -> str | None:
        """One attribute's value through its value map; None when the map leaves it empty."""
        value_map = self.attribute_values.get(name)
        if value_map is None:
            return value
        translated = value_map.translate_or_none(value)
        return None if translated is None else apply_case(str(translated), value_map.case)

    def classify(self, properties: Mapping[str, str | None]) -> str:
        return classify(self.type, self.overrides, properties)

    def properties(self) -> list[str]:
        ruled = {name for rule in self.overrides for name in rule.when}
        return sorted({*self.attributes.values(), *ruled, "hs_timestamp"})


class FormSource(Frozen):
    """Form submissions; rules may test ``form`` (the form's name) and ``url`` (the page it was sent from)."""

    type: str = "form_fill"
    overrides: tuple[TypeRule, ...] = ()

    def classify(self, form: str, url: str) -> str:
        return classify(self.type, self.overrides, {"form": form, "url": url})


class ContactMapping(Frozen):
    #: Normalized contact field -> HubSpot contact property (long form: with a value map, as Salesforce's).
    properties: dict[str, str]
    #: Normalized contact field -> how its property's values are translated (from the long forms).
    values: dict[str, ValueMap] = Field(default_factory=dict)
    #: Normalized contact field -> property of the contact's primary company (read through the association).
    company_properties: dict[str, str] = Field(default_factory=dict)
    #: More contact properties carried along in ContactRecord.extra (e.g. hs_lead_status).
    extra: tuple[str, ...] = ()
    #: HubSpot lifecycle stage internal value -> ScoreBridge stage; checked against the portal's own options.
    lifecycle_stages: dict[str, str] = Field(default_factory=dict)
    #: Lifecycle stage values (HubSpot's) that make a contact a customer.
    customer_stages: tuple[str, ...] = ("customer", "evangelist")
    #: hs_lead_status value -> the value carried as extra["lead_status"].
    lead_statuses: dict[str, str] = Field(default_factory=dict)
    #: Read archived contacts every incremental run (costs at least one call) or only at the first backfill.
    archived: Literal["every_run", "backfill"] = "every_run"
    #: Read when each contact entered each lifecycle stage (extra["lifecycle_entered"]) from the stage's history:
    #: a batch read per 50 contacts of each page.
    lifecycle_history: bool = False

    @model_validator(mode="before")
    @classmethod
    def _long_forms(cls, raw: object) -> object:
        return split_value_maps(split_value_maps(raw, "properties", "values"), "company_properties", "values")

    def filled_fields(self) -> dict[str, frozenset[str] | None]:
        """Per contact field this mapping fills, the values it can take (lower case), None for any value."""
        filled: dict[str, frozenset[str] | None] = {}
        for name in (*self.properties, *self.company_properties):
            value_map = self.values.get(name)
            filled[name] = value_map.produces() if value_map else None
        if "lifecycle" in self.properties:
            filled["lifecycle"] = frozenset(stage.lower() for stage in self.lifecycle_stages.values()) or None
            filled["is_customer"] = frozenset({"true", "false"})
        filled |= {f"extra.{name}": None for name in self.extra}
        if self.lead_statuses:
            filled["extra.lead_status"] = frozenset(status.lower() for status in self.lead_statuses.values())
        return filled

    @field_validator("properties", "company_properties")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(only_known(value, CONTACT_FIELDS, "ScoreBridge contact fields"))


class ActivityMapping(Frozen):
    engagements: dict[str, EngagementSource] = Field(default_factory=dict)
    #: Legacy email event type (OPEN, CLICK, BOUNCE, ...) -> activity type.
    marketing_email: dict[str, str] = Field(default_factory=dict)
    #: Form submissions of every form, or None to skip forms.
    form_submissions: FormSource | None = None
    #: Skip every activity source in an increment when no contact changed since its start. Sound when each
    #: source also updates a contact property (HubSpot's own do: last open/click dates, notes_last_updated,
    #: recent_conversion_date, analytics counters), and it makes a quiet sync cost one search.
    skip_unless_contacts_changed: bool = False
    #: Behavioral event type (e_visited_page, pe123_signup; globs allowed: pe*_signup) -> activity type.
    web_events: dict[str, str] = Field(default_factory=dict)

    def activity_types(self) -> frozenset[str]:
        """Every activity type this mapping can produce, overrides included."""
        types = {*self.marketing_email.values(), *self.web_events.values()}
        for source in (*self.engagements.values(), *([self.form_submissions] if self.form_submissions else [])):
            types |= {source.type, *(rule.type for rule in source.overrides)}
        return frozenset(types)

    def activity_attributes(self) -> dict[str, frozenset[str]]:
        """Per activity type, the attribute names some source producing it carries."""
        named: dict[str, set[str]] = {}

        def add(kinds: Iterable[str], attributes: Iterable[str]) -> None:
            for kind in kinds:
                named.setdefault(kind, set()).update(attributes)

        for source in self.engagements.values():
            add([source.type, *(rule.type for rule in source.overrides)], source.attributes)
        add(self.marketing_email.values(), MARKETING_EMAIL_ATTRIBUTES)
        if self.form_submissions:
            add([self.form_submissions.type, *(r.type for r in self.form_submissions.overrides)], FORM_ATTRIBUTES)
        add(self.web_events.values(), WEB_EVENT_ATTRIBUTES)
        return {kind: frozenset(names) for kind, names in named.items()}

    def web_event_type(self, event_type: str) -> str | None:
        if event_type in self.web_events:
            return self.web_events[event_type]
        return next((kind for pattern, kind in self.web_events.items() if fnmatchcase(event_type, pattern)), None)

    @field_validator("engagements")
    @classmethod
    def _known_objects(cls, value: dict[str, EngagementSource]) -> dict[str, EngagementSource]:
        return dict(only_known(value, ENGAGEMENT_OBJECTS, "engagement objects"))

    @field_validator("marketing_email")
    @classmethod
    def _known_events(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(only_known(value, EMAIL_EVENT_TYPES, "email event types"))


class WriteBack(Frozen):
    group_name: str = Field(default="scorebridge", pattern=r"^[a-z][a-z0-9_]{0,99}$")
    group_label: str = "ScoreBridge"
    #: Logical target (fit, lead, ..., stage_until, groups.<group>.lead; connector/score_catalog.py) -> property.
    properties: dict[str, WriteProperty]

    @field_validator("properties")
    @classmethod
    def _known_targets(cls, value: dict[str, WriteProperty]) -> dict[str, WriteProperty]:
        for target, prop in value.items():
            kind = target_kind(target)
            if kind is None:
                raise ValueError(unknown_target(target))
            check_holds(target, prop, kind)
        return value


class TaskMapping(Frozen):
    #: The task property holding ScoreBridge's idempotency key; `setup` creates it, find_tasks searches it.
    key_property: str = Field(default="scorebridge_task_key", pattern=r"^[a-z][a-z0-9_]{0,99}$")
    task_type: Literal["TODO", "CALL", "EMAIL"] = "TODO"
    priority: Literal["LOW", "MEDIUM", "HIGH"] = "MEDIUM"


class OutcomeMapping(Frozen):
    """Deals as outcomes: which pipelines count, which stages are won or lost, where a deal's lead source is.

    Stage and pipeline ids are internal ids (``closedwon``, or a number for stages an admin added), as the
    pipelines API lists them; `scorebridge validate --online` names any the portal does not have.
    """

    #: Pipeline ids whose deals are outcomes; empty: every deal pipeline.
    pipelines: tuple[str, ...] = ()
    #: Stage ids that count as won / lost. With neither list, HubSpot's own flags decide (hs_is_closed_won, and
    #: hs_is_closed: the pipeline's closed stages, won when their probability is 1.0).
    won_stages: tuple[str, ...] = ()
    lost_stages: tuple[str, ...] = ()
    #: The deal property holding the lead source (long form: with a value map); a plain name that is also the
    #: contact mapping's lead_source property uses that property's value map.
    lead_source: str | PropertyMap | None = None
    #: Deal -> contact association labels that mark a deal's primary contact (HubSpot defines no primary for
    #: deal -> contact, so portals label one, e.g. "Decision Maker"); the first label is the contact's role.
    primary_labels: tuple[str, ...] = ()
    #: Read archived deals every incremental run (one listing call or more) or only at the first backfill.
    archived: Literal["every_run", "backfill"] = "every_run"

    def stage_ids(self) -> frozenset[str]:
        return frozenset({*self.won_stages, *self.lost_stages})


class HubSpotMapping(Frozen):
    contact: ContactMapping
    activities: ActivityMapping = ActivityMapping()
    write_back: WriteBack
    tasks: TaskMapping = TaskMapping()
    #: Without this section ScoreBridge reads no deals (pull_outcomes yields nothing and calls nothing).
    outcomes: OutcomeMapping | None = None
    #: Without this section ScoreBridge reads no companies and contacts carry no company links.
    accounts: AccountMapping | None = None

    def lead_source_map(self) -> tuple[str | None, ValueMap | None]:
        """The deal property holding the lead source, and how its values become ScoreBridge's words."""
        source = self.outcomes.lead_source if self.outcomes else None
        if isinstance(source, PropertyMap):
            return source.property, ValueMap(**source.model_dump(exclude={"property"}))
        if source and self.contact.properties.get("lead_source") == source:
            return source, self.contact.values.get("lead_source")
        return source, None

    def activity_types(self) -> frozenset[str]:
        return self.activities.activity_types()

    def activity_attributes(self) -> dict[str, frozenset[str]]:
        return self.activities.activity_attributes()

    def filled_fields(self) -> dict[str, frozenset[str] | None]:
        return self.contact.filled_fields()

    def contact_properties(self) -> list[str]:
        """Every contact property a pull asks for."""
        wanted = {
            *self.contact.properties.values(),
            *self.contact.extra,
            "hs_lastmodifieddate",
            "createdate",
            "hs_object_id",
        }
        if self.contact.lead_statuses:
            wanted.add("hs_lead_status")
        return sorted(wanted)


def load_mapping(path: Path) -> HubSpotMapping:
    """Read and validate the mapping file; any problem is a ConfigError naming the file and the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the mapping: {error.strerror}", source=str(path)) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"not valid YAML: {error}", source=str(path)) from None
    try:
        return HubSpotMapping.model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        raise ConfigError(first["msg"], source=str(path), key=".".join(str(p) for p in first["loc"])) from None
