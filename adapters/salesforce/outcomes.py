"""The outcomes stream: opportunities, each with every contact it belongs to, read incrementally.

An outcome record carries all of an opportunity's contacts, but contact roles are rows of their own
(OpportunityContactRole) with their own SystemModstamp, and adding or removing a role is not an edit of the
Opportunity. So an incremental read follows both objects in one ordered stream (their first pages share one
Composite call) and a changed role re-emits the opportunity it belongs to. Each page then looks up, for the
opportunities it touches, their current roles, the leads converted into them (Lead.ConvertedOpportunityId) and the
opportunity rows that only a role change brought in: up to five queries per Composite call, ids in IN lists of
IDS_PER_QUERY, whose SOQL travels in the Composite body rather than a URL (Salesforce: "Maximum number of rows
returned by SOQL queries over the REST API", https://help.salesforce.com/s/articleView?id=000386264: URIs stop at
16,384 bytes, SOQL statements at 100,000 characters).
A first sync reads Opportunity alone: every role belongs to an opportunity it reads, so following roles too would
read each of them twice. Deleted opportunities and roles come through queryAll like every incremental stream's;
deleting an opportunity deletes its roles.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.salesforce import soql
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import Query, first_pages, pages_from
from adapters.salesforce.mapping import OutcomeOptions
from adapters.salesforce.normalize import field_value, is_deleted, outcome_contacts, outcome_record
from adapters.salesforce.pull import StreamObject
from connector.crm import Bookmark, OutcomeRecord, Page

OPPORTUNITY = "Opportunity"
CONTACT_ROLE = "OpportunityContactRole"
ROLE_FIELDS = ("Id", "OpportunityId", "ContactId", "Role", "IsPrimary")
CONVERTED_LEAD_FIELDS = ("Id", "ConvertedOpportunityId", "ConvertedContactId")
#: About 22,000 characters of SOQL per query: well inside the statement limit, and a page of 2,000 opportunities
#: needs four such queries (roles and converted leads), one Composite call.
IDS_PER_QUERY = 1000
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Touched:
    """An opportunity a stream row says changed; `row` is the opportunity's own row when the stream row is it."""

    opportunity_id: str
    row: Row | None = None


def opportunity_fields(base: Sequence[str], options: OutcomeOptions) -> tuple[str, ...]:
    optional = (options.lead_source.field if options.lead_source else None, options.pipeline, options.currency)
    wanted = (*base, "StageName", "IsClosed", "IsWon", "CloseDate", options.amount, *optional)
    return tuple(dict.fromkeys(name for name in wanted if name))


def stream_objects(base: Sequence[str], options: OutcomeOptions, since: Bookmark | None) -> list[StreamObject[Any]]:
    """What the stream reads: opportunities, and on incremental reads the contact roles that changed."""
    opportunities = StreamObject(OPPORTUNITY, opportunity_fields(base, options), _opportunity_touched)
    if since is None:
        return [opportunities]
    return [opportunities, StreamObject(CONTACT_ROLE, (*base, "OpportunityId"), _role_touched)]


def _opportunity_touched(row: Row) -> Touched:
    return Touched(str(row["Id"]), row)


def _role_touched(row: Row) -> Touched | None:
    opportunity_id = field_value(row, "OpportunityId")
    return Touched(str(opportunity_id)) if opportunity_id else None


class OutcomeAssembler:
    """Turns each page of touched opportunities into outcome records with their contacts, keeping its bookmark."""

    def __init__(
        self,
        client: SalesforceClient,
        options: OutcomeOptions,
        *,
        base: Sequence[str],
        page_size: int,
        link_leads: bool = True,
    ) -> None:
        self._link_leads = link_leads
        self._client = client
        self._options = options
        self._base = base
        self._page_size = page_size

    def pages(self, touched_pages: Iterator[Page[Any]]) -> Iterator[Page[OutcomeRecord]]:
        for page in touched_pages:
            records, unseen = self._records(page.records)
            yield Page(records=records, bookmark=page.bookmark, skipped=page.skipped + unseen)

    def _records(self, touched: Sequence[Touched]) -> tuple[list[OutcomeRecord], int]:
        """The page's opportunities as records, and how many a role named that this user cannot read at all."""
        rows = {item.opportunity_id: item.row for item in touched if item.row is not None}
        wanted = list(dict.fromkeys(item.opportunity_id for item in touched))
        live = [key for key in wanted if key not in rows or not is_deleted(rows[key])]
        missing = [key for key in wanted if key not in rows]
        found = self._look_up(missing, live)
        rows |= {str(row["Id"]): row for row in found[OPPORTUNITY]}
        roles = _by(found[CONTACT_ROLE], "OpportunityId")
        leads = _by(found["Lead"], "ConvertedOpportunityId")
        records = []
        for key in wanted:
            if key in rows:
                records.append(outcome_record(rows[key], self._contacts(rows[key], roles, leads), self._options))
        return records, len(wanted) - len(records)

    def _contacts(self, row: Row, roles: Mapping[str, list[Row]], leads: Mapping[str, list[Row]]) -> list[Any]:
        if is_deleted(row):
            return []
        key = str(row["Id"])
        return outcome_contacts(roles.get(key, []), leads.get(key, []), with_leads=self._link_leads)

    def _look_up(self, missing: Sequence[str], live: Sequence[str]) -> dict[str, list[Row]]:
        """Opportunity rows by id (deleted ones too), current roles and converted leads of the live ones."""
        fields = opportunity_fields(self._base, self._options)
        asked = [
            *_by_ids(OPPORTUNITY, fields, "Id", missing, include_deleted=True),
            *_by_ids(CONTACT_ROLE, ROLE_FIELDS, "OpportunityId", live),
            *_by_ids("Lead", CONVERTED_LEAD_FIELDS, "ConvertedOpportunityId", live),
        ]
        found: dict[str, list[Row]] = {OPPORTUNITY: [], CONTACT_ROLE: [], "Lead": []}
        firsts = first_pages(self._client, [query for _, query in asked], batch_size=self._page_size)
        for (object_name, query), first in zip(asked, firsts, strict=True):
            for rows in pages_from(self._client, first, what=query.what, batch_size=self._page_size):
                found[object_name].extend(rows)
        return found


def _by_ids(
    object_name: str, fields: Sequence[str], key: str, ids: Sequence[str], *, include_deleted: bool = False
) -> Iterator[tuple[str, Query]]:
    for chunk in soql.chunked(ids, IDS_PER_QUERY):
        statement = soql.select(object_name, fields, [soql.in_condition(key, chunk)])
        yield object_name, Query(statement, f"look-up of {object_name} by {key}", include_deleted=include_deleted)


def _by(rows: Sequence[Row], key: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(str(field_value(row, key)), []).append(row)
    return grouped
