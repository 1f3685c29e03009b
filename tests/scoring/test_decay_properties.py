"""Properties of per-type and per-rule decay and of first-time-only rules, on the array functions (no store)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.scoring.behavior import SECONDS_PER_DAY, RuleTable, capped_contributions
from connector.scoring.decay import activity_decay
from connector.scoring.kinds import KindRow, classify_kinds
from connector.scoring.model import ScoringModel, parse_model
from connector.scoring.model_behavior import BehaviorModel
from connector.scoring.scores import ActivityDecay, engagement_contributions, lead_scores

AS_OF = 1_790_000_000
YEAR = 365 * SECONDS_PER_DAY
TYPES = ["email_open", "page_view", "demo_attended", "webinar"]
#: Kind ids 1-6 as the store would hold them; 6 is of a type the model does not know, 7 is beyond the table.
KIND_ROWS = [
    KindRow(1, "page_view", {"url": "https://example.com/pricing"}),
    KindRow(2, "page_view", {"url": "https://example.com/blog"}),
    KindRow(3, "email_open", {}),
    KindRow(4, "demo_attended", {}),
    KindRow(5, "webinar", {}),
    KindRow(6, "call", {}),
]
KIND_TYPE = {row.id: row.type for row in KIND_ROWS}

#: A narrower level: each key left out (inherit), a value, or for the half-life null (no decay).
level = st.fixed_dictionaries(
    {},
    optional={
        "window_days": st.sampled_from([1, 7, 30, 90]),
        "half_life_days": st.sampled_from([None, 3, 14, 60]),
    },
)
points = st.integers(0, 30)


@st.composite
def models(draw) -> ScoringModel:
    rules = [
        {"type": "page_view", "where": {"url": {"regex": "/pricing"}}, "points": draw(points), **draw(level)},
        {"type": "page_view", "points": draw(points), "daily_cap": 10, **draw(level)},
        {"type": "email_open", "points": draw(points), "total_cap": 20, **draw(level)},
        {"type": "demo_attended", "points": draw(points), **draw(level)},
    ]
    engagement = {
        "window_days": draw(st.sampled_from([7, 30, 60])),
        "half_life_days": draw(st.sampled_from([None, 7, 30])),
        "by_type": draw(st.dictionaries(st.sampled_from(TYPES), level, max_size=4)),
    }
    return parse_model(
        {"activity_types": TYPES, "behavior": {"rules": rules}, "engagement": engagement, "stages": [{"name": "a"}]}
    )


activities = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 7), st.integers(AS_OF - YEAR, AS_OF)), max_size=60)


def expected_decay(model: ScoringModel, rule: int, activity_type: str | None) -> tuple[float, float]:
    """The resolution said plainly: the model's values, overwritten by the type's keys, then by the rule's."""
    window = model.engagement.window_days
    half_life = model.engagement.half_life_days or np.inf
    levels = [model.engagement.by_type.get(activity_type or "")]
    levels += [model.behavior.rules[rule]] if rule >= 0 else []
    for each in levels:
        if each is not None and each.window_days is not None:
            window = each.window_days
        if each is not None and each.half_life_days is not None:
            half_life = each.half_life_days
    return window * SECONDS_PER_DAY, half_life


def engagement_of(model: ScoringModel, rows: list[tuple[int, int, int]]):
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    contact, kind_id, moment = table[:, 0], table[:, 1], table[:, 2]
    kinds = classify_kinds(model, KIND_ROWS)
    rule = np.where(kind_id < len(kinds.rule_of_kind), kinds.rule_of_kind[np.minimum(kind_id, 6)], -1)
    counted = capped_contributions(contact, rule, moment, RuleTable.from_model(model.behavior)).counted
    decay = activity_decay(model, kinds, kind_id)
    return table, rule, counted, decay, engagement_contributions(moment, counted, AS_OF, decay)


@settings(max_examples=300, deadline=None)
@given(models(), activities)
def test_each_activity_follows_its_rules_then_its_types_then_the_models_window_and_half_life(model, rows):
    table, rule, _counted, decay, _shares = engagement_of(model, rows)
    for index, (_contact, kind_id, _moment) in enumerate(table.tolist()):
        window, half_life = expected_decay(model, int(rule[index]), KIND_TYPE.get(kind_id))
        assert (decay.window_seconds[index], decay.half_life_days[index]) == (window, half_life)


@settings(max_examples=300, deadline=None)
@given(models(), activities)
def test_per_type_decay_keeps_engagement_between_zero_and_the_undecayed_in_window_sum(model, rows):
    table, _rule, counted, decay, shares = engagement_of(model, rows)
    undecayed = ActivityDecay(decay.window_seconds, np.full(len(table), np.inf))
    upper = lead_scores(table[:, 0], engagement_contributions(table[:, 2], counted, AS_OF, undecayed), 4)
    engagement = lead_scores(table[:, 0], shares, 4)
    assert (engagement >= 0).all()
    assert (engagement <= upper + 1e-9).all()


@settings(max_examples=300, deadline=None)
@given(models(), activities)
def test_an_activity_outside_its_own_window_adds_nothing(model, rows):
    table, _rule, counted, decay, shares = engagement_of(model, rows)
    outside = table[:, 2] <= AS_OF - decay.window_seconds
    assert (shares[outside] == 0).all()
    inside_and_counted = ~outside & (counted > 0)
    assert (shares[inside_and_counted] > 0).all()


REPEAT_RULES = BehaviorModel.model_validate(
    {
        "rules": [
            {"type": "webinar", "points": 10, "once": True},
            {"type": "page_view", "points": 3, "once_per_days": 7},
            {"type": "email_open", "points": 1},
            {"type": "form_fill", "points": 5, "once_per_days": 0.5, "total_cap": 15},
        ]
    }
)
repeat_activities = st.lists(
    st.tuples(st.integers(0, 2), st.integers(-1, 3), st.integers(AS_OF - 60 * SECONDS_PER_DAY, AS_OF)), max_size=80
)


def contributions_of(rows: list[tuple[int, int, int]]):
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table, capped_contributions(table[:, 0], table[:, 1], table[:, 2], RuleTable.from_model(REPEAT_RULES))


def greedy_counted_times(times: list[int], gap: float) -> list[int]:
    """The definition, one activity at a time: count when the gap since the last counted one has passed."""
    counted: list[int] = []
    for moment in sorted(times):
        if not counted or moment - counted[-1] >= gap:
            counted.append(moment)
    return counted


@settings(max_examples=300, deadline=None)
@given(repeat_activities)
def test_a_once_rule_counts_one_activity_per_contact_and_the_first(rows):
    table, contributions = contributions_of(rows)
    for contact in range(3):
        mine = (table[:, 0] == contact) & (table[:, 1] == 0)
        counted = mine & (contributions.counted != 0)
        assert counted.sum() == (1 if mine.any() else 0)
        if mine.any():
            assert table[counted, 2].min() == table[mine, 2].min()
        assert (contributions.repeat[mine] == (mine & ~counted)[mine]).all()


@settings(max_examples=300, deadline=None)
@given(repeat_activities)
def test_a_once_per_days_rule_never_counts_two_within_its_period(rows):
    table, contributions = contributions_of(rows)
    for rule, days in ((1, 7), (3, 0.5)):
        gap = days * SECONDS_PER_DAY
        for contact in range(3):
            mine = (table[:, 0] == contact) & (table[:, 1] == rule)
            kept = np.sort(table[mine & ~contributions.repeat, 2])
            assert (np.diff(kept) >= gap).all()
            assert kept.tolist() == greedy_counted_times(table[mine, 2].tolist(), gap)


@settings(max_examples=200, deadline=None)
@given(repeat_activities, st.randoms(use_true_random=False))
def test_activity_order_never_changes_what_repeat_limited_rules_count(rows, shuffler):
    shuffled = list(rows)
    shuffler.shuffle(shuffled)
    (first, before), (second, after) = contributions_of(rows), contributions_of(shuffled)
    assert np.allclose(lead_scores(first[:, 0], before.counted, 3), lead_scores(second[:, 0], after.counted, 3))
