"""Writing scores onto HubSpot contacts and companies: batch update in chunks of 100, one result per input,
whatever happened.

A 207 answer lists per-input errors; a 400 for a whole batch (one bad value spoils the lot) is split in halves
until the bad input is alone, so the others still land. Unknown values are left out of the request: an empty
string would blank the property in HubSpot.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.errors import HubSpotFatalError
from adapters.hubspot.mapping_forms import WriteProperty
from adapters.hubspot.overlap import each_at_once
from adapters.hubspot.portal import WriteEchoes
from adapters.hubspot.pull import modified_at
from connector.crm import ScoreWrite, TargetKind, WriteResult, clears_when_empty, target_kind

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # HubSpot batch endpoints take at most 100 inputs


def property_values(write: ScoreWrite, targets: Mapping[str, WriteProperty]) -> dict[str, str]:
    """The HubSpot properties for one write. None and "" are left out, never sent as blanks, except for targets
    whose emptiness is news (a stage that no longer lapses, a group without a stage): those are cleared with "",
    as HubSpot clears a property set to an empty string."""
    values: dict[str, str] = {}
    for target, value in write.values.items():
        spec = targets.get(target)
        if spec is None:
            continue
        if value is None or value == "":
            if clears_when_empty(target):
                values[spec.name] = ""
            continue
        values[spec.name] = midnight_utc_ms(str(value)) if target_kind(target) is TargetKind.DATE else _format(value)
    return values


def midnight_utc_ms(day: str) -> str:
    """A YYYY-MM-DD day as a HubSpot date property takes it: epoch milliseconds of midnight UTC (any other time
    is refused). https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis"""
    midnight = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    return str(int(midnight.timestamp()) * 1000)


def write_scores(
    client: HubSpotClient,
    targets: Mapping[str, WriteProperty],
    writes: Sequence[ScoreWrite],
    echoes: WriteEchoes | None = None,
    *,
    threads: int = 1,
    object_type: str = "contacts",
) -> list[WriteResult]:
    """One WriteResult per write, in order, onto records of ``object_type`` (targets name their properties);
    ``echoes`` learns the modification time each write left. Batches go up to ``threads`` at once when no record
    is in two of them (else in order, so the last write wins)."""
    echoes = echoes or WriteEchoes()
    results: dict[int, WriteResult] = {}
    pending: list[tuple[int, dict[str, Any]]] = []
    for index, write in enumerate(writes):
        values = property_values(write, targets)
        if values:
            pending.append((index, {"id": write.crm_id, "properties": values, "objectWriteTraceId": str(index)}))
        else:
            results[index] = WriteResult(write.crm_id, True)  # nothing known to write: nothing to do
    batches = batches_of_distinct_ids(pending, BATCH_SIZE)
    at_once = threads if len({item["id"] for _, item in pending}) == len(pending) else 1
    for answered in each_at_once(
        lambda batch: _write_batch(client, object_type, batch, echoes), batches, threads=at_once
    ):
        results.update(answered)
    return [results[index] for index in range(len(writes))]


def batches_of_distinct_ids(
    pending: Sequence[tuple[int, dict[str, Any]]], size: int
) -> list[list[tuple[int, dict[str, Any]]]]:
    """Batches of at most `size` inputs, no id twice in one: HubSpot refuses a whole batch that names an id twice
    (400 "Duplicate IDs found in batch input"). A repeated id waits for a later batch, so writes to one contact
    still land in the order given and the last one wins, as it would have in one call."""
    batches: list[list[tuple[int, dict[str, Any]]]] = []
    placed_after: dict[str, int] = {}  # id -> index of the batch holding its latest write
    for entry in pending:
        crm_id = entry[1]["id"]
        first = placed_after.get(crm_id, -1) + 1
        target = next((i for i in range(first, len(batches)) if len(batches[i]) < size), len(batches))
        if target == len(batches):
            batches.append([])
        batches[target].append(entry)
        placed_after[crm_id] = target
    return batches


def _write_batch(
    client: HubSpotClient, object_type: str, batch: list[tuple[int, dict[str, Any]]], echoes: WriteEchoes
) -> dict[int, WriteResult]:
    api = client.sdk.crm.objects.batch_api
    body = {"inputs": [item for _, item in batch]}
    try:
        answer = client.call(f"batch update {object_type}", api.update, object_type, body)
    except HubSpotFatalError as error:
        if error.status != 400:
            raise
        if len(batch) == 1:
            index, item = batch[0]
            return {index: WriteResult(item["id"], False, error.category or "VALIDATION_ERROR", str(error))}
        middle = len(batch) // 2
        log.info("batch of %d refused with 400; splitting it to find the bad input", len(batch))
        return {
            index: result
            for half in (batch[:middle], batch[middle:])
            for index, result in _write_batch(client, object_type, half, echoes).items()
        }
    for obj in answer.results or []:
        echoes.record(str(obj.id), modified_at(obj))
    return batch_results(batch, answer)


def batch_results(batch: list[tuple[int, dict[str, Any]]], answer: Any) -> dict[int, WriteResult]:
    """Per item of the batch (by its index), what HubSpot answered: written, or refused with its error (matched by
    objectWriteTraceId, else by id)."""
    written = {str(obj.id) for obj in answer.results or []}
    written_traces = {str(obj.object_write_trace_id) for obj in answer.results or [] if obj.object_write_trace_id}
    failures = _failures_by_key(getattr(answer, "errors", None) or [])
    results: dict[int, WriteResult] = {}
    for index, item in batch:
        crm_id, trace = item["id"], item["objectWriteTraceId"]
        failure = failures.get(trace) or failures.get(crm_id)
        if failure is not None:
            results[index] = WriteResult(crm_id, False, failure[0], failure[1])
        elif crm_id in written or trace in written_traces:
            results[index] = WriteResult(crm_id, True)
        else:
            results[index] = WriteResult(crm_id, False, "NOT_CONFIRMED", "HubSpot's answer did not mention it")
    return results


def _failures_by_key(errors: Sequence[Any]) -> dict[str, tuple[str, str]]:
    """Batch errors by the trace ids or object ids their context names (HubSpot uses both)."""
    failures: dict[str, tuple[str, str]] = {}
    for error in errors:
        context: Mapping[str, Sequence[str]] = getattr(error, "context", None) or {}
        code = getattr(error, "category", None) or "ERROR"
        message = getattr(error, "message", None) or ""
        for key in ("objectWriteTraceId", "ids", "id"):
            for value in context.get(key, ()):
                failures[str(value)] = (str(code), str(message))
    return failures


def _format(value: str | float | int) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)
