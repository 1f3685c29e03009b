"""The in-memory org: records by object and id, with Salesforce's system fields and save rules.

Writes replace a record's dict instead of mutating it, so a query that took a snapshot of the table under the lock
can read its rows afterwards without seeing a half-applied update.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from adapters.sandbox.salesforce.api_errors import RecordError
from adapters.sandbox.salesforce.ids import IdFactory, is_well_formed, to_18
from adapters.sandbox.salesforce.save_rules import (
    refuse_converted_lead,
    refuse_converted_references,
    refuse_wrong_who,
    whole_second_stamps,
)
from adapters.sandbox.salesforce.schema import (
    OPPORTUNITY_STAGES,
    RESPONDED_STATUSES,
    FieldSpec,
    ObjectSchema,
    OrgSchema,
)
from adapters.sandbox.salesforce.values import coerce, format_datetime

Record = dict[str, Any]
Clock = Callable[[], datetime]
#: Deleting a parent deletes these children with it, as Salesforce does: (child object, field naming the parent).
CASCADES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId")),
    "Opportunity": (("OpportunityContactRole", "OpportunityId"),),
    "Contact": (("OpportunityContactRole", "ContactId"),),
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class RecordStore:
    """Records of every object, keyed by 18-character id; thread-safe."""

    def __init__(self, schema: OrgSchema, *, clock: Clock = utc_now, ids: IdFactory | None = None) -> None:
        self.schema = schema
        self.clock = clock
        self.ids = ids or IdFactory()
        self._lock = threading.RLock()
        self._tables: dict[str, dict[str, Record]] = {obj.name: {} for obj in schema}
        self._object_of: dict[str, str] = {}
        self.api_user_id = self.insert(
            "User",
            {
                "Username": "integration@scorebridge.sandbox",
                "LastName": "Integration",
                "FirstName": "ScoreBridge",
                "Email": "integration@scorebridge.sandbox",
                "Alias": "sbint",
            },
        )
        for order, stage in enumerate(OPPORTUNITY_STAGES, start=1):
            self.insert("OpportunityStage", _stage_record(stage, order), canonical=True)

    # -- reads --------------------------------------------------------------------------------------------

    def object_schema(self, object_name: str) -> ObjectSchema | None:
        return self.schema.get(object_name)

    def get(self, record_id: str, *, include_deleted: bool = False) -> Record | None:
        """A record of any object by its 15- or 18-character id."""
        if not is_well_formed(record_id):
            return None
        record_id = to_18(record_id)
        with self._lock:
            object_name = self._object_of.get(record_id)
            record = self._tables[object_name].get(record_id) if object_name else None
        if record is None or (record["IsDeleted"] and not include_deleted):
            return None
        return record

    def peek(self, record_id: str | None) -> Record | None:
        """A live record by exact 18-character id, without locking: for the query engine's parent look-ups
        (single dict reads are atomic, and records are replaced rather than mutated)."""
        object_name = self._object_of.get(record_id) if record_id else None
        record = self._tables[object_name].get(record_id) if object_name else None
        return None if record is None or record["IsDeleted"] else record

    def type_of(self, record_id: str) -> str | None:
        """The object name of an exact 18-character id, without checks or locking (query hot path)."""
        return self._object_of.get(record_id)

    def name_type(self, record_id: str) -> str | None:
        """What a polymorphic `Owner.Type` / `Who.Type` reads: the object's name, except that a queue (a Group of
        Type Queue) reads "Queue", as Salesforce's Name object reports it."""
        object_name = self.object_of(record_id)
        if object_name == "Group":
            record = self.get(record_id)
            return "Queue" if record is not None and record.get("Type") == "Queue" else object_name
        return object_name

    def object_of(self, record_id: str) -> str | None:
        with self._lock:
            return self._object_of.get(to_18(record_id)) if is_well_formed(record_id) else None

    def rows(self, object_name: str, *, include_deleted: bool = False) -> list[Record]:
        """A snapshot of an object's records, in insertion order."""
        with self._lock:
            records = list(self._tables[object_name].values())
        return records if include_deleted else [record for record in records if not record["IsDeleted"]]

    def count(self, object_name: str) -> int:
        return len(self.rows(object_name))

    # -- writes -------------------------------------------------------------------------------------------

    def insert(self, object_name: str, fields: Mapping[str, Any], *, canonical: bool = False) -> str:
        """Trusted insert for fixtures and generators: any field, including audit fields and an explicit Id.

        `canonical=True` skips value conversion for callers that already hold stored forms (exact field names,
        18-character ids, `format_datetime` strings): the population import, a million records at a time."""
        obj = self._object(object_name)
        if canonical:
            unknown = [name for name in fields if name not in obj.fields]
            if unknown:
                raise RecordError("INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {obj.name}")
            return self._save_new(obj, dict(fields), backdate=True)
        values = self._coerce_all(obj, fields, allow=lambda spec: True)
        return self._save_new(obj, values, backdate=True)

    def create(self, object_name: str, fields: Mapping[str, Any]) -> str:
        """An API create: only createable fields (audit dates included, as with the audit-fields permission)."""
        obj = self._object(object_name)
        values = self._coerce_all(obj, fields, allow=lambda spec: spec.createable)
        refuse_converted_references(obj, values, self.peek, self._object_of.get)
        refuse_wrong_who(obj, values, self._object_of.get)
        return self._save_new(obj, values, backdate=False)

    def update(self, object_name: str, record_id: str, fields: Mapping[str, Any], *, trusted: bool = False) -> None:
        obj = self._object(object_name)
        values = self._coerce_all(obj, fields, allow=lambda spec: trusted or spec.updateable)
        with self._lock:
            current = self._existing(obj, record_id)
            if not trusted:
                refuse_converted_lead(obj, current)
                refuse_converted_references(obj, values, self.peek, self._object_of.get)
                refuse_wrong_who(obj, values, self._object_of.get)
            now = self._audit_stamp()
            stamps = {"LastModifiedDate": now, "SystemModstamp": now, "LastModifiedById": self.api_user_id}
            merged = whole_second_stamps({**current, **stamps, **values})  # only trusted writes carry own stamps
            self._check_required(obj, merged)
            self._check_references(obj, values)
            self._tables[obj.name][merged["Id"]] = self._derive(obj, merged)

    def delete(self, object_name: str, record_id: str) -> None:
        """Soft delete: the row stays for queryAll with IsDeleted true, as in the recycle bin."""
        obj = self._object(object_name)
        with self._lock:
            self._delete_with_children(obj.name, self._existing(obj, record_id), self._audit_stamp())

    def _delete_with_children(self, object_name: str, record: Record, now: str) -> None:
        self._tables[object_name][record["Id"]] = {**record, "IsDeleted": True, "SystemModstamp": now}
        for child, parent_field in CASCADES.get(object_name, ()):
            for row in self.rows(child):
                if row[parent_field] == record["Id"]:
                    self._delete_with_children(child, row, now)

    @contextmanager
    def atomically(self, *, undoable: bool = True) -> Iterator[Callable[[], None]]:
        """Hold the store for a batch; the yielded function undoes every write made inside the block so far.
        Keeping the undo copy costs a pass over every table, so batches that never roll back pass undoable=False."""
        with self._lock:
            if not undoable:
                yield lambda: None
                return
            tables = {name: dict(table) for name, table in self._tables.items()}
            object_of = dict(self._object_of)

            def roll_back() -> None:
                self._tables, self._object_of = tables, object_of

            yield roll_back

    def add_custom_field(self, object_name: str, spec: FieldSpec) -> None:
        obj = self._object(object_name)
        if obj.field(spec.name) is not None:
            raise RecordError("DUPLICATE_DEVELOPER_NAME", f"Duplicate field name: {spec.name}", ["FullName"])
        with self._lock:
            self.schema.add_custom_field(obj.name, spec)
            table = self._tables[obj.name]
            for record_id, record in table.items():
                table[record_id] = {**record, spec.name: spec.default}

    # -- state --------------------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        with self._lock:
            return {
                "records": {name: list(table.values()) for name, table in self._tables.items()},
                "custom_fields": {
                    name: [
                        vars(spec) | {"reference_to": list(spec.reference_to), "picklist": list(spec.picklist)}
                        for spec in specs
                    ]
                    for name, specs in self.schema.custom_fields().items()
                },
            }

    def restore(self, state: Mapping[str, Any]) -> None:
        with self._lock:
            for object_name, specs in state.get("custom_fields", {}).items():
                for raw in specs:
                    spec = FieldSpec(
                        **{**raw, "reference_to": tuple(raw["reference_to"]), "picklist": tuple(raw["picklist"])}
                    )
                    if self._object(object_name).field(spec.name) is None:
                        self.schema.add_custom_field(object_name, spec)
            self._tables = {obj.name: {} for obj in self.schema}
            self._object_of = {}
            highest = 0
            for object_name, records in state.get("records", {}).items():
                for record in records:
                    self._tables[object_name][record["Id"]] = dict(record)
                    self._object_of[record["Id"]] = object_name
                    highest = max(highest, IdFactory.sequence_of(record["Id"]))
            self.ids = IdFactory(start=highest + 1)
            self.api_user_id = next(iter(self._tables["User"]))

    # -- internals ----------------------------------------------------------------------------------------

    def _audit_stamp(self) -> str:
        """The org clock as an audit field holds it: to the whole second, as Salesforce's own stamps read
        (`.000`). With milliseconds every sync would re-read the last second's rows, which no real org makes it do."""
        return format_datetime(self.clock().replace(microsecond=0))

    def _object(self, object_name: str) -> ObjectSchema:
        obj = self.schema.get(object_name)
        if obj is None:
            raise RecordError("INVALID_TYPE", f"sObject type '{object_name}' is not supported.")
        return obj

    def _existing(self, obj: ObjectSchema, record_id: str) -> Record:
        if not is_well_formed(record_id) or to_18(record_id)[:3] != obj.key_prefix:
            raise RecordError("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"])
        current = self._tables[obj.name].get(to_18(record_id))
        if current is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        if current["IsDeleted"]:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
        return current

    def _coerce_all(self, obj: ObjectSchema, fields: Mapping[str, Any], allow: Callable[[FieldSpec], bool]) -> Record:
        values: Record = {}
        for name, value in fields.items():
            if name == "attributes":
                continue
            spec = obj.field(name)
            if spec is None:
                raise RecordError("INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", [name])
            if not allow(spec):
                raise RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {spec.name}. Please check the security settings of this field "
                    "and verify that it is read/write for your profile or permission set.",
                    [spec.name],
                )
            values[spec.name] = coerce(spec, value)
        return values

    def _save_new(self, obj: ObjectSchema, values: Record, *, backdate: bool) -> str:
        """Store a new record; `backdate` lets a given CreatedDate carry over to SystemModstamp (fixtures only:
        through the API, Salesforce stamps SystemModstamp with the real time even when CreatedDate is set)."""
        record_id = values.get("Id") or self.ids.new_id(obj.key_prefix)
        if record_id[:3] != obj.key_prefix:
            raise RecordError("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"])
        now = self._audit_stamp()
        created = values.get("CreatedDate") or now
        modified = values.get("LastModifiedDate") or created
        user_id = getattr(self, "api_user_id", record_id)  # the very first record is the API user itself
        record = {spec.name: spec.default for spec in obj.fields.values()}
        record |= {
            "Id": record_id,
            "IsDeleted": False,
            "CreatedDate": created,
            "LastModifiedDate": modified,
            "SystemModstamp": modified if backdate else now,
            "CreatedById": user_id,
            "LastModifiedById": user_id,
        }
        if obj.field("OwnerId") is not None:
            record["OwnerId"] = user_id
        record |= {name: value for name, value in values.items() if value is not None or name not in record}
        record = whole_second_stamps(record)
        with self._lock:
            self._check_required(obj, record)
            self._check_references(obj, values)
            if record_id in self._object_of:
                raise RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: Id duplicates value on record with id: {record_id}",
                    ["Id"],
                )
            self._tables[obj.name][record_id] = self._derive(obj, record)
            self._object_of[record_id] = obj.name
            if obj.name == "OpportunityStage":
                self._list_stage(str(record["MasterLabel"]))
        return record_id

    def _list_stage(self, name: str) -> None:
        """A stage added in Setup is a value of Opportunity.StageName's picklist from then on (describe shows it)."""
        stage_name = self.schema.get("Opportunity").fields["StageName"]
        if name not in stage_name.picklist:
            self.schema.add_custom_field("Opportunity", replace(stage_name, picklist=(*stage_name.picklist, name)))

    def _check_required(self, obj: ObjectSchema, record: Record) -> None:
        missing = [spec.name for spec in obj.fields.values() if spec.required and record.get(spec.name) in (None, "")]
        if obj.name == "CampaignMember" and not (record.get("LeadId") or record.get("ContactId")):
            missing.append("LeadOrContactId")
        if missing:
            raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)

    def _check_references(self, obj: ObjectSchema, values: Record) -> None:
        for name, value in values.items():
            spec = obj.fields[name]
            if spec.type != "reference" or value is None:
                continue
            target = self._object_of.get(value)
            if target not in spec.reference_to:
                raise RecordError("INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [spec.name])

    def _derive(self, obj: ObjectSchema, record: Record) -> Record:
        if obj.name == "Opportunity":
            closed, won = self._stage_flags().get(record.get("StageName"), (False, False))
            record["IsClosed"], record["IsWon"] = closed, won
        return _derive(obj, record)

    def _stage_flags(self) -> dict[str, tuple[bool, bool]]:
        """Closed and won per stage name, as the org's OpportunityStage records say (a state saved before the
        sandbox had them: the defaults)."""
        rows = self.rows("OpportunityStage")
        if not rows:
            return {stage.name: (stage.closed, stage.won) for stage in OPPORTUNITY_STAGES}
        return {row["MasterLabel"]: (row["IsClosed"], row["IsWon"]) for row in rows}


def _stage_record(stage: Any, order: int) -> Record:
    return {
        "MasterLabel": stage.name,
        "ApiName": stage.name,
        "IsActive": True,
        "IsClosed": stage.closed,
        "IsWon": stage.won,
        "DefaultProbability": stage.probability,
        "ForecastCategoryName": stage.forecast,
        "SortOrder": order,
    }


def _derive(obj: ObjectSchema, record: Record) -> Record:
    """Fields Salesforce computes from others: names, closed flags, campaign responses."""
    if "Name" in obj.fields and "LastName" in obj.fields:
        record["Name"] = " ".join(part for part in (record.get("FirstName"), record.get("LastName")) if part)
    if obj.name == "Task":
        record["IsClosed"] = record.get("Status") == "Completed"
    if obj.name == "CampaignMember":
        record["LeadOrContactId"] = record.get("ContactId") or record.get("LeadId")
        record["HasResponded"] = record.get("Status") in RESPONDED_STATUSES
        if record["HasResponded"] and not record.get("FirstRespondedDate"):
            record["FirstRespondedDate"] = record["SystemModstamp"][:10]
    return record


def ordered_for_loading(payload: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[str]:
    """Object names in an order where parents load before the records that point at them."""
    order = [
        "User", "Group", "Account", "Campaign", "Contact", "Opportunity", "Lead", "OpportunityContactRole", "Task",
        "Event", "CampaignMember",
    ]  # fmt: skip
    return [name for name in order if name in payload] + [name for name in payload if name not in order]
