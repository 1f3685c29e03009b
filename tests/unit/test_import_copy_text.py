"""What the background parser sends a PostgreSQL import: rows already in COPY's text format, escaped as the format
requires, and whether any two rows of the file share a key (connector/importer/background.py,
connector/store/activity_copy.py). Round trips through the server are in test_import_bulk_load.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from connector.importer.activities import ActivityRules
from connector.importer.background import CopyChunk, KeyHashes, resolved_chunks_in_background
from connector.importer.files import ProblemLog
from connector.store.activity_copy import copy_text

HEADER = "source_id,contact_crm_id,type,occurred_at\n"
CONTACT_IDS = {("Lead", "L1"): 11, ("Lead", "L2"): 12}


def test_copy_text_is_one_tab_separated_line_per_row():
    assert copy_text([11, 12], [3, 4], [1_772_000_000, -5], ["a1", "a2"]) == "11\t3\t1772000000\ta1\n12\t4\t-5\ta2\n"


def test_copy_text_escapes_backslash_tab_newline_and_carriage_return_in_source_ids():
    source_ids = ["back\\slash", "tab\there", "new\nline", "cr\rhere", "\\N", "plain"]

    text = copy_text([1] * 6, [2] * 6, [3] * 6, source_ids)

    assert text.splitlines() == [
        "1\t2\t3\tback\\\\slash",
        "1\t2\t3\ttab\\there",
        "1\t2\t3\tnew\\nline",
        "1\t2\t3\tcr\\rhere",
        "1\t2\t3\t\\\\N",  # a literal backslash and N, not COPY's NULL
        "1\t2\t3\tplain",
    ]


def test_key_hashes_tell_a_repeated_key_from_a_source_id_shared_by_two_contacts():
    distinct = KeyHashes()
    distinct.add(np.array([1, 2], dtype=np.int64), ["a1", "a1"])  # one source id, two contacts
    distinct.add(np.array([1], dtype=np.int64), ["a2"])
    repeated = KeyHashes()
    repeated.add(np.array([1, 2], dtype=np.int64), ["a1", "a2"])
    repeated.add(np.array([1], dtype=np.int64), ["a1"])  # in a later chunk

    assert distinct.all_distinct() and not repeated.all_distinct()
    assert KeyHashes().all_distinct()


def parsed_in_background(path: Path) -> tuple[list[CopyChunk], bool, ProblemLog]:
    log = ProblemLog(str(path))
    with resolved_chunks_in_background(
        path, None, log, ActivityRules(), CONTACT_IDS, lambda keys: [7] * len(keys), as_copy_text=True
    ) as (chunks, parsed):
        received = list(chunks)
    return received, parsed.unique_keys, log


def test_the_parser_sends_copy_text_of_known_contacts_and_says_whether_a_key_repeats(tmp_path):
    rows = [
        "a1,L2,page_view,2026-03-01T10:00:00Z",
        "a1,L1,page_view,2026-03-01T10:00:01Z",
        "a2,L404,page_view,2026-03-01T10:00:02Z",  # not in the store
        "a3,L1,page_view,yesterday",  # rejected
        f"{'x' * 121},L1,page_view,2026-03-01T10:00:03Z",  # a source id too long to store
    ]
    unique = tmp_path / "unique.csv"
    unique.write_text(HEADER + "\n".join(rows) + "\n")
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(HEADER + "\n".join([*rows, "a1,L1,email_open,2026-03-01T10:00:04Z"]) + "\n")

    chunks, unique_keys, log = parsed_in_background(unique)
    _, repeated_unique_keys, _ = parsed_in_background(repeated)

    assert [(chunk.rows, chunk.skipped) for chunk in chunks] == [(2, 2)]
    assert chunks[0].text == "11\t7\t1772359201\ta1\n12\t7\t1772359200\ta1\n"  # sorted by contact
    assert [(problem.line, problem.column) for problem in log.kept] == [(5, "occurred_at")]
    assert unique_keys and not repeated_unique_keys
