"""`explain`'s answers to "what would move this contact": the what-if beside the current scores, the next stage,
and the whole explanation as one JSON document."""

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
