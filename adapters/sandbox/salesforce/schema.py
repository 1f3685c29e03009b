"""The objects and fields the sandbox org knows, and their describe output.

Field names are case-insensitive in Salesforce; `ObjectSchema.field` looks them up so. Custom fields added through
the Tooling API join the object's schema at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

STRING_TYPES = frozenset({"id", "string", "email", "phone", "url", "textarea", "picklist", "combobox", "reference"})
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime",
}  # fmt: skip


@dataclass(frozen=True)
class FieldSpec:
    """One field: its type and what the API lets a client do with it."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    custom: bool = False
    required: bool = False
    picklist: tuple[str, ...] = ()
    default: Any = None
    reference_to: tuple[str, ...] = ()

    @property
    def relationship_name(self) -> str | None:
        """`AccountId` -> `Account`: the name SOQL uses to reach the parent record."""
        if self.type != "reference" or not self.reference_to or not self.name.endswith("Id"):
            return None
        return self.name[:-2]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "soapType": SOAP_TYPES.get(self.type, "xsd:string"),
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": self.precision,
            "scale": self.scale,
            "digits": 9 if self.type == "int" else 0,
            "createable": self.createable,
            "updateable": self.updateable,
            "nillable": self.nillable,
            "custom": self.custom,
            "calculated": False,
            "defaultedOnCreate": self.default is not None or self.name in ("Id", "OwnerId", "CreatedDate"),
            "defaultValue": self.default if self.type == "boolean" else None,
            "filterable": True,
            "sortable": self.type != "textarea",
            "groupable": self.type not in ("textarea", "double", "currency", "percent", "datetime"),
            "unique": False,
            "externalId": False,
            "idLookup": self.name == "Id",
            "nameField": self.name == "Name",
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist
            ],
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
        }


@dataclass
class ObjectSchema:
    """One sObject type. Mutable only to add custom fields, under the schema lock."""

    name: str
    key_prefix: str
    label: str
    label_plural: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    _by_lower: dict[str, FieldSpec] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_lower = {name.lower(): spec for name, spec in self.fields.items()}

    def field(self, name: str) -> FieldSpec | None:
        return self._by_lower.get(name.lower())

    def add_field(self, spec: FieldSpec) -> None:
        self.fields = {**self.fields, spec.name: spec}
        self._by_lower = {**self._by_lower, spec.name.lower(): spec}

    def relationship(self, name: str) -> FieldSpec | None:
        """The reference field behind a relationship name (`Account` -> `AccountId`), case-insensitively."""
        spec = self.field(name + "Id")
        return spec if spec is not None and spec.relationship_name else None

    def describe(self, version: str) -> dict[str, Any]:
        return {
            **self.describe_global(version),
            "fields": [spec.describe() for spec in self.fields.values()],
            "childRelationships": [],
            "recordTypeInfos": [],
        }

    def describe_global(self, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": False,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "layoutable": True,
            "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        }


def _text(name: str, length: int = 255, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "string", length=length, **kw)


def _pick(name: str, values: Iterable[str], **kw: Any) -> FieldSpec:
    return FieldSpec(name, "picklist", length=255, picklist=tuple(values), **kw)


def _ref(name: str, *targets: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "reference", length=18, reference_to=targets, **kw)


def _flag(name: str, default: bool = False, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "boolean", nillable=False, default=default, **kw)


def _computed(spec: FieldSpec) -> FieldSpec:
    return replace(spec, createable=False, updateable=False)


def _system_fields() -> list[FieldSpec]:
    # CreatedDate and LastModifiedDate are createable as with the "Set Audit Fields upon Record Creation" permission.
    return [
        FieldSpec("Id", "id", length=18, createable=False, updateable=False, nillable=False),
        _computed(_flag("IsDeleted")),
        FieldSpec("CreatedDate", "datetime", updateable=False, nillable=False),
        _ref("CreatedById", "User", updateable=False, nillable=False),
        FieldSpec("LastModifiedDate", "datetime", updateable=False, nillable=False),
        _ref("LastModifiedById", "User", updateable=False, nillable=False),
        _computed(FieldSpec("SystemModstamp", "datetime", nillable=False)),
    ]


INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
    "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental", "Finance",
    "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing",
    "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology", "Telecommunications",
    "Transportation", "Utilities", "Other",
)  # fmt: skip
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
#: The Lead Status values of orgs created since Sales Cloud's 2021 defaults.
LEAD_STATUSES = ("New", "Working", "Nurturing", "Qualified", "Unqualified")
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
TASK_SUBTYPES = ("Task", "Email", "LinkedIn", "List Email", "Cadence", "Call")
#: CampaignMember statuses that count as a response (HasResponded), as in the default member status sets.
RESPONDED_STATUSES = frozenset({"Responded", "Registered", "Attended", "Clicked", "Submitted"})
MEMBER_STATUSES = ("Planned", "Sent", "Received", "Responded", "Registered", "Attended", "Clicked", "Submitted")


@dataclass(frozen=True)
class Stage:
    """One Opportunity stage as Salesforce's OpportunityStage object holds it: closed and won are set per stage
    (Setup > Opportunity Stages), and an Opportunity's IsClosed / IsWon follow its StageName.
    https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-opportunitystage.html
    """

    name: str
    probability: int
    forecast: str
    closed: bool = False
    won: bool = False


#: The stages of a new org's sales process, in order, with their default probability and forecast category.
OPPORTUNITY_STAGES = (
    Stage("Prospecting", 10, "Pipeline"), Stage("Qualification", 10, "Pipeline"),
    Stage("Needs Analysis", 20, "Pipeline"), Stage("Value Proposition", 50, "Pipeline"),
    Stage("Id. Decision Makers", 60, "Pipeline"), Stage("Perception Analysis", 70, "Pipeline"),
    Stage("Proposal/Price Quote", 75, "Pipeline"), Stage("Negotiation/Review", 90, "Pipeline"),
    Stage("Closed Won", 100, "Closed", closed=True, won=True), Stage("Closed Lost", 0, "Omitted", closed=True),
)  # fmt: skip
#: OpportunityContactRole.Role's default values.
CONTACT_ROLES = (
    "Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator",
    "Executive Sponsor", "Influencer", "Technical Buyer", "Other",
)  # fmt: skip
#: Group.Type values a scoring connector meets: queues own records, regular groups share them.
GROUP_TYPES = ("Queue", "Regular", "Role", "RoleAndSubordinates", "Organization")
FORECAST_CATEGORIES = ("Omitted", "Pipeline", "Best Case", "Commit", "Closed")


def _person_fields() -> list[FieldSpec]:
    return [
        _text("FirstName", 40),
        _text("LastName", 80, nillable=False, required=True),
        _computed(_text("Name", 121)),
        _text("Title", 128),
        FieldSpec("Email", "email", length=80),
        FieldSpec("Phone", "phone", length=40),
        _pick("LeadSource", LEAD_SOURCES),
        _flag("HasOptedOutOfEmail"),
        _flag("DoNotCall"),
        _ref("OwnerId", "User", nillable=False),
        _computed(FieldSpec("LastActivityDate", "date")),
        FieldSpec("EmailBouncedDate", "datetime"),
        FieldSpec("Description", "textarea", length=32000),
        FieldSpec("ProductInterest__c", "picklist", label="Product Interest", length=255, custom=True),
    ]


def _lead_owner(fields: list[FieldSpec]) -> list[FieldSpec]:
    """A lead's owner is a user or a queue: Lead.OwnerId is polymorphic, describe lists referenceTo [Group, User]
    (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_lead.htm)."""
    return [replace(spec, reference_to=("Group", "User")) if spec.name == "OwnerId" else spec for spec in fields]


def _activity_fields() -> list[FieldSpec]:
    return [
        FieldSpec("Subject", "combobox", length=255),
        _ref("WhoId", "Lead", "Contact", label="Name ID"),
        _ref("WhatId", "Account", "Opportunity", "Campaign", label="Related To ID"),
        _ref("OwnerId", "User", nillable=False),
        FieldSpec("ActivityDate", "date"),
        FieldSpec("Description", "textarea", length=32000),
        _pick("Type", ("Call", "Email", "Meeting", "Other")),
    ]


def _object_definitions() -> list[tuple[str, str, str, list[FieldSpec]]]:
    return [
        ("User", "005", "Users", [
            _text("Username", 80, nillable=False, required=True), _text("FirstName", 40),
            _text("LastName", 80, nillable=False, required=True), _computed(_text("Name", 121)),
            FieldSpec("Email", "email", length=128, nillable=False, required=True), _text("Alias", 8),
            _text("Title", 80), _flag("IsActive", True), _ref("ManagerId", "User"),
        ]),
        ("Account", "001", "Accounts", [
            _text("Name", 255, nillable=False, required=True), _pick("Industry", INDUSTRIES),
            FieldSpec("NumberOfEmployees", "int", precision=8), FieldSpec("AnnualRevenue", "currency", precision=18),
            _text("BillingCountry", 80), FieldSpec("Website", "url", length=255),
            _pick("Type", ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")),
            _ref("OwnerId", "User", nillable=False), _computed(_ref("MasterRecordId", "Account")),
        ]),
        ("Group", "00G", "Groups", [
            _text("Name", 40, nillable=False, required=True), _text("DeveloperName", 80),
            _pick("Type", GROUP_TYPES, nillable=False, required=True), FieldSpec("Email", "email", length=255),
        ]),
        ("Lead", "00Q", "Leads", [
            *_lead_owner(_person_fields()), _text("Company", 255, nillable=False, required=True),
            _pick("Industry", INDUSTRIES),
            FieldSpec("NumberOfEmployees", "int", precision=8), FieldSpec("AnnualRevenue", "currency", precision=18),
            _text("Country", 80), _pick("Status", LEAD_STATUSES, nillable=False, default="New"),
            _pick("Rating", ("Hot", "Warm", "Cold")),
            FieldSpec("IsConverted", "boolean", nillable=False, default=False, updateable=False),
            FieldSpec("ConvertedDate", "date", updateable=False),
            _ref("ConvertedContactId", "Contact", updateable=False),
            _ref("ConvertedAccountId", "Account", updateable=False),
            _ref("ConvertedOpportunityId", "Opportunity", updateable=False),
        ]),
        ("Contact", "003", "Contacts", [
            *_person_fields(), _ref("AccountId", "Account"), _text("Department", 80), _text("MailingCountry", 80),
        ]),
        ("Campaign", "701", "Campaigns", [
            _text("Name", 80, nillable=False, required=True),
            _pick("Type", ("Advertisement", "Email", "Webinar", "Conference", "Trade Show", "Direct Mail", "Other")),
            _pick("Status", ("Planned", "In Progress", "Completed", "Aborted")), _flag("IsActive"),
            FieldSpec("StartDate", "date"), FieldSpec("EndDate", "date"), _ref("OwnerId", "User", nillable=False),
        ]),
        ("CampaignMember", "00v", "Campaign Members", [
            _ref("CampaignId", "Campaign", nillable=False, required=True, updateable=False),
            _ref("LeadId", "Lead", updateable=False), _ref("ContactId", "Contact", updateable=False),
            _computed(FieldSpec("LeadOrContactId", "reference", length=18, reference_to=("Contact", "Lead"))),
            _pick("Status", MEMBER_STATUSES, default="Sent"), _computed(_flag("HasResponded")),
            _computed(FieldSpec("FirstRespondedDate", "date")),
        ]),
        ("Task", "00T", "Tasks", [
            *_activity_fields(), _pick("Status", TASK_STATUSES, nillable=False, default="Not Started"),
            _pick("Priority", ("High", "Normal", "Low"), nillable=False, default="Normal"),
            _computed(_flag("IsClosed")), _pick("TaskSubtype", TASK_SUBTYPES, updateable=False),
            _pick("CallType", ("Internal", "Inbound", "Outbound")), FieldSpec("CallDurationInSeconds", "int"),
            _text("CallDisposition", 255),
        ]),
        ("Event", "00U", "Events", [
            *_activity_fields(), FieldSpec("ActivityDateTime", "datetime"), FieldSpec("StartDateTime", "datetime"),
            FieldSpec("EndDateTime", "datetime"), FieldSpec("DurationInMinutes", "int"), _text("Location", 255),
            _pick("EventSubtype", ("Event",), updateable=False),
        ]),
        ("Opportunity", "006", "Opportunities", [
            _text("Name", 120, nillable=False, required=True), _ref("AccountId", "Account"),
            _pick("StageName", (stage.name for stage in OPPORTUNITY_STAGES), nillable=False, required=True),
            FieldSpec("CloseDate", "date", nillable=False, required=True),
            FieldSpec("Amount", "currency", precision=18),
            FieldSpec("Probability", "percent", precision=3), _pick("LeadSource", LEAD_SOURCES),
            _computed(_flag("IsClosed")), _computed(_flag("IsWon")), _ref("OwnerId", "User", nillable=False),
        ]),
        # A single-currency org: no CurrencyIsoCode on any object (it exists only with multi-currency enabled).
        ("OpportunityContactRole", "00K", "Opportunity Contact Roles", [
            _ref("OpportunityId", "Opportunity", nillable=False, required=True, updateable=False),
            _ref("ContactId", "Contact", nillable=False, required=True), _pick("Role", CONTACT_ROLES),
            _flag("IsPrimary"),
        ]),
        ("OpportunityStage", "01J", "Opportunity Stages", [
            _computed(_text("MasterLabel", 255)), _computed(_text("ApiName", 255)), _computed(_flag("IsActive")),
            _computed(_flag("IsClosed")), _computed(_flag("IsWon")),
            _computed(FieldSpec("DefaultProbability", "percent", precision=3)),
            _computed(_pick("ForecastCategoryName", FORECAST_CATEGORIES)), _computed(FieldSpec("SortOrder", "int")),
            _computed(_text("Description", 255)),
        ]),
    ]  # fmt: skip


class OrgSchema:
    """Every sObject type of the org, by name (case-insensitive), with a lock for adding custom fields."""

    def __init__(self, objects: Iterable[ObjectSchema]) -> None:
        self._objects = {obj.name.lower(): obj for obj in objects}
        self._lock = threading.Lock()

    @classmethod
    def standard(cls) -> OrgSchema:
        objects = []
        for name, prefix, plural, own_fields in _object_definitions():
            specs = {spec.name: _labelled(spec) for spec in [*_system_fields(), *own_fields]}
            objects.append(ObjectSchema(name, prefix, name, plural, specs))
        return cls(objects)

    def get(self, name: str) -> ObjectSchema | None:
        return self._objects.get(name.lower())

    def by_prefix(self, key_prefix: str) -> ObjectSchema | None:
        return next((obj for obj in self._objects.values() if obj.key_prefix == key_prefix), None)

    def __iter__(self) -> Iterator[ObjectSchema]:
        return iter(self._objects.values())

    def add_custom_field(self, object_name: str, spec: FieldSpec) -> None:
        with self._lock:
            self._objects[object_name.lower()].add_field(spec)

    def custom_fields(self) -> dict[str, list[FieldSpec]]:
        return {obj.name: [spec for spec in obj.fields.values() if spec.custom] for obj in self}


def _labelled(spec: FieldSpec) -> FieldSpec:
    if spec.label:
        return spec
    words = spec.name.removesuffix("Id") if spec.type == "reference" else spec.name
    label = "".join(f" {char}" if char.isupper() and index else char for index, char in enumerate(words))
    return replace(spec, label=label.replace(" I D", " ID"))
