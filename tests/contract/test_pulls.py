"""The pull half of connector/crm.py's contract, run against every registered CRM with its stand-in: pages and
bookmarks (equal timestamps, a crash after any page, records changed during a read), deletions, and the end of
re-reading once the clock has moved past the lookback."""

from __future__ import annotations

from connector.crm import Bookmark

#: More people than one page of any CRM holds (Salesforce 200 per REST page here, HubSpot 100 / 200).
PEOPLE = 450


def _ids(pages) -> list[str]:
    return [record.crm_id for page in pages for record in page.records]


def _first_sync(world) -> Bookmark:
    pages = list(world.adapter().pull_contacts(None))
    assert pages[-1].bookmark is not None, "a pull that reached the end leaves a bookmark to commit"
    return pages[-1].bookmark


def test_a_first_pull_reads_every_contact_once_over_several_pages(world):
    ids = world.add_contacts(PEOPLE)  # one clock second for all of them
    pages = list(world.adapter().pull_contacts(None))
    assert len(pages) > 1
    read = _ids(pages)
    assert sorted(read) == sorted(ids) and len(read) == len(set(read))
    assert pages[-1].bookmark is not None


def test_an_incremental_pull_returns_the_changed_oldest_first(world):
    ids = world.add_contacts(6)
    bookmark = _first_sync(world)
    for seconds, crm_id in ((60, ids[4]), (1, ids[1]), (1, ids[2])):
        world.clock.advance(seconds)
        world.change(crm_id)
    records = [r for page in world.adapter().pull_contacts(bookmark) for r in page.records if r.crm_id in ids]
    changed = [r for r in records if r.crm_id in (ids[4], ids[1], ids[2])]
    assert [r.crm_id for r in changed] == [ids[4], ids[1], ids[2]]
    stamps = [r.modified_at for r in records]
    assert stamps == sorted(stamps)


def test_a_crash_after_any_page_of_equal_timestamps_resumes_without_losing_one(world):
    ids = world.add_contacts(PEOPLE)
    bookmark = _first_sync(world)
    world.clock.advance(3_600)
    for crm_id in ids:  # all changed within one second: a page boundary falls inside it
        world.change(crm_id)
    pages = list(world.adapter().pull_contacts(bookmark))
    assert sorted(set(_ids(pages))) == sorted(ids)
    for crashed_after, page in enumerate(pages):
        if page.bookmark is None:
            continue  # not a checkpoint: the sync commits nothing there
        before = set(_ids(pages[: crashed_after + 1]))
        resumed = set(_ids(world.adapter().pull_contacts(page.bookmark)))
        assert set(ids) <= before | resumed, f"lost records after a crash following page {crashed_after}"


def test_a_contact_changed_during_a_read_is_read_by_the_next_pull(world):
    ids = world.add_contacts(PEOPLE)
    bookmark = _first_sync(world)
    world.clock.advance(3_600)
    for crm_id in ids:
        world.change(crm_id)
    reading = world.adapter().pull_contacts(bookmark)
    first = next(reading)
    world.clock.advance(5)
    late = next(crm_id for crm_id in ids if crm_id not in {r.crm_id for r in first.records})
    early = first.records[0].crm_id
    world.change(early)  # already read: its new version must come with the next pull
    world.change(late)
    rest = list(reading)
    last = next(page.bookmark for page in reversed([first, *rest]) if page.bookmark is not None)
    world.clock.advance(5)
    again = set(_ids(world.adapter().pull_contacts(last)))
    assert early in again


def test_deleted_contacts_come_flagged(world):
    ids = world.add_contacts(4)
    bookmark = _first_sync(world)
    world.clock.advance(60)
    world.delete(ids[2])
    flagged = {r.crm_id: r.deleted for page in world.adapter().pull_contacts(bookmark) for r in page.records}
    assert flagged.get(ids[2]) is True
    assert not any(flagged.get(crm_id) for crm_id in ids if crm_id != ids[2])


def test_once_the_clock_is_past_the_lookback_nothing_unchanged_is_read_again(world):
    world.add_contacts(PEOPLE)
    bookmark = _first_sync(world)
    counts = []
    for _ in range(4):  # each read starts an hour after the last; nothing changes in between
        world.clock.advance(3_600)
        pages = list(world.adapter().pull_contacts(bookmark))
        counts.append(len(_ids(pages)))
        bookmark = next((p.bookmark for p in reversed(pages) if p.bookmark is not None), bookmark)
    assert counts[-2:] == [0, 0], f"re-read {counts} records on successive quiet pulls"
