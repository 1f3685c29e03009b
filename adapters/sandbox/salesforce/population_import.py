"""Turns the neutral generated population into Salesforce records.

Owners become Users, people Leads (open pipeline) or Contacts (customers and converted leads; a converted person
also keeps a converted Lead pointing at the Contact), and the companies that have Contacts Accounts (owned by their
first Contact's owner, with a Website): leads at those companies share the account's email domain and name, so
matching has something to find, and leads at other companies match no account at all. The population's deals
(`adapters/sandbox/outcomes.py`) become Opportunities with OpportunityContactRoles; a role needs a Contact, so
everyone on a deal is converted, and the deal's primary person was converted with it: their Lead's
ConvertedOpportunityId names it, as Salesforce's lead conversion does. Touches become what Salesforce would hold:
email engagement as completed Tasks ('Email Opened: <campaign>'), calls as Call Tasks with a CallDisposition,
demos and meetings as Events, webinar and form responses as CampaignMembers. Salesforce has no page views of its
own (they live in Account Engagement, a separate API), so page_view touches are skipped. Every record is backdated
to its touch: CreatedDate and SystemModstamp carry the touch time. The Users report to a sales director
(User.ManagerId, `reps.py`), whom follow-up escalations go to.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from adapters.sandbox.outcomes import Deal, generate_outcomes
from adapters.sandbox.salesforce import deal_records
from adapters.sandbox.salesforce.org_routines import apply_org_routines
from adapters.sandbox.salesforce.records import RecordStore
from adapters.sandbox.salesforce.reps import add_director
from adapters.sandbox.salesforce.values import format_datetime

LEAD_STATUS = {
    "open": "New",
    "working": "Working",
    "nurturing": "Nurturing",
    "qualified": "Qualified",
    "unqualified": "Unqualified",
}
TASK_SUBJECTS = {
    "email_open": "Email Opened",
    "email_click": "Email Clicked",
    "email_bounce": "Email Bounced",
    "unsubscribe": "Unsubscribed",
    "demo_scheduled": "Demo Scheduled",
}
MEMBER_STATUS = {"webinar_registered": "Registered", "webinar_attended": "Attended", "form_fill": "Submitted"}
#: Later statuses win when one person has several touches of one campaign.
MEMBER_STATUS_RANK = {"Registered": 1, "Submitted": 2, "Attended": 3}
SKIPPED_KINDS = frozenset({"page_view"})
#: A custom field Developer Edition orgs ship with on Lead; the sandbox adds it to Contact as well.
PRODUCT_INTEREST = "ProductInterest__c"


@dataclass
class PopulationIndex:
    """Which Salesforce record each population key became, so later touches attach to the same records."""

    users: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)
    owners_of_people: dict[str, str] = field(default_factory=dict)
    campaigns: dict[str, str] = field(default_factory=dict)
    members: dict[tuple[str, str], str] = field(default_factory=dict)
    opportunities: dict[str, str] = field(default_factory=dict)


def _stamp(moment: datetime) -> dict[str, str]:
    text = format_datetime(moment)
    return {"CreatedDate": text, "LastModifiedDate": text, "SystemModstamp": text}


class PopulationImporter:
    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.index = PopulationIndex()

    def import_population(self, population: Any, deals: Sequence[Deal] | None = None) -> dict[str, int]:
        """Load a population and its deals (by default the ones `generate_outcomes` makes for it)."""
        before = {obj.name: self.store.count(obj.name) for obj in self.store.schema}
        start = population.now - timedelta(days=365)
        for owner in population.owners:
            self._add_user(owner, start)
        add_director(self.store, [self.index.users[owner.key] for owner in population.owners], start)
        companies = {company.key: company for company in population.companies}
        customers = {person.company_key for person in population.people if person.is_customer}
        touches_of: dict[str, list[Any]] = {}
        for touch in population.touches:
            touches_of.setdefault(touch.person_key, []).append(touch)
        if deals is None:
            deals = generate_outcomes(population, seed=population.seed)
        on_deals = {contact.person_key for deal in deals for contact in deal.contacts}
        for company_key, owner_key in _account_owners(population.people, on_deals).items():
            self._add_account(companies[company_key], company_key in customers, owner_key, start)
        people = {person.key: person for person in population.people}
        for deal in deals:
            self._add_opportunity(deal, people[deal.contacts[0].person_key])
        deal_of = {deal.contacts[0].person_key: deal for deal in deals}
        for person in population.people:
            touches = touches_of.get(person.key, [])
            conversion = _Conversion(person.key in on_deals, deal_of.get(person.key))
            self._add_person(person, companies[person.company_key], touches, population.now, conversion)
            self.add_touches(touches)
        for deal in deals:
            self._add_contact_roles(deal)
        apply_org_routines(self.store, population.now)
        return {obj.name: self.store.count(obj.name) - before[obj.name] for obj in self.store.schema}

    def add_touches(self, touches: Iterable[Any]) -> int:
        """Record touches of already-imported people ("the users keep working"); returns how many were stored."""
        stored = 0
        for touch in touches:
            if touch.kind in SKIPPED_KINDS or touch.person_key not in self.index.people:
                continue
            if touch.kind in MEMBER_STATUS:
                self._add_member(touch)
            elif touch.kind in ("demo_attended", "meeting"):
                self._add_event(touch)
            else:
                self._add_task(touch)
            stored += 1
        return stored

    # -- people and companies -----------------------------------------------------------------------------

    def _add_user(self, owner: Any, start: datetime) -> None:
        self.index.users[owner.key] = self.store.insert(
            "User",
            {
                "Username": owner.email,
                "Email": owner.email,
                "FirstName": owner.first_name,
                "LastName": owner.last_name,
                "Alias": (owner.first_name[:1] + owner.last_name[:4]).lower(),
                "Title": "Account Executive",
                **_stamp(start),
            },
            canonical=True,
        )

    def _add_account(self, company: Any, is_customer: bool, owner_key: str, start: datetime) -> None:
        self.index.accounts[company.key] = self.store.insert(
            "Account",
            {
                "OwnerId": self.index.users[owner_key],
                "Name": company.name,
                "Industry": company.industry,
                "NumberOfEmployees": company.employees,
                "AnnualRevenue": company.annual_revenue,
                "BillingCountry": company.country,
                "Website": f"https://www.{company.domain}",
                "Type": "Customer - Direct" if is_customer else "Prospect",
                **_stamp(start),
            },
            canonical=True,
        )

    def _add_person(
        self, person: Any, company: Any, touches: list[Any], now: datetime, conversion: _Conversion
    ) -> None:
        owner_id = self.index.users[person.owner_key]
        activity = _activity_fields(touches)
        common = {
            "FirstName": person.first_name,
            "LastName": person.last_name,
            "Title": person.title,
            "Email": person.email,
            "LeadSource": person.lead_source,
            "HasOptedOutOfEmail": person.opted_out,
            "OwnerId": owner_id,
            PRODUCT_INTEREST: person.product_interest,
            **activity,
            **_stamp(person.created_at),
        }
        if _becomes_contact(person, conversion.on_deal):
            contact_id = self.store.insert(
                "Contact",
                {**common, "AccountId": self.index.accounts[company.key], "MailingCountry": company.country},
                canonical=True,
            )
            self.index.people[person.key] = contact_id
            if conversion.deal is not None:
                opportunity_id = self.index.opportunities[conversion.deal.key]
                self._add_converted_lead(common, company, contact_id, conversion.deal.created_at, opportunity_id)
            elif person.converted or conversion.on_deal:
                self._add_converted_lead(common, company, contact_id, _conversion_time(person, touches, now))
        else:
            self.index.people[person.key] = self.store.insert(
                "Lead", {**common, **_lead_company(company), "Status": LEAD_STATUS[person.status]}, canonical=True
            )
        self.index.owners_of_people[person.key] = owner_id

    def _add_converted_lead(
        self, common: dict, company: Any, contact_id: str, converted_at: datetime, opportunity_id: str | None = None
    ) -> None:
        self.store.insert(
            "Lead",
            {
                **common,
                **_lead_company(company),
                "Status": "Qualified",
                "IsConverted": True,
                "ConvertedContactId": contact_id,
                "ConvertedAccountId": self.index.accounts[company.key],
                "ConvertedOpportunityId": opportunity_id,
                "ConvertedDate": converted_at.date().isoformat(),
                "LastModifiedDate": format_datetime(converted_at),
                "SystemModstamp": format_datetime(converted_at),
            },
            canonical=True,
        )

    # -- outcomes -----------------------------------------------------------------------------------------

    def _add_opportunity(self, deal: Deal, primary: Any) -> None:
        account_id, owner_id = self.index.accounts[primary.company_key], self.index.users[primary.owner_key]
        fields = deal_records.opportunity(deal, account_id, owner_id)
        self.index.opportunities[deal.key] = self.store.insert("Opportunity", fields, canonical=True)

    def _add_contact_roles(self, deal: Deal) -> None:
        opportunity_id = self.index.opportunities[deal.key]
        for person in deal.contacts:
            fields = deal_records.contact_role(deal, person, opportunity_id, self.index.people[person.person_key])
            self.store.insert("OpportunityContactRole", fields, canonical=True)

    # -- activity -----------------------------------------------------------------------------------------

    def _campaign(self, name: str, kind: str, at: datetime) -> str:
        if name not in self.index.campaigns:
            self.index.campaigns[name] = self.store.insert(
                "Campaign",
                {
                    "Name": name[:80],
                    "Type": kind,
                    "Status": "In Progress",
                    "IsActive": True,
                    "StartDate": at.date().isoformat(),
                    **_stamp(at),
                },
                canonical=True,
            )
        return self.index.campaigns[name]

    def _add_task(self, touch: Any) -> None:
        detail = touch.detail
        fields: dict[str, Any] = {
            "WhoId": self.index.people[touch.person_key],
            "OwnerId": self.index.owners_of_people[touch.person_key],
            "Status": "Completed",
            "Priority": "Normal",
            "ActivityDate": touch.at.date().isoformat(),
            **_stamp(touch.at),
        }
        if touch.kind in ("call", "not_interested"):
            outcome = detail.get("outcome", "not interested")
            fields |= {
                "Subject": "Call",
                "TaskSubtype": "Call",
                "Type": "Call",
                "CallType": "Outbound",
                "CallDisposition": outcome.capitalize(),
                "CallDurationInSeconds": _call_seconds(touch, outcome),
            }
        else:
            topic = detail.get("campaign") or detail.get("product") or detail.get("subject") or "Email"
            fields |= {
                "Subject": f"{TASK_SUBJECTS.get(touch.kind, touch.kind)}: {topic}"[:255],
                "TaskSubtype": "Email" if touch.kind != "demo_scheduled" else "Task",
                "Description": detail.get("url") or detail.get("subject"),
            }
            if "campaign" in detail:
                fields["WhatId"] = self._campaign(detail["campaign"], "Email", touch.at)
        self.store.insert("Task", fields, canonical=True)

    def _add_event(self, touch: Any) -> None:
        detail = touch.detail
        subject = f"Demo: {detail['product']}" if touch.kind == "demo_attended" else "Meeting"
        if detail.get("outcome") == "no show":
            subject += " (no show)"
        start = format_datetime(touch.at)
        self.store.insert(
            "Event",
            {
                "Subject": subject,
                "WhoId": self.index.people[touch.person_key],
                "Type": "Meeting",
                "OwnerId": self.index.owners_of_people[touch.person_key],
                "ActivityDate": touch.at.date().isoformat(),
                "ActivityDateTime": start,
                "StartDateTime": start,
                "DurationInMinutes": 30,
                "EndDateTime": format_datetime(touch.at + timedelta(minutes=30)),
                "EventSubtype": "Event",
                "Location": detail.get("channel"),
                "Description": detail.get("outcome"),
                **_stamp(touch.at),
            },
            canonical=True,
        )

    def _add_member(self, touch: Any) -> None:
        """One CampaignMember per person and campaign (Salesforce allows no duplicates); later touches move its
        Status forward (Registered -> Attended) and its SystemModstamp with it."""
        name = touch.detail.get("campaign") or f"Web Form - {touch.detail.get('form', 'Contact Us')}"
        campaign_id = self._campaign(name, "Webinar" if touch.kind.startswith("webinar") else "Other", touch.at)
        person_id = self.index.people[touch.person_key]
        status = MEMBER_STATUS[touch.kind]
        key = (campaign_id, person_id)
        member_id = self.index.members.get(key)
        if member_id is None:
            who = "ContactId" if person_id.startswith("003") else "LeadId"
            self.index.members[key] = self.store.insert(
                "CampaignMember",
                {
                    "CampaignId": campaign_id,
                    who: person_id,
                    "Status": status,
                    "FirstRespondedDate": touch.at.date().isoformat(),
                    **_stamp(touch.at),
                },
                canonical=True,
            )
            return
        current = self.store.get(member_id)
        if current and MEMBER_STATUS_RANK[status] > MEMBER_STATUS_RANK.get(current["Status"], 0):
            stamp = format_datetime(touch.at)
            self.store.update(
                "CampaignMember",
                member_id,
                {"Status": status, "LastModifiedDate": stamp, "SystemModstamp": stamp},
                trusted=True,
            )


@dataclass(frozen=True)
class _Conversion:
    """Why a person is a Contact beyond the population's own flags: a role on a deal, or the deal they converted
    with (its primary person)."""

    on_deal: bool
    deal: Deal | None


def _becomes_contact(person: Any, on_deal: bool) -> bool:
    """Customers, converted leads and everyone on a deal are Contacts; the open pipeline stays Leads."""
    return person.is_customer or person.converted or on_deal


def _account_owners(people: Iterable[Any], on_deals: set[str]) -> dict[str, str]:
    """Company key -> the owner of its first Contact, for the companies that have Contacts: an org holds Accounts
    for the companies it sells to, so a lead at any other company matches no account (by domain or name)."""
    owners: dict[str, str] = {}
    for person in people:
        if _becomes_contact(person, person.key in on_deals):
            owners.setdefault(person.company_key, person.owner_key)
    return owners


def _lead_company(company: Any) -> dict[str, Any]:
    return {
        "Company": company.name,
        "Industry": company.industry,
        "NumberOfEmployees": company.employees,
        "AnnualRevenue": company.annual_revenue,
        "Country": company.country,
    }


def _activity_fields(touches: list[Any]) -> dict[str, Any]:
    """LastActivityDate and EmailBouncedDate, which Salesforce keeps on the lead or contact itself."""
    fields: dict[str, Any] = {}
    dated = [touch.at for touch in touches if touch.kind not in SKIPPED_KINDS]
    if dated:
        fields["LastActivityDate"] = max(dated).date().isoformat()
    bounces = [touch.at for touch in touches if touch.kind == "email_bounce"]
    if bounces:
        fields["EmailBouncedDate"] = format_datetime(max(bounces))
    return fields


def _conversion_time(person: Any, touches: list[Any], now: datetime) -> datetime:
    """When the lead was converted: at its first demo or meeting, else two weeks after it was created."""
    decisive = [touch.at for touch in touches if touch.kind in ("demo_attended", "meeting")]
    return min(decisive) if decisive else min(person.created_at + timedelta(days=14), now)


def _call_seconds(touch: Any, outcome: str) -> int:
    if outcome in ("no answer", "wrong number"):
        return 0
    return 30 + zlib.crc32(touch.key.encode()) % 900  # stable across runs, unlike hash()
