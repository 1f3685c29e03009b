"""Rows written to a file as CSV or as JSON (an array of objects keyed by the header), streamed row by row."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from connector.errors import InputError
from connector.private_files import open_private

FORMATS = ("csv", "json")


@contextmanager
def row_writer(output: Path | TextIO, header: Sequence[str], output_format: str = "csv") -> Iterator[Callable]:
    """A function writing one row (cells in the header's order) to `output`, a private file (names and e-mail
    addresses leave the store) or an open text stream."""
    if output_format not in FORMATS:
        raise InputError(f"--format {output_format!r}: use csv or json")
    if isinstance(output, Path):
        try:
            handle = open_private(output, "w", newline="", encoding="utf-8")
        except OSError as error:
            raise InputError(f"--output {output}: cannot write the file: {error.strerror}") from None
        with handle, row_writer(handle, header, output_format) as write:
            yield write
        return
    if output_format == "csv":
        writer = csv.writer(output)
        writer.writerow(header)
        yield writer.writerow
        return
    yield from _json_rows(output, header)


def _json_rows(output: TextIO, header: Sequence[str]) -> Iterator[Callable]:
    first = True

    def write(cells: Sequence[object]) -> None:
        nonlocal first
        output.write(("[\n  " if first else ",\n  ") + json.dumps(dict(zip(header, cells, strict=True)), default=str))
        first = False

    yield write
    output.write("[]\n" if first else "\n]\n")
