"""CRM search: HubSpot's filterGroups (groups ORed, filters ANDed), one sort, offset paging capped at 10,000."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from adapters.sandbox.hubspot.objects import StoredObject
from adapters.sandbox.hubspot.wire import parse_moment

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_LIMIT = 200
DEFAULT_LIMIT = 10
#: HubSpot search answers at most 10,000 results per query; paging past that is a 400
#: (developers.hubspot.com/docs/api-reference/search/guide, "Limitations").
MAX_RESULTS = 10_000
MAX_QUERY_LENGTH = 3000

OPERATORS = frozenset(
    {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY",
     "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
)  # fmt: skip

#: Properties a search returns when the request names none (search guide, "default properties").
DEFAULT_SEARCH_PROPERTIES = {
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id",
              "pipeline"],
}  # fmt: skip
ALWAYS_RETURNED = ["createdate", "hs_object_id", "lastmodifieddate"]
#: Properties the free-text `query` looks in.
QUERY_PROPERTIES = {
    "contacts": ["firstname", "lastname", "email", "phone", "company"],
    "companies": ["name", "domain", "website", "phone"],
    "deals": ["dealname", "pipeline", "dealstage", "description", "dealtype"],
    "tasks": ["hs_task_subject", "hs_task_body"],
    "calls": ["hs_call_title", "hs_body_preview"],
    "meetings": ["hs_meeting_title", "hs_meeting_body"],
    "notes": ["hs_note_body"],
    "emails": ["hs_email_subject", "hs_email_text"],
}


class SearchRejected(ValueError):
    """The request breaks one of HubSpot's search rules; HubSpot answers 400 VALIDATION_ERROR."""


@dataclass(frozen=True)
class Filter:
    property_name: str
    operator: str
    value: str | None = None
    values: tuple[str, ...] = ()
    high_value: str | None = None


@dataclass(frozen=True)
class SearchRequest:
    groups: tuple[tuple[Filter, ...], ...] = ()
    sort_property: str | None = None
    descending: bool = False
    query: str | None = None
    properties: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    after: int = 0


def parse_request(body: Mapping[str, Any]) -> SearchRequest:
    """Validate a search body against HubSpot's limits; raises `SearchRejected` with HubSpot's wording."""
    groups = tuple(_parse_group(group) for group in body.get("filterGroups") or [])
    if len(groups) > MAX_GROUPS:
        raise SearchRejected(f"Too many filter groups ({len(groups)}). The maximum is {MAX_GROUPS}.")
    for group in groups:
        if len(group) > MAX_FILTERS_PER_GROUP:
            raise SearchRejected(f"Too many filters in a group ({len(group)}). The maximum is {MAX_FILTERS_PER_GROUP}.")
    if sum(len(group) for group in groups) > MAX_FILTERS:
        raise SearchRejected(f"Too many filters in total. The maximum is {MAX_FILTERS}.")
    sorts = body.get("sorts") or []
    if len(sorts) > 1:
        raise SearchRejected("Only one sort is supported.")
    sort_property, descending = _parse_sort(sorts[0]) if sorts else (None, False)
    limit = _integer(body.get("limit"), DEFAULT_LIMIT, "limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchRejected(f"limit must be between 1 and {MAX_LIMIT}, got {limit}.")
    after = _integer(body.get("after"), 0, "after")
    if after >= MAX_RESULTS:
        raise SearchRejected(f"The maximum number of results for a query is {MAX_RESULTS}; after={after} is past it.")
    query = body.get("query")
    if query and len(query) > MAX_QUERY_LENGTH:
        raise SearchRejected(f"query is longer than {MAX_QUERY_LENGTH} characters.")
    return SearchRequest(groups, sort_property, descending, query, tuple(body.get("properties") or ()), limit, after)


def _integer(raw: Any, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise SearchRejected(f"{name} must be an integer, got {raw!r}.") from None


def _parse_group(group: Mapping[str, Any]) -> tuple[Filter, ...]:
    return tuple(_parse_filter(item) for item in group.get("filters") or [])


def _parse_filter(item: Mapping[str, Any]) -> Filter:
    operator = str(item.get("operator") or "EQ").upper()
    if operator not in OPERATORS:
        raise SearchRejected(f"Unknown operator {operator}.")
    name = item.get("propertyName")
    if not name:
        raise SearchRejected("Every filter needs a propertyName.")
    values = tuple(str(v) for v in item.get("values") or ())
    value = item.get("value")
    if operator in ("IN", "NOT_IN") and not values:
        raise SearchRejected(f"{operator} needs `values`.")
    if operator == "BETWEEN" and (value is None or item.get("highValue") is None):
        raise SearchRejected("BETWEEN needs `value` and `highValue`.")
    needs_value = operator not in ("IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY")
    if needs_value and value is None:
        raise SearchRejected(f"{operator} needs a `value`.")
    high = item.get("highValue")
    return Filter(name, operator, None if value is None else str(value), values, None if high is None else str(high))


def _parse_sort(sort: Any) -> tuple[str, bool]:
    """A sort as HubSpot accepts it: {"propertyName", "direction"} or the string form "prop" / "-prop"."""
    if isinstance(sort, str):
        return sort.lstrip("-"), sort.startswith("-")
    if isinstance(sort, Mapping) and sort.get("propertyName"):
        return sort["propertyName"], str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
    raise SearchRejected(f"Malformed sort {sort!r}.")


def unknown_properties(request: SearchRequest, known: Callable[[str], bool]) -> list[str]:
    """Filter and sort properties the object type does not have: HubSpot refuses such a search with a 400
    rather than matching nothing (association pseudo-properties and ``id`` are always known)."""
    named = [f.property_name for group in request.groups for f in group]
    if request.sort_property:
        named.append(request.sort_property)
    return sorted({n for n in named if not n.startswith("associations.") and n != "id" and not known(n)})


TypeOf = Callable[[str], str]
Associated = Callable[[StoredObject, str], set[str]]


@dataclass(frozen=True)
class SearchPage:
    total: int
    results: list[StoredObject]
    next_after: int | None


def run_search(
    records: Iterable[StoredObject], request: SearchRequest, type_of: TypeOf, associated: Associated, object_type: str
) -> SearchPage:
    return page_of(matching(records, request, type_of, associated, object_type), request)


def matching(
    records: Iterable[StoredObject], request: SearchRequest, type_of: TypeOf, associated: Associated, object_type: str
) -> list[StoredObject]:
    """Every record the request's filters and query select, in the order of its sort (oldest created first)."""
    matched = [r for r in records if _matches(r, request, type_of, associated, object_type)]
    matched.sort(key=lambda r: r.id)
    if request.sort_property:
        kind = type_of(request.sort_property)
        present = [r for r in matched if request.sort_property in r.properties]
        absent = [r for r in matched if request.sort_property not in r.properties]
        present.sort(key=lambda r: _sort_key(r.properties[request.sort_property], kind), reverse=request.descending)
        matched = present + absent
    return matched


def page_of(matched: list[StoredObject], request: SearchRequest) -> SearchPage:
    total = len(matched)
    visible = min(total, MAX_RESULTS)
    end = min(request.after + request.limit, visible)
    # The cursor keeps going up to 10,000 even though the next call will then be refused, as HubSpot's does.
    next_after = end if end < total else None
    return SearchPage(total, matched[request.after : end], next_after)


def cache_key(request: SearchRequest) -> SearchRequest:
    """What decides the matched list: paging and returned properties do not."""
    return replace(request, after=0, limit=DEFAULT_LIMIT, properties=())


def _matches(
    record: StoredObject, request: SearchRequest, type_of: TypeOf, associated: Associated, object_type: str
) -> bool:
    if request.query and not _query_matches(record, request.query, object_type):
        return False
    if not request.groups:
        return True
    return any(all(_filter_matches(record, f, type_of, associated) for f in group) for group in request.groups)


def _query_matches(record: StoredObject, query: str, object_type: str) -> bool:
    needle = query.strip().lower().rstrip("*")
    fields = QUERY_PROPERTIES.get(object_type, [])
    return any(needle in (record.properties.get(name) or "").lower() for name in fields)


def _filter_matches(record: StoredObject, item: Filter, type_of: TypeOf, associated: Associated) -> bool:
    if item.property_name.startswith("associations."):
        ids = associated(record, item.property_name.removeprefix("associations."))
        wanted = {item.value} if item.value is not None else set(item.values)
        hit = bool(ids & wanted)
        return not hit if item.operator in ("NEQ", "NOT_IN") else hit
    if item.property_name in ("hs_object_id", "id"):
        actual: str | None = str(record.id)
    else:
        actual = record.properties.get(item.property_name)
    if item.operator == "HAS_PROPERTY":
        return actual not in (None, "")
    if item.operator == "NOT_HAS_PROPERTY":
        return actual in (None, "")
    if actual is None:
        # HubSpot's negative operators match records without a value too.
        return item.operator in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
    return _compare(actual, item, type_of(item.property_name))


def _compare(actual: str, item: Filter, kind: str) -> bool:
    op = item.operator
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        hit = _token_match(actual, item.value or "")
        return hit if op == "CONTAINS_TOKEN" else not hit
    if op in ("IN", "NOT_IN"):
        hit = any(_key(actual, kind) == _key(v, kind) for v in item.values)
        return hit if op == "IN" else not hit
    left = _key(actual, kind)
    right = _key(item.value or "", kind)
    if left is None or right is None:
        return op == "NEQ"
    if op == "BETWEEN":
        high = _key(item.high_value or "", kind)
        return high is not None and right <= left <= high
    return {
        "EQ": left == right,
        "NEQ": left != right,
        "LT": left < right,
        "LTE": left <= right,
        "GT": left > right,
        "GTE": left >= right,
    }[op]


def _key(raw: str, kind: str) -> Any:
    """A comparable value: numbers as floats, dates as epoch ms, strings case-insensitively (as HubSpot compares)."""
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return None
    if kind in ("datetime", "date"):
        moment = parse_moment(raw)
        return moment.timestamp() if moment else None
    return raw.strip().lower()


def _sort_key(raw: str, kind: str) -> tuple[int, Any]:
    key = _key(raw, kind)
    return (0, key) if key is not None else (1, raw)


def _token_match(actual: str, pattern: str) -> bool:
    regex = "^" + re.escape(pattern.lower()).replace(r"\*", ".*") + "$"
    tokens = re.split(r"[\s@.,;:/_-]+", actual.lower())
    return any(re.match(regex, token) for token in tokens) or re.match(regex, actual.lower()) is not None


def properties_to_return(object_type: str, request: SearchRequest) -> list[str]:
    if request.properties:
        return list(dict.fromkeys([*request.properties, *ALWAYS_RETURNED]))
    return DEFAULT_SEARCH_PROPERTIES.get(object_type, ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"])
