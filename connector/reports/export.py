"""Exporting the stored scores of contacts to CSV or JSON, streamed from one query (accounts: account_export.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import Connection, Engine

from connector.reports.row_files import row_writer
from connector.score_catalog import CONTACT_SCORES, GROUP_VALUES, group_target, split_group_target
from connector.store.bulk import raw_rows
from connector.store.types import from_epoch

COLUMNS = (
    "contact_id", "source", "instance", "object_type", "crm_id", "email", *CONTACT_SCORES,
    "grade", "stage", "engaged", "last_engaged_at", "reasons", "model_version", "scored_at",
    "fall_below_at", "groups",
)  # fmt: skip
TIME_COLUMNS = frozenset({"last_engaged_at", "scored_at"})
#: Stored columns that leave as other columns: the fall-below moment as `stage_until` (the day written back), the
#: group document as one column per group value (`groups.analytics.lead`, ...).
REPLACED = ("fall_below_at", "groups")
SQL = (
    "SELECT s.contact_id, "
    + ", ".join(f"c.{name}" for name in COLUMNS[1:6])
    + ", "
    + ", ".join(f"s.{name}" for name in COLUMNS[6:])
    + " FROM contact_score s JOIN contact c ON c.id = s.contact_id ORDER BY 1"
)


def export_scores(engine: Engine, output: Path | TextIO, output_format: str = "csv") -> int:
    """Write every scored contact as a CSV row (or a JSON object); returns the number of rows."""
    count = 0
    with engine.connect() as connection:
        group_columns = _group_columns(connection)
        header = [*(name for name in COLUMNS if name not in REPLACED), "stage_until", *group_columns]
        with row_writer(output, header, output_format) as write:
            for batch in raw_rows(connection, SQL):
                for row in batch:
                    write(_cells(row, group_columns))
                    count += 1
    return count


def _group_columns(connection: Connection) -> list[str]:
    """`groups.<group>.<value>` for every group some stored contact has, groups in alphabetical order (as the
    stored documents keep them). A pass over the group column alone, so the header can name them before the rows."""
    groups: set[str] = set()
    for batch in raw_rows(connection, "SELECT groups FROM contact_score"):
        for (document,) in batch:
            groups.update(_document(document))
    return [group_target(group, value) for group in sorted(groups) for value in GROUP_VALUES]


def _document(value: str | Mapping | None) -> Mapping[str, Mapping[str, object]]:
    if not value or value == "{}":
        return {}
    return json.loads(value) if isinstance(value, str) else value


def _cells(row: tuple, group_columns: list[str]) -> list[object]:
    cells = []
    stored = dict(zip(COLUMNS, row, strict=True))
    for name, value in stored.items():
        if name in REPLACED:
            continue
        if name in TIME_COLUMNS and value is not None:
            value = from_epoch(int(value)).isoformat()
        elif name == "reasons":
            value = "; ".join(json.loads(value) if isinstance(value, str) else value)
        elif name == "engaged":
            value = str(bool(value)).lower()
        cells.append(value)
    until = stored["fall_below_at"]
    cells.append(None if until is None else from_epoch(int(until)).date().isoformat())
    groups = _document(stored["groups"])
    for column in group_columns:
        group, value = split_group_target(column) or ("", "")
        cells.append(groups.get(group, {}).get(value))
    return cells
