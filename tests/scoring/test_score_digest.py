"""Rows compared by fingerprint: unchanged contacts are not written, any change of a stored value is, reasons too."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text
from sqlmodel import select

from connector.scoring import score_store
from connector.scoring.digest import Fingerprint
from connector.store import session_scope
from connector.store.tables import Activity, ActivityKind, ContactScore
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, example, stored_score
from tests.scoring.test_incremental import score_changes


def two_leads_alike_but_for_why(engine) -> tuple[int, int]:
    """Same points (50) from different rules: equal scores and stage, different reasons."""
    store = StoreBuilder(engine)
    webinar, form = store.contact(), store.contact()
    store.activity(webinar, "webinar_attended", days_ago(100))
    store.activity(form, "form_submit", days_ago(100))
    return webinar, form


def test_contacts_with_equal_scores_and_different_reasons_have_different_fingerprints(engine):
    webinar, form = two_leads_alike_but_for_why(engine)
    score_store(engine, example("engagement_window"), NOW, now=lambda: NOW)

    first, second = stored_score(engine, webinar), stored_score(engine, form)
    assert (first.lead, first.engagement, first.stage) == (second.lead, second.engagement, second.stage)
    assert first.reasons != second.reasons
    assert None not in (first.digest, second.digest) and first.digest != second.digest


def test_a_change_of_reasons_alone_is_written(engine):
    model = example("engagement_window")
    webinar, form = two_leads_alike_but_for_why(engine)
    score_store(engine, model, NOW, now=lambda: NOW)
    with session_scope(engine) as session:  # the form was a webinar after all, with the same points
        kind = session.exec(select(ActivityKind).where(ActivityKind.type == "webinar_attended")).one()
        activity = session.exec(select(Activity).where(Activity.contact_id == form)).one()
        activity.kind_id = kind.id
    before = score_changes(engine)

    again = score_store(engine, model, NOW, full=True, now=lambda: NOW)

    assert stored_score(engine, form).reasons == stored_score(engine, webinar).reasons
    assert (again.rows_written, again.scores_changed) == (1, 0)  # the history keeps scores, not reasons
    assert score_changes(engine) == before


def test_rows_stored_before_fingerprints_are_completed_without_a_score_change(engine):
    model = example("engagement_window")
    two_leads_alike_but_for_why(engine)
    score_store(engine, model, NOW, now=lambda: NOW)
    with engine.begin() as connection:  # as migration 0008 leaves rows written before it
        connection.execute(text("UPDATE contact_score SET digest = NULL"))
    before = score_changes(engine)

    again = score_store(engine, model, NOW, full=True, now=lambda: NOW)
    with session_scope(engine) as session:
        digests = [row.digest for row in session.exec(select(ContactScore))]

    assert (again.rows_written, again.scores_changed, again.transitions) == (0, 0, ())
    assert score_changes(engine) == before
    assert None not in digests
    assert score_store(engine, model, NOW, full=True, now=lambda: NOW).rows_written == 0


def test_the_order_of_a_contacts_reasons_counts_and_contacts_do_not_mix():
    def digest(contact, label):
        print_ = Fingerprint(3, "salt")
        print_.add_per_contact(np.array(contact), (np.array(label), np.array([10.0] * len(label))))
        return print_.value.tolist()

    plain = digest([0, 0, 2], [1, 2, 1])
    swapped = digest([0, 0, 2], [2, 1, 1])
    assert plain[0] != swapped[0]
    assert plain[1:] == swapped[1:]  # contact 1 has no reasons in either; contact 2 the same one
    assert plain[1] != plain[2]
