"""Marketing activity over HTTP: legacy email events, forms and their submissions, web analytics events."""

from __future__ import annotations

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.hubspot import wire
from adapters.sandbox.hubspot.portal import Portal

EMAIL_EVENTS_MAX = 1000
SUBMISSIONS_MAX = 50
FORMS_MAX = 50
WEB_EVENTS_MAX = 1000


class MarketingApi:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[Route]:
        return [
            Route("GET", r"/email/public/v1/events/?", self.email_events, "hubspot.email_events"),
            Route("GET", r"/marketing/v3/forms/?", self.forms, "hubspot.forms.list"),
            Route("GET", r"/form-integrations/v1/submissions/forms/(?P<guid>[\w-]+)/?", self.submissions,
                  "hubspot.forms.submissions"),
            Route("GET", r"/events/v3/events/?", self.web_events, "hubspot.web_events"),
        ]  # fmt: skip

    def email_events(self, request: Request) -> Response:
        limit = wire.int_param(request, "limit", 10)
        offset = wire.int_param(request, "offset", 0)
        start = wire.int_param(request, "startTimestamp", -1)
        end = wire.int_param(request, "endTimestamp", -1)
        if None in (limit, offset, start, end) or not 1 <= limit <= EMAIL_EVENTS_MAX:
            return wire.validation_error(f"limit must be 1..{EMAIL_EVENTS_MAX}; offset and timestamps must be numbers")
        filters = {
            "start": None if start == -1 else start,
            "end": None if end == -1 else end,
            "type": request.param("eventType"),
            "recipient": request.param("recipient"),
            "campaign": request.param("campaignId"),
        }
        return Response.json(200, self.portal.marketing.email_events_page(filters, offset, limit))

    def forms(self, request: Request) -> Response:
        limit = wire.int_param(request, "limit", 20)
        after = wire.int_param(request, "after", 0)
        if limit is None or after is None or not 1 <= limit <= FORMS_MAX:
            return wire.validation_error(f"limit must be 1..{FORMS_MAX}; after must be a number")
        return Response.json(200, self.portal.marketing.forms_page(after, limit))

    def submissions(self, request: Request, guid: str) -> Response:
        if guid not in self.portal.marketing.forms:
            return wire.not_found(f"Form {guid} not found")
        limit = wire.int_param(request, "limit", 20)
        after = wire.int_param(request, "after", 0)
        if limit is None or after is None or not 1 <= limit <= SUBMISSIONS_MAX:
            return wire.validation_error(f"limit must be 1..{SUBMISSIONS_MAX}; after must be a number")
        return Response.json(200, self.portal.marketing.submissions_page(guid, after, limit))

    def web_events(self, request: Request) -> Response:
        limit = wire.int_param(request, "limit", 10)
        after = wire.int_param(request, "after", 0)
        if limit is None or after is None or not 1 <= limit <= WEB_EVENTS_MAX:
            return wire.validation_error(f"limit must be 1..{WEB_EVENTS_MAX}; after must be a number")
        bounds = {}
        for name, key in (("occurredAfter", "occurred_after"), ("occurredBefore", "occurred_before")):
            raw = request.param(name)
            moment = wire.parse_moment(raw) if raw else None
            if raw and moment is None:
                return wire.validation_error(f"{name} must be an ISO 8601 timestamp, got {raw!r}")
            bounds[key] = wire.epoch_ms(moment) if moment else None
        filters = {
            "object_type": request.param("objectType"),
            "object_id": request.param("objectId"),
            "event_type": request.param("eventType"),
            **bounds,
        }
        descending = (wire.list_param(request, "sort") or ["-occurredAt"])[0].startswith("-")
        return Response.json(200, self.portal.marketing.web_events_page(filters, after, limit, descending=descending))
