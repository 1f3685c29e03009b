"""`explain --account` on a terminal and as JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connector.reports.account_explain import AccountExplanation


def print_account_explanation(console: Console, explanation: AccountExplanation) -> None:
    console.print(
        f"Account {explanation.account_id} ({explanation.object_type} {explanation.crm_id}, "
        f"{escape(explanation.name or 'no name')}, {explanation.domain or 'no domain'}) in {explanation.instance}, "
        f"owner {explanation.owner_id or '-'}"
    )
    if not explanation.scores:
        console.print("Not scored yet: the next `scorebridge sync` or `scorebridge score` rolls its contacts up.")
    else:
        scores = ", ".join(f"{name} {value:g}" for name, value in explanation.scores.items())
        stage = escape(explanation.stage or "-")
        console.print(f"Scores: {scores}; grade {explanation.grade or '-'}; stage [bold]{stage}[/]")
        last = _moment(explanation.last_engaged_at)
        console.print(f"Engaged contacts: {explanation.engaged_contacts}; last engaged {last}")
        console.print(_coverage(explanation))
    console.print(_contacts_table(explanation))
    console.print(_transitions_table(explanation))
    console.print("Top reasons: " + escape("; ".join(explanation.reasons) or "-"))


def _coverage(explanation: AccountExplanation) -> str:
    covered = escape(", ".join(explanation.covered_roles) or "none")
    missing = escape(", ".join(explanation.missing_roles))
    return f"Buying group covered: {covered}" + (f"; not yet: {missing}" if missing else "")


def _contacts_table(explanation: AccountExplanation) -> Table:
    table = Table("contact", "CRM id", "title", "stage", "engagement", "engaged", "linked by",
                  title=f"Contacts rolled up ({len(explanation.contacts)})")  # fmt: skip
    for line in explanation.contacts:
        linked = line.matched_by + ("" if line.primary else ", not primary")
        table.add_row(escape(line.name), line.crm_id, escape(line.title or ""), escape(line.stage or "-"),
                      f"{line.engagement:g}", "yes" if line.engaged else "no", linked)  # fmt: skip
    return table


def _transitions_table(explanation: AccountExplanation) -> Table:
    table = Table("time (UTC)", "from", "to", "why", title="Stage history")
    for line in explanation.transitions:
        table.add_row(_moment(line.at), escape(line.from_stage or "new"), escape(line.to_stage or "-"),
                      escape(line.reason))  # fmt: skip
    return table


def _moment(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def account_explanation_json(explanation: AccountExplanation) -> str:
    """Every field of the explanation, times in ISO 8601."""
    return json.dumps(dataclasses.asdict(explanation), default=_plain, indent=2)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
