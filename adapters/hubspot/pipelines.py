"""A portal's deal pipelines: stage ids to labels, which stages are closed and won, and the mapping's ids checked.

Admins rename stages and add their own (with numeric ids), so labels and closed / won are read from the pipelines
API (GET /crm/v3/pipelines/deals), never assumed. A stage's ``metadata`` holds ``isClosed`` and ``probability`` as
strings; a closed stage of probability 1.0 is won (developers.hubspot.com/docs/api-reference/crm-pipelines-v3/guide).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.mapping import OutcomeMapping

OBJECT_TYPE = "deals"


@dataclass(frozen=True)
class DealStage:
    id: str
    label: str
    pipeline_id: str
    pipeline_label: str
    closed: bool
    won: bool


@dataclass(frozen=True)
class DealPipelines:
    """Every deal stage of the portal by id, and the pipelines by id -> label."""

    stages: dict[str, DealStage]
    pipelines: dict[str, str]

    @classmethod
    def read(cls, client: HubSpotClient) -> DealPipelines:
        """One call: every deal pipeline with its stages."""
        api = client.sdk.crm.pipelines.pipelines_api
        answer = client.call("read deal pipelines", api.get_all, OBJECT_TYPE)
        stages: dict[str, DealStage] = {}
        pipelines: dict[str, str] = {}
        for pipeline in answer.results or []:
            pipelines[str(pipeline.id)] = pipeline.label
            for stage in pipeline.stages or []:
                stages[str(stage.id)] = _stage(stage, str(pipeline.id), pipeline.label)
        return cls(stages, pipelines)

    def pipeline_label(self, pipeline_id: str | None) -> str | None:
        return self.pipelines.get(pipeline_id, pipeline_id) if pipeline_id else None

    def problems(self, outcomes: OutcomeMapping) -> list[str]:
        """The mapping's pipeline and stage ids this portal does not have, each named with what it has."""
        problems = [
            f"mapping outcomes.pipelines: deal pipeline {pipeline!r} does not exist in this portal "
            f"(its pipelines are {_listing(self.pipelines)})"
            for pipeline in outcomes.pipelines
            if pipeline not in self.pipelines
        ]
        included = set(outcomes.pipelines) or set(self.pipelines)
        known = {sid: stage for sid, stage in self.stages.items() if stage.pipeline_id in included}
        for key, ids in (("won_stages", outcomes.won_stages), ("lost_stages", outcomes.lost_stages)):
            problems += [
                f"mapping outcomes.{key}: deal stage {stage!r} is not a stage of "
                f"{'the pipelines mapped' if outcomes.pipelines else 'any deal pipeline'} in this portal "
                f"(its stages are {_listing({sid: s.label for sid, s in known.items()})})"
                for stage in ids
                if stage not in known
            ]
        return problems


class PipelinesOnce:
    """The deal pipelines, read at the first need and kept for the adapter's life: one run, since every run builds
    its adapter (the mapping check and the pull of a run share one read)."""

    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self._read: DealPipelines | None = None

    def __call__(self) -> DealPipelines:
        if self._read is None:
            self._read = DealPipelines.read(self.client)
        return self._read


def _stage(stage: Any, pipeline_id: str, pipeline_label: str) -> DealStage:
    metadata = getattr(stage, "metadata", None) or {}
    closed = str(metadata.get("isClosed", "false")).lower() == "true"
    try:
        probability = float(metadata.get("probability", 0.0))
    except (TypeError, ValueError):
        probability = 0.0
    return DealStage(str(stage.id), stage.label, pipeline_id, pipeline_label, closed, closed and probability >= 1.0)


def _listing(labels: dict[str, str]) -> str:
    return ", ".join(f"{key} ({label})" for key, label in labels.items()) or "none"
