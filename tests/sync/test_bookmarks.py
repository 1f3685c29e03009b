"""Bookmarks move forward only and never past the run's start."""

from datetime import UTC, datetime, timedelta

from connector.crm import Bookmark
from connector.store import session_scope
from connector.store.bookmarks import clear_bookmarks, load_bookmark, save_bookmark

RUN_START = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _save(engine, modified_at, last_id=""):
    with session_scope(engine) as session:
        save_bookmark(session, "acme", Bookmark("contacts", modified_at, last_id), now=RUN_START)


def _load(engine):
    with session_scope(engine) as session:
        return load_bookmark(session, "acme", "contacts")


def test_first_bookmark_is_stored_and_read_back(engine):
    _save(engine, RUN_START - timedelta(hours=1), "00Q1")
    assert _load(engine) == Bookmark("contacts", RUN_START - timedelta(hours=1), "00Q1")


def test_bookmark_never_moves_backwards(engine):
    _save(engine, RUN_START - timedelta(hours=1), "00Q2")
    _save(engine, RUN_START - timedelta(hours=2), "00Q9")
    assert _load(engine).modified_at == RUN_START - timedelta(hours=1)


def test_same_timestamp_advances_by_id(engine):
    _save(engine, RUN_START - timedelta(hours=1), "00Q2")
    _save(engine, RUN_START - timedelta(hours=1), "00Q3")
    assert _load(engine).last_id == "00Q3"


def test_bookmark_is_capped_at_the_run_start(engine):
    _save(engine, RUN_START + timedelta(minutes=5), "00Q7")
    assert _load(engine) == Bookmark("contacts", RUN_START, "")


def test_full_sync_forgets_bookmarks(engine):
    _save(engine, RUN_START - timedelta(hours=1))
    with session_scope(engine) as session:
        clear_bookmarks(session, "acme", ("contacts",))
    assert _load(engine) is None
