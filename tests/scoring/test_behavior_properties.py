"""Properties of the behavioral math, on the pure array functions (no store)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.scoring.behavior import SECONDS_PER_DAY, RuleTable, capped_contributions
from connector.scoring.model_behavior import BehaviorModel, EngagementModel
from connector.scoring.scores import ActivityDecay, engagement_contributions, lead_scores

RULES = RuleTable.from_model(
    BehaviorModel.model_validate(
        {
            "rules": [
                {"type": "page_view", "points": 5, "daily_cap": 10},
                {"type": "email_open", "points": 1, "total_cap": 4},
                {"type": "unsubscribe", "points": -50},
                {"type": "demo_attended", "points": 25, "daily_cap": 25, "total_cap": 50},
            ]
        }
    )
)
AS_OF = 1_790_000_000
YEAR = 365 * SECONDS_PER_DAY

activity = st.tuples(st.integers(0, 3), st.integers(-1, 3), st.integers(AS_OF - YEAR, AS_OF))
activities = st.lists(activity, max_size=60)


def lead_of(rows: list[tuple[int, int, int]]) -> np.ndarray:
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    contributions = capped_contributions(table[:, 0], table[:, 1], table[:, 2], RULES)
    return lead_scores(table[:, 0], contributions.counted, 4)


@settings(max_examples=200, deadline=None)
@given(activities, st.randoms(use_true_random=False))
def test_activity_order_never_changes_a_score(rows, shuffler):
    shuffled = list(rows)
    shuffler.shuffle(shuffled)
    assert np.allclose(lead_of(rows), lead_of(shuffled))


@settings(max_examples=200, deadline=None)
@given(activities, st.integers(0, 3), st.sampled_from([0, 1, 3]), st.integers(AS_OF - YEAR, AS_OF))
def test_a_positive_activity_never_lowers_the_lead_score(rows, contact, rule, moment):
    before = lead_of(rows)
    after = lead_of([*rows, (contact, rule, moment)])
    assert after[contact] >= before[contact] - 1e-9


@given(st.sampled_from([1, 7, 30, 90]), st.floats(0.5, 20))
def test_an_activity_one_second_outside_the_window_adds_nothing(window_days, points):
    engagement = EngagementModel(window_days=window_days)
    start = AS_OF - window_days * SECONDS_PER_DAY
    times = np.array([start, start + 1, AS_OF, AS_OF + 1], dtype=np.int64)
    shares = engagement_contributions(times, np.full(4, points), AS_OF, ActivityDecay.uniform(engagement, 4))
    assert shares.tolist() == [0.0, points, points, 0.0]


def test_daily_cap_restarts_each_utc_day_and_total_cap_holds_overall():
    day = 20_000 * SECONDS_PER_DAY
    times = np.array([day + 10, day + 20, day + 30, day + SECONDS_PER_DAY + 5], dtype=np.int64)
    page_views = capped_contributions(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64), times, RULES)
    assert page_views.counted.tolist() == [5, 5, 0, 5]
    assert page_views.capped.tolist() == [False, False, True, False]
    demo_times = day + np.arange(4) * SECONDS_PER_DAY
    demos = capped_contributions(np.zeros(4, dtype=np.int64), np.full(4, 3, dtype=np.int64), demo_times, RULES)
    assert demos.counted.tolist() == [25, 25, 0, 0]


def test_half_life_halves_points_per_half_life_of_age():
    engagement = EngagementModel(window_days=60, half_life_days=10)
    times = np.array([AS_OF, AS_OF - 10 * SECONDS_PER_DAY, AS_OF - 20 * SECONDS_PER_DAY], dtype=np.int64)
    shares = engagement_contributions(times, np.full(3, 8.0), AS_OF, ActivityDecay.uniform(engagement, 3))
    assert np.allclose(shares, [8, 4, 2])
