"""Structured logs: one JSON object per line, with the context passed as `extra`."""

import json
import logging

from connector.logs import JsonFormatter


def test_json_lines_carry_message_level_and_context():
    record = logging.LogRecord("connector.sync", logging.INFO, __file__, 1, "run %s ended %s", (7, "ok"), None)
    record.connection = "acme"
    record.counts = {"written": 3}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "run 7 ended ok"
    assert entry["level"] == "info"
    assert entry["connection"] == "acme" and entry["counts"] == {"written": 3}
