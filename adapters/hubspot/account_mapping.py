"""The `accounts:` section of ``mappings/hubspot.yaml``: which company properties become ScoreBridge accounts, how
the core matches contacts HubSpot links to no company, and which company properties receive the account scores.

    accounts:
      object: companies
      fields: {name: name, domain: domain, is_customer: {property: lifecyclestage, values: {customer: true}}}
      match_leads_by: []            # HubSpot links contacts to companies itself: no matching unless asked
      write_back: {score: scorebridge_account_score, stage: {name: ..., label: ..., type: string}}

A write-back entry is a property name (its type follows the target: a number or text) or the long form of the
contacts' `write_back.properties`. `setup` creates the properties in the contacts' ScoreBridge group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator, model_validator

from adapters.hubspot.mapping_forms import Frozen, WriteProperty, check_holds, only_known, split_value_maps
from adapters.value_map import ValueMap
from connector.crm import ACCOUNT_FIELDS, ACCOUNT_TARGETS, TargetKind, unknown_account_target

ACCOUNT_OBJECT = "companies"
#: How a ScoreWrite or TaskRequest may name the company object: the mapping's `object`, HubSpot's singular, and
#: the object type id HubSpot accepts in its place.
COMPANY_OBJECT_NAMES = frozenset({ACCOUNT_OBJECT, "company", "0-2"})
#: How the core may match a contact HubSpot links to no company (connector.crm.CrmAdapter.account_matching).
MATCH_KEYS = ("domain", "company")
#: HubSpot's property type and field type for a plain property name, by what the target holds; the reasons
#: are several lines, so they get a multi-line text field.
PLAIN_PROPERTY = {TargetKind.NUMBER: ("number", "number"), TargetKind.TEXT: ("string", "text")}
MULTI_LINE_TARGETS = frozenset({"reasons"})


class AccountMapping(Frozen):
    #: HubSpot keeps accounts as companies; the key is there so that a mapping says what it reads.
    object: Literal["companies"] = ACCOUNT_OBJECT
    #: Normalized account field -> company property (long form: with a value map, as the contacts').
    fields: dict[str, str] = Field(min_length=1)
    #: Normalized account field -> how its property's values are translated (from the long forms).
    values: dict[str, ValueMap] = Field(default_factory=dict)
    #: More company properties carried along in AccountRecord.extra.
    extra: tuple[str, ...] = ()
    #: How the core matches contacts without a company association; none by default, as HubSpot associates.
    match_leads_by: tuple[Literal["domain", "company"], ...] = ()
    #: Read archived companies every incremental run (a listing call or more) or only at backfills.
    archived: Literal["every_run", "backfill"] = "every_run"
    #: Account write target (connector.score_catalog.ACCOUNT_TARGETS) -> company property.
    write_back: dict[str, WriteProperty] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _long_forms(cls, raw: object) -> object:
        return _plain_write_back(split_value_maps(raw, "fields", "values"))

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(only_known(value, ACCOUNT_FIELDS, "ScoreBridge account fields"))

    @field_validator("match_leads_by")
    @classmethod
    def _once_each(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"name each way to match once, got {list(value)}")
        return value

    @field_validator("write_back")
    @classmethod
    def _known_targets(cls, value: dict[str, WriteProperty]) -> dict[str, WriteProperty]:
        for target, prop in value.items():
            problem = unknown_account_target(target)
            if problem:
                raise ValueError(problem)
            check_holds(target, prop, ACCOUNT_TARGETS[target])
        return value

    def properties(self) -> list[str]:
        """Every company property a pull asks for."""
        shown = {self.write_back["stage"].name} if "stage" in self.write_back else set()
        return sorted({*self.fields.values(), *self.extra, *shown, "hs_lastmodifieddate", "createdate", "hs_object_id"})


def _plain_write_back(raw: object) -> object:
    """Turn `score: scorebridge_account_score` into the long form, typed by what the target holds."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("write_back"), Mapping):
        return raw
    entries = {}
    for target, item in raw["write_back"].items():
        kind = ACCOUNT_TARGETS.get(target, TargetKind.NUMBER)  # an unknown target is refused by _known_targets
        if isinstance(item, str):
            prop_type, field_type = PLAIN_PROPERTY[kind]
            label = f"ScoreBridge account {target.replace('_', ' ')}"
            field_type = "textarea" if target in MULTI_LINE_TARGETS else field_type
            item = {"name": item, "label": label, "type": prop_type, "field_type": field_type}
        entries[target] = item
    return {**raw, "write_back": entries}


def is_company_object(object_type: str) -> bool:
    """Whether a ScoreWrite or TaskRequest names a company (else it names a contact)."""
    return object_type.lower() in COMPANY_OBJECT_NAMES
