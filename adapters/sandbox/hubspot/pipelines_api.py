"""`/crm/v3/pipelines/{objectType}`: the deal pipelines and their stages (read only)."""

from __future__ import annotations

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.hubspot import wire
from adapters.sandbox.hubspot.object_types import canonical_type
from adapters.sandbox.hubspot.pipelines import Pipeline
from adapters.sandbox.hubspot.portal import Portal

PIPELINES = r"/crm/v3/pipelines/(?P<object_type>[\w-]+)"
#: Object types with pipelines that the sandbox holds (HubSpot also has tickets, appointments, ...).
WITH_PIPELINES = ("deals",)


class PipelinesApi:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[Route]:
        return [
            Route("GET", PIPELINES + "/?", self.list_all, "hubspot.pipelines.list"),
            Route("GET", PIPELINES + r"/(?P<pipeline_id>[^/]+)/?", self.read, "hubspot.pipelines.read"),
            Route("GET", PIPELINES + r"/(?P<pipeline_id>[^/]+)/stages/?", self.stages, "hubspot.pipelines.stages"),
        ]

    def list_all(self, request: Request, object_type: str) -> Response:
        refused = _unsupported(object_type)
        if refused:
            return refused
        return Response.json(200, {"results": [pipeline.to_json() for pipeline in self.portal.pipelines.all()]})

    def read(self, request: Request, object_type: str, pipeline_id: str) -> Response:
        found = self._pipeline(object_type, pipeline_id)
        return found if isinstance(found, Response) else Response.json(200, found.to_json())

    def stages(self, request: Request, object_type: str, pipeline_id: str) -> Response:
        found = self._pipeline(object_type, pipeline_id)
        if isinstance(found, Response):
            return found
        return Response.json(200, {"results": found.to_json()["stages"]})

    def _pipeline(self, object_type: str, pipeline_id: str) -> Pipeline | Response:
        refused = _unsupported(object_type)
        if refused:
            return refused
        pipeline = self.portal.pipelines.get(pipeline_id)
        if pipeline is None:
            return wire.not_found(f"Unable to find pipeline {pipeline_id} for object type {object_type}")
        return pipeline


def _unsupported(object_type: str) -> Response | None:
    if canonical_type(object_type) in WITH_PIPELINES:
        return None
    return wire.validation_error(f"Unable to infer object type from: {object_type}, or it has no pipelines")
