"""Reading Salesforce Accounts (the `accounts` stream) and the links of leads and contacts to them.

Accounts are read like the other streams (adapters/salesforce/pull.py): ascending (SystemModstamp, Id) from the
bookmark minus the lookback, with queryAll, so deleted accounts come flagged by IsDeleted. Merging deletes the
other ("victim") accounts and makes the master the parent of their related records; a merged-away account keeps
the master's id in MasterRecordId, and queryAll is how Salesforce says to find merged records
(https://developer.salesforce.com/docs/platform/api/guide/sforce-api-calls-merge.html). The contacts' new
AccountId reaches us with the contacts stream.
A Contact names its account in AccountId; a converted Lead in ConvertedAccountId. Unconverted leads belong to no
account in Salesforce: the core matches them (email domain, company) as `accounts.match_leads_by` says.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from adapters.salesforce.account_mapping import AccountMapping
from adapters.salesforce.mapping import ObjectMapping
from adapters.salesforce.normalize import contact_record, field_value, is_deleted, mapped_values, parse_timestamp
from adapters.salesforce.pull import StreamObject
from connector.crm import ACCOUNT_FIELDS, AccountLink, AccountRecord, ContactRecord
from connector.crm import bare_domain as web_domain  # a Website value read as the port's bare domain

#: Read on every Account row beyond the stream's base fields: the survivor of a merge.
MERGE_FIELD = "MasterRecordId"
_ACCOUNT_TYPES = {name: kind for name, kind in typing.get_type_hints(AccountRecord).items() if name in ACCOUNT_FIELDS}


@dataclass(frozen=True)
class AccountLinkField:
    field: str
    matched_by: str


#: Where a lead or contact names its account, and how the link is reported (connector/crm.py AccountLink).
ACCOUNT_LINKS: Mapping[str, AccountLinkField] = {
    "Contact": AccountLinkField("AccountId", "account"),
    "Lead": AccountLinkField("ConvertedAccountId", "converted"),
}


def account_stream_object(base_fields: Sequence[str], mapping: AccountMapping) -> StreamObject[AccountRecord]:
    """What the accounts stream reads: the base fields, the merge survivor, the mapped fields and the stage field
    ScoreBridge writes (each once: Salesforce refuses a field selected twice)."""
    shown = (mapping.write_back["stage"],) if "stage" in mapping.write_back else ()
    fields = tuple(
        dict.fromkeys((*base_fields, MERGE_FIELD, *(spec.field for spec in mapping.fields.values()), *shown))
    )
    return StreamObject(mapping.object, fields, partial(account_record, mapping=mapping))


def account_record(row: Mapping[str, Any], mapping: AccountMapping) -> AccountRecord:
    """An Account row as an account; a value that cannot be read is left empty with a warning."""
    mapped = mapped_values(row, mapping.fields, _ACCOUNT_TYPES)
    if "domain" in mapped.known:
        website = str(mapped.known.pop("domain"))
        domain = web_domain(website)
        if domain:
            mapped.known["domain"] = domain
        else:
            mapped.warnings["domain"] = f"{mapping.fields['domain'].field}: {website!r} is not a web address"
    deleted = is_deleted(row)
    master = field_value(row, MERGE_FIELD) if deleted else None
    return AccountRecord(
        object_type=mapping.object,
        crm_id=str(row["Id"]),
        created_at=parse_timestamp(field_value(row, "CreatedDate")),
        modified_at=parse_timestamp(field_value(row, "SystemModstamp")),
        extra=mapped.extra,
        deleted=deleted,
        merged_into=str(master) if master else None,
        warnings=mapped.warnings,
        shown_stage=_shown_stage(row, mapping),
        **mapped.known,
    )


def _shown_stage(row: Mapping[str, Any], mapping: AccountMapping) -> str | None:
    """What the account's ScoreBridge stage field holds: what the core last wrote there."""
    field = mapping.write_back.get("stage")
    value = field_value(row, field) if field else None
    return str(value) if value else None


def account_links(object_type: str, row: Mapping[str, Any]) -> tuple[AccountLink, ...]:
    """The account a row belongs to in Salesforce's own terms (an unconverted lead: none)."""
    link = ACCOUNT_LINKS.get(object_type)
    account_id = field_value(row, link.field) if link else None
    return (AccountLink(str(account_id), True, link.matched_by),) if link and account_id else ()


def linked_contact_record(object_type: str, row: Mapping[str, Any], mapping: ObjectMapping) -> ContactRecord:
    """A Lead or Contact row as a contact with its account link."""
    return contact_record(object_type, row, mapping, accounts=account_links(object_type, row))


def link_fields(object_type: str) -> tuple[str, ...]:
    """What a Lead or Contact query selects to know its account."""
    link = ACCOUNT_LINKS.get(object_type)
    return (link.field,) if link else ()
