"""What a sandbox CRM holds after a sync: the ScoreBridge values on each record and the follow-up tasks.

Read straight from the sandbox's own records (not through an adapter), in ScoreBridge's logical target names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SALESFORCE_FIELDS = {
    "fit": "ScoreBridge_Fit__c",
    "lead": "ScoreBridge_Lead__c",
    "engagement": "ScoreBridge_Engagement__c",
    "recency": "ScoreBridge_Recency__c",
    "combined": "ScoreBridge_Score__c",
    "stage": "ScoreBridge_Stage__c",
    "grade": "ScoreBridge_Grade__c",
    "reasons": "ScoreBridge_Reasons__c",
}
SALESFORCE_TASK_KEY = "ScoreBridge_Key__c"
HUBSPOT_PROPERTIES = {
    "fit": "scorebridge_fit_score",
    "lead": "scorebridge_lead_score",
    "engagement": "scorebridge_engagement_score",
    "combined": "scorebridge_combined_score",
    "stage": "scorebridge_stage",
    "grade": "scorebridge_grade",
    "reasons": "scorebridge_top_reasons",
}
HUBSPOT_TASK_KEY = "scorebridge_task_key"
#: Where each shipped mapping writes `stage_until`, the day the stage lapses (a Salesforce Date, a HubSpot date).
STAGE_UNTIL = {"salesforce": "ScoreBridge_Stage_Until__c", "hubspot": "scorebridge_stage_until"}
NUMBERS = ("fit", "lead", "engagement", "recency", "combined")


def _typed(name: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    return round(float(value)) if name in NUMBERS else str(value)


def written_scores(crm: str, app: Any) -> dict[str, dict[str, Any]]:
    """crm_id -> {target: value} for every live lead/contact; a record never written has all values None."""
    fields = SALESFORCE_FIELDS if crm == "salesforce" else HUBSPOT_PROPERTIES
    return {
        crm_id: {key: _typed(key, value) for key, value in values.items()}
        for crm_id, values in held_values(crm, app, fields).items()
    }


def held_values(crm: str, app: Any, fields: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """crm_id -> {target: the value as the CRM holds it} of every live lead/contact, for targets named in `fields`
    (target -> Salesforce field or HubSpot property)."""
    if crm == "salesforce":
        rows = [row for name in ("Lead", "Contact") for row in app.store.rows(name)]
        return {row["Id"]: {key: row.get(field) for key, field in fields.items()} for row in rows}
    with app.portal.lock:
        return {
            str(person.id): {key: person.properties.get(prop) for key, prop in fields.items()}
            for person in app.portal.objects.active("contacts")
        }


def task_kind(key: str) -> str:
    """What caused a ScoreBridge task, read from its key (connector/outbox.py): "stage", "reengaged" or
    "escalation"."""
    if key.startswith("escalation:"):
        return "escalation"
    parts = key.split(":")
    return "reengaged" if len(parts) > 2 and parts[2] == "reengaged" else "stage"


def task_counts(crm: str, app: Any, kinds: frozenset[str] | None = frozenset({"stage"})) -> Counter[str]:
    """crm_id of the lead/contact -> how many ScoreBridge tasks of these kinds name it (None: every kind)."""

    def wanted(key: str | None) -> bool:
        return bool(key) and (kinds is None or task_kind(key) in kinds)

    if crm == "salesforce":
        return Counter(row["WhoId"] for row in app.store.rows("Task") if wanted(row.get(SALESFORCE_TASK_KEY)))
    counts: Counter[str] = Counter()
    with app.portal.lock:
        for task in app.portal.objects.active("tasks"):
            if wanted(task.properties.get(HUBSPOT_TASK_KEY)):
                for contact_id, _ in app.portal.associations.targets("tasks", task.id, "contacts"):
                    counts[str(contact_id)] += 1
    return counts


def task_texts(crm: str, app: Any) -> dict[str, tuple[str, str]]:
    """Idempotency key -> (subject, body) of each ScoreBridge task, as the CRM stores them (HubSpot: rich text)."""
    if crm == "salesforce":
        return {
            row[SALESFORCE_TASK_KEY]: (row.get("Subject") or "", row.get("Description") or "")
            for row in app.store.rows("Task")
            if row.get(SALESFORCE_TASK_KEY)
        }
    with app.portal.lock:
        return {
            task.properties[HUBSPOT_TASK_KEY]: (
                task.properties.get("hs_task_subject") or "",
                task.properties.get("hs_task_body") or "",
            )
            for task in app.portal.objects.active("tasks")
            if task.properties.get(HUBSPOT_TASK_KEY)
        }


def task_keys(crm: str, app: Any) -> Counter[str]:
    """Idempotency key -> how many CRM tasks carry it (more than one is a duplicate)."""
    if crm == "salesforce":
        return Counter(row[SALESFORCE_TASK_KEY] for row in app.store.rows("Task") if row.get(SALESFORCE_TASK_KEY))
    with app.portal.lock:
        return Counter(
            task.properties[HUBSPOT_TASK_KEY]
            for task in app.portal.objects.active("tasks")
            if task.properties.get(HUBSPOT_TASK_KEY)
        )


@dataclass(frozen=True)
class HeldTask:
    """A ScoreBridge task as the CRM holds it: its id, whether a rep closed it, and who has it."""

    task_id: str
    closed: bool
    owner_id: str | None


def held_tasks(crm: str, app: Any) -> dict[str, HeldTask]:
    """Idempotency key -> the ScoreBridge task carrying it (the first one, when a duplicate exists)."""
    held: dict[str, HeldTask] = {}
    if crm == "salesforce":
        for row in app.store.rows("Task"):
            if row.get(SALESFORCE_TASK_KEY):
                task = HeldTask(row["Id"], bool(row["IsClosed"]), row["OwnerId"])
                held.setdefault(row[SALESFORCE_TASK_KEY], task)
        return held
    with app.portal.lock:
        for task in app.portal.objects.active("tasks"):
            key = task.properties.get(HUBSPOT_TASK_KEY)
            if key:
                status = task.properties.get("hs_task_status")
                held.setdefault(
                    key, HeldTask(str(task.id), status == "COMPLETED", task.properties.get("hubspot_owner_id"))
                )
    return held
