"""Builders for the service tests: connector files and runs written straight into the store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from connector.config import ConnectorConfig, load_config
from connector.store import session_scope
from connector.store.tables import SyncRun


def connector_file(folder: Path, connections: list[dict], *, database_url: str | None = None, **extra) -> Path:
    """A connector.yaml with the given connections (each needs name, crm and optionally schedule)."""
    document = {"connections": [{"mapping": f"mappings/{each['name']}.yaml", **each} for each in connections]}
    if database_url:
        document["database_url"] = database_url
    document.update(extra)
    path = folder / "connector.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def two_connections(tmp_path) -> tuple[ConnectorConfig, Path]:
    """A Salesforce org every 15 minutes and a HubSpot portal nightly at 02:30 UTC."""
    path = connector_file(
        tmp_path,
        [
            {"name": "acme-sf", "crm": "salesforce", "schedule": {"interval_minutes": 15}},
            {"name": "acme-hs", "crm": "hubspot", "schedule": {"cron": "30 2 * * *"}},
        ],
    )
    return load_config(path), path


def add_run(engine, connection: str, status: str, started: datetime, ended: datetime | None, **counts) -> int:
    with session_scope(engine) as session:
        run = SyncRun(connection=connection, started_at=started, ended_at=ended, status=status, counts=counts)
        session.add(run)
        session.flush()
        return run.id
