"""The expected scores, computed without the sync: sandbox records -> import files -> `scorebridge import/score`.

Each reader below applies the mapping files (mappings/salesforce.yaml, mappings/hubspot.yaml) by hand to the
sandbox's own records, written in the mapping's terms rather than the adapters' code, so a mistake in an adapter
or in the sync shows up as a difference from what the CRM ends up holding.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from connector.cli import app as cli_app

SALESFORCE_LEAD_STATUS = {
    "New": "lead",
    "Working": "lead",
    "Nurturing": "lead",
    "Qualified": "sales_qualified",
    "Unqualified": "other",
    "Open - Not Contacted": "lead",
    "Working - Contacted": "lead",
    "Closed - Converted": "opportunity",
    "Closed - Not Converted": "other",
}
SALESFORCE_CUSTOMER_ACCOUNTS = ("Customer - Direct", "Customer - Channel")
HUBSPOT_LIFECYCLE = {
    "subscriber": "subscriber",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
    "evangelist": "customer",
    "other": "other",
}
HUBSPOT_CUSTOMER_STAGES = ("customer", "evangelist")
HUBSPOT_LEAD_STATUS = {
    "NEW": "new",
    "OPEN": "open",
    "IN_PROGRESS": "working",
    "OPEN_DEAL": "working",
    "UNQUALIFIED": "unqualified",
    "ATTEMPTED_TO_CONTACT": "working",
    "CONNECTED": "working",
    "BAD_TIMING": "nurture",
}
SALESFORCE_LEAD_STATUS_WORDS = {
    "New": "new",
    "Working": "working",
    "Nurturing": "nurture",
    "Qualified": "qualified",
    "Unqualified": "unqualified",
    "Open - Not Contacted": "new",
    "Working - Contacted": "working",
    "Closed - Converted": "converted",
    "Closed - Not Converted": "unqualified",
}
HUBSPOT_CALL_OUTCOMES = {
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "connected",
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "busy",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "left live message",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "left voicemail",
    "73a0d17f-1163-4015-bdd5-ec830791da20": "no answer",
    "17b47fee-58de-441e-a44c-c6300d46f273": "wrong number",
}
_MAPPINGS = Path(__file__).parents[2] / "mappings"


def _lead_source_words(crm: str) -> dict[str, str]:
    """The mapping's lead source value map (24 values on the Salesforce side: read, not copied)."""
    mapping = yaml.safe_load((_MAPPINGS / f"{crm}.yaml").read_text())
    fields = mapping["objects"]["Lead"]["fields"] if crm == "salesforce" else mapping["contact"]["properties"]
    return fields["lead_source"]["values"]


def _word(words: Mapping[str, str], value: str | None) -> str | None:
    """A value map with `unlisted: keep`: unlisted values pass through."""
    return words.get(value, value) if value else None


HUBSPOT_EMAIL_EVENTS = {"OPEN": "email_open", "CLICK": "email_click", "BOUNCE": "email_bounce"}


def _sf_time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# --- Salesforce ------------------------------------------------------------------------------------------------


def salesforce_rows(store: Any) -> tuple[list[dict], list[dict]]:
    """Contacts and activities of a Salesforce sandbox RecordStore, as `scorebridge import` rows."""
    accounts = {row["Id"]: row for row in store.rows("Account")}
    campaigns = {row["Id"]: row for row in store.rows("Campaign")}
    contacts = [_sf_lead(row) for row in store.rows("Lead") if not row.get("IsConverted")]
    contacts += [_sf_contact(row, accounts.get(row.get("AccountId")) or {}) for row in store.rows("Contact")]
    known = {row["crm_id"] for row in contacts}
    activities = [row for row in _sf_activities(store, campaigns) if row["contact_crm_id"] in known]
    return contacts, activities


def _sf_lead(row: Mapping[str, Any]) -> dict:
    return {
        "object_type": "Lead",
        "crm_id": row["Id"],
        "email": (row.get("Email") or "").lower(),
        "first_name": row.get("FirstName"),
        "last_name": row.get("LastName"),
        "title": row.get("Title"),
        "company": row.get("Company"),
        "industry": row.get("Industry"),
        "employees": row.get("NumberOfEmployees"),
        "annual_revenue": row.get("AnnualRevenue"),
        "country": row.get("Country"),
        "lead_source": _word(_lead_source_words("salesforce"), row.get("LeadSource")),
        "product_interest": row.get("ProductInterest__c"),
        "lifecycle": SALESFORCE_LEAD_STATUS.get(row.get("Status") or ""),
        "lead_status": _word(SALESFORCE_LEAD_STATUS_WORDS, row.get("Status")),
        "owner_id": row.get("OwnerId"),
        "email_opt_out": bool(row.get("HasOptedOutOfEmail")),
    }


def _sf_contact(row: Mapping[str, Any], account: Mapping[str, Any]) -> dict:
    return {
        "object_type": "Contact",
        "crm_id": row["Id"],
        "email": (row.get("Email") or "").lower(),
        "first_name": row.get("FirstName"),
        "last_name": row.get("LastName"),
        "title": row.get("Title"),
        "department": row.get("Department"),
        "company": account.get("Name"),
        "industry": account.get("Industry"),
        "employees": account.get("NumberOfEmployees"),
        "annual_revenue": account.get("AnnualRevenue"),
        "country": row.get("MailingCountry"),
        "lead_source": _word(_lead_source_words("salesforce"), row.get("LeadSource")),
        "product_interest": row.get("ProductInterest__c"),
        "owner_id": row.get("OwnerId"),
        "email_opt_out": bool(row.get("HasOptedOutOfEmail")),
        "is_customer": account.get("Type") in SALESFORCE_CUSTOMER_ACCOUNTS,
    }


def _sf_activities(store: Any, campaigns: Mapping[str, Mapping[str, Any]]) -> Iterator[dict]:
    """The mapping's `activities:` rules, first match wins per row."""
    for row in store.rows("Task"):
        if row.get("TaskSubtype") == "Call" and row.get("CallDisposition") == "Not interested":
            yield _sf_activity(row, row.get("WhoId"), "not_interested", row["CreatedDate"], {})
        elif row.get("TaskSubtype") == "Call":
            attributes = {"outcome": row["CallDisposition"]} if row.get("CallDisposition") else {}
            yield _sf_activity(row, row.get("WhoId"), "call", row["CreatedDate"], attributes)
        elif (row.get("Subject") or "").startswith("Email Opened"):
            yield _sf_activity(row, row.get("WhoId"), "email_open", row["CreatedDate"], {})
    webinar_kinds = {"Attended": "webinar_attended", "Registered": "webinar_registered"}
    for row in store.rows("CampaignMember"):
        campaign = campaigns.get(row.get("CampaignId")) or {}
        kind = webinar_kinds.get(row.get("Status") or "")
        if kind and campaign.get("Type") == "Webinar":
            who = row.get("ContactId") or row.get("LeadId")
            attributes = {"campaign": campaign["Name"]} if campaign.get("Name") else {}
            yield _sf_activity(row, who, kind, row.get("FirstRespondedDate") or row["CreatedDate"], attributes)
    for row in store.rows("Event"):
        kind = "meeting_missed" if "no show" in (row.get("Subject") or "").lower() else "meeting"
        yield _sf_activity(row, row.get("WhoId"), kind, row.get("ActivityDateTime") or row["CreatedDate"], {})


def _sf_activity(row: Mapping[str, Any], who: str | None, kind: str, when: str, attributes: dict) -> dict:
    object_type = {"00Q": "Lead", "003": "Contact"}.get((who or "")[:3], "unknown")
    return {
        "source_id": row["Id"],
        "contact_object_type": object_type,
        "contact_crm_id": who or "",
        "type": kind,
        "occurred_at": _iso(_sf_time(when)),
        **attributes,
    }


# --- HubSpot ---------------------------------------------------------------------------------------------------


def hubspot_rows(portal: Any) -> tuple[list[dict], list[dict]]:
    """Contacts and activities of a HubSpot sandbox Portal, as `scorebridge import` rows."""
    with portal.lock:
        people = list(portal.objects.active("contacts"))
        contacts = [_hs_contact(person) for person in people]
        by_email = {(p.properties.get("email") or "").lower(): str(p.id) for p in people if p.properties.get("email")}
        known = {str(p.id) for p in people}
        activities = [*_hs_engagements(portal), *_hs_email_events(portal, by_email)]
        activities += [*_hs_submissions(portal, by_email), *_hs_web_events(portal)]
    return contacts, [row for row in activities if row["contact_crm_id"] in known]


def _hs_contact(person: Any) -> dict:
    values = person.properties
    stage = values.get("lifecyclestage")
    employees = values.get("numemployees")
    return {
        "object_type": "contact",
        "crm_id": str(person.id),
        "email": values.get("email"),
        "first_name": values.get("firstname"),
        "last_name": values.get("lastname"),
        "title": values.get("jobtitle"),
        "company": values.get("company"),
        "industry": values.get("industry"),
        # numemployees is a range ("25-50", "1000+"): the mapping keeps its lower bound
        "employees": int(employees.rstrip("+").split("-")[0]) if employees else None,
        "annual_revenue": values.get("annualrevenue"),
        "country": values.get("country"),
        "lead_source": _word(_lead_source_words("hubspot"), values.get("hs_analytics_source")),
        "product_interest": values.get("product_interest"),
        "lifecycle": HUBSPOT_LIFECYCLE.get(stage, stage) if stage else None,
        "owner_id": values.get("hubspot_owner_id"),
        "email_opt_out": (values.get("hs_email_optout") or "false").lower() == "true",
        "is_customer": stage in HUBSPOT_CUSTOMER_STAGES,
        "lead_status": _word(HUBSPOT_LEAD_STATUS, values.get("hs_lead_status")),
    }


def _glob(value: str | None, pattern: str) -> bool:
    return fnmatchcase((value or "").lower(), pattern.lower())


def _hs_engagement_type(object_type: str, values: Mapping[str, str]) -> str | None:
    if object_type == "calls":
        return "not_interested" if _glob(values.get("hs_call_body"), "*not interested*") else "call"
    if object_type == "meetings":
        if _glob(values.get("hs_meeting_title"), "demo*"):
            return "demo_attended" if _glob(values.get("hs_meeting_outcome"), "COMPLETED") else "demo_scheduled"
        return "meeting_missed" if values.get("hs_meeting_outcome") in ("NO_SHOW", "CANCELED") else "meeting"
    return {"emails": "sales_email", "notes": "note", "tasks": "task"}.get(object_type)


HUBSPOT_ENGAGEMENT_ATTRIBUTES = {
    "calls": {"direction": "hs_call_direction", "outcome": "hs_call_disposition", "status": "hs_call_status"},
    "meetings": {"outcome": "hs_meeting_outcome", "title": "hs_meeting_title"},
    "emails": {"direction": "hs_email_direction"},
    "tasks": {"status": "hs_task_status"},
}


def _hs_engagements(portal: Any) -> Iterator[dict]:
    for object_type in ("calls", "meetings", "emails", "notes", "tasks"):
        for record in portal.objects.active(object_type):
            values = record.properties
            if object_type == "tasks" and values.get("scorebridge_task_key"):
                continue  # ScoreBridge's own follow-up tasks are not the contact's engagement
            kind = _hs_engagement_type(object_type, values)
            spec = HUBSPOT_ENGAGEMENT_ATTRIBUTES.get(object_type, {})
            attributes = {name: values[prop] for name, prop in spec.items() if values.get(prop)}
            if "outcome" in attributes and object_type == "calls":
                attributes["outcome"] = _word(HUBSPOT_CALL_OUTCOMES, attributes["outcome"])
            occurred = values.get("hs_timestamp") or values.get("hs_createdate")
            for contact_id, _ in portal.associations.targets(object_type, record.id, "contacts"):
                yield _hs_activity(f"{object_type}:{record.id}", contact_id, kind, _sf_time(occurred), attributes)


def _hs_email_events(portal: Any, by_email: Mapping[str, str]) -> Iterator[dict]:
    for event in portal.marketing.email_events:
        kind = HUBSPOT_EMAIL_EVENTS.get(event.type)
        if event.type == "STATUSCHANGE" and event.extra.get("portalSubscriptionStatus") == "UNSUBSCRIBED":
            kind = "unsubscribe"
        contact_id = by_email.get(event.recipient.lower())
        if kind and contact_id:
            attributes = {"campaign": str(event.email_campaign_id)} | (
                {"url": event.extra["url"]} if event.extra.get("url") else {}
            )
            yield _hs_activity(f"email_event:{event.id}", contact_id, kind, _from_ms(event.created), attributes)


def _hs_submissions(portal: Any, by_email: Mapping[str, str]) -> Iterator[dict]:
    for guid, submissions in portal.marketing.submissions.items():
        form = portal.marketing.forms[guid]
        kind = "webinar_registered" if _glob(form.name, "webinar*") else "form_fill"
        for submission in submissions:
            email = dict(submission.values).get("email")
            contact_id = by_email.get((email or "").lower())
            if contact_id:
                attributes = {"form": form.name, "form_id": guid} | (
                    {"url": submission.page_url} if submission.page_url else {}
                )
                occurred = _from_ms(submission.submitted_at)
                yield _hs_activity(f"form:{submission.conversion_id}", contact_id, kind, occurred, attributes)


def _hs_web_events(portal: Any) -> Iterator[dict]:
    for event in portal.marketing.web_events:
        if event.event_type == "e_visited_page":
            kind = "page_view"
        elif _glob(event.event_type, "pe*_webinar_attended"):
            kind = "webinar_attended"
        else:
            continue
        url = event.properties.get("hs_url") or event.properties.get("hs_page_url") or event.properties.get("url")
        attributes = {"event": event.event_type} | ({"url": url} if url else {})
        yield _hs_activity(f"web_event:{event.id}", event.object_id, kind, _from_ms(event.occurred_at), attributes)


def _from_ms(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def _hs_activity(source_id: str, contact_id: Any, kind: str | None, occurred: datetime, attributes: dict) -> dict:
    return {
        "source_id": source_id,
        "contact_object_type": "contact",
        "contact_crm_id": str(contact_id),
        "type": kind or "unknown",
        "occurred_at": _iso(occurred),
        **attributes,
    }


# --- the reference store ---------------------------------------------------------------------------------------


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({key: value for key, value in row.items() if value is not None}) + "\n")
    return path


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"scorebridge {' '.join(args)} failed:\n{result.output}"
    return result.output


def reference_scores(
    workdir: Path, contacts: list[dict], activities: list[dict], *, model: Path, as_of: datetime, label: str
) -> dict[str, dict[str, Any]]:
    """Import the rows into the reference store in `workdir`, score it as of `as_of`; crm_id -> exported row."""
    database = f"sqlite:///{workdir / 'reference.db'}"
    contacts_file = _write_jsonl(workdir / f"{label}-contacts.jsonl", contacts)
    activities_file = _write_jsonl(workdir / f"{label}-activities.jsonl", activities)
    _cli("import", "contacts", str(contacts_file), "--database", database, "--source", "reference")
    _cli("import", "activities", str(activities_file), "--database", database, "--source", "reference")
    return rescored_reference(workdir, model=model, as_of=as_of, label=label)


def rescored_reference(workdir: Path, *, model: Path, as_of: datetime, label: str) -> dict[str, dict[str, Any]]:
    """Score the reference store already imported in `workdir` with `model` as of `as_of`; crm_id -> exported row."""
    database = f"sqlite:///{workdir / 'reference.db'}"
    _cli("score", "--model", str(model), "--as-of", as_of.isoformat(), "--database", database)
    exported = workdir / f"{label}-scores.csv"
    _cli("export", "--output", str(exported), "--database", database)
    with exported.open(encoding="utf-8") as handle:
        return {row["crm_id"]: row for row in csv.DictReader(handle)}


def reference_export(world: Any, workdir: Path, *, model: Path, as_of: datetime, label: str) -> dict[str, dict]:
    """The sandbox's records of `world` (its `crm` and stand-in `app`) scored apart as of `as_of`: crm_id -> the
    exported row (every stored value, score groups and `stage_until` included)."""
    workdir.mkdir(exist_ok=True)
    if world.crm == "salesforce":
        contacts, activities = salesforce_rows(world.app.store)
    else:
        contacts, activities = hubspot_rows(world.app.portal)
    return reference_scores(workdir, contacts, activities, model=model, as_of=as_of, label=label)


def expected_crm_values(exported: Mapping[str, Any]) -> dict[str, Any]:
    """What the CRM record should show for one exported score row (whole numbers, the first three reasons)."""
    reasons = [part for part in (exported["reasons"] or "").split("; ") if part]
    values: dict[str, Any] = {name: round(float(exported[name])) for name in ("fit", "lead", "engagement", "recency")}
    values["combined"] = round(float(exported["combined"]))
    values.update(stage=exported["stage"], grade=exported["grade"] or None, reasons="; ".join(reasons[:3])[:255])
    return values
