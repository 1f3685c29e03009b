"""The sandbox population: deterministic, and realistic in the ways a scoring model has to cope with."""

from __future__ import annotations

import gc
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from adapters.sandbox.activity import EMAIL_KINDS, TOUCH_KINDS
from adapters.sandbox.population import STATUSES, Population, Touch, generate_population, more_touches

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DAYS = 365


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(3_000, seed=42, now=NOW, days=DAYS)


@pytest.fixture(scope="module")
def touches_by_person(population) -> dict[str, list[Touch]]:
    grouped: dict[str, list[Touch]] = defaultdict(list)
    for touch in population.touches:
        grouped[touch.person_key].append(touch)
    return grouped


def test_same_seed_gives_the_same_population(population):
    again = generate_population(3_000, seed=42, now=NOW, days=DAYS)
    assert again.people == population.people
    assert again.companies == population.companies
    assert again.owners == population.owners
    assert [(t.key, t.person_key, t.kind, t.at, dict(t.detail)) for t in again.touches] == [
        (t.key, t.person_key, t.kind, t.at, dict(t.detail)) for t in population.touches
    ]


def test_different_seed_gives_a_different_population(population):
    other = generate_population(3_000, seed=43, now=NOW, days=DAYS)
    assert other.people != population.people
    assert len(other.touches) != len(population.touches) or other.touches[0].at != population.touches[0].at


def test_titles_include_students_interns_ceos_vps_and_people_without_a_title(population):
    titles = {person.title for person in population.people}
    assert {"Student", "Intern", "CEO", "VP Sales", "Marketing Manager", "Software Engineer", None} <= titles


def test_students_study_at_schools(population):
    companies = {company.key: company for company in population.companies}
    students = [person for person in population.people if person.title == "Student"]
    assert students
    assert all(companies[person.company_key].industry == "Education" for person in students)


def test_industries_include_markets_the_product_does_not_serve(population):
    industries = {company.industry for company in population.companies}
    assert {"Education", "Government", "Software", "Manufacturing", None} <= industries


def test_company_sizes_and_revenues_vary_and_are_sometimes_missing(population):
    employees = [company.employees for company in population.companies]
    revenues = [company.annual_revenue for company in population.companies]
    known = [size for size in employees if size is not None]
    assert None in employees and None in revenues
    assert min(known) < 10 and max(known) > 10_000
    assert len({company.country for company in population.companies}) >= 8


def test_lead_sources_owners_statuses_and_product_interests_are_varied(population):
    people = population.people
    assert {"Google Ads", "Facebook", "Webinar", "Referral", "Organic Search", "Trade Show", "LinkedIn"} <= {
        person.lead_source for person in people
    }
    assert 5 <= len(population.owners) <= 10
    assert {person.owner_key for person in people} == {owner.key for owner in population.owners}
    assert {person.status for person in people} == set(STATUSES)
    assert len({person.product_interest for person in people}) >= 4


def test_keys_and_emails_are_unique(population):
    emails = [person.email for person in population.people if person.email is not None]
    assert len(set(emails)) == len(emails)
    assert len({person.key for person in population.people}) == len(population.people)
    assert len({touch.key for touch in population.touches}) == len(population.touches)
    assert any(person.email is None for person in population.people)


def test_every_touch_belongs_to_a_known_person_and_has_a_known_kind(population):
    people = {person.key for person in population.people}
    assert all(touch.person_key in people for touch in population.touches)
    assert {touch.kind for touch in population.touches} == set(TOUCH_KINDS)


def test_touches_fall_within_the_window_and_after_the_person_was_created(population, touches_by_person):
    start = NOW - timedelta(days=DAYS)
    assert all(start <= touch.at <= NOW for touch in population.touches)
    for person in population.people:
        assert all(touch.at >= person.created_at for touch in touches_by_person[person.key])


def test_touches_of_a_person_are_in_time_order(touches_by_person):
    for touches in touches_by_person.values():
        assert [touch.at for touch in touches] == sorted(touch.at for touch in touches)


def test_people_without_email_get_no_email_touches(population, touches_by_person):
    without = [person for person in population.people if person.email is None]
    assert all(touch.kind not in EMAIL_KINDS for person in without for touch in touches_by_person[person.key])


def test_unsubscribers_are_opted_out_and_get_no_email_afterwards(touches_by_person, population):
    opted_out = {person.key for person in population.people if person.opted_out}
    unsubscribers = [key for key, touches in touches_by_person.items() if any(t.kind == "unsubscribe" for t in touches)]
    assert len(unsubscribers) > 50
    for key in unsubscribers:
        assert key in opted_out
        kinds_after = _kinds_after_first(touches_by_person[key], "unsubscribe")
        assert not kinds_after & EMAIL_KINDS


def test_bounced_people_get_no_email_afterwards(touches_by_person):
    bounced = [key for key, touches in touches_by_person.items() if any(t.kind == "email_bounce" for t in touches)]
    assert len(bounced) > 20
    assert all(not _kinds_after_first(touches_by_person[key], "email_bounce") & EMAIL_KINDS for key in bounced)


def test_some_people_go_cold_after_earlier_activity(touches_by_person):
    cold_since = NOW - timedelta(days=90)
    cold = [touches for touches in touches_by_person.values() if len(touches) >= 3 and touches[-1].at < cold_since]
    assert len(cold) > 200


def test_old_customers_come_back_after_months_of_silence(population, touches_by_person):
    returning = [
        person
        for person in population.people
        if person.is_customer and _came_back(touches_by_person[person.key], silence=timedelta(days=100))
    ]
    assert len(returning) > 50
    assert all(person.created_at < NOW - timedelta(days=DAYS) for person in returning)


def test_demos_follow_pricing_visits(touches_by_person):
    with_demo = [touches for touches in touches_by_person.values() if any(t.kind == "demo_scheduled" for t in touches)]
    assert len(with_demo) > 50
    for touches in with_demo:
        first_demo = next(t.at for t in touches if t.kind == "demo_scheduled")
        assert any(t.kind == "page_view" and t.detail["url"] == "/pricing" and t.at <= first_demo for t in touches)


def test_not_interested_calls_and_a_range_of_pages_exist(population):
    assert sum(touch.kind == "not_interested" for touch in population.touches) > 50
    urls = {touch.detail["url"] for touch in population.touches if touch.kind == "page_view"}
    assert {"/pricing", "/careers"} <= urls
    assert {url.split("/")[1] for url in urls} >= {"product", "blog", "docs"}


def test_touch_details_carry_the_keys_their_kind_needs(population):
    needed = {"email_open": {"campaign", "subject"}, "email_click": {"url"}, "form_fill": {"form"}, "call": {"outcome"}}
    for touch in population.touches:
        assert needed.get(touch.kind, set()) <= set(touch.detail)


def test_more_touches_fall_after_the_population_and_spare_people_who_left_email(population):
    later = NOW + timedelta(days=2)
    new = more_touches(population, share=0.3, seed=7, now=later)
    touched = {touch.person_key for touch in new}
    assert 0.2 * len(population.people) < len(touched) < 0.4 * len(population.people)
    assert all(NOW < touch.at <= later for touch in new)
    gone = {person.key for person in population.people if person.opted_out or person.email is None}
    assert all(touch.kind not in EMAIL_KINDS for touch in new if touch.person_key in gone)
    assert not {touch.key for touch in new} & {touch.key for touch in population.touches}


def test_more_touches_is_deterministic_and_keys_differ_between_rounds(population):
    first = more_touches(population, share=0.1, seed=7, now=NOW + timedelta(days=1))
    assert first == more_touches(population, share=0.1, seed=7, now=NOW + timedelta(days=1))
    second = more_touches(population, share=0.1, seed=7, now=NOW + timedelta(days=2))
    assert not {touch.key for touch in first} & {touch.key for touch in second}


def test_naive_or_backwards_times_are_refused(population):
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_population(10, seed=1, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="must be after"):
        more_touches(population, share=0.5, seed=1, now=NOW)


def test_a_short_window_still_keeps_touches_inside_it():
    small = generate_population(500, seed=3, now=NOW, days=30)
    assert small.touches
    assert all(NOW - timedelta(days=30) <= touch.at <= NOW for touch in small.touches)


def _kinds_after_first(touches: list[Touch], kind: str) -> set[str]:
    moment = next(touch.at for touch in touches if touch.kind == kind)
    return {touch.kind for touch in touches if touch.at > moment}


def _came_back(touches: list[Touch], *, silence: timedelta) -> bool:
    """Active, then silent for `silence` or more, then active again within the last 45 days."""
    gaps = [later.at - earlier.at for earlier, later in pairwise(touches)]
    return bool(touches) and touches[-1].at > NOW - timedelta(days=45) and any(gap >= silence for gap in gaps)


def test_generation_leaves_the_garbage_collector_as_it_found_it():
    assert gc.isenabled()
    generate_population(10, seed=1, now=NOW)
    assert gc.isenabled()
    gc.disable()
    try:
        generate_population(10, seed=1, now=NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()
