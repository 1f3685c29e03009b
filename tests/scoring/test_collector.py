"""A scoring run's garbage collections skip the objects the process held before it, and hand them back after."""

from __future__ import annotations

import gc
import weakref

import pytest

import connector.scoring.run as run
from connector.scoring import load_model, score_store
from connector.scoring.collector import collecting_run_objects_only
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL, StoreBuilder, days_ago


def test_objects_from_before_the_block_are_frozen_for_it_and_collectable_after():
    class Cycle:
        pass

    cycle = Cycle()
    cycle.itself = cycle
    alive = weakref.ref(cycle)
    with collecting_run_objects_only():
        assert gc.get_freeze_count() > 0
        del cycle
        gc.collect()
        assert alive() is not None  # garbage made before the run: left alone while it lasts
        made_during = Cycle()
        made_during.itself = made_during
        during = weakref.ref(made_during)
        del made_during
        gc.collect()
        assert during() is None  # the run's own garbage is collected
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert alive() is None


def test_a_scoring_run_collects_only_its_own_objects(engine, monkeypatch):
    store = StoreBuilder(engine)
    store.activity(store.contact(), "webinar_attended", days_ago(3))
    frozen_while_scoring = []
    score_frame = run.score_frame

    def watched(*args, **kwargs):
        frozen_while_scoring.append(gc.get_freeze_count())
        return score_frame(*args, **kwargs)

    monkeypatch.setattr(run, "score_frame", watched)
    score_store(engine, load_model(DEFAULT_MODEL), NOW, now=lambda: NOW)
    assert frozen_while_scoring and all(count > 0 for count in frozen_while_scoring)
    assert gc.get_freeze_count() == 0


@pytest.fixture(autouse=True)
def _nothing_frozen_around():
    gc.unfreeze()
    yield
    gc.unfreeze()
