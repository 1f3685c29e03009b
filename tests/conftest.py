"""Fixtures shared by the whole suite: a store on SQLite and on PostgreSQL, and a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import connector.store.tables  # noqa: F401  (registers the tables)
from connector.store.engine import make_engine

POSTGRES_URL = os.environ.get("SCOREBRIDGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
POSTGRES_REQUIRED = os.environ.get("SCOREBRIDGE_REQUIRE_POSTGRES") == "1"

#: A fixed "now" for reproducible scoring tests.
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _postgres_reason_unavailable() -> str | None:
    try:
        with make_engine(POSTGRES_URL).connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # any failure to connect means "no server here"
        return f"PostgreSQL at {POSTGRES_URL} does not answer: {type(error).__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = _postgres_reason_unavailable()
    if reason and POSTGRES_REQUIRED:
        pytest.fail(f"{reason} (SCOREBRIDGE_REQUIRE_POSTGRES=1 makes PostgreSQL mandatory)")
    if reason:
        pytest.skip(reason)


def _sqlite_engine(tmp_path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'store.db'}")


@contextmanager
def postgres_schema() -> Iterator[Engine]:
    """An engine bound to a schema of its own, dropped afterwards, so concurrent runs never collide."""
    schema = f"sb_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_engine(postgres_available, request) -> Iterator[Engine]:
    with postgres_schema() as engine:
        yield engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    """A store engine with no tables yet, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path)
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("postgres_engine")


@pytest.fixture
def engine(empty_engine) -> Engine:
    """A store engine with the current schema, on SQLite and on PostgreSQL."""
    SQLModel.metadata.create_all(empty_engine)
    return empty_engine
