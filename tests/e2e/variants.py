"""Models and mappings for the worked examples of issue 11 end to end: the shipped files with one feature turned on.

Each is written next to the test's sandbox, from mappings/scoring.yaml and the shipped mapping of the CRM, so the
activity types the mapping produces stay those the model lists (a run refuses a model missing one).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.conftest import MAPPINGS, MODEL

#: Score groups tagging the shipped rules: what the contact does on the web (pages, e-mails, forms) and the
#: events sales run (webinars, demos, meetings, calls). The events group has stages of its own.
GROUP_OF_TYPE = {
    "page_view": "web", "email_open": "web", "email_click": "web", "form_fill": "web",
    "webinar_registered": "events", "webinar_attended": "events", "demo_scheduled": "events",
    "demo_attended": "events", "meeting": "events", "call": "events",
}  # fmt: skip
GROUPS = [
    {"name": "web"},
    {
        "name": "events",
        "stages": [
            {"name": "cold"},
            {"name": "warm", "when": [{"score": "engagement", "at_least": 15}]},
            {"name": "hot", "when": [{"score": "lead", "at_least": 60}]},
        ],
    },
]
#: The group values written back: both groups' scores, and the stage of the group that has stages.
GROUP_TARGETS = ("groups.web.lead", "groups.web.engagement", "groups.events.lead", "groups.events.engagement",
                 "groups.events.stage")  # fmt: skip


def group_fields(crm: str) -> dict[str, str]:
    """Target -> the Salesforce field or HubSpot property receiving it (SB_Events_Lead__c, scorebridge_events_lead)."""
    names = {target: target.removeprefix("groups.").split(".") for target in GROUP_TARGETS}
    if crm == "salesforce":
        return {target: f"SB_{group.title()}_{value.title()}__c" for target, (group, value) in names.items()}
    return {target: f"scorebridge_{group}_{value}" for target, (group, value) in names.items()}


def shipped_model() -> dict[str, Any]:
    return yaml.safe_load(MODEL.read_text())


def write_model(workdir: Path, name: str, model: Mapping[str, Any]) -> Path:
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(dict(model), sort_keys=False))
    return path


def grouped_model() -> dict[str, Any]:
    """The shipped model, each rule tagged with the group of its activity type (negative signals with none)."""
    model = shipped_model()
    for rule in model["behavior"]["rules"]:
        if rule["type"] in GROUP_OF_TYPE:
            rule["group"] = GROUP_OF_TYPE[rule["type"]]
    return model | {"groups": GROUPS}


def decay_by_type_model() -> dict[str, Any]:
    """The shipped model with a 14-day half-life, demos and meetings fading slowly and e-mail opens fast."""
    model = shipped_model()
    model["engagement"] |= {
        "half_life_days": 14,
        "by_type": {
            "demo_attended": {"window_days": 90, "half_life_days": 60},
            "meeting": {"window_days": 90, "half_life_days": 60},
            "email_open": {"window_days": 7, "half_life_days": 2},
        },
    }
    return model


#: The engagement an MQL needs in the cooling-off model (docs/scoring.md, "When a stage lapses").
MQL_ENGAGEMENT = 10


def cooling_off_model() -> dict[str, Any]:
    """The shipped model with MQL held by engagement (as mappings/examples/cooling_off.yaml), decaying with a 14-day
    half-life, and stages following the scores at once (no quiet period), so an MQL lapses when engagement does."""
    model = shipped_model()
    model["engagement"]["half_life_days"] = 14
    for stage in model["stages"]:
        if stage["name"] == "mql":
            stage["when"] = [{"score": "engagement", "at_least": MQL_ENGAGEMENT}]
    model["lifecycle"]["quiet_days"] = None
    return model


def mapping_with_targets(crm: str, workdir: Path, fields: Mapping[str, str]) -> Path:
    """The shipped mapping of `crm` writing also `fields` (target -> CRM field or property name)."""
    mapping = yaml.safe_load(MAPPINGS[crm].read_text())
    if crm == "salesforce":
        for entry in mapping["objects"].values():
            entry["write_back"] |= dict(fields)
    else:
        properties = mapping["write_back"]["properties"]
        for target, name in fields.items():
            number = not target.endswith(".stage")
            properties[target] = {
                "name": name,
                "label": name.replace("_", " "),
                "type": "number" if number else "string",
                "field_type": "number" if number else "text",
            }
    path = workdir / f"mapping-{crm}.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False))
    return path


def first_time_only_model() -> dict[str, Any]:
    """The shipped model where a webinar counts once per person ever and a pricing page view once a week."""
    model = shipped_model()
    for rule in model["behavior"]["rules"]:
        if rule.get("label") == "Webinar attended":
            rule |= {"once": True}
        elif rule.get("label") == "Pricing page":
            rule |= {"once_per_days": 7}
            rule.pop("daily_cap", None)
    return model
