"""Property definitions, and the properties and groups a fresh HubSpot portal has per object type."""

from __future__ import annotations

from dataclasses import dataclass, replace

from adapters.sandbox.hubspot.object_types import ENGAGEMENT_TYPES, SINGULAR
from adapters.sandbox.hubspot.pipelines import DEFAULT_DEAL_PIPELINE


@dataclass(frozen=True)
class Option:
    label: str
    value: str
    display_order: int = 0
    hidden: bool = False


@dataclass(frozen=True)
class PropertyDef:
    name: str
    label: str
    type: str  # string | number | date | datetime | enumeration | bool
    field_type: str
    group_name: str
    options: tuple[Option, ...] = ()
    description: str = ""
    hubspot_defined: bool = True
    calculated: bool = False
    created_at: str = "2019-08-06T02:41:08.029Z"
    updated_at: str = "2019-08-06T02:41:08.029Z"


@dataclass(frozen=True)
class PropertyGroup:
    name: str
    label: str
    display_order: int = -1
    archived: bool = False


def _enum(*values: str) -> tuple[Option, ...]:
    return tuple(
        Option(label=value.replace("_", " ").title(), value=value, display_order=i) for i, value in enumerate(values)
    )


#: A fresh portal's lifecycle stages with HubSpot's own labels (Settings > Objects > Contacts > Lifecycle stage).
LIFECYCLE_STAGES = tuple(
    Option(label=label, value=value, display_order=i)
    for i, (value, label) in enumerate(
        {
            "subscriber": "Subscriber",
            "lead": "Lead",
            "marketingqualifiedlead": "Marketing Qualified Lead",
            "salesqualifiedlead": "Sales Qualified Lead",
            "opportunity": "Opportunity",
            "customer": "Customer",
            "evangelist": "Evangelist",
            "other": "Other",
        }.items()
    )
)
LEAD_STATUSES = _enum(
    "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING"
)
ANALYTICS_SOURCES = _enum(
    "ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS", "OTHER_CAMPAIGNS",
    "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL", "AI_REFERRALS",
)  # fmt: skip
EMPLOYEE_RANGES = _enum("1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+")


def _text(name: str, group: str, label: str = "") -> PropertyDef:
    return PropertyDef(name, label or name, "string", "text", group)


def _number(name: str, group: str, *, calculated: bool = False) -> PropertyDef:
    return PropertyDef(name, name, "number", "number", group, calculated=calculated)


def _moment(name: str, group: str, *, calculated: bool = False) -> PropertyDef:
    return PropertyDef(name, name, "datetime", "date", group, calculated=calculated)


def _choice(name: str, group: str, options: tuple[Option, ...]) -> PropertyDef:
    return PropertyDef(name, name, "enumeration", "select", group, options=options)


def _flag(name: str, group: str, *, calculated: bool = False) -> PropertyDef:
    return PropertyDef(name, name, "bool", "booleancheckbox", group, options=_enum("true", "false"),
                       calculated=calculated)  # fmt: skip


def _system(group: str) -> list[PropertyDef]:
    """Properties HubSpot maintains on every object type; the sandbox sets them on every write."""
    return [
        _number("hs_object_id", group, calculated=True),
        _moment("createdate", group),
        _moment("hs_createdate", group),
        _moment("lastmodifieddate", group, calculated=True),
        _moment("hs_lastmodifieddate", group, calculated=True),
        PropertyDef("hubspot_owner_id", "Owner", "enumeration", "select", group),
    ]


def _contact_properties() -> list[PropertyDef]:
    group = "contactinformation"
    return [
        *_system(group),
        *(_text(name, group) for name in ("email", "firstname", "lastname", "jobtitle", "company", "phone")),
        *(_text(name, group) for name in ("industry", "annualrevenue", "country", "city", "website")),
        _choice("numemployees", group, EMPLOYEE_RANGES),
        _choice("lifecyclestage", group, LIFECYCLE_STAGES),
        _choice("hs_lead_status", "sales_properties", LEAD_STATUSES),
        _choice("hs_analytics_source", "analyticsinformation", ANALYTICS_SOURCES),
        _text("hs_analytics_source_data_1", "analyticsinformation"),
        _flag("hs_email_optout", "emailinformation"),
        _moment("hs_email_last_open_date", "emailinformation", calculated=True),
        _moment("hs_email_last_click_date", "emailinformation", calculated=True),
        _number("hs_email_bounce", "emailinformation", calculated=True),
        _number("associatedcompanyid", group),
        replace(_text("product_interest", group, "Product interest"), hubspot_defined=False),
    ]


def _company_properties() -> list[PropertyDef]:
    group = "companyinformation"
    return [
        *_system(group),
        *(_text(name, group) for name in ("name", "domain", "industry", "country", "city", "phone")),
        _number("numberofemployees", group),
        _number("annualrevenue", group),
        _choice("lifecyclestage", group, LIFECYCLE_STAGES),
        # The ids merged into this company, joined by ";" (set by a merge, read-only).
        replace(_text("hs_merged_object_ids", group, "Merged Company IDs"), calculated=True),
    ]


def _deal_properties() -> list[PropertyDef]:
    """The deal properties an outcome reads; stage and pipeline options are the default pipeline's ids (a
    portal's pipelines API adds its own)."""
    group = "dealinformation"
    return [
        *_system(group),
        _text("dealname", group, "Deal Name"),
        _text("dealtype", group, "Deal Type"),
        _text("description", group, "Deal Description"),
        _choice("pipeline", group, _enum(DEFAULT_DEAL_PIPELINE.id)),
        _choice("dealstage", group, _enum(*(stage.id for stage in DEFAULT_DEAL_PIPELINE.stages))),
        _number("amount", group),
        _moment("closedate", group),
        _text("deal_currency_code", group, "Currency"),
        _choice("hs_analytics_source", "analyticsinformation", ANALYTICS_SOURCES),
        _flag("hs_is_closed", group, calculated=True),
        _flag("hs_is_closed_won", group, calculated=True),
        _number("hs_deal_stage_probability", group, calculated=True),
    ]


_ENGAGEMENT_FIELDS = {
    "tasks": [
        ("hs_task_subject", None), ("hs_task_body", None), ("hs_task_reminders", "number"),
        ("hs_task_status", _enum("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")),
        ("hs_task_priority", _enum("NONE", "LOW", "MEDIUM", "HIGH")),
        ("hs_task_type", _enum("EMAIL", "CALL", "TODO", "LINKED_IN")),
    ],
    "calls": [
        ("hs_call_title", None), ("hs_call_body", None), ("hs_call_duration", "number"), ("hs_call_disposition", None),
        ("hs_call_direction", _enum("INBOUND", "OUTBOUND")),
        ("hs_call_status", _enum("BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED",
                                 "IN_PROGRESS", "NO_ANSWER", "QUEUED", "RINGING")),
    ],
    "emails": [
        ("hs_email_subject", None), ("hs_email_text", None),
        ("hs_email_direction", _enum("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
        ("hs_email_status", _enum("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")),
    ],
    "meetings": [
        ("hs_meeting_title", None), ("hs_meeting_body", None),
        ("hs_meeting_start_time", "datetime"), ("hs_meeting_end_time", "datetime"),
        ("hs_meeting_outcome", _enum("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")),
    ],
    "notes": [("hs_note_body", None)],
}  # fmt: skip


def _engagement_properties(object_type: str) -> list[PropertyDef]:
    group = f"{SINGULAR[object_type]}information"
    defs = [*_system(group), _moment("hs_timestamp", group)]
    for name, kind in _ENGAGEMENT_FIELDS[object_type]:
        if kind is None:
            defs.append(_text(name, group))
        elif kind == "number":
            defs.append(_number(name, group))
        elif kind == "datetime":
            defs.append(_moment(name, group))
        else:
            defs.append(_choice(name, group, kind))
    return defs


def default_catalog() -> dict[str, dict[str, PropertyDef]]:
    """The properties a fresh portal has, per object type."""
    by_type = {"contacts": _contact_properties(), "companies": _company_properties(), "deals": _deal_properties()}
    by_type |= {object_type: _engagement_properties(object_type) for object_type in ENGAGEMENT_TYPES}
    return {object_type: {prop.name: prop for prop in defs} for object_type, defs in by_type.items()}


def default_groups() -> dict[str, dict[str, PropertyGroup]]:
    groups: dict[str, dict[str, PropertyGroup]] = {}
    for object_type, props in default_catalog().items():
        names = sorted({prop.group_name for prop in props.values()})
        groups[object_type] = {
            name: PropertyGroup(name, name.replace("_", " ").title(), i) for i, name in enumerate(names)
        }
    return groups
