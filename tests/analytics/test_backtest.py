"""Backtests on a year where demos predict winning and e-mail opens do not; nothing a backtest does is stored."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from connector.analytics.backtest import backtest
from connector.analytics.cohorts import evaluation_moments
from connector.analytics.measures import MIN_PER_CLASS
from connector.errors import TooFewOutcomesError
from connector.scoring.model import parse_model
from connector.scoring.replay import read_replay_inputs, replay_on, replay_read
from connector.store import session_scope
from connector.store.tables import Outcome
from connector.store.types import from_epoch
from tests.analytics.outcome_history import (
    build_history,
    days_before_now,
    model_file,
    store_with_history,
    weighing,
    weighing_raw,
)
from tests.cli import run_cli

OPENS = weighing(demo=1, open_=10, name="weighs opens")
DEMOS = weighing(demo=30, open_=1, name="weighs demos")
MOMENTS = evaluation_moments(days_before_now(330), days_before_now(60), every_days=30)


def test_the_backtest_ranks_a_model_that_weighs_demos_above_one_that_weighs_opens(engine):
    build_history(engine)

    result = backtest(engine, OPENS, DEMOS, MOMENTS, horizon_days=60)
    reverse = backtest(engine, DEMOS, OPENS, MOMENTS, horizon_days=60)

    assert result.candidate.auc > result.live.auc + 0.05
    assert result.candidate.lift > result.live.lift
    assert result.candidate.conversion > result.live.conversion  # its MQLs go on to win more often
    assert result.candidate.precision > result.live.precision
    assert (reverse.live.auc, reverse.candidate.auc) == (result.candidate.auc, result.live.auc)


def test_periods_count_new_mqls_between_moments_and_cohorts_shrink_as_people_win(engine):
    build_history(engine)

    result = backtest(engine, OPENS, DEMOS, MOMENTS, horizon_days=60)

    assert len(result.candidate.periods) == len(MOMENTS) - 1  # the first moment is the baseline
    assert result.candidate.mqls == sum(period.mqls for period in result.candidate.periods) > 0
    cohorts = [period.cohort for period in result.live.periods]
    assert cohorts == sorted(cohorts, reverse=True)  # who already won leaves the cohort
    assert sum(result.candidate.stage_counts.values()) == 120


def test_a_history_without_enough_wins_says_how_many_it_needs(engine):
    build_history(engine)
    with session_scope(engine) as session:
        for outcome in session.exec(select(Outcome).where(Outcome.won.is_(True))).all()[: -MIN_PER_CLASS + 1]:
            outcome.won = False  # MIN_PER_CLASS - 1 winners remain

    with pytest.raises(TooFewOutcomesError, match=f"needs at least {MIN_PER_CLASS} of each"):
        backtest(engine, OPENS, DEMOS, MOMENTS, horizon_days=60)


@pytest.fixture
def store_url(tmp_path):
    return store_with_history(tmp_path)


def _window() -> tuple[str, ...]:
    return ("--from", days_before_now(330).isoformat(), "--to", days_before_now(60).isoformat(), "--every", "30d")


def test_the_command_prints_both_models_side_by_side_and_as_json(store_url, tmp_path, monkeypatch, capsys):
    live = model_file(tmp_path / "live.yaml", weighing_raw(1, 10, "weighs opens"))
    candidate = model_file(tmp_path / "candidate.yaml", weighing_raw(30, 1, "weighs demos"))
    common = ("--model", str(candidate), "--live-model", str(live), "--database", store_url, "--within", "60d")

    assert run_cli(monkeypatch, "backtest", *common, *_window()) == 0
    table = capsys.readouterr().out
    assert "live: weighs opens" in table and "candidate: weighs demos" in table and "MQL -> won" in table

    assert run_cli(monkeypatch, "backtest", *common, *_window(), "--json") == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["candidate"]["auc"] > figures["live"]["auc"]
    assert len(figures["moments"]) == len(MOMENTS)


def test_a_candidate_that_does_not_validate_is_one_line_naming_file_and_key(store_url, tmp_path, monkeypatch, capsys):
    broken = tmp_path / "candidate.yaml"
    broken.write_text(
        "activity_types: [email_open]\nbehavior: {rules: [{type: email_open, points: ten}]}\nstages: [{name: a}]\n"
    )

    assert run_cli(monkeypatch, "backtest", "--model", str(broken), "--database", store_url) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {broken}: behavior.rules[0].points:") and "\n" not in error


def test_too_few_outcomes_exits_non_zero_with_one_line(tmp_path, monkeypatch, capsys):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    candidate = model_file(tmp_path / "candidate.yaml", weighing_raw(30, 1, "weighs demos"))

    assert run_cli(monkeypatch, "backtest", "--model", str(candidate), "--database", empty, *_window()) == 1
    error = capsys.readouterr().err.strip()
    assert "too few outcomes" in error and f"at least {MIN_PER_CLASS}" in error and "\n" not in error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--every", "weekly"), "--every 'weekly' is not a duration"),
        (("--from", "2026-10-01", "--to", "2026-09-01"), "is after --to"),
        (("--score", "revenue"), "--score 'revenue' is not a score"),
        (("--connection", "nowhere"), "--connection 'nowhere' is not a connection of the connector file"),
    ],
)
def test_bad_options_are_one_line(tmp_path, monkeypatch, capsys, arguments, message):
    candidate = model_file(tmp_path / "candidate.yaml", weighing_raw(30, 1, "weighs demos"))
    database = f"sqlite:///{tmp_path / 'store.db'}"

    assert run_cli(monkeypatch, "backtest", "--model", str(candidate), "--database", database, *arguments) == 2
    assert message in capsys.readouterr().err


def test_replaying_a_moment_from_arrays_read_once_equals_reading_the_store_at_that_moment(engine):
    build_history(engine)
    moment = MOMENTS[3]
    with engine.connect() as connection:
        inputs = read_replay_inputs(connection, OPENS, from_epoch(MOMENTS[-1]), None)
        fresh = replay_on(connection, DEMOS, from_epoch(moment), None)
        candidate = inputs.for_model(connection, DEMOS, None)

    replayed = replay_read(candidate, moment)

    assert replayed.stages == fresh.stages and replayed.model_version == fresh.model_version
    for name, values in fresh.frame.scores.items():
        assert replayed.frame.scores[name].tolist() == values.tolist()


def test_arrays_read_for_one_model_refuse_a_model_that_matches_other_rules(engine):
    build_history(engine)
    with engine.connect() as connection:
        inputs = read_replay_inputs(connection, OPENS, from_epoch(MOMENTS[-1]), None)
    reordered = parse_model(weighing_raw(1, 10, "x") | {"behavior": {"rules": [{"type": "email_open", "points": 1}]}})

    with pytest.raises(ValueError, match="matches other rules"):
        replay_read(inputs, MOMENTS[0], reordered)
    with pytest.raises(ValueError, match="after the moment the inputs were read up to"):
        replay_read(inputs, MOMENTS[-1] + 1)
