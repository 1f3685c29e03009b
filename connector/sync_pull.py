"""A sync run's pull: the mapping checked when it changed, each stream stored page by page with its bookmark."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from connector.crm import AccountRecord, ActivityRecord, ContactRecord, OutcomeRecord, Page
from connector.errors import ConfigError
from connector.mapping_changes import Reclassification, mapping_fingerprint, plan_pull
from connector.store.bookmarks import clear_bookmarks, load_bookmark, save_bookmark, save_mapping_fingerprint
from connector.store.engine import session_scope
from connector.sync_state import RunState

PULLED_STREAMS = ("accounts", "contacts", "activities", "outcomes")


def prepare_pull(run: RunState, *, full: bool) -> Reclassification | None:
    """Before a first pull, a pull under a changed mapping, or a --full one, compare the mapping with the CRM's own
    schema: nothing is pulled or written when an object or field is missing. A changed mapping (or --full) then
    re-reads everything to reclassify what is stored (connector/mapping_changes.py). Other runs skip the check (it
    costs calls); `validate --online` runs it."""
    fingerprint = mapping_fingerprint(run.mapping_file) if run.mapping_file else None
    with session_scope(run.engine) as session:
        plan = plan_pull(session, run.connection.name, fingerprint, full=full)
    if plan.check:
        run.phase("check mapping")
        problems = run.adapter.check()
        if problems:
            raise ConfigError("; ".join(problems), source=str(run.mapping_file or run.connection.mapping))
    with session_scope(run.engine) as session:
        if plan.record_now and fingerprint:
            save_mapping_fingerprint(session, run.connection.name, fingerprint, now=run.started_at)
        if plan.reclassify:
            clear_bookmarks(session, run.connection.name, PULLED_STREAMS)
    return Reclassification(fingerprint) if plan.reclassify else None


def finish_reclassifying(run: RunState, reclassifying: Reclassification) -> None:
    """After a complete re-pull: the activities the mapping no longer selects leave the store."""
    with session_scope(run.engine) as session:
        removed = reclassifying.finish(
            session, source=run.connection.crm, connection=run.connection.name, now=run.started_at
        )
    run.counts["removed_by_mapping"] += removed
    run.warnings.append(f"read everything again (mapping changed, or --full): {removed} activities removed")


def pull_stream(run: RunState, stream: str, pull: Callable, upsert: Callable) -> None:
    """Store each page together with its bookmark, so a crash re-reads a page and never skips one."""
    run.phase(f"pull {stream}")
    with session_scope(run.engine) as session:
        since = load_bookmark(session, run.connection.name, stream)
    pages: Iterator[Page[ContactRecord] | Page[ActivityRecord] | Page[OutcomeRecord] | Page[AccountRecord]]
    pages = pull(since)
    for page in pages:
        run.check_stop()
        with session_scope(run.engine) as session:
            counts = upsert(session, source=run.connection.crm, instance=run.connection.name, records=page.records)
            if page.bookmark is not None:
                save_bookmark(session, run.connection.name, page.bookmark, now=run.started_at)
        run.counts[f"pulled_{stream}"] += len(page.records)
        run.counts["skipped_records"] += page.skipped + counts.skipped
        run.counts["cleaned_records"] += counts.cleaned  # values the store cannot hold (store/storable.py)
        run.counts["record_warnings"] += sum(len(r.warnings) for r in page.records if not isinstance(r, ActivityRecord))
        if counts.unlinked:  # outcome links to contacts not in the store, contact links to accounts not in it
            name = "account_links_unknown" if stream == "contacts" else "outcome_links_unknown"
            run.counts[name] += counts.unlinked
        run.advance(len(page.records))
