"""Reading CRM objects page by page: list endpoints for backfills, search for increments, associations in batches.

HubSpot search stops at 10,000 results per query (a 400 past it) and allows one sort rule. We sort by
``hs_lastmodifieddate`` ascending, and when a query reaches the cap we restart it after the last timestamp seen.
Restarting *at* that timestamp could loop forever when more than 10,000 records share it (HubSpot's own bulk
jobs do that: airbytehq/airbyte#43317), so the records of that one timestamp are first drained by
``hs_object_id``, a query the cap cannot trap because every restart moves past an id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.hubspot.client import HubSpotClient
from connector.crm import Bookmark

LIST_PAGE_SIZE = 100  # list endpoints return at most 100 objects per page
SEARCH_PAGE_SIZE = 200  # search returns at most 200 per page
SEARCH_RESULT_CAP = 10_000  # paging a search past 10,000 results is a 400
ASSOCIATION_BATCH = 1_000  # v4 batch/read takes up to 1,000 inputs
MODIFIED = "hs_lastmodifieddate"
OBJECT_ID = "hs_object_id"


@dataclass(frozen=True)
class Checkpoint:
    """Where a page of an ascending read ends: safe to resume from once the page is stored."""

    modified_at: datetime
    last_id: str


def list_pages(
    client: HubSpotClient,
    object_type: str,
    properties: Sequence[str],
    *,
    archived: bool = False,
    associations: Sequence[str] = (),
) -> Iterator[list[Any]]:
    """Every object of a type through the list endpoint, 100 at a time (in id order, not by modification)."""
    api = client.sdk.crm.objects.basic_api
    after: str | None = None
    while True:
        kwargs: dict[str, Any] = {"limit": LIST_PAGE_SIZE, "properties": list(properties), "archived": archived}
        if after:
            kwargs["after"] = after
        if associations:
            kwargs["associations"] = list(associations)
        page = client.call(f"list {object_type}", api.get_page, object_type, **kwargs)
        yield list(page.results or [])
        after = _next_after(page)
        if after is None:
            return


def search_modified_since(
    client: HubSpotClient,
    object_type: str,
    start: datetime,
    properties: Sequence[str],
    *,
    where: Sequence[dict[str, Any]] = (),
) -> Iterator[tuple[list[Any], Checkpoint]]:
    """Objects modified at or after ``start`` (and matching the ``where`` filters), oldest first, in pages with the
    checkpoint each one ends at."""
    wanted = sorted({*properties, MODIFIED, OBJECT_ID})
    operator, floor = "GTE", start
    while True:
        reached_cap, last = False, None
        filters = [_filter(MODIFIED, operator, _epoch_ms(floor)), *where]
        for page, capped in _search_pages(client, object_type, filters, MODIFIED, wanted):
            reached_cap = capped
            if page:
                last = checkpoint_of(page[-1])
                yield page, last
        if not reached_cap or last is None:
            return
        yield from _drain_timestamp(client, object_type, last, wanted, where)
        operator, floor = "GT", last.modified_at


def _drain_timestamp(
    client: HubSpotClient,
    object_type: str,
    cut: Checkpoint,
    properties: Sequence[str],
    where: Sequence[dict[str, Any]] = (),
) -> Iterator[tuple[list[Any], Checkpoint]]:
    """Every object modified exactly at ``cut.modified_at``, by id, restarting past the last id at each cap."""
    last_id = "0"
    while True:
        filters = [_filter(MODIFIED, "EQ", _epoch_ms(cut.modified_at)), _filter(OBJECT_ID, "GT", last_id), *where]
        reached_cap = False
        for page, capped in _search_pages(client, object_type, filters, OBJECT_ID, properties):
            reached_cap = capped
            if page:
                last_id = str(page[-1].id)
                yield page, Checkpoint(cut.modified_at, last_id)
        if not reached_cap:
            return


def _search_pages(
    client: HubSpotClient, object_type: str, filters: list[dict], sort_by: str, properties: Sequence[str]
) -> Iterator[tuple[list[Any], bool]]:
    """One search query's pages; the flag says the query stopped at the 10,000 cap rather than at its end."""
    api = client.sdk.crm.objects.search_api
    after: str | None = None
    while True:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort_by, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": SEARCH_PAGE_SIZE,
        }
        if after:
            body["after"] = after
        page = client.call(f"search {object_type}", api.do_search, object_type, body)
        after = _next_after(page)
        capped = after is not None and int(after) >= SEARCH_RESULT_CAP
        yield list(page.results or []), capped
        if after is None or capped:
            return


def any_modified_since(client: HubSpotClient, object_type: str, start: datetime) -> bool:
    """Whether any object of the type changed at or after ``start`` (one search of one result)."""
    body = {
        "filterGroups": [{"filters": [_filter(MODIFIED, "GTE", _epoch_ms(start))]}],
        "properties": [OBJECT_ID],
        "limit": 1,
    }
    page = client.call(f"search {object_type}", client.sdk.crm.objects.search_api.do_search, object_type, body)
    return bool(page.results)


@dataclass(frozen=True)
class Associated:
    """One associated record, the labels of its association types (None for an unlabeled type) and their ids."""

    object_id: str
    labels: tuple[str | None, ...] = ()
    type_ids: tuple[int, ...] = ()


def read_associations(client: HubSpotClient, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[str]]:
    """Associated object ids for each of ``ids`` (v4 batch read, 1,000 per call)."""
    labeled = read_labeled_associations(client, from_type, to_type, ids)
    return {source: [target.object_id for target in targets] for source, targets in labeled.items()}


def read_labeled_associations(
    client: HubSpotClient, from_type: str, to_type: str, ids: Sequence[str]
) -> dict[str, list[Associated]]:
    """Associated records with their labels for each of ``ids`` (v4 batch read: up to 1,000 inputs a call, per
    HubSpot's associations v4 guide; ids without any association are answered as errors and left out)."""
    api = client.sdk.crm.associations.v4.batch_api
    found: dict[str, list[Associated]] = {}
    for start in range(0, len(ids), ASSOCIATION_BATCH):
        chunk = ids[start : start + ASSOCIATION_BATCH]
        body = {"inputs": [{"id": str(object_id)} for object_id in chunk]}
        answer = client.call(f"read {from_type}->{to_type} associations", api.get_page, from_type, to_type, body)
        for result in answer.results or []:
            source = str(getattr(result._from, "id", "")) if getattr(result, "_from", None) else ""
            found.setdefault(source, []).extend(_associated(target) for target in result.to or [])
    return found


def _associated(target: Any) -> Associated:
    kinds = getattr(target, "association_types", None) or []
    labels = tuple(getattr(kind, "label", None) for kind in kinds)
    type_ids = tuple(int(kind.type_id) for kind in kinds if getattr(kind, "type_id", None) is not None)
    return Associated(str(target.to_object_id), labels, type_ids)


def read_start(last: Bookmark, run_start: datetime) -> Bookmark:
    """Where an increment read to its end may leave the bookmark: at the read's start, never behind ``last``.

    Without this a quiet portal's bookmark stays at the last record read (often our own write-back), and every
    later run re-reads everything modified in the lookback before it. Anything committed before the read started
    but not yet searchable (index lag, clock skew) is still re-read next time, as long as it lags by less than the
    lookback.
    """
    return Bookmark(last.stream, run_start) if run_start > last.modified_at else last


def archived_at(obj: Any) -> datetime | None:
    return aware(getattr(obj, "archived_at", None))


def checkpoint_of(obj: Any) -> Checkpoint:
    return Checkpoint(modified_at(obj), str(obj.id))


def modified_at(obj: Any) -> datetime:
    """An object's last modification: its hs_lastmodifieddate, else the object's updatedAt."""
    value = (obj.properties or {}).get(MODIFIED)
    parsed = parse_timestamp(value) if value else None
    return parsed or aware(obj.updated_at) or datetime.min.replace(tzinfo=UTC)


def parse_timestamp(value: str | None) -> datetime | None:
    """HubSpot writes datetimes as ISO 8601 (``2026-11-01T12:00:00.000Z``) or as epoch milliseconds."""
    if not value:
        return None
    text = value.strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _next_after(page: Any) -> str | None:
    paging = getattr(page, "paging", None)
    following = getattr(paging, "next", None) if paging else None
    return str(following.after) if following and following.after else None


def _filter(name: str, operator: str, value: str) -> dict[str, str]:
    return {"propertyName": name, "operator": operator, "value": value}


def lacks_property(name: str) -> dict[str, str]:
    """A search filter for objects without a value for ``name`` (NOT_HAS_PROPERTY takes no ``value``)."""
    return {"propertyName": name, "operator": "NOT_HAS_PROPERTY"}


def _epoch_ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))
