"""The worked example of docs/scoring.md, "groups — scores per product or category": a contact MQL for the
analytics product line and not for CRM, through score_store, explain and the index by score group, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from connector.errors import InputError
from connector.reports.engagement_index import BY_SCORE_GROUP, engagement_index, replayed_index
from connector.scoring import score_store
from connector.scoring.explain import explain
from connector.scoring.groups import GroupLine, group_documents
from connector.scoring.replay import read_replay_inputs, replay_on, replay_read, replay_store
from connector.store import make_engine, upgrade_store
from connector.store.types import to_epoch
from tests.cli import run_cli
from tests.conftest import NOW
from tests.scoring.builders import EXAMPLES, StoreBuilder, days_ago, example, stored_score

MODEL = example("product_lines")


def product_lines_store(engine) -> dict[str, int]:
    """Dana evaluates analytics (and glanced at CRM); Lee looks at CRM; Olga saw an analytics demo long ago."""
    store = StoreBuilder(engine)
    dana = store.contact(crm_id="00QDANA", email="dana@example.com")
    store.activity(dana, "demo_attended", days_ago(20), product="analytics")
    store.activity(dana, "form_fill", days_ago(5), form="analytics-trial", product="analytics")
    store.activity(dana, "page_view", days_ago(2), url="/pricing", product="analytics")
    store.activity(dana, "page_view", days_ago(40), url="/pricing", product="crm")  # outside the 30-day window
    store.activity(dana, "page_view", days_ago(3), url="/features", product="crm")
    store.activity(dana, "webinar_attended", days_ago(10), product="crm")
    store.activity(dana, "email_open", days_ago(1))
    lee = store.contact(crm_id="00QLEE")
    store.activity(lee, "webinar_attended", days_ago(5), product="crm")
    store.activity(lee, "page_view", days_ago(1), url="/pricing", product="CRM")
    olga = store.contact(crm_id="00QOLGA")
    store.activity(olga, "demo_attended", days_ago(60), product="analytics")
    return {"dana": dana, "lee": lee, "olga": olga}


def test_dana_is_mql_for_analytics_and_not_for_crm(engine):
    contacts = product_lines_store(engine)
    score_store(engine, MODEL, NOW, now=lambda: NOW)

    assert (stored_score(engine, contacts["dana"]).lead, stored_score(engine, contacts["dana"]).stage) == (72, "mql")
    explanation = explain(engine, MODEL, "dana@example.com", NOW, now=NOW)
    assert explanation.groups == (
        GroupLine("analytics", lead=55, engagement=55, engaged=True, stage="mql", stage_reason="lead 55 >= 40"),
        GroupLine("crm", lead=16, engagement=11, engaged=True, stage="none", stage_reason=None),
        GroupLine("content", lead=11, engagement=11, engaged=True, stage=None, stage_reason=None),
    )
    # each activity line names the groups it counts toward: its product's, and a tagged rule's
    counted_toward = {(line.type, line.attributes.get("product")): line.groups for line in explanation.activities}
    assert counted_toward[("webinar_attended", "crm")] == ("crm", "content")
    assert counted_toward[("email_open", None)] == ("content",)
    assert counted_toward[("demo_attended", "analytics")] == ("analytics",)
    lee = {line.group: line for line in explain(engine, MODEL, "00QLEE", NOW, now=NOW).groups}
    assert (lee["crm"].lead, lee["crm"].stage, lee["crm"].stage_reason) == (15, "interested", "engagement 15 >= 15")
    assert (lee["analytics"].lead, lee["analytics"].stage) == (0, "none")


def test_group_documents_are_what_the_store_keeps_per_contact(engine):
    contacts = product_lines_store(engine)
    replay = replay_store(engine, MODEL, NOW)
    documents = dict(zip(replay.contact_ids.tolist(), group_documents(replay.frame), strict=True))

    assert documents[contacts["olga"]] == {
        "analytics": {"lead": 30.0, "engagement": 0.0, "engaged": False, "stage": "none"},
        "crm": {"lead": 0.0, "engagement": 0.0, "engaged": False, "stage": "none"},
        "content": {"lead": 0.0, "engagement": 0.0, "engaged": False},
    }


def test_the_index_by_score_group_counts_contacts_engaged_in_each_group(engine):
    product_lines_store(engine)
    score_store(engine, MODEL, NOW, now=lambda: NOW)  # stores each contact's group document

    live = engagement_index(engine, by_group=True)
    replayed = replayed_index(engine, lambda connection: [replay_on(connection, MODEL, NOW, None)], by_group=True)

    rows = {row.group: (row.contacts, row.engaged) for row in live.groups}
    assert rows == {"analytics": (3, 1), "crm": (3, 2), "content": (3, 2)}
    assert (live.by, live.overall.contacts, live.overall.engaged) == (BY_SCORE_GROUP, 3, 2)
    assert replayed == live


def test_the_index_by_score_group_replays_an_earlier_moment(engine):
    product_lines_store(engine)
    earlier = NOW - timedelta(days=15)
    index = replayed_index(engine, lambda connection: [replay_on(connection, MODEL, earlier, None)], by_group=True)

    # 15 days earlier only Dana had touched anything: her analytics demo 5 days before, a CRM pricing view 25 days
    assert {row.group: row.engaged for row in index.groups} == {"analytics": 1, "crm": 0, "content": 0}
    assert (index.overall.contacts, index.overall.engaged) == (3, 1)


def test_the_index_groups_by_a_field_or_by_score_group_not_both(engine):
    with pytest.raises(InputError, match="not both"):
        engagement_index(engine, by="lead_source", by_group=True)


def test_explain_and_index_by_group_on_the_command_line(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'groups.db'}"
    engine = make_engine(url)
    upgrade_store(engine)
    product_lines_store(engine)
    model = str(EXAMPLES / "product_lines.yaml")
    past = (NOW - timedelta(days=15)).isoformat()

    assert run_cli(monkeypatch, "explain", "00QDANA", "--model", model, "--as-of", NOW.isoformat(),
                   "--database", url) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "Score groups" in shown and "mql (lead 55 >= 40)" in shown

    assert run_cli(monkeypatch, "index", "--by-group", "--as-of", past, "--format", "json", "--model", model,
                   "--database", url) == 0  # fmt: skip
    index = json.loads(capsys.readouterr().out)
    assert index["by"] == BY_SCORE_GROUP
    assert [(row["group"], row["engaged"]) for row in index["groups"]] == [("analytics", 1), ("content", 0),
                                                                            ("crm", 0)]  # fmt: skip

    assert run_cli(monkeypatch, "index", "--by-group", "--as-of", past, "--format", "csv", "--model", model,
                   "--database", url) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[1] == "analytics,3,1,33.3,False"

    assert run_cli(monkeypatch, "index", "--by-group", "--by", "owner_id", "--database", url) == 2
    assert "not both" in capsys.readouterr().err


def test_a_replay_of_read_inputs_refuses_a_model_with_other_groups(engine):
    product_lines_store(engine)
    other = MODEL.model_copy(update={"groups": MODEL.groups[:1]})  # no "content" group: kinds count elsewhere
    with engine.connect() as connection:
        inputs = read_replay_inputs(connection, MODEL, NOW, None)
    assert replay_read(inputs, to_epoch(NOW), MODEL).frame.group_scores.keys() == {"analytics", "crm", "content"}
    with pytest.raises(ValueError, match="matches other rules"):
        replay_read(inputs, to_epoch(NOW), other)
