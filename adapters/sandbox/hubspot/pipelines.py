"""Deal pipelines and their stages, as the pipelines API serves them and as deals' calculated flags read them.

A fresh HubSpot portal has one deal pipeline, ``default`` ("Sales Pipeline"), with seven stages; each stage's
``metadata`` holds ``isClosed`` and ``probability`` as strings, and a deal in a closed stage of probability 1.0 is
won (developers.hubspot.com/docs/api-reference/crm-pipelines-v3/guide, "deal stage metadata"). HubSpot derives
``hs_is_closed`` and ``hs_is_closed_won`` on each deal from that metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.sandbox.hubspot.wire import iso, parse_moment

#: When the default pipeline "was created", as HubSpot's own defaults carry an old fixed date.
DEFAULT_CREATED = "2019-08-06T02:41:08.029Z"


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    display_order: int
    probability: float
    closed: bool = False

    @property
    def won(self) -> bool:
        return self.closed and self.probability >= 1.0

    def to_json(self, created: str) -> dict[str, Any]:
        """`PipelineStage`: metadata values are strings, as HubSpot sends them."""
        return {
            "id": self.id,
            "label": self.label,
            "displayOrder": self.display_order,
            "metadata": {"isClosed": "true" if self.closed else "false", "probability": str(self.probability)},
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    display_order: int
    stages: tuple[Stage, ...]
    created: str = DEFAULT_CREATED

    def to_json(self) -> dict[str, Any]:
        """`Pipeline` of the pipelines API."""
        return {
            "id": self.id,
            "label": self.label,
            "displayOrder": self.display_order,
            "stages": [stage.to_json(self.created) for stage in self.stages],
            "createdAt": self.created,
            "updatedAt": self.created,
            "archived": False,
        }

    def stage(self, stage_id: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)


def _stages(*rows: tuple[str, str, float, bool]) -> tuple[Stage, ...]:
    return tuple(Stage(stage_id, label, order, probability, closed)
                 for order, (stage_id, label, probability, closed) in enumerate(rows))  # fmt: skip


#: The default deal pipeline of a fresh portal (HubSpot's default stage ids and probabilities).
DEFAULT_DEAL_PIPELINE = Pipeline(
    "default",
    "Sales Pipeline",
    0,
    _stages(
        ("appointmentscheduled", "Appointment Scheduled", 0.2, False),
        ("qualifiedtobuy", "Qualified To Buy", 0.4, False),
        ("presentationscheduled", "Presentation Scheduled", 0.6, False),
        ("decisionmakerboughtin", "Decision Maker Bought-In", 0.8, False),
        ("contractsent", "Contract Sent", 0.9, False),
        ("closedwon", "Closed Won", 1.0, True),
        ("closedlost", "Closed Lost", 0.0, True),
    ),
)


class PipelineStore:
    """The deal pipelines of one portal, by id, in display order."""

    def __init__(self) -> None:
        self._pipelines: dict[str, Pipeline] = {DEFAULT_DEAL_PIPELINE.id: DEFAULT_DEAL_PIPELINE}

    def all(self) -> list[Pipeline]:
        return sorted(self._pipelines.values(), key=lambda pipeline: (pipeline.display_order, pipeline.label))

    def get(self, pipeline_id: str) -> Pipeline | None:
        return self._pipelines.get(pipeline_id)

    def add(self, pipeline: Pipeline) -> None:
        self._pipelines[pipeline.id] = pipeline

    def stage_ids(self) -> list[str]:
        return [stage.id for pipeline in self.all() for stage in pipeline.stages]

    def deal_flags(self, pipeline_id: str | None, stage_id: str | None) -> dict[str, str]:
        """The calculated properties HubSpot keeps on a deal for its stage: closed?, won?, probability."""
        pipeline = self.get(pipeline_id or DEFAULT_DEAL_PIPELINE.id)
        stage = pipeline.stage(stage_id) if pipeline and stage_id else None
        if stage is None:
            return {}
        return {
            "hs_is_closed": "true" if stage.closed else "false",
            "hs_is_closed_won": "true" if stage.won else "false",
            "hs_deal_stage_probability": str(stage.probability),
        }

    def dump(self) -> list[dict[str, Any]]:
        return [pipeline.to_json() for pipeline in self.all()]

    def restore(self, state: Iterable[Mapping[str, Any]]) -> None:
        self.__init__()
        for item in state:
            self.add(pipeline_from_json(item))


def pipeline_from_json(item: Mapping[str, Any]) -> Pipeline:
    stages = tuple(
        Stage(
            stage["id"],
            stage["label"],
            int(stage.get("displayOrder", order)),
            float((stage.get("metadata") or {}).get("probability", 0.0)),
            str((stage.get("metadata") or {}).get("isClosed", "false")).lower() == "true",
        )
        for order, stage in enumerate(item["stages"])
    )
    created = item.get("createdAt") or DEFAULT_CREATED
    moment = parse_moment(created)
    return Pipeline(
        item["id"], item["label"], int(item.get("displayOrder", 0)), stages, iso(moment) if moment else created
    )
