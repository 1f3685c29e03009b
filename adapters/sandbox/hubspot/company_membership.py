"""Which companies the HubSpot stand-in links each generated contact to, and what a company holds of its people.

The generated population gives every person one company. A HubSpot portal links a contact to the company of its
email domain (the "automatically create and associate companies with contacts" setting), so a contact with a
free-mail address or none has no company; a few contacts also work with a second company (a parent, a partner),
linked without the primary label. The primary link carries types 1 ("Primary") and 279 (unlabeled), another one
279 only: https://developers.hubspot.com/docs/api/crm/associations
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.sandbox import vocabulary as words

CONTACT_TO_PRIMARY_COMPANY = (1, 279)
CONTACT_TO_OTHER_COMPANY = (279,)
#: One contact in this many (by its number) also works with the next company of the population.
SECOND_COMPANY_EVERY = 20
FREEMAIL = frozenset(words.FREEMAIL_DOMAINS)


def linked_companies(person: Any, company_keys: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    """(company key, association type ids) for each company the contact is linked to, the primary first."""
    domain = (person.email or "").rpartition("@")[2].lower()
    if not domain or domain in FREEMAIL:
        return []
    links = [(person.company_key, CONTACT_TO_PRIMARY_COMPANY)]
    number = int("".join(ch for ch in person.key if ch.isdigit()) or 0)
    if number % SECOND_COMPANY_EVERY == 7 and len(company_keys) > 1:
        position = company_keys.index(person.company_key) if person.company_key in company_keys else -1
        links.append((company_keys[(position + 1) % len(company_keys)], CONTACT_TO_OTHER_COMPANY))
    return links


def company_summary(people: Sequence[Any], owner_ids: Mapping[str, str]) -> dict[str, str | None]:
    """A company's owner (its first person's) and lifecycle stage (customer when one of its people is), as a
    portal whose companies follow their contacts holds them."""
    if not people:
        return {"lifecyclestage": "lead"}
    if any(person.is_customer for person in people):
        stage = "customer"
    elif any(person.converted for person in people):
        stage = "opportunity"
    else:
        stage = "lead"
    return {"hubspot_owner_id": owner_ids.get(people[0].owner_key), "lifecyclestage": stage}
