"""The report's figures on small stores whose numbers can be worked out by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from connector.errors import InputError
from connector.reports.closed_loop import build_report, report_as_dict
from connector.scoring.model import load_model
from tests.analytics.report_builders import ReportStore
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL, days_ago

MODEL = load_model(DEFAULT_MODEL)


@pytest.fixture
def store(engine) -> ReportStore:
    return ReportStore(engine)


def report_of(store: ReportStore, **options):
    return build_report(store.engine, MODEL, now=NOW, **options)


def steps_of(row) -> dict:
    return {step.name: step for step in row.steps}


def test_funnel_counts_each_step_with_the_rate_and_median_days_from_the_step_before(store):
    won, lost, stalled, sales_made, no_opportunity = (store.contact() for _ in range(5))
    for contact in (won, lost, stalled, sales_made, no_opportunity):
        store.scored(contact, 120, lead=10)
    store.entered(won, "mql", 100)
    store.entered(won, "sql", 90)
    store.outcome([won], created=80, closed=60, won=True)
    store.entered(lost, "mql", 100)
    store.entered(lost, "sql", 95)
    store.outcome([lost], created=85, closed=70)
    store.entered(stalled, "mql", 50)
    store.outcome([sales_made], created=30)  # an opportunity sales opened without an MQL: counted, not "went on"
    store.entered(no_opportunity, "mql", 40)
    store.entered(no_opportunity, "sql", 20)

    funnel = report_of(store).funnel
    steps = steps_of(funnel)

    assert [steps[name].reached for name in ("mql", "sql", "opportunity", "won")] == [4, 3, 3, 1]
    assert (steps["sql"].went_on, steps["sql"].rate, steps["sql"].median_days) == (3, 3 / 4, 10.0)  # 10, 5, 20 days
    assert (steps["opportunity"].went_on, steps["opportunity"].rate, steps["opportunity"].median_days) == (
        2,
        2 / 3,
        10.0,
    )
    assert (steps["won"].went_on, steps["won"].rate, steps["won"].median_days) == (1, 1 / 3, 20.0)
    assert funnel.mql_to_won == 1 / 4


def test_a_stage_counts_from_when_it_began_to_hold_and_skipping_mql_still_reaches_it(store):
    contact = store.contact()
    store.scored(contact, 50, lead=120)
    store.entered(contact, "sql", 50, triggered_days=58)  # imported history: scored later than the demo it followed
    store.outcome([contact], created=48)

    steps = steps_of(report_of(store).funnel)

    assert (steps["mql"].reached, steps["sql"].reached) == (1, 1)
    assert steps["opportunity"].median_days == 10.0


def test_nothing_after_the_report_moment_counts(store):
    contact = store.contact()
    store.scored(contact, 30, lead=60)
    store.entered(contact, "mql", 10)
    store.outcome([contact], created=5, closed=2, won=True)

    earlier = build_report(store.engine, MODEL, now=days_ago(20))
    steps = steps_of(earlier.funnel)

    assert [steps[name].reached for name in ("mql", "opportunity", "won")] == [0, 0, 0]


def test_an_empty_store_says_there_is_nothing_to_report(store):
    with pytest.raises(InputError, match="no scores yet"):
        report_of(store)


def test_auc_and_lift_use_the_scores_of_the_day_not_todays(store):
    # Scored 100 days ago; the report measures "won within 90 days" from the scores in force 90 days ago.
    winners = [store.contact() for _ in range(5)]
    others = [store.contact() for _ in range(5)]
    for rank, contact in enumerate(winners + others):
        store.scored(contact, 100, fit=50 - rank, lead=50 - rank, engagement=50 - rank, combined=50 - rank)
    for contact in winners:
        store.outcome([contact], created=60, closed=30, won=True)
        store.scored(contact, 20, combined=0)  # after winning their scores fell: today's scores would rank them last
    for contact in others:
        store.scored(contact, 20, combined=99)

    ranking = report_of(store).ranking

    assert (ranking.contacts, ranking.won, ranking.note) == (10, 5, None)
    assert ranking.scored_by == days_ago(90)
    by_score = {each.score: each for each in ranking.scores}
    assert by_score["combined"].auc == 1.0
    assert by_score["combined"].top_decile_lift == 2.0  # the top 1 of 10 won; 5 of 10 overall


def test_contacts_already_won_or_not_yet_scored_are_left_out_of_the_ranking(store):
    winners = [store.contact() for _ in range(5)]
    others = [store.contact() for _ in range(5)]
    for contact in winners + others:
        store.scored(contact, 100, combined=10)
    for contact in winners:
        store.outcome([contact], created=50, closed=40, won=True)
    early = store.contact()
    store.scored(early, 100, combined=10)
    store.outcome([early], created=99, closed=95, won=True)  # won before the day measured
    late = store.contact()
    store.scored(late, 30, combined=10)  # scored after that day

    ranking = report_of(store).ranking

    assert (ranking.contacts, ranking.won) == (10, 5)
    assert {each.auc for each in ranking.scores} == {0.5}  # every score tied


def test_too_few_outcomes_says_how_many_are_needed_instead_of_a_number(store):
    for number in range(8):
        contact = store.contact()
        store.scored(contact, 100, combined=number)
        if number < 4:
            store.outcome([contact], created=50, closed=40, won=True)

    ranking = report_of(store, won_within_days=90).ranking

    assert ranking.note.startswith("too few outcomes: needs at least 5 contacts won and 5 not won within 90 days")
    assert "has 4 won of 8 scored" in ranking.note
    assert {(each.auc, each.top_decile_lift) for each in ranking.scores} == {(None, None)}


def test_won_within_is_an_option(store):
    contact = store.contact()
    store.scored(contact, 40, combined=1)

    assert report_of(store, won_within_days=30).ranking.contacts == 1
    assert report_of(store, won_within_days=60).ranking.contacts == 0


def test_engagement_index_per_week_from_the_score_history(store):
    # engaged = engagement >= 10 in the default model
    steady, faded, newcomer = store.contact(), store.contact(), store.contact()
    store.scored(steady, 20, engagement=30)
    store.scored(faded, 20, engagement=15)
    store.scored(faded, 10, engagement=2)
    store.scored(newcomer, 3, engagement=12)

    trend = report_of(store, weeks=4).trend

    assert [(point.at, point.contacts, point.engaged) for point in trend] == [
        (days_ago(14), 2, 2),  # 21 days ago nobody was scored yet: no point
        (days_ago(7), 2, 1),
        (days_ago(0), 3, 2),
    ]
    assert trend[1].percent == 50.0


def test_score_distribution_and_stage_counts_at_the_report_moment(store):
    for combined, stage in ((3, "lead"), (12, "lead"), (17, "mql"), (41, "sql"), (60, "disqualified")):
        contact = store.contact()
        store.scored(contact, 5, combined=combined, stage=stage)
    moved = store.contact()
    store.scored(moved, 9, combined=99, stage="sql")
    store.scored(moved, 2, combined=55, stage="mql")

    distribution = report_of(store).distribution

    assert distribution.edges == (0, 10, 20, 30, 40, 50, 60)
    assert distribution.counts == (1, 2, 0, 0, 1, 2)  # 3 | 12 17 | | | 41 | 55 60 (the last bin holds its top)
    assert distribution.stages == (("lead", 2), ("mql", 2), ("sql", 1), ("disqualified", 1))
    assert distribution.median == 29.0


def test_funnel_by_band_uses_the_combined_score_when_the_contact_became_mql(store):
    for combined in range(10, 101, 10):
        contact = store.contact()
        store.scored(contact, 60, combined=combined)
        store.entered(contact, "mql", 60)
        store.scored(contact, 10, combined=110 - combined)  # later scores are turned around: they must not count
        if combined == 100:
            store.outcome([contact], created=50, closed=40, won=True)

    bands = report_of(store).by_band

    assert [row.group for row in bands][:2] == ["91 and over", "82 to 91"]
    assert bands[-1].group == "under 19"
    assert [row.steps[0].reached for row in bands] == [1] * 10
    assert bands[0].mql_won == 1 and sum(row.mql_won for row in bands[1:]) == 0


def test_funnel_by_grade_lead_source_and_owner(store):
    # grades of the default model: A >= 45, B >= 30, C >= 15, D >= 5, else F
    for fit, source, owner, wins in ((50, "Web", "ann", True), (35, "Web", "bob", False), (2, None, "ann", False)):
        contact = store.contact(lead_source=source, owner_id=owner)
        store.scored(contact, 60, fit=fit)
        store.entered(contact, "mql", 60)
        if wins:
            store.outcome([contact], created=50, closed=40, won=True)

    report = report_of(store)

    assert [(row.group, row.steps[0].reached, row.mql_won) for row in report.by_grade] == [
        ("A", 1, 1), ("B", 1, 0), ("F", 1, 0),
    ]  # fmt: skip
    assert [(row.group, row.steps[0].reached) for row in report.by_lead_source] == [("Web", 2), ("(none)", 1)]
    assert [(row.group, row.mql_to_won) for row in report.by_owner] == [("ann", 0.5), ("bob", 0.0)]


def test_reasons_most_common_among_won_and_lost(store):
    for number in range(5):
        winner = store.contact()
        store.current(winner, ["Demo attended +25", f"Pricing page x{number + 2} +{5 * number + 10}"])
        store.outcome([winner], created=50, closed=40, won=True)
        loser = store.contact()
        store.current(loser, ["Pricing page +5"] if number < 2 else ["Careers page x3 -9"])
        store.outcome([loser], created=50, closed=40)
        store.scored(winner, 60)
        store.scored(loser, 60)

    reasons = report_of(store).reasons

    assert (reasons.won_contacts, reasons.lost_contacts, reasons.note) == (5, 5, None)
    assert [(row.reason, row.won_share, row.lost_share) for row in reasons.reasons] == [
        ("Demo attended", 1.0, 0.0),
        ("Pricing page", 1.0, 0.4),
        ("Careers page", 0.0, 0.6),
    ]


def test_reasons_with_too_few_lost_say_so(store):
    winner = store.contact()
    store.scored(winner, 60)
    store.current(winner, ["Demo attended +25"])
    store.outcome([winner], created=50, closed=40, won=True)

    reasons = report_of(store).reasons

    assert reasons.reasons == ()
    assert reasons.note == "too few outcomes: needs at least 5 won and 5 lost contacts; has 1 won and 0 lost"


def test_deleted_contacts_and_deleted_outcomes_do_not_count(store):
    kept, deleted = store.contact(), store.contact(deleted=True)
    for contact in (kept, deleted):
        store.scored(contact, 60)
        store.entered(contact, "mql", 60)
    store.outcome([kept], created=50)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE outcome SET deleted = true")

    report = report_of(store)

    assert report.scored_contacts == 1
    assert [step.reached for step in report.funnel.steps] == [1, 0, 0, 0]


def test_the_json_form_carries_every_section_with_times_in_iso_8601(store):
    contact = store.contact()
    store.scored(contact, 60, combined=10)
    store.run("acme", 1)

    data = report_as_dict(report_of(store))

    assert data["generated_at"] == NOW.isoformat()
    assert data["funnel"]["steps"][0] == {"name": "mql", "reached": 0, "went_on": None, "rate": None,
                                          "median_days": None}  # fmt: skip
    assert data["ranking"]["scored_by"] == days_ago(90).isoformat()
    assert data["runs"][0]["connection"] == "acme"
    assert data["model"]["version"] == MODEL.version
    assert data["trend"][-1]["week_ending"] == NOW.isoformat()
