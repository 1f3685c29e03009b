"""Marketing engagement that lives outside the CRM objects: email events, form submissions, web events.

hubspot-api-client does not wrap the legacy email events or form submissions endpoints, so they are read with
`HubSpotClient.get_json`, which goes through the same gate, limiter and retry policy as every other call.
Email events and form submissions name the person by email address; `EmailIndex` turns addresses into contact
ids with batch reads (``idProperty=email``), 100 addresses per call, remembered for the adapter's life.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.mapping import ActivityMapping, FormSource
from adapters.hubspot.pull import parse_timestamp
from connector.crm import ActivityRecord, Page

EMAIL_EVENTS_PATH = "/email/public/v1/events"
FORMS_PATH = "/marketing/v3/forms/"
SUBMISSIONS_PATH = "/form-integrations/v1/submissions/forms/{guid}"
WEB_EVENTS_PATH = "/events/v3/events"
EMAIL_EVENTS_PAGE = 1_000  # the legacy endpoint's maximum
SUBMISSIONS_PAGE = 50  # the submissions endpoint's maximum
WEB_EVENTS_PAGE = 1_000  # the events API pages up to 1,000 (as the sandbox enforces)
FORMS_PAGE = 50  # the forms API pages up to 50
BATCH_READ = 100
UNSUBSCRIBE = "UNSUBSCRIBE"  # a STATUSCHANGE that unsubscribed the recipient; the legacy API has no own type
CONTACT = "contact"


class EmailIndex:
    """Email address -> contact id, looked up in batches and cached; unknown addresses map to None."""

    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self._ids: dict[str, str | None] = {}
        # Email events and form submissions are read at once (overlap.py) and both resolve addresses.
        self._lock = threading.RLock()

    def remember(self, address: str | None, contact_id: str) -> None:
        """A pair seen while pulling contacts: saves a lookup when that person's events come."""
        if address:
            with self._lock:
                self._ids[address.lower()] = contact_id

    def forget(self, address: str | None) -> None:
        if address:
            with self._lock:
                self._ids.pop(address.lower(), None)

    def resolve(self, addresses: list[str]) -> dict[str, str | None]:
        with self._lock:
            return self._resolve(addresses)

    def _resolve(self, addresses: list[str]) -> dict[str, str | None]:
        wanted = sorted({address.lower() for address in addresses if address} - set(self._ids))
        api = self.client.sdk.crm.objects.batch_api
        for start in range(0, len(wanted), BATCH_READ):
            chunk = wanted[start : start + BATCH_READ]
            body = {"inputs": [{"id": address} for address in chunk], "idProperty": "email", "properties": ["email"]}
            answer = self.client.call("read contacts by email", api.read, "contacts", body)
            self._ids.update(dict.fromkeys(chunk))
            for contact in answer.results or []:
                address = ((contact.properties or {}).get("email") or "").lower()
                if address:
                    self._ids[address] = str(contact.id)
        return {address: self._ids.get(address.lower()) for address in addresses if address}


def email_events(
    client: HubSpotClient, types: Mapping[str, str], emails: EmailIndex, start: datetime | None, end: datetime
) -> Iterator[Page[ActivityRecord]]:
    """Marketing email events of the mapped types (newest first, as the endpoint serves them)."""
    params: dict[str, Any] = {"endTimestamp": _ms(end), "limit": EMAIL_EVENTS_PAGE}
    if start is not None:
        params["startTimestamp"] = _ms(start)
    offset: str | None = None
    while True:
        page = client.get_json("read email events", EMAIL_EVENTS_PATH, params | ({"offset": offset} if offset else {}))
        wanted = [(event, types[_event_type(event)]) for event in page.get("events", []) if _event_type(event) in types]
        ids = emails.resolve([event.get("recipient", "") for event, _ in wanted])
        records = [
            _email_record(event, kind, ids[event["recipient"]])
            for event, kind in wanted
            if ids.get(event.get("recipient", ""))
        ]
        yield Page(records, None, skipped=len(wanted) - len(records))  # no contact has that address
        offset = page.get("offset")
        if not page.get("hasMore") or not offset:
            return


def form_submissions(
    client: HubSpotClient, source: FormSource, emails: EmailIndex, start: datetime | None, end: datetime
) -> Iterator[Page[ActivityRecord]]:
    """Submissions of every form since ``start``; pages come newest first, so reading stops at the first older one."""
    for form in _forms(client):
        after: str | None = None
        while True:
            params = {"limit": SUBMISSIONS_PAGE} | ({"after": after} if after else {})
            page = client.get_json("read form submissions", SUBMISSIONS_PATH.format(guid=form["id"]), params)
            results = page.get("results", [])
            fresh = [item for item in results if start is None or _from_ms(item.get("submittedAt")) >= start]
            addresses = {id(item): _submitted_email(item) for item in fresh}
            ids = emails.resolve([address for address in addresses.values() if address])
            in_range = [item for item in fresh if _from_ms(item.get("submittedAt")) <= end]
            records = [
                _form_record(item, form, source, ids[addresses[id(item)]])
                for item in in_range
                if addresses[id(item)] and ids.get(addresses[id(item)])
            ]
            yield Page(records, None, skipped=len(in_range) - len(records))  # no address, or no such contact
            after = _next_after(page)
            if not after or len(fresh) < len(results):
                break


def web_events(
    client: HubSpotClient, mapping: ActivityMapping, start: datetime | None, end: datetime
) -> Iterator[Page[ActivityRecord]]:
    """Behavioral events of contacts (page views, custom events) of the mapped types."""
    params: dict[str, Any] = {"objectType": CONTACT, "limit": WEB_EVENTS_PAGE, "occurredBefore": _iso(end)}
    if start is not None:
        params["occurredAfter"] = _iso(start)
    only = list(mapping.web_events)
    if len(only) == 1 and not any(char in only[0] for char in "*?["):
        params["eventType"] = only[0]
    after: str | None = None
    while True:
        page = client.get_json("read web events", WEB_EVENTS_PATH, params | ({"after": after} if after else {}))
        typed = [(event, mapping.web_event_type(str(event.get("eventType", "")))) for event in page.get("results", [])]
        yield Page([_web_record(event, kind) for event, kind in typed if kind], None)
        after = _next_after(page)
        if not after:
            return


def _forms(client: HubSpotClient) -> Iterator[Mapping[str, Any]]:
    after: str | None = None
    while True:
        page = client.get_json("list forms", FORMS_PATH, {"limit": FORMS_PAGE} | ({"after": after} if after else {}))
        yield from page.get("results", [])
        after = _next_after(page)
        if not after:
            return


def _event_type(event: Mapping[str, Any]) -> str:
    kind = str(event.get("type", ""))
    if kind == "STATUSCHANGE" and _unsubscribed(event):
        return UNSUBSCRIBE
    return kind


def _unsubscribed(event: Mapping[str, Any]) -> bool:
    if str(event.get("portalSubscriptionStatus", "")).upper() == "UNSUBSCRIBED":
        return True
    return any(str(item.get("status", "")).upper() == "UNSUBSCRIBED" for item in event.get("subscriptions", []) or [])


def _email_record(event: Mapping[str, Any], kind: str, contact_id: str) -> ActivityRecord:
    attributes = {"campaign": str(event.get("emailCampaignId", "")), "url": str(event.get("url", ""))}
    return ActivityRecord(
        source_id=f"email_event:{event['id']}",
        contact_object_type=CONTACT,
        contact_crm_id=contact_id,
        type=kind,
        occurred_at=_from_ms(event.get("created")),
        attributes={key: value for key, value in attributes.items() if value},
    )


def _form_record(
    item: Mapping[str, Any], form: Mapping[str, Any], source: FormSource, contact_id: str
) -> ActivityRecord:
    name, url = str(form.get("name", "")), str(item.get("pageUrl") or "")
    attributes = {"form": name, "form_id": str(form.get("id", "")), "url": url}
    return ActivityRecord(
        source_id=f"form:{item.get('conversionId') or item.get('submittedAt')}",
        contact_object_type=CONTACT,
        contact_crm_id=contact_id,
        type=source.classify(name, url),
        occurred_at=_from_ms(item.get("submittedAt")),
        attributes={key: str(value) for key, value in attributes.items() if value},
    )


def _web_record(event: Mapping[str, Any], kind: str) -> ActivityRecord:
    properties = event.get("properties") or {}
    url = properties.get("hs_url") or properties.get("hs_page_url") or properties.get("url")
    return ActivityRecord(
        source_id=f"web_event:{event['id']}",
        contact_object_type=CONTACT,
        contact_crm_id=str(event["objectId"]),
        type=kind,
        occurred_at=parse_timestamp(str(event.get("occurredAt", ""))) or datetime.min.replace(tzinfo=UTC),
        attributes={"event": str(event.get("eventType"))} | ({"url": str(url)} if url else {}),
    )


def _submitted_email(item: Mapping[str, Any]) -> str | None:
    for value in item.get("values", []) or []:
        if value.get("name") == "email" and value.get("value"):
            return str(value["value"])
    return None


def _next_after(page: Mapping[str, Any]) -> str | None:
    following = (page.get("paging") or {}).get("next") or {}
    return str(following["after"]) if following.get("after") else None


def _from_ms(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
