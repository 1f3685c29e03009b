"""Matching leads the CRM links to no account: by email domain or by company name, in the store, set-based.

A Salesforce lead has no AccountId, and a HubSpot contact may have no company association; the mapping's
`accounts.match_leads_by` (the adapter's `account_matching()`) says how ScoreBridge may place them itself:
- "domain": the part of the contact's email after the @, lower case, equals an account's `domain`;
- "company": the contact's company, trimmed and lower case, equals an account's name the same way.
Only a unique match counts (two live accounts of the same domain or name match nobody), the first method in the
mapping's order that finds one wins, and an address at a free-mail domain (`FREE_MAIL_DOMAINS`) never matches by
domain: a gmail.com address says nothing about the company. A CRM link always wins over a match
(`account_links.py`); matches are re-evaluated after every pull of contacts and accounts, and the contacts whose
match changed are queued for a rescore.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, tuple_
from sqlalchemy.engine import Connection

from connector.store.account_links import CRM_LINKS
from connector.store.account_writer import ACCOUNT_LINK_TABLE
from connector.store.bulk import raw_rows
from connector.store.contact_ids import LOOKUP_KEYS, chunked
from connector.store.rescore_queue import queue_for_rescore

MATCH_METHODS = ("domain", "company")
#: Consumer mailbox providers: a lead writing from one of them works anywhere. A short list of the largest
#: providers; `match_leads(free_mail=...)` takes another where a market needs it.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "proton.me",
        "protonmail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    }
)

#: A stored match: (contact id, account id, method).
Match = tuple[int, int, str]


def match_leads(
    connection: Connection,
    source: str,
    instance: str,
    methods: Sequence[str],
    free_mail: Iterable[str] = FREE_MAIL_DOMAINS,
) -> int:
    """Bring the matches of the connection's unlinked contacts up to date; returns how many contacts changed."""
    unknown = set(methods) - set(MATCH_METHODS)
    if unknown:
        raise ValueError(f"unknown lead matching {sorted(unknown)}; methods are {', '.join(MATCH_METHODS)}")
    wanted = set(_wanted_matches(connection, source, instance, tuple(methods), frozenset(free_mail)))
    stored = set(_stored_matches(connection, source, instance))
    gone, added = stored - wanted, wanted - stored
    link = ACCOUNT_LINK_TABLE.c
    for batch in chunked(sorted(gone), LOOKUP_KEYS):
        pairs = [(contact_id, account_id) for contact_id, account_id, _ in batch]
        connection.execute(delete(ACCOUNT_LINK_TABLE).where(tuple_(link.contact_id, link.account_id).in_(pairs)))
    if added:
        rows = [{"contact_id": c, "account_id": a, "is_primary": True, "matched_by": m} for c, a, m in sorted(added)]
        connection.execute(insert(ACCOUNT_LINK_TABLE), rows)
    changed = sorted({contact_id for contact_id, _, _ in gone | added})
    queue_for_rescore(connection, changed)
    return len(changed)


def _wanted_matches(
    connection: Connection, source: str, instance: str, methods: tuple[str, ...], free_mail: frozenset[str]
) -> list[Match]:
    """The match each live, CRM-unlinked contact of the connection should have, by the first method that finds one.

    One statement: the connection's live accounts grouped by domain and by name (keeping the keys one account
    holds alone), joined to the unlinked contacts by their email domain and company."""
    if not methods:
        return []
    at, domain = _email_domain_sql(connection)
    free = ", ".join("?" for _ in free_mail) or "''"
    joins = {
        "domain": (
            f" LEFT JOIN by_domain ON {at} > 0 AND by_domain.k = {domain} AND {domain} NOT IN ({free})",
            sorted(free_mail),
        ),
        "company": (" LEFT JOIN by_name ON by_name.k = LOWER(TRIM(c.company))", []),
    }
    table = {"domain": "by_domain", "company": "by_name"}
    crm = ", ".join(f"'{name}'" for name in CRM_LINKS)
    sql = (
        "WITH live AS (SELECT id, domain, LOWER(TRIM(name)) AS name_key FROM account "
        "WHERE source = ? AND instance = ? AND deleted = ? AND merged_into_id IS NULL), "
        "by_domain AS (SELECT domain AS k, MIN(id) AS id FROM live WHERE domain IS NOT NULL AND domain <> '' "
        "GROUP BY domain HAVING COUNT(*) = 1), "
        "by_name AS (SELECT name_key AS k, MIN(id) AS id FROM live WHERE name_key IS NOT NULL AND name_key <> '' "
        "GROUP BY name_key HAVING COUNT(*) = 1) "
        f"SELECT c.id, {', '.join(f'{table[m]}.id' for m in methods)} FROM contact c"
        + "".join(joins[m][0] for m in methods)
        + " WHERE c.source = ? AND c.instance = ? AND c.deleted = ? AND c.merged_into_id IS NULL "
        f"AND ({' OR '.join(f'{table[m]}.id IS NOT NULL' for m in methods)}) "
        f"AND NOT EXISTS (SELECT 1 FROM account_contact l WHERE l.contact_id = c.id AND l.matched_by IN ({crm}))"
    )
    params = [source, instance, False, *(value for m in methods for value in joins[m][1]), source, instance, False]
    matches = []
    for batch in raw_rows(connection, sql, params):
        for row in batch:
            account, method = next((a, m) for a, m in zip(row[1:], methods, strict=True) if a is not None)
            matches.append((row[0], account, method))
    return matches


def _stored_matches(connection: Connection, source: str, instance: str) -> list[Match]:
    sql = (
        "SELECT l.contact_id, l.account_id, l.matched_by FROM account_contact l JOIN contact c ON c.id = l.contact_id "
        "WHERE c.source = ? AND c.instance = ? AND l.matched_by IN (?, ?)"
    )
    return [tuple(row) for batch in raw_rows(connection, sql, (source, instance, *MATCH_METHODS)) for row in batch]


def _email_domain_sql(connection: Connection) -> tuple[str, str]:
    """Where the contact's email has its first @ (0: none), and the domain after it, trimmed and lower case, in the
    dialect's words."""
    at = "STRPOS(c.email, '@')" if connection.dialect.name == "postgresql" else "INSTR(c.email, '@')"
    return at, f"LOWER(TRIM(SUBSTR(c.email, {at} + 1)))"
