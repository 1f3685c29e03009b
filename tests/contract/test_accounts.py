"""The accounts half of connector/crm.py's contract, run against every registered CRM with its stand-in: the
accounts stream (pages and bookmarks, changes oldest first, deletions and merges, the bare domain, the end of
re-reading), people's links to their account, how leads are matched, account write-back and tasks on an account.

A CRM whose adapter has no accounts yet fails here: that is the point of the suite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.crm import ACCOUNT_TARGETS, Bookmark, ScoreWrite, TaskRequest
from tests.contract.account_drivers import ACCOUNT_DRIVERS, AccountDriver
from tests.contract.conftest import START

#: More accounts than one page of any CRM holds (Salesforce 200 per REST page here, HubSpot 100 / 200).
ACCOUNTS = 450


@pytest.fixture
def accounts(world) -> AccountDriver:
    return ACCOUNT_DRIVERS[world.name]


def _ids(pages) -> list[str]:
    return [record.crm_id for page in pages for record in page.records]


def _records(pages) -> dict[str, object]:
    return {record.crm_id: record for page in pages for record in page.records}


def _first_sync(world) -> Bookmark:
    pages = list(world.adapter().pull_accounts(None))
    assert pages[-1].bookmark is not None, "a pull that reached the end leaves a bookmark to commit"
    return pages[-1].bookmark


def test_a_first_pull_reads_every_account_once_over_several_pages(world, accounts):
    ids = accounts.add_accounts(world.app, ACCOUNTS)
    pages = list(world.adapter().pull_accounts(None))
    assert len(pages) > 1
    read = _ids(pages)
    assert sorted(read) == sorted(ids) and len(read) == len(set(read))
    assert {page.records[0].object_type for page in pages if page.records} == {accounts.account_type}


def test_a_website_is_read_as_its_bare_lower_case_domain(world, accounts):
    (crm_id,) = accounts.add_accounts(world.app, 1)
    (account,) = [r for page in world.adapter().pull_accounts(None) for r in page.records if r.crm_id == crm_id]
    assert account.domain is not None and account.domain.startswith("firm") and account.domain.endswith(".example.com")


def test_an_incremental_pull_returns_the_changed_accounts_oldest_first(world, accounts):
    ids = accounts.add_accounts(world.app, 6)
    bookmark = _first_sync(world)
    for seconds, crm_id in ((60, ids[4]), (1, ids[1]), (1, ids[2])):
        world.clock.advance(seconds)
        accounts.change(world.app, crm_id)
    records = [r for page in world.adapter().pull_accounts(bookmark) for r in page.records if r.crm_id in ids]
    assert [r.crm_id for r in records if r.crm_id in (ids[4], ids[1], ids[2])] == [ids[4], ids[1], ids[2]]
    stamps = [r.modified_at for r in records]
    assert stamps == sorted(stamps)


def test_deleted_accounts_come_flagged(world, accounts):
    ids = accounts.add_accounts(world.app, 4)
    bookmark = _first_sync(world)
    world.clock.advance(60)
    accounts.delete(world.app, ids[2])
    flagged = {r.crm_id: r.deleted for page in world.adapter().pull_accounts(bookmark) for r in page.records}
    assert flagged.get(ids[2]) is True
    assert not any(flagged.get(crm_id) for crm_id in ids if crm_id != ids[2])


def test_a_merged_account_comes_flagged_naming_the_account_it_was_merged_into(world, accounts):
    survivor, merged = accounts.add_accounts(world.app, 2)
    bookmark = _first_sync(world)
    world.clock.advance(60)
    accounts.merge(world.app, survivor, merged)
    read = _records(world.adapter().pull_accounts(bookmark))
    assert read[merged].deleted is True and read[merged].merged_into == survivor
    assert survivor not in read or not read[survivor].deleted


def test_once_the_clock_is_past_the_lookback_no_unchanged_account_is_read_again(world, accounts):
    accounts.add_accounts(world.app, ACCOUNTS)
    bookmark = _first_sync(world)
    counts = []
    for _ in range(4):  # each read starts an hour after the last; nothing changes in between
        world.clock.advance(3_600)
        pages = list(world.adapter().pull_accounts(bookmark))
        counts.append(len(_ids(pages)))
        bookmark = next((p.bookmark for p in reversed(pages) if p.bookmark is not None), bookmark)
    assert counts[-2:] == [0, 0], f"re-read {counts} accounts on successive quiet pulls"


def test_a_person_in_an_account_carries_a_link_to_it(world, accounts):
    (account_id,) = accounts.add_accounts(world.app, 1)
    member = accounts.add_member(world.app, account_id)
    loner = world.add_contacts(1)[0]
    people = {r.crm_id: r for page in world.adapter().pull_contacts(None) for r in page.records}
    assert account_id in [link.account_crm_id for link in people[member].accounts]
    assert list(people[loner].accounts) == []


def test_matching_and_write_targets_stay_within_what_the_port_names(world):
    adapter = world.adapter()
    matching = adapter.account_matching()
    assert set(matching) <= {"domain", "company"} and len(matching) == len(set(matching))
    assert adapter.account_write_targets() <= set(ACCOUNT_TARGETS)


def test_account_values_are_written_to_the_account_with_one_result_each(world, accounts):
    good, gone = accounts.add_accounts(world.app, 2)
    accounts.delete(world.app, gone)
    adapter = world.adapter()
    assert {"score", "stage"} <= adapter.account_write_targets(), "the shipped mapping writes account scores"
    writes = [ScoreWrite(accounts.account_type, crm_id, {"score": 71.5, "stage": "hot"}) for crm_id in (good, gone)]
    results = adapter.write_scores(writes)
    assert [(r.crm_id, r.ok) for r in results] == [(good, True), (gone, False)] and results[1].error_code
    held = accounts.written(world.app, world.mapping, good)
    assert float(held["score"]) == 71.5 and held["stage"] == "hot"


def test_a_task_for_an_account_is_attached_to_the_account(world, accounts):
    (account_id,) = accounts.add_accounts(world.app, 1)
    task = TaskRequest(
        "contract:account:1", accounts.account_type, account_id, None, "Account is hot", "3 engaged",
        START + timedelta(days=1),
    )  # fmt: skip
    (result,) = world.adapter().create_tasks([task])
    assert result.crm_task_id and result.error_code is None
    assert accounts.task_account(world.app, result.crm_task_id) == account_id
    assert world.adapter().find_tasks([task.idempotency_key]) == {task.idempotency_key: result.crm_task_id}
