"""Marketing activity in the shapes of HubSpot's own APIs: email events, forms and submissions, web events.

- Email events: legacy `GET /email/public/v1/events` (developers.hubspot.com/docs/api-reference/legacy/
  email-analytics-v1/guide): `events[]`, `hasMore`, `offset`; limit 10 by default, 1,000 at most.
- Forms: `GET /marketing/v3/forms/`; submissions: `GET /form-integrations/v1/submissions/forms/{guid}`
  (newest first, limit 20 by default, 50 at most, `after` paging).
- Web analytics events: `GET /events/v3/events` (spec events.json, `ExternalUnifiedEvent`).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from adapters.sandbox.hubspot.wire import epoch_ms, from_epoch_ms, iso

PORTAL_ID = 24_681_357


@dataclass(frozen=True)
class EmailEvent:
    id: str
    type: str  # SENT DELIVERED OPEN CLICK BOUNCE STATUSCHANGE ...
    recipient: str
    created: int  # epoch ms
    email_campaign_id: int
    subject: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "type": self.type,
            "recipient": self.recipient,
            "portalId": PORTAL_ID,
            "appId": 113,
            "appName": "BatchEmail",
            "emailCampaignId": self.email_campaign_id,
            "sentBy": {"id": f"sent-{self.email_campaign_id}-{self.recipient}", "created": self.created},
            **({"subject": self.subject} if self.subject else {}),
            **self.extra,
        }


@dataclass(frozen=True)
class Form:
    guid: str
    name: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.guid,
            "name": self.name,
            "formType": "hubspot",
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.created_at),
            "archived": False,
            "fieldGroups": [
                {"groupType": "default_group", "richTextType": "text",
                 "fields": [{"objectTypeId": "0-1", "name": "email", "label": "Email", "required": True,
                             "hidden": False, "fieldType": "email"}]}
            ],
            "configuration": {"language": "en", "createNewContactForNewEmail": False,
                              "allowLinkToResetKnownValues": False},
            "displayOptions": {"renderRawHtml": False, "theme": "default_style", "submitButtonText": "Submit"},
            "legalConsentOptions": {"type": "none"},
        }  # fmt: skip


@dataclass(frozen=True)
class FormSubmission:
    conversion_id: str
    form_guid: str
    submitted_at: int  # epoch ms
    values: tuple[tuple[str, str], ...]
    page_url: str

    def to_json(self) -> dict[str, Any]:
        return {
            "conversionId": self.conversion_id,
            "submittedAt": self.submitted_at,
            "values": [{"name": n, "value": v, "objectTypeId": "0-1"} for n, v in self.values],
            "pageUrl": self.page_url,
        }


@dataclass(frozen=True)
class WebEvent:
    id: str
    event_type: str  # e_visited_page, or pe<portal>_<name> for custom behavioral events
    object_type: str
    object_id: str
    occurred_at: int  # epoch ms
    properties: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "objectType": self.object_type,
            "objectId": self.object_id,
            "eventType": self.event_type,
            "occurredAt": iso(from_epoch_ms(self.occurred_at)),
            "id": self.id,
            "properties": dict(self.properties),
        }


class MarketingStore:
    """Email events, forms, submissions and web events, each kept sorted by time."""

    def __init__(self) -> None:
        self.email_events: list[EmailEvent] = []
        self.forms: dict[str, Form] = {}
        self.submissions: dict[str, list[FormSubmission]] = {}
        self.web_events: list[WebEvent] = []

    def add_email_event(self, event: EmailEvent) -> None:
        bisect.insort(self.email_events, event, key=lambda e: (e.created, e.id))

    def add_form(self, form: Form) -> None:
        self.forms.setdefault(form.guid, form)
        self.submissions.setdefault(form.guid, [])

    def add_submission(self, submission: FormSubmission) -> None:
        bisect.insort(
            self.submissions[submission.form_guid], submission, key=lambda s: (s.submitted_at, s.conversion_id)
        )

    def add_web_event(self, event: WebEvent) -> None:
        bisect.insort(self.web_events, event, key=lambda e: (e.occurred_at, e.id))

    def add_many(
        self, email_events: list[EmailEvent], submissions: list[FormSubmission], web_events: list[WebEvent]
    ) -> None:
        """Bulk loading: one sort per list instead of an insertion per event (a million touches load in seconds)."""
        self.email_events.extend(email_events)
        self.email_events.sort(key=lambda e: (e.created, e.id))
        for submission in submissions:
            self.submissions[submission.form_guid].append(submission)
        for listed in self.submissions.values():
            listed.sort(key=lambda s: (s.submitted_at, s.conversion_id))
        self.web_events.extend(web_events)
        self.web_events.sort(key=lambda e: (e.occurred_at, e.id))

    # -- reads --------------------------------------------------------------------------------------------

    def email_events_page(self, filters: Mapping[str, Any], offset: int, limit: int) -> dict[str, Any]:
        """Newest first, filtered by time range (inclusive), type, recipient and campaign."""
        start, end = filters.get("start"), filters.get("end")
        chosen = [
            e for e in reversed(self.email_events)
            if (start is None or e.created >= start) and (end is None or e.created <= end)
            and _optional_eq(filters.get("type"), e.type) and _optional_eq(filters.get("recipient"), e.recipient)
            and _optional_eq(filters.get("campaign"), e.email_campaign_id)
        ]  # fmt: skip
        page = chosen[offset : offset + limit]
        has_more = offset + limit < len(chosen)
        body: dict[str, Any] = {"events": [e.to_json() for e in page], "hasMore": has_more}
        if has_more:
            body["offset"] = str(offset + limit)
        return body

    def submissions_page(self, guid: str, after: int, limit: int) -> dict[str, Any]:
        newest_first = list(reversed(self.submissions[guid]))
        page = newest_first[after : after + limit]
        body: dict[str, Any] = {"results": [s.to_json() for s in page]}
        if after + limit < len(newest_first):
            body["paging"] = _next_page(after + limit)
        return body

    def forms_page(self, after: int, limit: int) -> dict[str, Any]:
        forms = sorted(self.forms.values(), key=lambda f: (f.created_at, f.guid))
        body: dict[str, Any] = {"results": [f.to_json() for f in forms[after : after + limit]]}
        if after + limit < len(forms):
            body["paging"] = _next_page(after + limit)
        return body

    def web_events_page(
        self, filters: Mapping[str, Any], after: int, limit: int, *, descending: bool
    ) -> dict[str, Any]:
        start, end = filters.get("occurred_after"), filters.get("occurred_before")
        chosen = [
            e for e in self.web_events
            if _optional_eq(filters.get("object_type"), e.object_type)
            and _optional_eq(filters.get("object_id"), e.object_id)
            and _optional_eq(filters.get("event_type"), e.event_type)
            and (start is None or e.occurred_at > start) and (end is None or e.occurred_at < end)
        ]  # fmt: skip
        if descending:
            chosen.reverse()
        body: dict[str, Any] = {"results": [e.to_json() for e in chosen[after : after + limit]]}
        if after + limit < len(chosen):
            body["paging"] = _next_page(after + limit)
        return body

    # -- state --------------------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return {
            "email_events": [asdict(e) | {"extra": dict(e.extra)} for e in self.email_events],
            "forms": [asdict(f) | {"created_at": epoch_ms(f.created_at)} for f in self.forms.values()],
            "submissions": [asdict(s) for subs in self.submissions.values() for s in subs],
            "web_events": [asdict(e) | {"properties": dict(e.properties)} for e in self.web_events],
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        self.__init__()
        for item in state["forms"]:
            self.add_form(Form(item["guid"], item["name"], from_epoch_ms(item["created_at"])))
        self.email_events = [EmailEvent(**item) for item in state["email_events"]]
        for entry in state["submissions"]:
            item = dict(entry)  # never mutate the caller's state
            values = tuple((name, value) for name, value in item.pop("values"))
            self.submissions[item["form_guid"]].append(FormSubmission(**item, values=values))
        self.web_events = [WebEvent(**item) for item in state["web_events"]]


def _optional_eq(wanted: Any, actual: Any) -> bool:
    return wanted is None or str(wanted) == str(actual)


def _next_page(after: int) -> dict[str, Any]:
    return {"next": {"after": str(after), "link": f"?after={after}"}}
