"""`explain` on a terminal and as JSON: every point of one contact, its score groups, and what would move it (the
next stage, the what-if beside the current scores)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connector.scoring.explain import Explanation


def print_explanation(console: Console, explanation: Explanation) -> None:
    scores = ", ".join(f"{name} {value:g}" for name, value in explanation.scores.items())
    console.print(f"Contact {explanation.contact_id} ({explanation.crm_id}, {explanation.email or 'no email'}) "
                  f"as of {explanation.as_of.isoformat()}")  # fmt: skip
    console.print(f"Scores: {scores}; grade {explanation.grade or '-'}; engaged: {explanation.engaged}")
    console.print(f"Stage: [bold]{escape(explanation.stage)}[/] because {escape(explanation.stage_reason)}")
    if explanation.stage_until is not None:
        until = f"{explanation.stage_until:%Y-%m-%d %H:%M} UTC"
        console.print(f"{escape(explanation.stage)} until {until}, then {escape(explanation.stage_until_reason or '')}")
    if explanation.disqualified_by:
        console.print(f"Disqualified by: {escape(explanation.disqualified_by)}")
    if explanation.groups:
        console.print(group_table(explanation))
    fit = Table("field", "rule", "points", title="Fit rules that fired")
    for line in explanation.fit:
        fit.add_row(line.field, escape(line.rule), f"{line.points:+g}")
    for field, cap in explanation.capped_fields.items():
        fit.add_row(field, f"capped at {cap:g}", "")
    console.print(fit)
    activities = Table("time (UTC)", "type", "attributes", "rule", "points", "counted", "engagement",
                       title="Activities")  # fmt: skip
    for line in explanation.activities:
        notes = []
        if line.not_counted:
            notes.append(f"not counted ({line.not_counted})")
        elif line.capped:
            notes.append("capped")
        if not line.in_window:
            notes.append("outside window")
        attributes = ", ".join(f"{key}={value}" for key, value in line.attributes.items())
        activities.add_row(line.occurred_at.strftime("%Y-%m-%d %H:%M"), line.type, escape(attributes),
                           escape((line.rule or "no rule") + (f" [{', '.join(line.groups)}]" if line.groups else "")),
                           f"{line.points:+g}", f"{line.counted:+g} {' '.join(notes)}".strip(),
                           f"{line.engagement:+.2f}")  # fmt: skip
    console.print(activities)
    if explanation.ignored_after_as_of:
        console.print(f"{explanation.ignored_after_as_of} activity(ies) after as-of ignored")
    console.print("Top reasons: " + escape("; ".join(explanation.reasons) or "-"))
    print_next_stage_and_what_if(console, explanation)


def group_table(explanation: Explanation) -> Table:
    table = Table("group", "lead", "engagement", "engaged", "stage", title="Score groups")
    for line in explanation.groups:
        stage = "-" if line.stage is None else line.stage + (f" ({line.stage_reason})" if line.stage_reason else "")
        table.add_row(escape(line.group), f"{line.lead:g}", f"{line.engagement:g}", "yes" if line.engaged else "no",
                      escape(stage))  # fmt: skip
    return table


def print_next_stage_and_what_if(console: Console, explanation: Explanation) -> None:
    if explanation.next_stage is not None:
        console.print(f"Next stage: {escape(explanation.next_stage.sentence())}")
    what_if = explanation.what_if
    if what_if is None:
        return
    moment = explanation.as_of.isoformat()
    console.print(f"What if {escape(', '.join(what_if.items))} happened at {moment} (nothing stored):")
    table = Table("", "now", "what-if")
    for name, value in explanation.scores.items():
        table.add_row(name, f"{value:g}", f"{what_if.scores[name]:g}")
    table.add_row("stage", escape(explanation.stage), f"[bold]{escape(what_if.stage)}[/]")
    console.print(table)


def explanation_json(explanation: Explanation) -> str:
    """Every field of the explanation (the what-if and next stage included), times in ISO 8601."""
    record = dataclasses.asdict(explanation)
    if explanation.next_stage is not None:
        record["next_stage"]["sentence"] = explanation.next_stage.sentence()
    return json.dumps(record, default=_plain, indent=2)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
