"""Contacts by e-mail address within one source and instance, for files that name contacts by address."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from connector.store.contact_ids import CONTACT_TABLE, ContactKey


def contacts_by_email(
    connection: Connection, source: str, instance: str, emails: Iterable[str]
) -> dict[str, list[ContactKey]]:
    """(object type, CRM id) of the stored contacts holding each address, compared without case; an address held
    by a lead and by the contact it became names both (the outcome writer links them to the same live contact).

    One scan of the instance's addresses: a file naming thousands of contacts would otherwise cost thousands of
    case-insensitive lookups the e-mail index cannot serve.
    """
    wanted = {email.lower() for email in emails}
    if not wanted:
        return {}
    c = CONTACT_TABLE.c
    address = func.lower(c.email)
    query = select(address, c.object_type, c.crm_id).where(
        c.source == source, c.instance == instance, c.email.is_not(None)
    )
    found: dict[str, list[ContactKey]] = {}
    for email, object_type, crm_id in connection.execute(query):
        if email in wanted:
            found.setdefault(email, []).append((object_type, crm_id))
    return found
