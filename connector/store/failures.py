"""What a run record or a log line may say about an unforeseen failure: never the values it was working on.

A database error's text carries the failed statement's parameters ("[parameters: ('Ada', 'ada@example.com')]"),
and PostgreSQL's DETAIL lines and some primary messages quote the rows themselves ("Key (email)=(ada@...)
already exists", 'invalid input syntax for type integer: "..."'): personal data that must reach neither run
records nor logs. Engines hide parameters from every error message (`make_engine`); this keeps the rest out.
"""

from __future__ import annotations

import traceback

from sqlalchemy.exc import StatementError

#: How much of the failed statement to name: enough to see the table, never a VALUES list.
STATEMENT_HEAD = 60


def failure_summary(error: BaseException) -> str:
    """One line: the error's kind, and for a store error its code and the start of its statement, no values."""
    if isinstance(error, StatementError) and error.orig is not None:
        cause = error.orig
        code = getattr(cause, "sqlstate", None) or getattr(cause, "sqlite_errorname", None)
        statement = " ".join((error.statement or "").split())
        head = statement[:STATEMENT_HEAD] + ("..." if len(statement) > STATEMENT_HEAD else "")
        return f"store error {type(cause).__name__}{f' ({code})' if code else ''} in {head!r}; values not shown"
    return f"{type(error).__name__}: {error}"


def failure_frames(error: BaseException) -> str:
    """Where it failed, for the log: the traceback's frames without the message (which may quote values)."""
    return "".join(traceback.format_tb(error.__traceback__))
