"""HubSpot deals as ScoreBridge `OutcomeRecord`s: the first backfill, increments, archived deals, their contacts.

Deals are read as contacts are (adapters/hubspot/contacts.py): the list endpoint for the first backfill, then a
search on ``hs_lastmodifieddate`` with the (timestamp, id) tie-break past the 10,000 cap. Each page's contacts come
from one v4 batch read of its deal -> contact associations. Stage ids become labels through the pipelines API, read
once per run (shared with the run's mapping check) and only when needed, so a quiet portal costs one search.

HubSpot does not promise that a change of associations alone moves a deal's ``hs_lastmodifieddate`` (adding a
label to an existing association changes no deal property), so such a change is seen when the deal next changes,
or by a full re-read (`scorebridge sync --full`); docs/hubspot.md says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.mapping import HubSpotMapping, OutcomeMapping
from adapters.hubspot.pipelines import DealPipelines, PipelinesOnce
from adapters.hubspot.pull import (
    ASSOCIATION_BATCH,
    Associated,
    archived_at,
    aware,
    list_pages,
    modified_at,
    parse_timestamp,
    read_labeled_associations,
    read_start,
    search_modified_since,
)
from adapters.value_map import UnlistedValue
from connector.crm import Bookmark, OutcomeContact, OutcomeRecord, Page

STREAM = "outcomes"
OBJECT_TYPE = "deals"
DEAL_PROPERTIES = (
    "dealname",
    "dealstage",
    "pipeline",
    "amount",
    "closedate",
    "createdate",
    "hs_is_closed",
    "hs_is_closed_won",
    "deal_currency_code",
    "hs_lastmodifieddate",
    "hs_object_id",
)


class OutcomeReader:
    """Pulls deals for one portal with one mapping; yields nothing, and calls nothing, without `outcomes:`."""

    def __init__(
        self,
        client: HubSpotClient,
        mapping: HubSpotMapping,
        *,
        lookback: timedelta,
        now: Callable[[], datetime],
        pipelines: PipelinesOnce,
    ) -> None:
        self.client = client
        self.mapping = mapping
        self.lookback = lookback
        self.now = now
        self.pipelines = pipelines

    def pull(self, since: Bookmark | None) -> Iterator[Page[OutcomeRecord]]:
        outcomes = self.mapping.outcomes
        if outcomes is None:
            return
        run_start = self.now()
        if since is None:
            yield from self._backfill(outcomes, run_start)
            return
        start, last = since.modified_at - self.lookback, since
        for objects, checkpoint in search_modified_since(
            self.client, OBJECT_TYPE, start, self._properties(), where=_in_pipelines(outcomes)
        ):
            last = Bookmark(STREAM, min(checkpoint.modified_at, run_start), checkpoint.last_id)
            yield Page(self._records(objects, archived=False), last)
        if outcomes.archived == "every_run":
            yield from self._archived_since(start)
        yield Page([], read_start(last, run_start))

    def _backfill(self, outcomes: OutcomeMapping, run_start: datetime) -> Iterator[Page[OutcomeRecord]]:
        # The list endpoint reads the portal itself (not the search index) and sees archived deals too. Its order
        # is by id, so only the whole pass is a checkpoint; anything changed once the pass began is modified at
        # or after its start, where the next increment begins (less the lookback).
        for archived in (False, True):
            held: list[Any] = []
            for objects in list_pages(self.client, OBJECT_TYPE, self._properties(), archived=archived):
                held += [obj for obj in objects if _included(obj, outcomes)]
                if len(held) >= ASSOCIATION_BATCH:  # one association read for up to ten list pages
                    yield Page(self._records(held, archived=archived), None)
                    held = []
            if held:
                yield Page(self._records(held, archived=archived), None)
        yield Page([], Bookmark(STREAM, run_start))

    def _archived_since(self, start: datetime) -> Iterator[Page[OutcomeRecord]]:
        # Search never returns archived records and the archived list cannot be filtered: keep the recent ones.
        outcomes = self.mapping.outcomes
        for objects in list_pages(self.client, OBJECT_TYPE, self._properties(), archived=True):
            recent = [o for o in objects if (archived_at(o) or start) >= start and _included(o, outcomes)]
            if recent:
                yield Page(self._records(recent, archived=True), None)

    def _properties(self) -> list[str]:
        source, _ = self.mapping.lead_source_map()
        return sorted({*DEAL_PROPERTIES, *([source] if source else [])})

    def _records(self, objects: list[Any], *, archived: bool) -> list[OutcomeRecord]:
        if not objects:
            return []
        # Archived deals have lost their associations; the store keeps the contacts it already has.
        contacts = {} if archived else self._contacts_of(objects)
        pipelines = self.pipelines()
        return [
            deal_record(obj, self.mapping, pipelines, contacts.get(str(obj.id), []), deleted=archived)
            for obj in objects
        ]

    def _contacts_of(self, objects: list[Any]) -> dict[str, list[Associated]]:
        return read_labeled_associations(self.client, OBJECT_TYPE, "contacts", [str(obj.id) for obj in objects])


def deal_record(
    obj: Any, mapping: HubSpotMapping, pipelines: DealPipelines, linked: list[Associated], *, deleted: bool = False
) -> OutcomeRecord:
    """One HubSpot deal in ScoreBridge's shape; unparsable values are left empty and named in warnings."""
    outcomes = mapping.outcomes
    assert outcomes is not None
    properties: Mapping[str, str | None] = obj.properties or {}
    warnings: dict[str, str] = {}
    stage_id = properties.get("dealstage") or None
    stage = pipelines.stages.get(stage_id) if stage_id else None
    if stage_id and stage is None:
        warnings["stage"] = f"dealstage={stage_id!r}: not a stage of any deal pipeline in this portal"
    closed, won = _closed_and_won(outcomes, stage_id, properties, stage.closed if stage else None)
    amount = _amount(properties.get("amount"), warnings)
    return OutcomeRecord(
        object_type="deal",
        crm_id=str(obj.id),
        contacts=[_outcome_contact(target, outcomes) for target in linked],
        stage=stage.label if stage else stage_id,
        pipeline=pipelines.pipeline_label(properties.get("pipeline") or (stage.pipeline_id if stage else None)),
        closed=closed,
        won=won,
        amount=amount,
        currency=properties.get("deal_currency_code") or None,
        created_at=parse_timestamp(properties.get("createdate")) or aware(getattr(obj, "created_at", None)),
        closed_at=parse_timestamp(properties.get("closedate")) if closed else None,
        lead_source=_lead_source(mapping, properties, warnings),
        modified_at=modified_at(obj),
        deleted=deleted or bool(getattr(obj, "archived", False)),
        warnings=warnings,
    )


def _closed_and_won(
    outcomes: OutcomeMapping, stage_id: str | None, properties: Mapping[str, str | None], stage_closed: bool | None
) -> tuple[bool, bool]:
    """The mapping's stage lists decide won; closed is a listed stage or one HubSpot closes. Without lists,
    HubSpot's flags decide (hs_is_closed_won / hs_is_closed), else the stage's pipeline metadata."""
    closed_flag = _flag(properties.get("hs_is_closed"))
    closed = closed_flag if closed_flag is not None else bool(stage_closed)
    if outcomes.stage_ids():
        won = stage_id in outcomes.won_stages
        return won or stage_id in outcomes.lost_stages or closed, won
    won_flag = _flag(properties.get("hs_is_closed_won"))
    return closed, bool(won_flag) and closed


def _outcome_contact(target: Associated, outcomes: OutcomeMapping) -> OutcomeContact:
    labels = [label for label in target.labels if label]
    primary = any(label in outcomes.primary_labels for label in labels)
    return OutcomeContact("contact", target.object_id, role=labels[0] if labels else None, primary=primary)


def _amount(raw: str | None, warnings: dict[str, str]) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        warnings["amount"] = f"amount={raw!r}: not a number"
        return None


def _lead_source(mapping: HubSpotMapping, properties: Mapping[str, str | None], warnings: dict[str, str]) -> str | None:
    name, value_map = mapping.lead_source_map()
    raw = properties.get(name) if name else None
    if not raw:
        return None
    try:
        return raw if value_map is None else value_map.text(raw)
    except UnlistedValue as unlisted:
        warnings["lead_source"] = f"{name}: {unlisted}"
        return None


def _flag(raw: str | None) -> bool | None:
    return None if raw in (None, "") else str(raw).strip().lower() == "true"


def _included(obj: Any, outcomes: OutcomeMapping | None) -> bool:
    return not outcomes or not outcomes.pipelines or (obj.properties or {}).get("pipeline") in outcomes.pipelines


def _in_pipelines(outcomes: OutcomeMapping) -> list[dict[str, Any]]:
    if not outcomes.pipelines:
        return []
    return [{"propertyName": "pipeline", "operator": "IN", "values": list(outcomes.pipelines)}]
