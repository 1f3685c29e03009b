"""A contact's companies as HubSpot associates them: the primary one first, then the others.

Every contact -> company association carries the unlabeled type 279; the primary company's carries type 1
("Primary") as well (HUBSPOT_DEFINED type ids: https://developers.hubspot.com/docs/api/crm/associations).

A list page asked with ``associations=companies`` carries them for free (v3 names the types
``contact_to_company`` for the primary and ``contact_to_company_unlabeled``; a block of more than 100 is paged,
and those few contacts are read again through v4). A search page carries none: one v4 batch read answers up to
1,000 contacts, so a page of changed contacts costs one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.pull import Associated, read_labeled_associations
from connector.crm import AccountLink

CONTACT_TO_PRIMARY_COMPANY = 1
V3_PRIMARY_TYPE = "contact_to_company"
LIST_ASSOCIATIONS = ("companies",)
MATCHED_BY = "association"


def company_links(client: HubSpotClient, contact_ids: Sequence[str]) -> dict[str, list[AccountLink]]:
    """Contact id -> its companies, primary first; contacts with no company are left out."""
    if not contact_ids:
        return {}
    associated = read_labeled_associations(client, "contacts", "companies", list(contact_ids))
    return {contact: links_of(targets) for contact, targets in associated.items() if targets}


def listed_links(client: HubSpotClient, objects: Sequence[Any]) -> dict[str, list[AccountLink]]:
    """Contact id -> its companies, from list results asked with `LIST_ASSOCIATIONS`."""
    links: dict[str, list[AccountLink]] = {}
    cut_short: list[str] = []
    for obj in objects:
        block = (getattr(obj, "associations", None) or {}).get("companies")
        if block is None:
            continue
        if getattr(getattr(block, "paging", None), "next", None):
            cut_short.append(str(obj.id))
            continue
        targets = [Associated(str(e.id), type_ids=_v3_type_ids(e.type)) for e in block.results or []]
        links[str(obj.id)] = links_of(targets)
    return links | company_links(client, cut_short)


def _v3_type_ids(name: str | None) -> tuple[int, ...]:
    return (CONTACT_TO_PRIMARY_COMPANY,) if name == V3_PRIMARY_TYPE else ()


def links_of(targets: Sequence[Associated]) -> list[AccountLink]:
    """One link per company (a company named twice is one link), the primary one first."""
    primary: dict[str, bool] = {}
    for target in targets:
        primary[target.object_id] = primary.get(target.object_id, False) or _is_primary(target)
    ordered = sorted(primary, key=lambda company: not primary[company])  # stable: HubSpot's order otherwise
    return [AccountLink(company, primary[company], MATCHED_BY) for company in ordered]


def _is_primary(target: Associated) -> bool:
    return CONTACT_TO_PRIMARY_COMPANY in target.type_ids or "Primary" in target.labels
