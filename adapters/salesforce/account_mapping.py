"""The `accounts:` section of `mappings/salesforce.yaml`: how Account fields become a normalized account, how the
core may match leads no account holds, and which Account fields receive the account scores."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from adapters.salesforce.field_map import FieldMap, FieldName, Strict, known_targets, short_forms
from connector.crm import unknown_account_target

#: How the core matches a lead the CRM links to no account (connector/crm.py `account_matching`).
AccountMatch = Literal["domain", "company"]


class AccountMapping(Strict):
    """Accounts are read (an `accounts` stream, contacts' AccountId, converted leads' ConvertedAccountId) only when
    the mapping has this section."""

    object: Literal["Account"] = "Account"
    #: Normalized account field (connector/crm.py ACCOUNT_FIELDS) -> source; other names land in `extra`.
    #: `domain` is reduced to the bare domain whatever the field holds (https://www.Acme.com/about -> acme.com).
    fields: dict[str, FieldMap] = Field(default_factory=dict)
    match_leads_by: tuple[AccountMatch, ...] = ()
    #: Account write-back target (connector/score_catalog.py ACCOUNT_TARGETS) -> the Account field receiving it.
    write_back: dict[str, FieldName] = Field(default_factory=dict)

    _short_form = field_validator("fields", mode="before")(short_forms)

    @field_validator("match_leads_by")
    @classmethod
    def _each_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("name each way of matching once")
        return value

    _known_targets = field_validator("write_back")(known_targets(unknown_account_target))
