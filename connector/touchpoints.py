"""Touchpoints as sales read them: "Attended a demo", "Viewed /pricing", "Call: connected", not type codes and GUIDs.

The activity types are the scoring model's vocabulary; the attributes are what the mappings carried (a HubSpot
form's name, a call's outcome already through the mapping's value map, a Salesforce campaign's name). Ids that mean
nothing to a person (a form's GUID, an outcome the mapping does not name) are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from connector.task_text import Touchpoint, readable_moment

#: What a person did, per activity type of the default model; other types read as their name ("Trial started").
PHRASES: Mapping[str, str] = {
    "demo_attended": "Attended a demo",
    "demo_scheduled": "Scheduled a demo",
    "webinar_attended": "Attended a webinar",
    "webinar_registered": "Registered for a webinar",
    "form_fill": "Filled in a form",
    "page_view": "Viewed a page",
    "email_open": "Opened an email",
    "email_click": "Clicked a link in an email",
    "email_bounce": "An email bounced",
    "unsubscribe": "Unsubscribed from emails",
    "meeting": "Had a meeting",
    "meeting_missed": "Missed a meeting",
    "call": "Call",
    "not_interested": "Said not interested",
    "note": "Note logged",
    "task": "Task logged",
    "sales_email": "Sales email",
}
#: Attributes shown as a name in quotes, in this order; then the page, then the outcome or status.
NAMED = ("title", "form", "campaign")
STATES = ("outcome", "status", "direction")
#: Ids nobody reads: GUIDs (a HubSpot call outcome the mapping leaves unnamed) and numbers (HubSpot's email
#: campaign ids); the form's GUID and a web event's raw name are attributes never shown.
_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)$", re.IGNORECASE)


def touchpoint(occurred_at: datetime, activity_type: str, attributes: Mapping[str, object]) -> Touchpoint:
    return Touchpoint(readable_moment(occurred_at), touchpoint_text(activity_type, attributes))


def touchpoint_text(activity_type: str, attributes: Mapping[str, object]) -> str:
    """`Viewed /pricing`, `Filled in a form: "Contact us" on /contact`, `Call: connected, outbound`."""
    page = _page(str(attributes.get("url") or ""))
    if activity_type == "page_view" and page:
        return f"Viewed {page}"
    details = [f'"{value}"' for value in _values(attributes, NAMED)]
    if page:
        details.append(f"on {page}")
    details += [_word(value) for value in _values(attributes, STATES)]
    phrase = PHRASES.get(activity_type) or activity_type.replace("_", " ").capitalize()
    return f"{phrase}: {', '.join(details)}" if details else phrase


def _values(attributes: Mapping[str, object], names: tuple[str, ...]) -> list[str]:
    found = (str(attributes.get(name) or "").strip() for name in names)
    return [value for value in found if value and not _ID.match(value)]


def _page(url: str) -> str:
    """The path of a page (`/pricing`), which says more than the site everyone knows; the host for a home page."""
    if not url:
        return ""
    parts = urlsplit(url if "//" in url else f"//{url}")
    return parts.path if parts.path not in ("", "/") else (parts.netloc or url)


def _word(value: str) -> str:
    """HubSpot's codes (`NO_SHOW`, `COMPLETED`) in words; values the mapping already named stay as they are."""
    return value.replace("_", " ").lower() if value.isupper() else value
