"""What-if and the next stage in `explain`: worked examples, caps and triggers, and the store left untouched."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from alembic import command
from alembic.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from connector.errors import InputError
from connector.scoring import score_store
from connector.scoring.explain import explain
from connector.scoring.model import load_model, parse_model
from connector.scoring.what_if import hypotheticals, parse_what_if
from connector.store.upgrade import MIGRATIONS_DIR
from tests.cli import run_cli as run
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL, StoreBuilder, days_ago, stored_score
from tests.scoring.test_replay import live_state

#: sql at 50 lead points or on a demo; a pricing page view counts once a day, an email open 3 points at most.
MODEL = {
    "activity_types": ["page_view", "email_open", "webinar_attended", "demo_attended"],
    "behavior": {
        "rules": [
            {
                "type": "page_view",
                "where": {"url": {"regex": "/pricing"}},
                "points": 5,
                "daily_cap": 5,
                "total_cap": 30,
                "label": "Pricing page",
            },
            {"type": "page_view", "points": 1, "label": "Page view"},
            {"type": "email_open", "points": 1, "total_cap": 3, "label": "Email opened"},
            {"type": "webinar_attended", "points": 22, "label": "Webinar attended"},
            {"type": "demo_attended", "points": 25, "label": "Demo attended"},
        ]
    },
    "stages": [
        {"name": "prospect"},
        {"name": "lead", "when": [{"score": "lead", "at_least": 20}]},
        {"name": "sql", "when": [{"score": "lead", "at_least": 50}, {"activity": "demo_attended"}]},
    ],
}


def model():
    return parse_model(MODEL)


@pytest.fixture
def short_of_sql(engine):
    """A lead with 44 points (two webinars), scored live at NOW: 6 points from sql."""
    store = StoreBuilder(engine)
    contact = store.contact(crm_id="00Q6", email="six@example.com")
    store.activity(contact, "webinar_attended", days_ago(10))
    store.activity(contact, "webinar_attended", days_ago(2))
    score_store(engine, model(), NOW, now=lambda: NOW)
    assert stored_score(engine, contact).stage == "lead"
    return contact


def test_a_lead_six_points_short_of_sql_is_told_the_fewest_activities_that_reach_it(engine, short_of_sql):
    explanation = explain(engine, model(), "00Q6", NOW, now=NOW)

    nearest = explanation.next_stage
    assert nearest.stage == "sql"
    assert [(gap.score, gap.points) for gap in nearest.gaps] == [("lead", 6)]
    # Email opened is capped at 3 points: no number of opens gets there; a pricing page counts once a day,
    # so two views spread over two days close the gap.
    assert [(route.label, route.count, route.what_if) for route in nearest.routes] == [
        ("Demo attended", 1, "demo_attended"),
        ("Webinar attended", 1, "webinar_attended"),
        ("Pricing page", 2, "pricing_page*2"),
        ("Page view", 6, "page_view*6"),
    ]
    assert nearest.sentence() == (
        "6 lead points from sql: Demo attended, or Webinar attended, or 2 × Pricing page, or 6 × Page view"
    )


def test_the_what_if_of_a_demo_moves_the_lead_to_sql_and_one_page_view_too_few_does_not(engine, short_of_sql):
    demo = explain(engine, model(), "00Q6", NOW, now=NOW, what_if=parse_what_if("demo_attended", model()))
    assert (demo.stage, demo.scores["lead"]) == ("lead", 44)
    assert (demo.what_if.stage, demo.what_if.scores["lead"]) == ("sql", 69)

    views = explain(engine, model(), "00Q6", NOW, now=NOW, what_if=parse_what_if("page_view*4,email_open", model()))
    assert (views.what_if.items, views.what_if.stage, views.what_if.scores["lead"]) == (
        ("page_view*4", "email_open"),
        "lead",
        44 + 4 + 1,
    )
    opens = explain(engine, model(), "00Q6", NOW, now=NOW, what_if=parse_what_if("email_opened*10", model()))
    assert (opens.what_if.scores["lead"], opens.what_if.stage) == (44 + 3, "lead")  # total_cap 3, as it would


def test_a_trigger_stage_is_reached_by_its_activity_even_without_points(engine):
    no_points = parse_model(
        {
            "activity_types": ["demo_attended", "visit"],
            "behavior": {"rules": [{"type": "visit", "points": 10, "label": "Visit"}]},
            "stages": [{"name": "lead"}, {"name": "sql", "when": [{"activity": "demo_attended", "label": "demo"}]}],
        }
    )
    store = StoreBuilder(engine)
    store.contact(crm_id="T1")

    nearest = explain(engine, no_points, "T1", NOW, now=NOW).next_stage

    assert (nearest.gaps, nearest.sentence()) == ((), "to reach sql: demo")
    assert [route.what_if for route in nearest.routes] == ["demo_attended"]


def test_the_default_model_answers_quickly_and_skips_stages_only_crm_fields_lead_to(engine):
    default = load_model(DEFAULT_MODEL)
    store = StoreBuilder(engine)
    contact = store.contact(crm_id="M1", title="VP Sales")
    for days in (5, 4, 3):
        store.activity(contact, "form_fill", days_ago(days), form="Pricing request")

    started = time.perf_counter()
    explanation = explain(engine, default, "M1", NOW, now=NOW)
    assert time.perf_counter() - started < 3.0

    assert explanation.stage == "mql"  # sal follows a CRM field: the next stage activities lead to is sql
    assert explanation.next_stage.stage == "sql"
    assert explanation.next_stage.routes[0].label == "Demo attended"


def test_unknown_names_and_bad_counts_are_one_line_listing_the_valid_names():
    with pytest.raises(InputError) as unknown:
        parse_what_if("demo_attended,pricing", model())
    assert "'pricing'" in str(unknown.value) and "pricing_page, page_view" in str(unknown.value)
    assert "\n" not in str(unknown.value)
    for bad in ("page_view*0", "3xpage_view", "page_view*"):
        with pytest.raises(InputError):
            parse_what_if(bad, model())


def test_rules_are_named_by_label_in_snake_case_and_types_by_themselves():
    names = hypotheticals(model())
    assert list(names) == [
        "pricing_page", "page_view", "email_opened", "webinar_attended", "demo_attended", "email_open",
    ]  # fmt: skip
    assert names["email_open"].rule == names["email_opened"].rule


WHAT_IF_LISTS = st.lists(
    st.tuples(st.sampled_from(sorted(hypotheticals(model()))), st.integers(1, 8)), min_size=1, max_size=4
)


def test_what_if_never_writes_to_the_store(engine, short_of_sql):
    before = live_state(engine)

    @settings(max_examples=25, deadline=None)
    @given(WHAT_IF_LISTS)
    def what_if_leaves_the_store_alone(items):
        listed = ",".join(f"{name}*{count}" for name, count in items)
        explain(engine, model(), "00Q6", NOW, now=NOW, what_if=parse_what_if(listed, model()))
        assert live_state(engine) == before

    what_if_leaves_the_store_alone()


def cli_url(engine) -> str:
    """The test's store as a URL the command opens, stamped at the newest schema so opening it changes nothing."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, "head")
        schema = connection.execute(text("SELECT current_schema()")).scalar() if engine.dialect.name != "sqlite" else ""
    url = engine.url
    if schema:
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def test_explain_what_if_from_the_command_line_as_table_and_json(engine, short_of_sql, monkeypatch, capsys, tmp_path):
    url = cli_url(engine)
    model_file = tmp_path / "model.yaml"
    model_file.write_text(yaml.safe_dump(MODEL))
    before = live_state(engine)
    common = ("--model", str(model_file), "--as-of", NOW.isoformat(), "--database", url)

    assert run(monkeypatch, "explain", "00Q6", *common, "--what-if", "demo_attended") == 0
    out = capsys.readouterr().out
    assert "Next stage: 6 lead points from sql: Demo attended" in out
    assert "What if demo_attended happened" in out and "nothing stored" in out

    assert run(monkeypatch, "explain", "00Q6", *common, "--what-if", "pricing_page*2", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["what_if"] == {"items": ["pricing_page*2"], "scores": document["what_if"]["scores"], "stage": "sql"}
    assert document["next_stage"]["sentence"].startswith("6 lead points from sql")
    assert document["next_stage"]["routes"][2] == {"label": "Pricing page", "count": 2, "what_if": "pricing_page*2"}

    assert run(monkeypatch, "explain", "00Q6", *common, "--what-if", "demo,page_view") == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and "'demo'" in error and "demo_attended" in error
    assert live_state(engine) == before
