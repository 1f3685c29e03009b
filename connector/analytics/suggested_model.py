"""The suggested model as a file: the current model's YAML with new points (caps scaled along) and half-life, and a
comment block saying what changed and why. It is a candidate for an admin to review; nothing here publishes it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from connector.analytics.evaluation_console import format_decimal, format_ratio
from connector.private_files import open_private
from connector.scoring.model import ScoringModel, parse_model

if TYPE_CHECKING:
    from connector.analytics.suggest import RuleChange, Suggestion

CAPS = ("daily_cap", "total_cap")


def apply_changes(
    model: ScoringModel, behavior: Sequence[RuleChange], fit: Sequence[RuleChange], half_life: float | None
) -> ScoringModel:
    """The model with the suggested points (caps scaled along, so they still stop the same number of activities)
    and half-life; everything else (vocabulary, rules' conditions, stages, thresholds) unchanged."""
    raw = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return parse_model(changed_raw(raw, behavior, fit, half_life), source="<suggested model>")


def changed_raw(raw: dict, behavior: Sequence[RuleChange], fit: Sequence[RuleChange], half_life: float | None) -> dict:
    """A copy of a model's raw content with the suggested points and half-life; every other key as it was."""
    changed = copy.deepcopy(raw)
    rules = changed.get("behavior", {}).get("rules", [])
    for index, change in enumerate(behavior):
        _set_points(rules[index], change.suggested, scale_caps=True)
    fields = changed.get("fit", {}).get("fields", {})
    for change in fit:
        field, index = _fit_position(change.key)
        _set_points(fields[field]["rules"][index], change.suggested, scale_caps=False)
    changed.setdefault("engagement", {})["half_life_days"] = half_life
    changed["name"] = f"{changed.get('name', 'scoring model')} (suggested)"
    return changed


def _set_points(rule: dict, points: float, *, scale_caps: bool) -> None:
    old = float(rule["points"])
    if scale_caps and old and points:
        for cap in CAPS:
            if rule.get(cap):  # the cap keeps stopping the same number of activities
                rule[cap] = _number(float(rule[cap]) * abs(points) / abs(old))
    rule["points"] = _number(points)


def _fit_position(key: str) -> tuple[str, int]:
    """'fit.fields.title.rules[2]' -> ('title', 2)."""
    field, rules = key.removeprefix("fit.fields.").rsplit(".", 1)
    return field, int(rules.removeprefix("rules[").removesuffix("]"))


def _number(value: float) -> int | float:
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def write_suggestion(path: Path, current_path: Path, current: ScoringModel, suggestion: Suggestion) -> None:
    """Write the candidate (readable by its owner only: it describes what the business's buyers do)."""
    raw = yaml.safe_load(current_path.read_text(encoding="utf-8"))
    changed = changed_raw(raw, suggestion.behavior, suggestion.fit, suggestion.half_life_days)
    parse_model(changed, source=str(path))  # the file written is a model `load_model` accepts
    body = yaml.safe_dump(changed, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)
    with open_private(path, "w", encoding="utf-8") as stream:
        stream.write("\n".join(f"# {line}".rstrip() for line in header_lines(current_path, current, suggestion)))
        stream.write("\n" + body)


def header_lines(current_path: Path, current: ScoringModel, suggestion: Suggestion) -> list[str]:
    held = suggestion.held_out
    lines = [
        f"Suggested by `scorebridge suggest` on {date.today().isoformat()} from {current_path} "
        f"(version {current.version[:12]}).",
        "NOT IN USE: review it, test it (`scorebridge backtest --model THIS_FILE`), then point the connector file",
        "at it. Points: a logistic regression of winning on each rule's evidence, times one factor that keeps the",
        "current points' spread; caps scaled along with their points.",
        f"Trained on {suggestion.training_rows} contact-moments. Held-out moments {held.moments[0][:10]} to "
        f"{held.moments[-1][:10]}, won = a won deal within {held.horizon_days:g} days:",
        f"  AUC of {held.live.score}: current {format_decimal(held.live.auc)}, "
        f"suggested {format_decimal(held.candidate.auc)}; "
        f"top-decile lift {format_ratio(held.live.lift)} -> {format_ratio(held.candidate.lift)}.",
        "What changed and why (coefficient: change in log-odds of winning per activity counted / rule held):",
    ]
    changes = [each for each in (*suggestion.behavior, *suggestion.fit) if each.suggested != each.points]
    changes.sort(key=lambda each: -abs(each.suggested - each.points))
    lines += [
        f"  {each.key} {each.label}: {each.points:g} -> {each.suggested:g} (coefficient {each.coefficient:+.3f})"
        for each in changes
    ]
    if suggestion.half_life_auc:
        tried = ", ".join(f"{name}: {format_decimal(value)}" for name, value in suggestion.half_life_auc.items())
        lines.append(
            f"  engagement.half_life_days: {_days(current.engagement.half_life_days)} -> "
            f"{_days(suggestion.half_life_days)} (AUC on the latest training moments by half-life: {tried})"
        )
    return [*lines, "Everything else is the current model's."]


def _days(value: float | None) -> str:
    return "null" if value is None else f"{value:g}"
