"""Suggested points on a year where demos predict winning and e-mail opens do not: demos earn more, the file
written is a model `load_model` accepts, and nothing is published or stored."""

from __future__ import annotations

import stat

import numpy as np
import pytest
from sqlalchemy import text

from connector.analytics.backtest import read_history
from connector.analytics.cohorts import evaluation_moments
from connector.analytics.evidence import evidence_at
from connector.analytics.measures import MIN_PER_CLASS
from connector.analytics.suggest import HALF_LIVES, RuleChange, suggest
from connector.analytics.suggested_model import apply_changes
from connector.scoring.model import load_model, parse_model
from connector.scoring.replay import replay_read
from tests.analytics.outcome_history import (
    build_history,
    days_before_now,
    model_file,
    store_with_history,
    weighing,
    weighing_raw,
)
from tests.cli import run_cli

EVEN = weighing(demo=10, open_=10, name="even")
MOMENTS = evaluation_moments(days_before_now(330), days_before_now(30), every_days=30)


def test_suggest_gives_demos_more_points_than_opens_and_beats_the_current_model_on_later_moments(engine):
    build_history(engine, people=300)

    suggestion = suggest(engine, EVEN, MOMENTS, horizon_days=60)

    demo, opened = suggestion.behavior
    assert (demo.label, opened.label) == ("Demo attended", "Email opened")
    assert demo.suggested > opened.suggested and demo.suggested > demo.points
    assert suggestion.held_out.candidate.auc > suggestion.held_out.live.auc
    assert suggestion.model.activity_types == EVEN.activity_types and suggestion.model.stages == EVEN.stages


def test_half_lives_are_tried_when_the_judged_score_uses_engagement(engine):
    build_history(engine, people=300)
    raw = weighing_raw(10, 10, "engaged") | {"scores": {"combined": {"lead": 1, "engagement": 1}}}

    suggestion = suggest(engine, parse_model(raw), MOMENTS, horizon_days=60)

    assert set(suggestion.half_life_auc) == {"none", *(f"{days:g}" for days in HALF_LIVES if days)}
    best = max(suggestion.half_life_auc.values())
    assert (
        suggestion.half_life_auc["none" if suggestion.half_life_days is None else f"{suggestion.half_life_days:g}"]
        == best
    )


def live_rows(url: str) -> dict[str, list]:
    from connector.store import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        tables = ("contact", "activity", "contact_score", "stage_transition", "outcome", "scoring_checkpoint")
        state = {table: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {table}")))) for table in tables}
    engine.dispose()
    return state


def test_the_command_writes_a_private_candidate_with_comments_and_prints_the_held_out_table(
    tmp_path, monkeypatch, capsys
):
    url = store_with_history(tmp_path)
    current = model_file(tmp_path / "scoring.yaml", weighing_raw(10, 10, "even"))
    output = tmp_path / "suggested.yaml"
    before = live_rows(url)
    window = ("--from", days_before_now(330).isoformat(), "--to", days_before_now(30).isoformat(), "--within", "60d")

    assert run_cli(monkeypatch, "suggest", "--model", str(current), "--database", url, "-o", str(output), *window) == 0

    printed = capsys.readouterr().out
    assert "Held-out moments" in printed and f"Wrote {output}" in printed
    written = load_model(output)
    assert written.activity_types == ("email_open", "demo_attended") and written.name == "even (suggested)"
    demo, opened = written.behavior.rules
    assert demo.points > opened.points
    text_written = output.read_text()
    assert "# NOT IN USE" in text_written and "behavior.rules[0] Demo attended: 10 ->" in text_written
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert live_rows(url) == before
    assert load_model(current) == parse_model(weighing_raw(10, 10, "even"))  # the model in use is untouched


def test_suggest_never_writes_over_the_model_in_use(tmp_path, monkeypatch, capsys):
    current = model_file(tmp_path / "scoring.yaml", weighing_raw(10, 10, "even"))
    database = f"sqlite:///{tmp_path / 'store.db'}"

    assert run_cli(monkeypatch, "suggest", "--model", str(current), "--database", database, "-o", str(current)) == 2
    assert "is the model in use" in capsys.readouterr().err
    assert load_model(current) == parse_model(weighing_raw(10, 10, "even"))


def test_too_few_outcomes_is_one_line_and_writes_no_file(tmp_path, monkeypatch, capsys):
    current = model_file(tmp_path / "scoring.yaml", weighing_raw(10, 10, "even"))
    output = tmp_path / "suggested.yaml"
    empty = f"sqlite:///{tmp_path / 'empty.db'}"

    assert run_cli(monkeypatch, "suggest", "--model", str(current), "--database", empty, "-o", str(output)) == 1
    error = capsys.readouterr().err.strip()
    assert "too few outcomes" in error and f"at least {MIN_PER_CLASS} of each" in error and "\n" not in error
    assert not output.exists()


def test_a_history_too_short_to_split_in_time_says_so(tmp_path, monkeypatch, capsys):
    url = store_with_history(tmp_path)
    current = model_file(tmp_path / "scoring.yaml", weighing_raw(10, 10, "even"))
    window = ("--from", days_before_now(120).isoformat(), "--to", days_before_now(60).isoformat())

    assert run_cli(monkeypatch, "suggest", "--model", str(current), "--database", url, *window) == 2
    assert "too few to train on earlier ones and test on later ones" in capsys.readouterr().err


@pytest.mark.parametrize("points", [0, 5])
def test_a_rule_without_points_or_evidence_keeps_a_valid_model(engine, points):
    build_history(engine, people=300)
    raw = weighing_raw(10, points, "some") | {"activity_types": ["email_open", "demo_attended", "webinar_attended"]}
    raw["behavior"]["rules"].append({"type": "webinar_attended", "points": 7, "total_cap": 21, "label": "Webinar"})

    suggestion = suggest(engine, parse_model(raw), MOMENTS, horizon_days=60)

    webinar = suggestion.behavior[2]
    assert webinar.suggested == webinar.points == 7  # nobody attended one: no evidence, points unchanged
    assert suggestion.model.behavior.rules[2].total_cap == 21


def test_new_points_with_caps_scaled_give_a_lead_score_of_points_times_evidence(engine):
    build_history(engine)
    raw = weighing_raw(10, 2, "capped")
    raw["behavior"]["rules"][1] |= {"daily_cap": 2, "total_cap": 6}  # at most one open a day, three in all
    current = parse_model(raw)
    (inputs,), history = read_history(engine, (current,), MOMENTS[-1], None, horizon_days=60)
    cohort = history.cohort(MOMENTS[4])
    evidence = evidence_at(inputs, replay_read(inputs, inputs.until), [cohort])
    changes = [
        RuleChange(f"behavior.rules[{index}]", rule.name, rule.points, new, 0.0)
        for index, (rule, new) in enumerate(zip(current.behavior.rules, (7, 5), strict=True))
    ]

    suggested = apply_changes(current, changes, (), None)

    assert (suggested.behavior.rules[1].daily_cap, suggested.behavior.rules[1].total_cap) == (5, 15)
    lead = replay_read(inputs, cohort.moment, suggested).frame.scores["lead"][cohort.members]
    assert lead.tolist() == pytest.approx((evidence.behavior @ np.array([7.0, 5.0])).tolist())
    assert evidence.behavior[:, 1].max() == 3  # the total cap counted three opens at most
