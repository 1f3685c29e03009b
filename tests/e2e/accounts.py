"""A company, its people and what they do, added to a sandbox as the CRM's users would; and what the CRM then holds
on the company: the values ScoreBridge wrote and the tasks it gave the company's owner.

One small class per CRM with the same methods, so the end-to-end test reads the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.e2e.conftest import SandboxWorld

#: Where each shipped mapping writes the account values (mappings/*.yaml, `accounts.write_back`).
SALESFORCE_ACCOUNT_FIELDS = {
    "score": "ScoreBridge_Account_Score__c",
    "stage": "ScoreBridge_Account_Stage__c",
    "engaged_contacts": "ScoreBridge_Account_Engaged_Contacts__c",
    "reasons": "ScoreBridge_Account_Reasons__c",
}
HUBSPOT_ACCOUNT_PROPERTIES = {
    "score": "scorebridge_account_score",
    "stage": "scorebridge_account_stage",
    "engaged_contacts": "scorebridge_account_engaged_contacts",
    "reasons": "scorebridge_account_reasons",
}
TASK_KEY = {"salesforce": "ScoreBridge_Key__c", "hubspot": "scorebridge_task_key"}


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    title: str = "Analyst"


class SalesforceOrg:
    def __init__(self, world: SandboxWorld) -> None:
        self.app = world.app

    def owner(self) -> str:
        return next(row["Id"] for row in self.app.store.rows("User") if row.get("IsActive", True))

    def add_account(self, name: str, domain: str, owner_id: str) -> str:
        return self.app.insert("Account", {"Name": name, "Website": f"https://www.{domain}/", "OwnerId": owner_id})

    def add_contact(self, person: Person, account_id: str) -> str:
        fields = {"FirstName": person.first_name, "LastName": person.last_name, "Email": person.email}
        return self.app.insert("Contact", fields | {"Title": person.title, "AccountId": account_id})

    def add_unlinked_lead(self, person: Person, company: str) -> str:
        fields = {"FirstName": person.first_name, "LastName": person.last_name, "Email": person.email}
        return self.app.insert("Lead", fields | {"Title": person.title, "Company": company})

    def add_meeting(self, person_id: str, at: datetime) -> None:
        when = at.isoformat().replace("+00:00", "Z")
        self.app.insert("Event", {"WhoId": person_id, "Subject": "Meeting", "ActivityDateTime": when})

    def delete_contact(self, contact_id: str) -> None:
        self.app.store.delete("Contact", contact_id)

    def account_values(self, account_id: str) -> dict[str, Any]:
        row = next(row for row in self.app.store.rows("Account") if row["Id"] == account_id)
        return {target: row.get(field) for target, field in SALESFORCE_ACCOUNT_FIELDS.items()}

    def account_tasks(self, account_id: str) -> list[dict[str, Any]]:
        """ScoreBridge tasks on the account: subject, body, owner."""
        return [
            {"subject": row.get("Subject") or "", "body": row.get("Description") or "", "owner": row["OwnerId"]}
            for row in self.app.store.rows("Task")
            if row.get("WhatId") == account_id and row.get(TASK_KEY["salesforce"])
        ]


class HubSpotPortal:
    def __init__(self, world: SandboxWorld) -> None:
        self.app = world.app
        self.portal = world.app.portal

    def owner(self) -> str:
        """The owner of a generated contact: an owner the portal knows."""
        with self.portal.lock:
            for contact in self.portal.objects.active("contacts"):
                if contact.properties.get("hubspot_owner_id"):
                    return str(contact.properties["hubspot_owner_id"])
        raise AssertionError("the generated portal has no owned contact")

    def add_account(self, name: str, domain: str, owner_id: str) -> str:
        return self.app.insert("companies", {"name": name, "domain": domain, "hubspot_owner_id": owner_id})

    def add_contact(self, person: Person, account_id: str) -> str:
        return self.app.insert("contacts", self._properties(person), {"companies": [account_id]})

    def add_unlinked_lead(self, person: Person, company: str) -> str:
        return self.app.insert("contacts", self._properties(person) | {"company": company})

    @staticmethod
    def _properties(person: Person) -> dict[str, str]:
        return {"firstname": person.first_name, "lastname": person.last_name, "email": person.email,
                "jobtitle": person.title}  # fmt: skip

    def add_meeting(self, person_id: str, at: datetime) -> None:
        properties = {
            "hs_meeting_title": "Meeting (video)",
            "hs_meeting_outcome": "COMPLETED",
            "hs_timestamp": at.isoformat().replace("+00:00", "Z"),
        }
        self.app.insert("meetings", properties, {"contacts": [person_id]})

    def delete_contact(self, contact_id: str) -> None:
        with self.portal.lock:
            record = self.portal.objects.get("contacts", contact_id)
            self.portal.objects.archive(record, self.portal.clock())

    def account_values(self, account_id: str) -> dict[str, Any]:
        with self.portal.lock:
            company = self.portal.objects.get("companies", account_id)
            return {target: company.properties.get(prop) for target, prop in HUBSPOT_ACCOUNT_PROPERTIES.items()}

    def account_tasks(self, account_id: str) -> list[dict[str, Any]]:
        tasks = []
        with self.portal.lock:
            for task in self.portal.objects.active("tasks"):
                if not task.properties.get(TASK_KEY["hubspot"]):
                    continue
                companies = {str(to_id) for to_id, _ in self.portal.associations.targets("tasks", task.id, "companies")}
                if account_id in companies:
                    tasks.append({"subject": task.properties.get("hs_task_subject") or "",
                                  "body": task.properties.get("hs_task_body") or "",
                                  "owner": task.properties.get("hubspot_owner_id")})  # fmt: skip
        return tasks


def crm_of(world: SandboxWorld) -> SalesforceOrg | HubSpotPortal:
    return SalesforceOrg(world) if world.crm == "salesforce" else HubSpotPortal(world)
