"""The engagement index on a terminal, as JSON or as CSV."""

from __future__ import annotations

import csv
import json
import sys

from rich.markup import escape
from rich.table import Table

from connector.reports.engagement_index import EngagementIndex
from connector.terminal import command_console


def print_index(index: EngagementIndex, output_format: str = "table") -> None:
    """The index as a table, JSON (one object) or CSV (one row per group, then the overall row) on stdout."""
    rows = [*index.groups, index.overall]
    if output_format == "json":
        print(json.dumps({"by": index.by, "overall": _index_record(index.overall),
                          "groups": [_index_record(row) for row in index.groups]}, indent=2))  # fmt: skip
    elif output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["group", "contacts", "engaged", "engaged_percent", "overall"])
        for row in rows:
            writer.writerow([row.group or "", row.contacts, row.engaged, f"{row.percent:.1f}", row is index.overall])
    else:
        command_console().print(index_table(index))


def _index_record(row) -> dict:
    return {"group": row.group, "contacts": row.contacts, "engaged": row.engaged, "percent": round(row.percent, 1)}


def index_table(index: EngagementIndex) -> Table:
    table = Table(index.by or "", "contacts", "engaged", "engaged %", title="Engagement index")
    for row in index.groups:
        table.add_row("(empty)" if row.group is None else escape(row.group), str(row.contacts), str(row.engaged),
                      f"{row.percent:.1f}")  # fmt: skip
    overall = index.overall
    table.add_row("[bold]all contacts[/]", str(overall.contacts), str(overall.engaged), f"{overall.percent:.1f}")
    return table
