"""sObject Collections (``composite/sobjects``): up to 200 creates or updates in one call, per-record SaveResults in
request order, and allOrNone rolling every record back when one fails."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from adapters.sandbox.salesforce.api_errors import ApiError, RecordError
from adapters.sandbox.salesforce.records import RecordStore

MAX_COLLECTION_RECORDS = 200
ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)


class RejectionPlan:
    """The "reject_share" fault: a share of the records in the next `calls` collection calls fail with a lock error,
    the transient per-record failure Salesforce gives under concurrent updates."""

    def __init__(self) -> None:
        self.share = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def arm(self, share: float, calls: int) -> None:
        with self._lock:
            self.share, self.calls = share, calls

    def clear(self) -> None:
        self.arm(0.0, 0)

    def rejected_positions(self, size: int) -> frozenset[int]:
        """Evenly spread positions, e.g. share 0.25 rejects the 4th, 8th, ... record."""
        with self._lock:
            if self.calls == 0 or self.share <= 0:
                return frozenset()
            if self.calls > 0:
                self.calls -= 1
            share = self.share
        return frozenset(index for index in range(size) if int((index + 1) * share) > int(index * share))


def lock_error(record_id: str | None) -> RecordError:
    suffix = f" or 1 records: {record_id}" if record_id else ""
    return RecordError("UNABLE_TO_LOCK_ROW", f"unable to obtain exclusive access to this record{suffix}")


def _records_of(body: Any) -> tuple[list[Mapping[str, Any]], bool]:
    if not isinstance(body, Mapping) or not isinstance(body.get("records"), list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be an object with a 'records' array")
    records = body["records"]
    if len(records) > MAX_COLLECTION_RECORDS:
        raise ApiError(
            400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"
        )
    for record in records:
        if (
            not isinstance(record, Mapping)
            or not isinstance(record.get("attributes"), Mapping)
            or not record["attributes"].get("type")
        ):
            raise ApiError(400, "INVALID_TYPE", "Must specify a type in attributes")
    return records, bool(body.get("allOrNone", False))


def save_collection(store: RecordStore, body: Any, *, update: bool, rejections: RejectionPlan) -> list[dict[str, Any]]:
    """Create (update=False) or update every record; SaveResults in request order."""
    records, all_or_none = _records_of(body)
    rejected = rejections.rejected_positions(len(records))
    with store.atomically(undoable=all_or_none) as roll_back:
        outcomes = [_save_one(store, record, update, index in rejected) for index, record in enumerate(records)]
        failed = any(isinstance(outcome, RecordError) for outcome in outcomes)
        if all_or_none and failed:
            roll_back()
    results = []
    for outcome in outcomes:
        if isinstance(outcome, RecordError):
            results.append({"success": False, "errors": [outcome.save_error()]})
        elif all_or_none and failed:
            rolled = {"id": outcome} if update else {}
            results.append({**rolled, "success": False, "errors": [ROLLED_BACK.save_error()]})
        else:
            results.append({"id": outcome, "success": True, "errors": []})
    return results


def _save_one(store: RecordStore, record: Mapping[str, Any], update: bool, reject: bool) -> str | RecordError:
    object_name = record["attributes"]["type"]
    fields = {name: value for name, value in record.items() if name.lower() not in ("attributes", "id")}
    record_id = next((value for name, value in record.items() if name.lower() == "id"), None)
    try:
        if reject:
            raise lock_error(record_id)
        if not update:
            if record_id is not None:
                raise RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            return store.create(object_name, fields)
        if not isinstance(record_id, str):
            raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        store.update(object_name, record_id, fields)
        return store.get(record_id, include_deleted=True)["Id"]
    except RecordError as error:
        return error
