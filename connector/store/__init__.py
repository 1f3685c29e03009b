"""The normalized SQL store (SQLite embedded, PostgreSQL in production)."""

from connector.store.engine import database_url, make_engine, session_scope
from connector.store.upgrade import upgrade_store

__all__ = ["database_url", "make_engine", "session_scope", "upgrade_store"]
