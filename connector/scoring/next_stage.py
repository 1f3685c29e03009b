"""How far one contact is from the next stage up, and the fewest activities of one kind that would take it there.

Every answer is a what-if run through the one pipeline (`ContactPipeline.score`), never arithmetic on points: caps,
daily caps, first-time-only rules, windows and triggers count exactly as they would. One contact costs a few
dozen runs of the pipeline on its own arrays (a binary search on the count, per rule that could help).
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.scoring.behavior import NO_RULE
from connector.scoring.frame import ScoreFrame
from connector.scoring.model import ScoringModel
from connector.scoring.stages import activity_conditions
from connector.scoring.what_if import ContactPipeline, Hypothetical, WhatIfItem, hypotheticals, rule_hypotheticals

#: An interactive hint, not a plan: a stage twenty activities of one kind away is "not by one kind of activity".
MOST_REPEATS_TRIED = 20
SHOWN_ROUTES = 4


@dataclass(frozen=True)
class ScoreGap:
    """A score threshold of the next stage and the points the contact still lacks for it."""

    score: str
    points: float


@dataclass(frozen=True)
class Route:
    """`count` activities of one kind that take the contact to the stage (or past it)."""

    label: str
    count: int
    #: How to ask for it with `explain --what-if`; None for a trigger no rule or activity type names alone.
    what_if: str | None

    def __str__(self) -> str:
        return self.label if self.count == 1 else f"{self.count} × {self.label}"


@dataclass(frozen=True)
class NextStage:
    stage: str
    gaps: tuple[ScoreGap, ...]
    #: Fewest activities first.
    routes: tuple[Route, ...]

    def sentence(self) -> str:
        """E.g. "6 lead points from sql: Demo attended, or 2 × Pricing page"."""
        shown = [str(route) for route in self.routes[:SHOWN_ROUTES]]
        if len(self.routes) > SHOWN_ROUTES:
            shown.append(f"{len(self.routes) - SHOWN_ROUTES} more")
        routes = ", or ".join(shown) or "no single kind of activity reaches it"
        if not self.gaps:
            return f"to reach {self.stage}: {routes}"
        return f"{' or '.join(f'{gap.points:g} {gap.score} points' for gap in self.gaps)} from {self.stage}: {routes}"


def next_stage(pipeline: ContactPipeline, frame: ScoreFrame) -> NextStage | None:
    """The lowest stage above the contact's that activities can reach, or None (top, disqualified, or only CRM
    fields lead higher)."""
    model = pipeline.model
    target = _next_reachable(model, int(frame.stages.stage[0]))
    if target is None:
        return None
    gaps = tuple(
        ScoreGap(condition.score, round(condition.at_least - float(frame.scores[condition.score][0]), 2))
        for condition in model.stages[target].when
        if condition.score is not None and condition.at_least > frame.scores[condition.score][0]
    )
    routes = [*_rule_routes(pipeline, target), *_trigger_routes(pipeline, target)]
    unique = {route.what_if or route.label: route for route in reversed(routes)}  # a rule before its trigger
    ordered = sorted(unique.values(), key=lambda route: (route.count, route.label))
    return NextStage(model.stages[target].name, gaps, tuple(ordered))


def _next_reachable(model: ScoringModel, current: int) -> int | None:
    for index in range(current + 1, len(model.stages)):
        if any(condition.field is None for condition in model.stages[index].when):
            return index
    return None  # past the last stage is "disqualified": no activity leads there


def _rule_routes(pipeline: ContactPipeline, target: int) -> list[Route]:
    rules = pipeline.model.behavior.rules
    routes = []
    for hypothetical in rule_hypotheticals(pipeline.model).values():
        if rules[hypothetical.rule].points <= 0:
            continue
        count = _fewest(pipeline, hypothetical, target)
        if count is not None:
            routes.append(Route(hypothetical.label, count, str(WhatIfItem(hypothetical, count))))
    return routes


def _trigger_routes(pipeline: ContactPipeline, target: int) -> list[Route]:
    """One activity that fires a trigger of the stage: by the name that fires it, else by the trigger alone."""
    named = hypotheticals(pipeline.model).values()
    routes = []
    for row, ref in enumerate(activity_conditions(pipeline.model)):
        if ref.stage != target:
            continue
        condition = ref.condition
        firing = next((each for each in named if row in each.triggers), None)
        label = condition.label or (firing.label if firing else f"{condition.activity} activity")
        if _reaches(pipeline, firing or Hypothetical("", label, NO_RULE, (row,)), 1, target):
            routes.append(Route(label, 1, firing.name if firing else None))
    return routes


def _fewest(pipeline: ContactPipeline, hypothetical: Hypothetical, target: int) -> int | None:
    """The smallest count that reaches the stage (more activities of a rewarded kind never lower a score)."""
    if not _reaches(pipeline, hypothetical, MOST_REPEATS_TRIED, target):
        return None
    low, high = 1, MOST_REPEATS_TRIED
    while low < high:
        middle = (low + high) // 2
        if _reaches(pipeline, hypothetical, middle, target):
            high = middle
        else:
            low = middle + 1
    return low


def _reaches(pipeline: ContactPipeline, hypothetical: Hypothetical, count: int, target: int) -> bool:
    stage = int(pipeline.score([WhatIfItem(hypothetical, count)]).stages.stage[0])
    return target <= stage < len(pipeline.model.stages)
