"""Accounts end to end, in each CRM sandbox through the real client libraries (issue 12).

A company whose three people each had one sales meeting: no one of them is near MQL, but together they make the
company hot, the company's record shows it, and its owner gets one task naming them. One of the three is a lead no
account holds, counted by its email domain. Deleting one of the people takes their share away at the next sync.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from tests.e2e.accounts import Person, crm_of
from tests.e2e.conftest import MAPPINGS
from tests.e2e.variants import shipped_model, write_model

DOMAIN = "triad-analytics.example"
PEOPLE = (
    Person("Ann", "Lee", f"ann.lee@{DOMAIN}"),
    Person("Raj", "Patel", f"raj.patel@{DOMAIN}"),
    Person("Mia", "Novak", f"mia.novak@{DOMAIN}"),  # the lead no account holds: matched by its email domain
)
#: One engaged person makes a company aware, two engaged, three hot (and its owner hears of it).
ACCOUNTS = {
    "engagement": {"aggregate": "sum"},
    "stages": [
        {"name": "aware", "when": [{"engaged_contacts": {"min": 1}}]},
        {"name": "engaged", "when": [{"engaged_contacts": {"min": 2}}]},
        {"name": "hot", "when": [{"engaged_contacts": {"min": 3}}], "notify": True},
    ],
}


def _account_model(workdir: Path) -> Path:
    return write_model(workdir, "accounts-model", shipped_model() | {"accounts": ACCOUNTS})


def _mapping_matching_by_domain(crm: str, workdir: Path) -> Path:
    """The shipped mapping, with leads matched to accounts by email domain (HubSpot's ships with no matching)."""
    mapping = yaml.safe_load(MAPPINGS[crm].read_text())
    mapping["accounts"]["match_leads_by"] = ["domain"]
    path = workdir / f"{crm}-accounts.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False))
    return path


def test_three_engaged_people_make_their_company_hot_and_tell_its_owner(world, store):
    world.config = world.config.model_copy(update={"model": _account_model(world.workdir)})
    mapping = _mapping_matching_by_domain(world.crm, world.workdir)
    crm = crm_of(world)
    owner = crm.owner()
    account = crm.add_account("Triad Analytics", DOMAIN, owner)
    people = [crm.add_contact(PEOPLE[0], account), crm.add_contact(PEOPLE[1], account)]
    people.append(crm.add_unlinked_lead(PEOPLE[2], "Triad Analytics"))
    yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    for person in people:
        crm.add_meeting(person, yesterday)

    report = world.sync(store, mapping=mapping)

    assert report.status == "succeeded", report.message
    held = crm.account_values(account)
    assert held["stage"] == "hot"
    assert int(float(held["engaged_contacts"])) == 3
    scores = world.scores()
    for person in people:  # each alone is far from MQL
        assert scores[person]["stage"] in {"prospect", "lead"}, scores[person]
    tasks = crm.account_tasks(account)
    assert len(tasks) == 1
    assert tasks[0]["owner"] == owner
    for person in PEOPLE:
        assert person.last_name in tasks[0]["body"]

    crm.delete_contact(people[0])
    report = world.sync(store, mapping=mapping)

    assert report.status == "succeeded", report.message
    held = crm.account_values(account)
    assert int(float(held["engaged_contacts"])) == 2
    assert held["stage"] == "engaged"
    assert len(crm.account_tasks(account)) == 1  # no second task: the company did not enter a notify stage again
