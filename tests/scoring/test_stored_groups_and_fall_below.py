"""A scoring run stores each contact's score groups and fall-below moment beside its scores, diffed like them:
an unchanged contact is no write, a changed group or date is one, and neither adds score history.

The frames carry group scores and fall-below moments set here, as the engine's group and fall-below streams
fill them (connector/scoring/frame.py ScoreFrame), so the storing is tested on its own.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from connector.scoring.frame import score_frame
from connector.scoring.results import WriteOutcome, write_results
from connector.scoring.scores import NEVER
from connector.scoring.snapshot import read_activities, read_contacts, read_kinds, read_previous
from connector.scoring.stages import NO_STAGE
from connector.store.types import from_epoch, to_epoch
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, example, stored_score

AS_OF = to_epoch(NOW)
IN_19_DAYS = AS_OF + 19 * 86_400


def _groups(lead: list[float], engagement: list[float], stages: list[int]) -> dict:
    return {
        "group_scores": {"analytics": {"lead": np.array(lead), "engagement": np.array(engagement)}},
        "group_stages": {"analytics": np.array(stages)},
        "group_stage_names": {"analytics": ("mql", "sql")},
    }


def _score(engine, **frame_slots) -> WriteOutcome:
    """One run of the pipeline (as connector/scoring/run.py does it) with the given frame slots filled."""
    model = example("sales_ready")
    with engine.begin() as connection:
        kinds = read_kinds(connection, model)
        contacts = read_contacts(connection, model, False, AS_OF)
        activities = read_activities(connection, contacts, AS_OF, False)
        stored, previous = read_previous(connection, model, contacts, False)
        frame = replace(score_frame(model, kinds, contacts, activities, AS_OF, previous), **frame_slots)
        return write_results(connection, model, frame, contacts, activities, stored, AS_OF)


def _two_contacts(engine) -> tuple[int, int]:
    store = StoreBuilder(engine)
    first, second = store.contact(), store.contact()
    store.activity(first, "webinar_attended", days_ago(2))
    return first, second


def test_group_scores_and_the_fall_below_moment_are_stored_per_contact(engine):
    first, second = _two_contacts(engine)
    _score(engine, **_groups([40.004, 0], [12.5, 0], [0, NO_STAGE]), fall_below_at=np.array([IN_19_DAYS, NEVER]))
    assert stored_score(engine, first).groups == {"analytics": {"lead": 40.0, "engagement": 12.5, "stage": "mql"}}
    assert stored_score(engine, second).groups == {"analytics": {"lead": 0.0, "engagement": 0.0}}
    assert stored_score(engine, first).fall_below_at == from_epoch(IN_19_DAYS)
    assert stored_score(engine, second).fall_below_at is None


def test_a_model_without_groups_or_fall_below_dates_stores_empty_ones(engine):
    first, _ = _two_contacts(engine)
    _score(engine)
    assert stored_score(engine, first).groups == {}
    assert stored_score(engine, first).fall_below_at is None


def test_an_unchanged_contact_is_not_written_again(engine):
    _two_contacts(engine)
    slots = _groups([40, 0], [12.5, 0], [0, NO_STAGE]) | {"fall_below_at": np.array([IN_19_DAYS, NEVER])}
    assert _score(engine, **slots).rows_written == 2
    assert _score(engine, **slots).rows_written == 0


def test_a_changed_group_score_or_date_is_one_write_and_no_score_history(engine):
    _two_contacts(engine)
    before = _groups([40, 0], [12.5, 0], [0, NO_STAGE]) | {"fall_below_at": np.array([IN_19_DAYS, NEVER])}
    _score(engine, **before)
    group_moved = _score(engine, **(before | _groups([40, 0], [12.5, 3], [0, NO_STAGE])))
    assert (group_moved.rows_written, group_moved.scores_changed) == (1, 0)
    date_moved = _score(engine, **(before | _groups([40, 0], [12.5, 3], [0, NO_STAGE]) | {
        "fall_below_at": np.array([IN_19_DAYS + 86_400, NEVER])}))  # fmt: skip
    assert (date_moved.rows_written, date_moved.scores_changed) == (1, 0)


def test_a_fall_below_moment_between_seconds_is_stored_at_the_next_whole_second(engine):
    first, _ = _two_contacts(engine)
    _score(engine, fall_below_at=np.array([IN_19_DAYS - 0.25, float(NEVER)]))
    assert stored_score(engine, first).fall_below_at == from_epoch(IN_19_DAYS)
