"""`scorebridge import` with hostile files: a runaway header, an endless field, text the store cannot hold, and a
writer killed with -9 while its parser works."""

from __future__ import annotations

import csv
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select

from connector.errors import InputError
from connector.importer import import_activities, import_contacts
from connector.importer.background import CHUNKS_AHEAD
from connector.store.records import CHUNK_ROWS
from connector.store.tables import ActivityKind, Contact

PARSER_ENDS_WITHIN_SECONDS = 10
#: An import's writer half: starts the parser, names it, then never reads what it parsed (until killed).
PARSE_IN_BACKGROUND_AND_WAIT = """
import multiprocessing, sys
from pathlib import Path
from connector.importer.activities import ActivityRules
from connector.importer.background import resolved_chunks_in_background
from connector.importer.files import ProblemLog
kind_ids = lambda keys: list(range(1, len(keys) + 1))
with resolved_chunks_in_background(Path(sys.argv[1]), None, ProblemLog(sys.argv[1]), ActivityRules(), {}, kind_ids):
    print(multiprocessing.active_children()[0].pid, flush=True)
    sys.stdin.read()
"""


def test_a_header_of_100000_columns_is_refused_at_once_in_one_line(engine, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["source_id", "contact_crm_id", "type", "occurred_at", *map(str, range(100_000))]))

    with pytest.raises(InputError, match=r"wide.csv:1: the header has 100,004 columns; at most 1,000"):
        import_activities(engine, path)


def test_a_field_over_the_csv_limit_is_one_line_and_nothing_is_stored(engine, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(f"crm_id,title\nL1,CTO\nL2,{'x' * (csv.field_size_limit() + 1)}\n")

    with pytest.raises(InputError, match=r"contacts.csv: field larger than field limit .* characters a field"):
        import_contacts(engine, path)
    with engine.connect() as connection:
        assert connection.execute(sql_select(Contact)).first() is None


def test_an_import_cleans_values_the_store_cannot_hold_and_skips_ids_it_cannot_hold(engine, tmp_path):
    contacts = tmp_path / "contacts.jsonl"
    contacts.write_text(
        json.dumps({"crm_id": "L1", "title": "CTO\u0000", "first_name": "Ada\ud800"}) + "\n"
        + json.dumps({"crm_id": "L\u00002"}) + "\n"
    )  # fmt: skip
    activities = tmp_path / "activities.jsonl"
    activities.write_text(
        json.dumps({"source_id": "a1", "contact_crm_id": "L1", "type": "page_view",
                    "occurred_at": "2026-03-01T10:00:00Z", "url": "/pricing\u0000"}) + "\n"
        + json.dumps({"source_id": "a\u00002", "contact_crm_id": "L1", "type": "page_view",
                      "occurred_at": "2026-03-01T10:00:00Z"}) + "\n"
        + json.dumps({"source_id": "a" * 121, "contact_crm_id": "L1", "type": "page_view",
                      "occurred_at": "2026-03-01T10:00:00Z"}) + "\n"
        + json.dumps({"source_id": "a4", "contact_crm_id": "L" * 65, "type": "page_view",
                      "occurred_at": "2026-03-01T10:00:00Z"}) + "\n"
    )  # fmt: skip

    stored_contacts = import_contacts(engine, contacts).stored
    stored_activities = import_activities(engine, activities).stored

    assert (stored_contacts.inserted, stored_contacts.cleaned, stored_contacts.skipped) == (1, 1, 1)
    assert (stored_activities.inserted, stored_activities.skipped) == (1, 3)  # NUL, too long, too long
    with engine.connect() as connection:
        ada = connection.execute(sql_select(Contact.title, Contact.first_name)).one()
        attributes = connection.execute(sql_select(ActivityKind.attributes)).scalars().all()
    assert tuple(ada) == ("CTO", "Ada\ufffd") and {"url": "/pricing"} in attributes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="waits on a pidfd")
def test_the_parsing_process_dies_when_the_import_is_killed(tmp_path):
    rows = (f"a{n},L1,page_view,2026-03-01T10:00:00Z\n" for n in range(CHUNK_ROWS * (CHUNKS_AHEAD + 2)))
    path = tmp_path / "activities.csv"
    path.write_text("source_id,contact_crm_id,type,occurred_at\n" + "".join(rows))
    importer = subprocess.Popen(
        [sys.executable, "-c", PARSE_IN_BACKGROUND_AND_WAIT, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    parser = int(importer.stdout.readline())  # its parser fills the queue, then waits for a writer that never reads
    watch = os.pidfd_open(parser)
    try:
        importer.kill()
        importer.wait()
        ended, _, _ = select.select([watch], [], [], PARSER_ENDS_WITHIN_SECONDS)
    finally:
        os.close(watch)
        if not ended:
            os.kill(parser, signal.SIGKILL)
    assert ended, "the parsing process outlived the import killed with -9"


def test_an_activity_type_longer_than_the_store_keeps_rejects_its_row(engine, tmp_path):
    import_contacts(engine, write_file(tmp_path, "contacts.csv", "crm_id\nL1\n"))
    long_type = "webinar_attended_" + "x" * 60
    activities = write_file(
        tmp_path,
        "activities.csv",
        f"source_id,contact_crm_id,type,occurred_at\na1,L1,{long_type},2026-03-01T10:00:00Z\n"
        "a2,L1,page_view,2026-03-01T10:00:00Z\n",
    )

    report = import_activities(engine, activities)

    assert (report.stored.inserted, report.rejected_rows) == (1, 1)
    assert report.problems[0].column == "type" and "longer than the store's 60 characters" in report.problems[0].problem


def write_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path
