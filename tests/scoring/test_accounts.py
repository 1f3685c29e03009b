"""Account scoring through the store: roll-up per aggregate, buying-group coverage, stages and transitions, contacts
reading their account's values, and what deletions and lead matching change."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from connector.accounts.computing import compute_accounts
from connector.accounts.explain import account_rollup, find_account
from connector.store.account_matching import match_leads
from connector.store.tables import Account, Contact
from connector.store.types import to_epoch
from tests.conftest import NOW
from tests.scoring.account_builders import (
    ACCOUNTS_SECTION,
    account_model,
    account_score,
    account_transitions,
    link,
    score_all,
    store_account,
)
from tests.scoring.builders import StoreBuilder, days_ago, example, stored_score


def meetings(store: StoreBuilder, contact_id: int, count: int) -> None:
    for day in range(count):
        store.activity(contact_id, "meeting", days_ago(day + 1))


@pytest.fixture
def acme(engine):
    """Acme (Software): Ann (3 meetings, executive), Bo (2, engineering), Cy (1), Dee (none)."""
    store = StoreBuilder(engine)
    account_id = store_account(engine, "001A", name="Acme", domain="acme.com", industry="Software")
    people = {}
    for name, count, fields in (
        ("Ann Lee", 3, {"seniority": "executive"}),
        ("Bo Chen", 2, {"department": "engineering"}),
        ("Cy Diaz", 1, {}),
        ("Dee Ray", 0, {}),
    ):
        first, last = name.split()
        people[first] = store.contact(first_name=first, last_name=last, **fields)
        meetings(store, people[first], count)
        link(engine, account_id, people[first])
    return account_id, people, store


def with_engagement(**engagement) -> dict:
    return {**ACCOUNTS_SECTION, "engagement": engagement}


def test_three_engaged_contacts_make_the_account_hot_while_each_stays_below_mql(engine, acme):
    account_id, people, _ = acme
    summary = score_all(engine, account_model(ACCOUNTS_SECTION))

    stored = account_score(engine, account_id)
    assert (stored.fit, stored.engagement, stored.score, stored.grade) == (20, 60, 40, "A")
    assert (stored.stage, stored.engaged_contacts) == ("hot", 3)
    assert stored.last_engaged_at == days_ago(1)
    assert {stored_score(engine, contact).stage for contact in people.values()} == {"prospect"}
    [change] = summary.notifications
    assert (change.account_id, change.from_stage, change.to_stage) == (account_id, None, "hot")
    assert change.reason == "3 engaged contacts (Ann Lee, Bo Chen, Cy Diaz); engagement 60 >= 60"
    assert account_transitions(engine, account_id) == [(None, "hot", change.reason)]
    assert stored.reasons[0] == "3 engaged contacts (Ann Lee, Bo Chen, Cy Diaz)"
    assert "Software company (+20)" in stored.reasons


@pytest.mark.parametrize(
    ("engagement", "expected"),
    [({"aggregate": "sum"}, 60), ({"aggregate": "max"}, 30), ({"aggregate": "top_mean", "top": 2}, 25)],
)
def test_engagement_rolls_up_by_the_models_aggregate(engine, acme, engagement, expected):
    account_id, _, _ = acme
    score_all(engine, account_model(with_engagement(**engagement)))

    assert account_score(engine, account_id).engagement == expected


def test_top_mean_counts_missing_contacts_as_zero(engine, acme):
    account_id, _, _ = acme
    score_all(engine, account_model(with_engagement(aggregate="top_mean", top=5)))

    assert account_score(engine, account_id).engagement == 12  # (30 + 20 + 10 + 0) / 5


def test_coverage_names_the_roles_engaged_contacts_fill(engine, acme):
    account_id, _, _ = acme
    section = {
        **ACCOUNTS_SECTION,
        "stages": [{"name": "aware"}, {"name": "covered", "when": [{"roles": ["Decision maker", "Technical"]}]}],
    }

    summary = score_all(engine, account_model(section))

    stored = account_score(engine, account_id)
    assert (stored.coverage, stored.stage) == (["Decision maker", "Technical"], "covered")
    assert summary.transitions[0].reason == "buying group: Decision maker (Ann Lee), Technical (Bo Chen)"


def test_a_second_run_with_nothing_changed_writes_nothing(engine, acme):
    model = account_model(ACCOUNTS_SECTION)
    score_all(engine, model)

    again = score_all(engine, model)

    assert (again.rows_written, again.transitions) == (0, ())


def test_a_deleted_contacts_share_leaves_the_account_at_the_next_run(engine, acme):
    account_id, people, _ = acme
    model = account_model(ACCOUNTS_SECTION)
    score_all(engine, model)
    with engine.begin() as connection:
        connection.execute(update(Contact).where(Contact.id == people["Ann"]).values(deleted=True))

    summary = score_all(engine, model)

    stored = account_score(engine, account_id)
    assert (stored.engagement, stored.engaged_contacts, stored.stage) == (30, 2, "engaged")
    [change] = summary.transitions
    assert (change.from_stage, change.to_stage) == ("hot", "engaged")
    assert change.reason == "2 engaged contacts (Bo Chen, Cy Diaz)"


def test_a_lead_matched_by_domain_counts_toward_its_account(engine, acme):
    account_id, _, store = acme
    erin = store.contact(email="erin@acme.com", first_name="Erin", last_name="Fox")
    meetings(store, erin, 2)
    with engine.begin() as connection:
        assert match_leads(connection, "import", "test", ["domain"]) == 1

    score_all(engine, account_model(ACCOUNTS_SECTION))

    assert account_score(engine, account_id).engaged_contacts == 4


def test_a_disqualified_account_is_in_the_stage_disqualified(engine, acme):
    account_id, _, _ = acme
    with engine.begin() as connection:
        connection.execute(update(Account).where(Account.id == account_id).values(country="Atlantis"))

    summary = score_all(engine, account_model(ACCOUNTS_SECTION))

    assert account_score(engine, account_id).stage == "disqualified"
    assert summary.transitions[0].reason == "disqualified: Country we do not sell to"


def test_contacts_of_a_hot_account_become_mql_in_the_same_run(engine, acme):
    _, people, store = acme
    loner = store.contact(first_name="Lone", last_name="Wolf")
    meetings(store, loner, 3)
    stages = [
        {"name": "prospect"},
        {"name": "mql", "when": [{"score": "lead", "at_least": 50}, {"field": "account.stage", "in": ["hot"]}]},
    ]
    model = account_model(ACCOUNTS_SECTION, contact_stages=stages)

    summary = score_all(engine, model)

    assert {stored_score(engine, contact).stage for contact in people.values()} == {"mql"}
    assert stored_score(engine, loner).stage == "prospect"  # no account: as without the condition
    assert summary.contacts_rescored is not None and summary.contacts_rescored.contacts_scored == 4
    again = score_all(engine, model)
    assert again.contacts_rescored is None  # converged: nothing moved


def test_contacts_without_accounts_score_exactly_as_without_an_accounts_section(engine):
    store = StoreBuilder(engine)
    contact = store.contact(first_name="Solo")
    meetings(store, contact, 4)
    score_all(engine, account_model())
    before = stored_score(engine, contact)

    score_all(engine, account_model(ACCOUNTS_SECTION))

    after = stored_score(engine, contact)
    assert (after.lead, after.engagement, after.stage, after.fit) == (
        before.lead,
        before.engagement,
        before.stage,
        before.fit,
    )


def test_an_account_without_contacts_is_scored_on_its_fit_alone(engine):
    account_id = store_account(engine, "001B", name="Initech", industry="Software")

    score_all(engine, account_model(ACCOUNTS_SECTION))

    stored = account_score(engine, account_id)
    assert (stored.fit, stored.engagement, stored.score, stored.stage, stored.last_engaged_at) == (
        20,
        0,
        10,
        "aware",
        None,
    )


def test_the_rollup_of_one_account_names_each_contacts_share(engine, acme):
    account_id, _, _ = acme
    model = account_model(with_engagement(aggregate="top_mean", top=2))
    score_all(engine, model)

    rollup = account_rollup(engine, model, find_account(engine, "001A"), as_of=NOW)

    assert rollup.account_id == account_id and rollup.name == "Acme"
    assert (rollup.values["engagement"], rollup.values["stage"], rollup.aggregate) == (
        25,
        "engaged",
        "mean of the top 2",
    )
    assert rollup.fit_rules == (("Software company", 20.0),)
    assert [(share.name, share.engagement, share.counted) for share in rollup.contacts] == [
        ("Ann Lee", 30, True),
        ("Bo Chen", 20, True),
        ("Cy Diaz", 10, False),
        ("Dee Ray", 0, False),
    ]
    assert rollup.contacts[0].roles == ("Decision maker",)
    assert rollup.stage_reason == "3 engaged contacts (Ann Lee, Bo Chen, Cy Diaz)"


def test_contacts_read_their_accounts_fields_and_a_negative_account_fit(engine, acme):
    _, people, store = acme
    loner = store.contact(first_name="Lone")
    section = {
        **ACCOUNTS_SECTION,
        "fit": {"fields": {"industry": {"rules": [{"in": ["Software"], "points": -10, "label": "Not our market"}]}}},
    }
    contact_fit = {
        "account.industry": {"rules": [{"in": ["Software"], "points": 7}]},
        "account.fit": {"rules": [{"max": -1, "points": -3}]},
    }
    model = account_model(section, contact_fit=contact_fit)

    summary = score_all(engine, model)

    assert stored_score(engine, people["Ann"]).fit == 4  # 7 for the industry, -3 for the account's negative fit
    assert stored_score(engine, loner).fit == 0
    assert summary.contacts_rescored is not None


def test_buying_group_example_three_webinars_make_a_hot_account_and_three_mqls(engine):
    model = example("buying_group")
    store = StoreBuilder(engine)
    account_id = store_account(engine, "001A", name="Acme")
    people = [store.contact(first_name=name, last_name="Lee") for name in ("Ann", "Bo", "Cy")]
    loner = store.contact(first_name="Lone", last_name="Wolf")
    for contact_id in [*people, loner]:
        store.activity(contact_id, "webinar_attended", days_ago(3))
    for contact_id in people:
        link(engine, account_id, contact_id)

    summary = score_all(engine, model)

    [change] = summary.notifications
    assert change.reason == "Buying group engaged; 3 engaged contacts (Ann Lee, Bo Lee, Cy Lee); engagement 60 >= 50"
    assert [stored_score(engine, contact_id).stage for contact_id in people] == ["mql"] * 3
    assert (stored_score(engine, people[0]).lead, stored_score(engine, loner).stage) == (20, "prospect")
    mql = summary.contacts_rescored.notifications
    assert {change.contact_id for change in mql} == set(people)


def test_accounts_scored_before_their_contacts_count_nobody_engaged(engine, acme):
    account_id, _, _ = acme
    model = account_model(ACCOUNTS_SECTION)
    with engine.begin() as connection:
        computed = compute_accounts(connection, model, None, to_epoch(NOW))

    [row] = computed.rows
    assert (row.account_id, row.value("engaged_contacts"), row.value("stage")) == (account_id, 0, "aware")


@pytest.mark.parametrize(("shown", "transitions"), [("hot", []), ("engaged", [("engaged", "hot")])])
def test_a_first_scoring_starts_from_the_stage_the_crm_shows(engine, acme, shown, transitions):
    """A rebuilt store (or a second one) tells no owner again what the CRM record already shows."""
    account_id, _, _ = acme
    store_account(engine, "001A", name="Acme", domain="acme.com", industry="Software", shown_stage=shown)

    summary = score_all(engine, account_model(ACCOUNTS_SECTION))

    assert account_score(engine, account_id).stage == "hot"
    assert [(change.from_stage, change.to_stage) for change in summary.transitions] == transitions
    assert [(before, after) for before, after, _ in account_transitions(engine, account_id)] == transitions
