"""The fall-below date on the pure pipeline (no store): exact to the second, and NEVER where nothing lapses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.fall_below import _engagement
from connector.scoring.frame import ActivityArrays, ContactColumns, PreviousState, score_frame
from connector.scoring.kinds import KindRow, classify_kinds
from connector.scoring.model import ScoringModel, parse_model
from connector.scoring.scores import NEVER, ActivityDecay

AS_OF = 1_795_000_000
TYPES = ("demo", "visit", "unsubscribe")
CONTACTS = 3


def timed_model(window_days: float, half_life: float | None, quiet_days: float | None, warm: int, hot: int):
    return parse_model(
        {
            "activity_types": list(TYPES),
            "behavior": {
                "rules": [
                    {"type": "demo", "points": 40},
                    {"type": "visit", "points": 7, "daily_cap": 14},
                    {"type": "unsubscribe", "points": -15},
                ]
            },
            "engagement": {"window_days": window_days, "half_life_days": half_life},
            "recency": {"bands": [{"within_days": 7, "points": 30}, {"within_days": 30, "points": 10}]},
            "scores": {"combined": {"engagement": 1, "recency": 0.5}},
            "stages": [
                {"name": "cold"},
                {"name": "warm", "when": [{"score": "engagement", "at_least": warm}]},
                {"name": "hot", "when": [{"score": "combined", "at_least": hot}]},
            ],
            "lifecycle": {"quiet_days": quiet_days},
        }
    )


def frame_at(model: ScoringModel, rows: list[tuple[int, int, int]], moment: int, previous: np.ndarray | None = None):
    """The pipeline at `moment` over activities (contact, type index, epoch) dated up to AS_OF."""
    kinds = classify_kinds(model, [KindRow(index, name, {}) for index, name in enumerate(TYPES)])
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    activities = ActivityArrays(table[:, 0], table[:, 1], table[:, 2])
    contacts = ContactColumns(np.arange(CONTACTS), {})
    before = PreviousState.none(CONTACTS) if previous is None else PreviousState(previous, np.zeros(CONTACTS, bool))
    return score_frame(model, kinds, contacts, activities, moment, before)


def step_moments(model: ScoringModel, rows, contact: int) -> set[int]:
    """Moments a score of `contact` jumps: an activity leaves the window, a recency band or the quiet period ends."""
    window = round(model.engagement.window_days * SECONDS_PER_DAY)
    steps = {at + window for who, _, at in rows if who == contact}
    engaging = [at for who, kind, at in rows if who == contact and TYPES[kind] != "unsubscribe"]
    ages = [band.within_days for band in model.recency.bands] + [model.lifecycle.quiet_days or 0]
    steps |= {max(engaging) + round(days * SECONDS_PER_DAY) + 1 for days in ages if engaging}
    return steps


activity = st.tuples(st.integers(0, CONTACTS - 1), st.integers(0, 2), st.integers(AS_OF - 60 * 86400, AS_OF))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(activity, max_size=25),
    st.sampled_from([7, 30, 45]),
    st.sampled_from([None, 3, 14]),
    st.sampled_from([None, 20, 90]),
    st.integers(5, 60),
    st.integers(20, 120),
)
def test_the_fall_below_date_is_exact_to_the_second(rows, window, half_life, quiet, warm, hot):
    model = timed_model(window, half_life, quiet, warm, hot)
    now = frame_at(model, rows, AS_OF)
    held = now.stages.stage
    for contact in range(CONTACTS):
        falls = int(now.fall_below_at[contact])
        if falls == NEVER:
            for days in (1, 10, 40, 100, 400):  # sampled: never means the stage holds all along
                assert frame_at(model, rows, AS_OF + days * 86400, held).stages.stage[contact] >= held[contact]
            continue
        assert falls > AS_OF
        before, after = frame_at(model, rows, falls - 1, held), frame_at(model, rows, falls, held)
        assert before.stages.stage[contact] >= held[contact]  # a rise (a negative activity left) is no fall
        assert after.stages.stage[contact] < held[contact]
        if falls not in step_moments(model, rows, contact):  # continuous decay: the score is at the threshold
            for ref in now.stages.conditions:
                score = ref.condition.score
                if ref.stage >= held[contact] and before.scores[score][contact] >= ref.condition.at_least:
                    assert after.scores[score][contact] >= ref.condition.at_least - 0.01
        middle = AS_OF + (falls - AS_OF) // 2
        assert frame_at(model, rows, middle, held).stages.stage[contact] >= held[contact]


def test_a_stage_held_by_a_constant_score_or_a_trigger_never_falls():
    model = parse_model(
        {
            "activity_types": ["demo", "visit"],
            "behavior": {"rules": [{"type": "visit", "points": 30}]},
            "engagement": {"window_days": 30, "half_life_days": 7},
            "stages": [
                {"name": "prospect"},
                {"name": "mql", "when": [{"score": "lead", "at_least": 50}]},
                {"name": "sql", "when": [{"activity": "demo"}]},
            ],
        }
    )
    kinds = classify_kinds(model, [KindRow(0, "demo", {}), KindRow(1, "visit", {})])
    activities = ActivityArrays(np.array([0, 0, 1]), np.array([1, 1, 0]), np.array([AS_OF - 5, AS_OF - 4, AS_OF]))
    frame = score_frame(model, kinds, ContactColumns(np.arange(2), {}), activities, AS_OF, PreviousState.none(2))
    assert [frame.stage_name(model, index) for index in (0, 1)] == ["mql", "sql"]
    assert frame.fall_below_at.tolist() == [NEVER, NEVER]


def test_a_stage_kept_by_the_quiet_period_falls_when_it_ends():
    model = timed_model(30, None, 90, 20, 200)
    rows = [(0, 1, AS_OF - 10 * 86400)]  # 7 points: qualifies for cold only, but was warm before
    frame = frame_at(model, rows, AS_OF, np.array([1, 0, 0]))
    assert frame.stage_name(model, 0) == "warm"
    assert frame.fall_below_at[0] == AS_OF - 10 * 86400 + 90 * 86400 + 1


@settings(max_examples=100, deadline=None)
@given(
    st.lists(activity, min_size=1, max_size=25),
    st.lists(st.tuples(st.sampled_from([1, 7, 30, 45]), st.sampled_from([np.inf, 2, 14])), min_size=25, max_size=25),
    st.lists(st.integers(1, 50 * 86400), min_size=CONTACTS, max_size=CONTACTS),
)
def test_the_search_sums_engagement_as_the_pipeline_does_with_a_window_and_half_life_per_activity(
    rows, decays, offsets
):
    """Per-activity decay (a rule or type of its own): the sums the search uses match `engagement_contributions`."""
    frame = frame_at(timed_model(30, None, None, 5, 500), rows, AS_OF)
    windows, half_lives = (np.array(column[: len(rows)], dtype=np.float64) for column in zip(*decays, strict=True))
    frame = replace(frame, decay=ActivityDecay(windows * SECONDS_PER_DAY, half_lives))
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    activities = ActivityArrays(table[:, 0], table[:, 1], table[:, 2])
    everyone = np.arange(CONTACTS)
    sums, _exits, pipeline = _engagement(frame, activities, everyone, AS_OF, CONTACTS)
    offset = np.array(offsets, dtype=np.int64)
    assert np.allclose(sums.at(everyone, offset), pipeline.engagement(AS_OF + offset), atol=1e-9)
