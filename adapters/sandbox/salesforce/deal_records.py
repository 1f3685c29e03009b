"""The population's deals as Salesforce records: an Opportunity per deal and an OpportunityContactRole per person
on it, backdated like every generated record (created with the deal, last changed when it closed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from adapters.sandbox.outcomes import Deal, DealContact
from adapters.sandbox.salesforce.values import format_datetime

#: An open deal's expected close date, after it was created (the generator's longest time to close).
EXPECTED_CLOSE = timedelta(days=45)


def opportunity(deal: Deal, account_id: str, owner_id: str) -> dict[str, Any]:
    close = deal.closed_at or deal.created_at + EXPECTED_CLOSE
    changed = format_datetime(deal.closed_at or deal.created_at)
    return {
        "Name": deal.name[:120],
        "AccountId": account_id,
        "StageName": deal.stage,
        "CloseDate": close.date().isoformat(),
        "Amount": deal.amount,
        "LeadSource": deal.lead_source,
        "OwnerId": owner_id,
        "CreatedDate": format_datetime(deal.created_at),
        "LastModifiedDate": changed,
        "SystemModstamp": changed,
    }


def contact_role(deal: Deal, person: DealContact, opportunity_id: str, contact_id: str) -> dict[str, Any]:
    created = format_datetime(deal.created_at)
    return {
        "OpportunityId": opportunity_id,
        "ContactId": contact_id,
        "Role": person.role,
        "IsPrimary": person.primary,
        "CreatedDate": created,
        "LastModifiedDate": created,
        "SystemModstamp": created,
    }
