"""Turning a neutral generated population into a HubSpot portal: owners, companies, contacts, engagements,
marketing email events, form submissions and web events, in HubSpot's own property names and shapes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from adapters.sandbox import outcomes
from adapters.sandbox.hubspot.associations import DEAL_CONTACT_LABELS
from adapters.sandbox.hubspot.company_membership import company_summary, linked_companies
from adapters.sandbox.hubspot.lifecycle import lifecycle_history
from adapters.sandbox.hubspot.marketing import PORTAL_ID, EmailEvent, Form, FormSubmission, WebEvent
from adapters.sandbox.hubspot.portal import Portal
from adapters.sandbox.hubspot.wire import epoch_ms, iso

SITE = "https://www.acme-demo.com"
_NAMESPACE = uuid.UUID("6f0c2a52-4d7e-4f0e-9a57-1d2b3c4d5e6f")

LIFECYCLE_BY_STATUS = {
    "open": "lead",
    "nurturing": "subscriber",
    "working": "marketingqualifiedlead",
    "qualified": "salesqualifiedlead",
    "unqualified": "lead",
}
LEAD_STATUS_BY_STATUS = {
    "open": "NEW",
    "nurturing": "OPEN",
    "working": "IN_PROGRESS",
    "qualified": "CONNECTED",
    "unqualified": "UNQUALIFIED",
}
#: HubSpot records where a contact came from as an analytics source bucket, the detail in `..._data_1`.
ANALYTICS_SOURCE = {
    "Google Ads": "PAID_SEARCH",
    "Organic Search": "ORGANIC_SEARCH",
    "Facebook": "PAID_SOCIAL",
    "LinkedIn": "SOCIAL_MEDIA",
    "Webinar": "OTHER_CAMPAIGNS",
    "Referral": "REFERRALS",
    "Partner": "REFERRALS",
    "Trade Show": "OFFLINE",
    "Cold Call": "OFFLINE",
    "Email Campaign": "EMAIL_MARKETING",
    "Direct Traffic": "DIRECT_TRAFFIC",
    "Content Download": "OTHER_CAMPAIGNS",
}
#: HubSpot's default call dispositions are GUIDs (developers.hubspot.com/docs/api/crm/calls, "call outcome").
CALL_DISPOSITIONS = {
    "connected": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
    "left voicemail": "b2cf5968-551e-4856-9783-52b3da59a7d0",
    "no answer": "73a0d17f-1163-4015-bdd5-ec830791da20",
    "wrong number": "17b47fee-58de-441e-a44c-c6300d46f273",
    "not interested": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
}
#: The generator's stages as the default deal pipeline's stage ids (adapters/sandbox/hubspot/pipelines.py).
DEAL_STAGES = {
    "Prospecting": "appointmentscheduled",
    "Qualification": "qualifiedtobuy",
    "Proposal/Price Quote": "presentationscheduled",
    "Negotiation/Review": "contractsent",
    outcomes.WON_STAGE: "closedwon",
    outcomes.LOST_STAGE: "closedlost",
}
DEAL_TO_CONTACT = 3  # HUBSPOT_DEFINED deal -> contact, unlabeled
EMPLOYEE_BUCKETS = ((5, "1-5"), (25, "5-25"), (50, "25-50"), (100, "50-100"), (500, "100-500"), (1000, "500-1000"))
#: Event type and the type-specific fields of HubSpot's legacy email events (email analytics v1 guide).
EMAIL_EVENT_SHAPES: dict[str, tuple[str, dict[str, Any]]] = {
    "email_open": ("OPEN", {"userAgent": "Mozilla/5.0", "browser": {"name": "Chrome", "family": "Chrome"}}),
    "email_click": ("CLICK", {}),
    "email_bounce": ("BOUNCE", {"category": "UNKNOWN_USER", "status": "5.1.1", "response": "550 No such user"}),
    "unsubscribe": ("STATUSCHANGE", {"subscriptions": [{"id": 1, "status": "UNSUBSCRIBED"}],
                                     "source": "SOURCE_RECIPIENT", "portalSubscriptionStatus": "UNSUBSCRIBED"}),
}  # fmt: skip
WEBINAR_ATTENDED = f"pe{PORTAL_ID}_webinar_attended"
#: The calculated contact property HubSpot updates for each kind of activity (engagements: notes_last_updated).
CONTACT_STAMP_BY_KIND = {
    "email_open": "hs_email_last_open_date",
    "email_click": "hs_email_last_click_date",
    "email_bounce": "hs_email_last_send_date",
    "unsubscribe": "hs_email_last_send_date",
    "form_fill": "recent_conversion_date",
    "webinar_registered": "recent_conversion_date",
    "page_view": "hs_analytics_last_timestamp",
    "webinar_attended": "hs_analytics_last_timestamp",
}


def employee_range(employees: int | None) -> str | None:
    """Contacts hold `numemployees` as HubSpot's enumeration of ranges, not a number."""
    if employees is None:
        return None
    return next((label for top, label in EMPLOYEE_BUCKETS if employees <= top), "1000+")


def seed_portal(portal: Portal, population: Any) -> PopulationSeeder:
    """Add the population's records to the portal (ids continue after anything already there).

    Returns the seeder, which remembers who is who so that later touches of the same people can be added."""
    seeder = PopulationSeeder(portal, population)
    with portal.lock:
        seeder.run()
    return seeder


class PopulationSeeder:
    def __init__(self, portal: Portal, population: Any) -> None:
        self.portal = portal
        self.population = population
        self.owner_ids: dict[str, str] = {}
        self.company_ids: dict[str, int] = {}
        self.contact_ids: dict[str, int] = {}
        self.campaign_ids: dict[tuple[str, str], int] = {}
        self.touches_by_person: dict[str, list[Any]] = defaultdict(list)
        self.deal_of: dict[str, outcomes.Deal] = {}
        self.companies_by_key = {company.key: company for company in population.companies}
        self.company_keys = [company.key for company in population.companies]
        self.people_by_key = {person.key: person for person in population.people}
        self.email_events: list[EmailEvent] = []
        self.submissions: list[FormSubmission] = []
        self.web_events: list[WebEvent] = []

    def run(self) -> None:
        for touch in self.population.touches:
            self.touches_by_person[touch.person_key].append(touch)
        for owner in self.population.owners:
            created = self.population.now - timedelta(days=730)
            self.owner_ids[owner.key] = self.portal.add_owner(
                owner.email, owner.first_name, owner.last_name, created
            ).id
        self._companies()
        deals = outcomes.generate_outcomes(self.population, seed=self.population.seed)
        self.deal_of = {contact.person_key: deal for deal in deals for contact in deal.contacts if contact.primary}
        for person in self.population.people:
            self._contact(person)
        for touch in self.population.touches:
            self._touch(touch)
        self.portal.marketing.add_many(self.email_events, self.submissions, self.web_events)
        for deal in deals:
            self._deal(deal)

    def add_touches(self, touches: Any) -> int:
        """New touches of people already seeded ("the users keep working"); returns how many were added."""
        self.email_events, self.submissions, self.web_events = [], [], []
        known = [touch for touch in touches if touch.person_key in self.contact_ids]
        with self.portal.lock:
            for touch in known:
                self._touch(touch)
                self._stamp_contact(touch)
            self.portal.marketing.add_many(self.email_events, self.submissions, self.web_events)
        return len(known)

    def _stamp_contact(self, touch: Any) -> None:
        """HubSpot keeps a contact property per activity kind up to date, which moves its last-modified date."""
        contact = self.portal.objects.get("contacts", self.contact_ids[touch.person_key])
        if contact is not None:
            stamped = CONTACT_STAMP_BY_KIND.get(touch.kind, "notes_last_updated")
            self.portal.objects.update(contact, {stamped: iso(touch.at)}, self.portal.clock())

    def _companies(self) -> None:
        people_at: dict[str, list[Any]] = defaultdict(list)
        for person in self.population.people:
            people_at[person.company_key].append(person)
        for company in self.population.companies:
            people = people_at.get(company.key, [])
            created = min((p.created_at for p in people), default=self.population.now - timedelta(days=365))
            values = {
                **company_summary(people, self.owner_ids),
                "name": company.name,
                "domain": company.domain,
                "industry": company.industry,
                "numberofemployees": _text(company.employees),
                "annualrevenue": _text(company.annual_revenue),
                "country": company.country,
                "createdate": iso(created),
            }
            record = self.portal.objects.create("companies", _present(values), created, modified_at=created)
            self.company_ids[company.key] = record.id

    def _contact(self, person: Any) -> None:
        company = self.companies_by_key.get(person.company_key)
        touches = self.touches_by_person.get(person.key, [])
        last_touch = max((t.at for t in touches), default=person.created_at)
        values = {
            "email": person.email,
            "firstname": person.first_name,
            "lastname": person.last_name,
            "jobtitle": person.title,
            "company": company.name if company else None,
            "industry": company.industry if company else None,
            "numemployees": employee_range(company.employees) if company else None,
            "annualrevenue": _text(company.annual_revenue) if company else None,
            "country": company.country if company else None,
            "lifecyclestage": _lifecycle(person),
            "hs_lead_status": "OPEN_DEAL" if person.converted else LEAD_STATUS_BY_STATUS.get(person.status),
            "hs_analytics_source": ANALYTICS_SOURCE.get(person.lead_source or "", "OFFLINE"),
            "hs_analytics_source_data_1": person.lead_source,
            "hubspot_owner_id": self.owner_ids.get(person.owner_key),
            "product_interest": person.product_interest,
            "hs_email_optout": "true" if person.opted_out else "false",
            "createdate": iso(person.created_at),
            **_email_summary(touches),
        }
        record = self.portal.objects.create("contacts", _present(values), person.created_at, modified_at=last_touch)
        history = lifecycle_history(values["lifecyclestage"], person.created_at, touches,
                                    self.deal_of.get(person.key), self.population.now)  # fmt: skip
        self.portal.objects.set_history(record, "lifecyclestage", history)
        self.contact_ids[person.key] = record.id
        for company_key, type_ids in linked_companies(person, self.company_keys):
            self.portal.associations.add("contacts", record.id, "companies", self.company_ids[company_key], type_ids)

    def _deal(self, deal: outcomes.Deal) -> None:
        """A deal in the default pipeline, associated with its contacts (unlabeled, plus the role's label)."""
        primary = self.people_by_key[deal.contacts[0].person_key]
        values = {
            "dealname": deal.name,
            "pipeline": "default",
            "dealstage": DEAL_STAGES[deal.stage],
            "amount": _text(deal.amount),
            "closedate": iso(deal.closed_at) if deal.closed_at else None,
            "createdate": iso(deal.created_at),
            "hs_analytics_source": ANALYTICS_SOURCE.get(deal.lead_source or "", "OFFLINE"),
            "hubspot_owner_id": self.owner_ids.get(primary.owner_key),
        }
        modified = deal.closed_at or deal.created_at
        record = self.portal.objects.create("deals", _present(values), modified, modified_at=modified)
        for contact in deal.contacts:
            contact_id = self.contact_ids[contact.person_key]
            role = DEAL_CONTACT_LABELS[contact.role][0]
            self.portal.associations.add("deals", record.id, "contacts", contact_id, [DEAL_TO_CONTACT, role])

    def _touch(self, touch: Any) -> None:
        person_id = self.contact_ids.get(touch.person_key)
        if person_id is None:
            return
        kind, detail = touch.kind, touch.detail
        if kind in ("email_open", "email_click", "email_bounce", "unsubscribe"):
            self._email_event(touch, person_id)
        elif kind in ("form_fill", "webinar_registered"):
            self._submission(touch, detail.get("form") or detail.get("campaign", "Form"))
        elif kind in ("page_view", "webinar_attended"):
            self._web_event(touch, person_id)
        else:
            self._engagement(touch, person_id)

    def _email_event(self, touch: Any, contact_id: int) -> None:
        person_email = self.people_by_key[touch.person_key].email
        if not person_email:
            return
        detail = touch.detail
        key = (detail.get("campaign", ""), detail.get("subject", ""))
        campaign = self.campaign_ids.setdefault(key, 1_000_001 + len(self.campaign_ids))
        event_type, extra = EMAIL_EVENT_SHAPES[touch.kind]
        if touch.kind == "email_click":
            extra = {"url": SITE + detail.get("url", "/")}
        event = EmailEvent(_event_id(touch), event_type, person_email, epoch_ms(touch.at), campaign, key[1], extra)
        self.email_events.append(event)

    def _submission(self, touch: Any, form_name: str) -> None:
        person = self.people_by_key[touch.person_key]
        guid = str(uuid.uuid5(_NAMESPACE, "form:" + form_name))
        self.portal.marketing.add_form(Form(guid, form_name, self.population.now - timedelta(days=400)))
        values = tuple((n, v) for n, v in (("email", person.email), ("firstname", person.first_name),
                                           ("lastname", person.last_name)) if v)  # fmt: skip
        page = SITE + touch.detail.get("url", "/webinars")
        submission = FormSubmission(_event_id(touch), guid, epoch_ms(touch.at), values, page)
        self.submissions.append(submission)

    def _web_event(self, touch: Any, contact_id: int) -> None:
        if touch.kind == "page_view":
            url = touch.detail.get("url", "/")
            event_type = "e_visited_page"
            properties = {"hs_url": SITE + url, "hs_title": _page_title(url), "hs_page_path": url}
        else:
            event_type = WEBINAR_ATTENDED
            properties = {"webinar": touch.detail.get("campaign", "")}
        event = WebEvent(_event_id(touch), event_type, "contact", str(contact_id),
                         epoch_ms(touch.at), properties)  # fmt: skip
        self.web_events.append(event)

    def _engagement(self, touch: Any, contact_id: int) -> None:
        person = self.people_by_key[touch.person_key]
        object_type, values = _engagement_values(touch)
        values |= {"hs_timestamp": iso(touch.at), "createdate": iso(touch.at),
                   "hubspot_owner_id": self.owner_ids.get(person.owner_key)}  # fmt: skip
        record = self.portal.objects.create(object_type, _present(values), touch.at, modified_at=touch.at)
        self.portal.associations.add_default(object_type, record.id, "contacts", contact_id)


def _event_id(touch: Any) -> str:
    """A stable id per touch; uuid5 for a million touches would cost seconds, and HubSpot's ids are opaque anyway."""
    return f"sb-{touch.key}"


def _engagement_values(touch: Any) -> tuple[str, dict[str, str | None]]:
    detail, kind = touch.detail, touch.kind
    if kind in ("demo_scheduled", "demo_attended"):
        outcome = "SCHEDULED" if kind == "demo_scheduled" else "COMPLETED"
        return "meetings", _meeting(f"Demo: {detail.get('product', 'product')}", outcome, touch.at)
    if kind == "meeting":
        outcome = "NO_SHOW" if detail.get("outcome") == "no show" else "COMPLETED"
        return "meetings", _meeting(f"Meeting ({detail.get('channel', 'video')})", outcome, touch.at)
    outcome = detail.get("outcome", "connected")
    return "calls", {
        "hs_call_title": f"Call: {outcome}",
        "hs_call_body": "Not interested at this time." if kind == "not_interested" else f"Outcome: {outcome}",
        "hs_call_direction": "OUTBOUND",
        "hs_call_status": "COMPLETED",
        "hs_call_disposition": CALL_DISPOSITIONS.get(outcome, CALL_DISPOSITIONS["connected"]),
        "hs_call_duration": "300000" if outcome in ("connected", "not interested") else "30000",
    }


def _meeting(title: str, outcome: str, at: datetime) -> dict[str, str | None]:
    return {
        "hs_meeting_title": title,
        "hs_meeting_outcome": outcome,
        "hs_meeting_start_time": iso(at),
        "hs_meeting_end_time": iso(at + timedelta(minutes=30)),
    }


def _lifecycle(person: Any) -> str:
    if person.is_customer:
        return "customer"
    if person.converted:
        return "opportunity"
    return LIFECYCLE_BY_STATUS.get(person.status, "lead")


def _email_summary(touches: list[Any]) -> dict[str, str | None]:
    """HubSpot's calculated email properties, as they would stand after these touches."""
    opens = [t.at for t in touches if t.kind == "email_open"]
    clicks = [t.at for t in touches if t.kind == "email_click"]
    bounces = sum(1 for t in touches if t.kind == "email_bounce")
    return {
        "hs_email_last_open_date": iso(max(opens)) if opens else None,
        "hs_email_last_click_date": iso(max(clicks)) if clicks else None,
        "hs_email_bounce": str(bounces) if bounces else None,
    }


def _page_title(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1] or "home"
    return tail.replace("-", " ").title() + " | Acme"


def _text(value: float | int | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _present(values: dict[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in values.items() if value not in (None, "")}
