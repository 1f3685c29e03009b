"""Merging two companies, as `POST /crm/v3/objects/companies/merge` does, and as a portal's user would.

HubSpot keeps the primary company and folds the other into it: the other's associations move to the primary,
its id joins the primary's ``hs_merged_object_ids`` (ids joined by ";", never the primary's own), and from then
on a read of the old id answers with the primary. The merged-away company is neither listed nor archived.
https://knowledge.hubspot.com/records/merge-records ,
https://developers.hubspot.com/docs/api-reference/crm-companies-v3/basic/post-crm-v3-objects-companies-merge

The sandbox merges companies only (HubSpot also merges contacts, deals and tickets; docs/sandbox-hubspot.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.hubspot import wire
from adapters.sandbox.hubspot.object_types import OBJECT_TYPES, canonical_type
from adapters.sandbox.hubspot.objects import StoredObject
from adapters.sandbox.hubspot.portal import Portal

MERGED_IDS = "hs_merged_object_ids"
MERGEABLE = ("companies",)


class MergeRefused(ValueError):
    """Why a merge was refused, with the status HubSpot answers."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def merge_records(portal: Portal, object_type: str, primary_id: str, merged_id: str) -> StoredObject:
    """Fold `merged_id` into `primary_id`; returns the primary. Callers hold `portal.lock`."""
    if str(primary_id) == str(merged_id):
        raise MergeRefused("A record cannot be merged with itself.")
    primary = portal.objects.get(object_type, primary_id)
    merged = portal.objects.get(object_type, merged_id)
    for given, record in ((primary_id, primary), (merged_id, merged)):
        if record is None:
            raise MergeRefused(f"Object not found.  objectId are usually numeric. ({given})", status=404)
    assert primary is not None and merged is not None
    if primary.id == merged.id:  # the other id was merged into this record already
        raise MergeRefused(f"{merged_id} was already merged into {primary.id}.")
    _move_associations(portal, object_type, merged.id, primary.id)
    ids = [*_ids(primary), str(merged.id), *_ids(merged)]
    portal.objects.retire(merged, primary)
    portal.objects.update(primary, {MERGED_IDS: ";".join(dict.fromkeys(ids))}, portal.clock())
    return primary


def _ids(record: StoredObject) -> list[str]:
    return [part for part in (record.properties.get(MERGED_IDS) or "").split(";") if part]


def _move_associations(portal: Portal, object_type: str, from_id: int, to_id: int) -> None:
    for other_type in OBJECT_TYPES:
        for target_id, type_ids in portal.associations.targets(object_type, from_id, other_type):
            portal.associations.remove(object_type, from_id, other_type, target_id)
            portal.associations.add(object_type, to_id, other_type, target_id, type_ids)


class MergeApi:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[Route]:
        path = r"/crm/v3/objects/(?P<object_type>[A-Za-z0-9_-]+)/merge/?"
        return [Route("POST", path, self.merge, "hubspot.objects.merge")]

    def merge(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind not in MERGEABLE:
            return wire.validation_error(f"The sandbox merges {', '.join(MERGEABLE)} only, not {object_type}.")
        body = wire.json_body(request)
        if not isinstance(body, Mapping) or not body.get("primaryObjectId") or not body.get("objectIdToMerge"):
            return wire.validation_error("Invalid input JSON: `primaryObjectId` and `objectIdToMerge` are required.")
        try:
            survivor = merge_records(self.portal, kind, str(body["primaryObjectId"]), str(body["objectIdToMerge"]))
        except MergeRefused as refused:
            if refused.status == 404:
                return wire.not_found(str(refused))
            return wire.validation_error(str(refused))
        return Response.json(200, survivor.to_json(None))
