"""The one list of scores and write targets, and what reads it: the store's tables, the adapters' port."""

from __future__ import annotations

import pytest

import connector.crm as port
from connector.score_catalog import (
    CONTACT_SCORES,
    CONTACT_TARGETS,
    TargetKind,
    clears_when_empty,
    group_target,
    split_group_target,
    target_kind,
    unknown_target,
)
from connector.scoring.fields import SCORE_NAMES
from connector.store.scores import HISTORY_FIELDS, ScoreRow


def test_every_contact_score_is_a_number_target_and_the_models_vocabulary():
    assert SCORE_NAMES == CONTACT_SCORES
    assert all(CONTACT_TARGETS[name] is TargetKind.NUMBER for name in CONTACT_SCORES)
    assert {name for name, kind in CONTACT_TARGETS.items() if kind is TargetKind.TEXT} == {"stage", "grade", "reasons"}


def test_the_fall_below_date_is_written_as_a_date_and_cleared_when_it_no_longer_holds():
    assert target_kind("stage_until") is TargetKind.DATE
    assert clears_when_empty("stage_until")
    assert not clears_when_empty("grade")


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("groups.analytics.lead", TargetKind.NUMBER),
        ("groups.analytics.engagement", TargetKind.NUMBER),
        ("groups.data_platform.stage", TargetKind.TEXT),
    ],
)
def test_group_targets_are_spelled_once_and_read_back(target, kind):
    group, value = split_group_target(target)
    assert group_target(group, value) == target
    assert target_kind(target) is kind
    assert unknown_target(target) is None


@pytest.mark.parametrize(
    "target", ["groups.analytics", "groups..lead", "groups.a.b.lead", "groups.analytics.recency", "score", "Fit"]
)
def test_anything_else_is_refused_in_one_line_that_lists_the_targets(target):
    assert target_kind(target) is None
    problem = unknown_target(target)
    assert problem.startswith(f"unknown write-back target {target!r}; targets are fit, lead")
    assert "stage_until" in problem and "groups.<group>.lead|engagement|stage" in problem
    assert "\n" not in problem


def test_the_store_keeps_a_column_for_every_contact_score_in_its_row_and_its_history():
    assert set(CONTACT_SCORES) <= set(ScoreRow._fields)
    assert set(CONTACT_SCORES) <= set(HISTORY_FIELDS)
    assert {"groups", "fall_below_at"} <= set(ScoreRow._fields)
    assert set(HISTORY_FIELDS) <= set(ScoreRow._fields)  # a history row is a part of the current row


def test_adapters_reach_the_targets_through_the_port():
    assert port.target_kind is target_kind and port.TargetKind is TargetKind
    assert port.unknown_target is unknown_target and port.clears_when_empty is clears_when_empty


def test_a_groups_stage_is_cleared_when_none_holds_and_its_scores_never_are():
    assert clears_when_empty("groups.analytics.stage")
    assert not clears_when_empty("groups.analytics.lead")
