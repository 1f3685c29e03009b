"""The engagement index from stored scores, overall and by a contact field."""

from __future__ import annotations

import pytest

from connector.errors import InputError
from connector.reports.engagement_index import engagement_index
from connector.scoring import score_store
from tests.conftest import NOW
from tests.scoring.builders import StoreBuilder, days_ago, example


def test_engagement_index_overall_and_by_lead_source(engine):
    store = StoreBuilder(engine)
    plan = {"Facebook": (3, 1), "Google Ads": (1, 3), None: (0, 2)}  # source -> (engaged, not engaged)
    for source, (engaged, idle) in plan.items():
        for _ in range(engaged):
            store.activity(store.contact(lead_source=source), "form_submit", days_ago(3))
        for _ in range(idle):
            store.activity(store.contact(lead_source=source), "form_submit", days_ago(60))
    score_store(engine, example("engagement_window"), NOW, now=lambda: NOW)

    index = engagement_index(engine, by="lead_source")

    assert (index.overall.contacts, index.overall.engaged, index.overall.percent) == (10, 4, 40.0)
    by_source = {row.group: (row.contacts, row.engaged, row.percent) for row in index.groups}
    assert by_source == {"Facebook": (4, 3, 75.0), "Google Ads": (4, 1, 25.0), None: (2, 0, 0.0)}


def test_engagement_index_refuses_an_unknown_field(engine):
    with pytest.raises(InputError, match="cannot group by 'source; drop table'"):
        engagement_index(engine, by="source; drop table")
