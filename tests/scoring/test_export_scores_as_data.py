"""`scorebridge export` carries what the CRM receives beyond the contact scores: a column per score group value
(`groups.analytics.lead`, ...) and `stage_until`, the day the stage lapses; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from connector.reports.export import export_scores
from connector.scoring import score_store
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, example
from tests.scoring.test_fall_below_store import AS_OF, ann
from tests.scoring.test_score_groups import MODEL, product_lines_store


def exported(engine) -> dict[str, dict[str, str]]:
    output = io.StringIO()
    export_scores(engine, output)
    rows = list(csv.DictReader(io.StringIO(output.getvalue())))
    return {row[key]: row for row in rows for key in ("crm_id", "email") if row[key]}


def test_export_has_a_column_per_group_value_holding_the_stored_group_scores(engine):
    product_lines_store(engine)
    score_store(engine, MODEL, NOW, now=lambda: NOW)

    rows = exported(engine)

    header = list(next(iter(rows.values())))
    assert header[-9:] == [
        "groups.analytics.lead", "groups.analytics.engagement", "groups.analytics.stage",
        "groups.content.lead", "groups.content.engagement", "groups.content.stage",
        "groups.crm.lead", "groups.crm.engagement", "groups.crm.stage",
    ]  # fmt: skip
    dana = rows["00QDANA"]
    assert (float(dana["groups.analytics.lead"]), dana["groups.analytics.stage"]) == (55, "mql")
    assert (float(dana["groups.crm.lead"]), float(dana["groups.crm.engagement"])) == (16, 11)
    assert (float(dana["groups.content.lead"]), dana["groups.content.stage"]) == (11, "")  # no stages
    assert rows["00QOLGA"]["groups.analytics.engagement"] in ("0", "0.0")


def test_export_has_the_day_the_stage_lapses_and_no_group_columns_without_groups(engine):
    ann(engine)
    StoreBuilder(engine).contact(crm_id="00QQUIET", email="quiet@example.com")
    score_store(engine, example("cooling_off"), AS_OF, now=lambda: AS_OF)

    rows = exported(engine)

    assert rows["ann@example.com"]["stage_until"] == "2026-12-20"  # the webinar leaves the window that day
    assert rows["00QQUIET"]["stage_until"] == ""  # a prospect never falls
    assert not any(column.startswith("groups") for column in rows["00QQUIET"])
