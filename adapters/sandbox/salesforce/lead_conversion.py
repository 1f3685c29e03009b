"""Converting a lead and owning leads by queue: what a sales rep or an assignment rule does to an org between two
ScoreBridge runs.

Salesforce's `convertLead` (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_convertlead.htm)
turns a Lead into a Contact (new, or an existing one it is merged into) and an Account, marks the lead IsConverted
with ConvertedContactId / ConvertedAccountId / ConvertedDate, and leaves it read-only: any later update of it is
CANNOT_UPDATE_CONVERTED_LEAD. The stand-in does the same through `SalesforceApp.convert_lead`; it has no REST route
for it (nor has Salesforce: the call is SOAP or Apex only).
"""

from __future__ import annotations

from typing import Any

from adapters.sandbox.salesforce.records import Record, RecordStore

#: The person fields a conversion copies from Lead to Contact (standard lead field mapping).
COPIED_FIELDS = (
    "FirstName", "LastName", "Title", "Email", "Phone", "LeadSource", "HasOptedOutOfEmail", "DoNotCall",
    "Description", "ProductInterest__c",
)  # fmt: skip
CONVERTED_STATUS = "Qualified"


def convert_lead(store: RecordStore, lead_id: str, *, contact_id: str | None = None) -> str:
    """Convert a live, unconverted lead; returns the Contact id (a new one unless `contact_id` names one)."""
    lead = store.get(lead_id)
    if lead is None or store.object_of(lead_id) != "Lead" or lead["IsConverted"]:
        raise ValueError(f"{lead_id} is not a live unconverted Lead")
    account_id = _account_for(store, lead, contact_id)
    if contact_id is None:
        fields = {name: lead.get(name) for name in COPIED_FIELDS if lead.get(name) is not None}
        contact_id = store.create("Contact", {**fields, "AccountId": account_id, "MailingCountry": lead.get("Country")})
        owner = lead.get("OwnerId")
        if owner and store.object_of(owner) == "User":
            store.update("Contact", contact_id, {"OwnerId": owner}, trusted=True)
    conversion = {
        "IsConverted": True,
        "Status": CONVERTED_STATUS,
        "ConvertedContactId": contact_id,
        "ConvertedAccountId": account_id,
        "ConvertedDate": store.clock().date().isoformat(),
    }
    store.update("Lead", lead["Id"], conversion, trusted=True)
    return contact_id


def add_queue(store: RecordStore, name: str) -> str:
    """A lead queue (a Group of Type Queue); leads assigned to it have it as their OwnerId."""
    developer_name = "".join(char if char.isalnum() else "_" for char in name)
    return store.insert("Group", {"Name": name, "DeveloperName": developer_name, "Type": "Queue"})


def _account_for(store: RecordStore, lead: Record, contact_id: str | None) -> str:
    if contact_id is not None:
        contact: Any = store.get(contact_id)
        if contact is None or store.object_of(contact_id) != "Contact":
            raise ValueError(f"{contact_id} is not a live Contact")
        if contact.get("AccountId"):
            return str(contact["AccountId"])
    return store.create("Account", {"Name": lead.get("Company") or lead.get("LastName")})
