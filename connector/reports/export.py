"""Exporting the stored scores to CSV, streamed from one query."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import Engine

from connector.private_files import open_private
from connector.score_catalog import CONTACT_SCORES
from connector.store.bulk import raw_rows
from connector.store.types import from_epoch

COLUMNS = (
    "contact_id", "source", "instance", "object_type", "crm_id", "email", *CONTACT_SCORES,
    "grade", "stage", "engaged", "last_engaged_at", "reasons", "model_version", "scored_at",
)  # fmt: skip
TIME_COLUMNS = frozenset({"last_engaged_at", "scored_at"})


def export_scores(engine: Engine, output: Path | TextIO) -> int:
    """Write every scored contact as a CSV row; returns the number of rows."""
    if isinstance(output, Path):
        with open_private(output, "w", newline="", encoding="utf-8") as handle:  # names and e-mail addresses
            return export_scores(engine, handle)
    writer = csv.writer(output)
    writer.writerow(COLUMNS)
    select = ", ".join(f"c.{name}" for name in COLUMNS[1:6]) + ", " + ", ".join(f"s.{name}" for name in COLUMNS[6:])
    sql = f"SELECT s.contact_id, {select} FROM contact_score s JOIN contact c ON c.id = s.contact_id ORDER BY 1"
    count = 0
    with engine.connect() as connection:
        for batch in raw_rows(connection, sql):
            for row in batch:
                writer.writerow(_cells(row))
                count += 1
    return count


def _cells(row: tuple) -> list[object]:
    cells = []
    for name, value in zip(COLUMNS, row, strict=True):
        if name in TIME_COLUMNS and value is not None:
            value = from_epoch(int(value)).isoformat()
        elif name == "reasons":
            value = "; ".join(json.loads(value) if isinstance(value, str) else value)
        elif name == "engaged":
            value = str(bool(value)).lower()
        cells.append(value)
    return cells
