"""The scoring commands end to end through `scorebridge`'s entry point, on a SQLite file store."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel, func, select

from connector.store import make_engine, session_scope
from connector.store.tables import Contact, ContactScore
from connector.store.upgrade import MIGRATIONS_DIR
from tests.cli import run_cli as run
from tests.conftest import NOW
from tests.scoring.builders import EXAMPLES, StoreBuilder, days_ago

AS_OF = NOW.isoformat()


@pytest.fixture
def store(tmp_path):
    """A file store at the newest schema (created from the tables, stamped so `upgrade_store` leaves it)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, "head")
    builder = StoreBuilder(engine)
    sarah = builder.contact(crm_id="00Q1", email="sarah@example.com", lead_source="Webinar")
    builder.activity(sarah, "brochure_download", days_ago(3))
    builder.activity(sarah, "demo_attended", days_ago(1))
    builder.activity(sarah, "trial_request", days_ago(1))
    yield url, engine
    engine.dispose()


def scored(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(ContactScore)).one()


def live_contacts(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(Contact).where(Contact.deleted == False)).one()  # noqa: E712


def test_score_explain_index_export_and_validate(store, monkeypatch, capsys, tmp_path):
    url, engine = store
    model = str(EXAMPLES / "sarah_walkthrough.yaml")
    assert run(monkeypatch, "validate", "--model", model) == 0
    assert "valid" in capsys.readouterr().out

    assert run(monkeypatch, "score", "--model", model, "--as-of", AS_OF, "--database", url) == 0
    out = capsys.readouterr().out
    assert "Scored 1 contact(s)" in out and "1 stage transition(s), 1 to notify" in out
    assert scored(engine) == 1

    assert run(monkeypatch, "explain", "sarah@example.com", "--model", model, "--as-of", AS_OF, "--database", url) == 0
    out = capsys.readouterr().out
    assert "Demo attended" in out and "sql" in out

    assert run(monkeypatch, "index", "--by", "lead_source", "--database", url) == 0
    assert "Webinar" in capsys.readouterr().out

    csv_path = tmp_path / "scores.csv"
    assert run(monkeypatch, "export", "--output", str(csv_path), "--database", url) == 0
    assert "00Q1" in csv_path.read_text()


def test_a_bad_model_exits_2_with_one_line_and_leaves_the_store_untouched(store, monkeypatch, capsys, tmp_path):
    url, engine = store
    broken = yaml.safe_load((EXAMPLES / "sarah_walkthrough.yaml").read_text())
    broken["behavior"]["rules"][0]["where"]["url"]["regex"] = "/pricing("
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))

    assert run(monkeypatch, "score", "--model", str(path), "--database", url) == 2

    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert error.startswith(f"error: {path}: behavior.rules[0].where.url.regex: not a valid regular expression")
    assert scored(engine) == 0


@pytest.mark.parametrize(
    ("shard", "says"),
    [
        ("3/2", "I must be 0 to 1 when N is 2"),
        ("x/y", "give I/N, this worker's number I (0 to N-1) of N workers, e.g. 0/4"),
        ("0/0", "N, the number of workers, must be 1 or more"),
    ],
)
def test_a_bad_shard_exits_2_with_one_line_and_scores_nothing(store, monkeypatch, capsys, shard, says):
    url, engine = store

    assert run(monkeypatch, "score", "--shard", shard, "--database", url) == 2

    assert capsys.readouterr().err.strip() == f"error: --shard {shard!r}: {says}"
    assert scored(engine) == 0


def test_two_shards_score_every_contact(store, monkeypatch, capsys):
    url, engine = store
    model = str(EXAMPLES / "sarah_walkthrough.yaml")
    for shard in ("0/2", "1/2"):
        assert run(monkeypatch, "score", "--shard", shard, "--model", model, "--as-of", AS_OF, "--database", url) == 0

    assert scored(engine) == live_contacts(engine)


def test_the_score_summary_keeps_its_brackets_and_piped_tables_keep_long_rows(store, monkeypatch, capsys):
    url, _engine = store
    model = str(EXAMPLES / "sarah_walkthrough.yaml")
    assert run(monkeypatch, "score", "--model", model, "--as-of", AS_OF, "--database", url) == 0
    out = capsys.readouterr().out
    assert "[full (first scoring run)]" in out  # rich markup used to swallow it
    long_reason = next(line for line in out.splitlines() if "sql threshold" in line)
    assert "reached with Trial requested on" in long_reason  # one row per line when piped, not wrapped at 80


def test_index_as_json_and_csv(store, monkeypatch, capsys):
    url, _engine = store
    model = str(EXAMPLES / "sarah_walkthrough.yaml")
    run(monkeypatch, "score", "--model", model, "--as-of", AS_OF, "--database", url)
    capsys.readouterr()

    assert run(monkeypatch, "index", "--by", "lead_source", "--format", "json", "--database", url) == 0
    index = json.loads(capsys.readouterr().out)
    assert index["by"] == "lead_source" and index["overall"]["contacts"] == 1
    assert [group["group"] for group in index["groups"]] == ["Webinar"]

    assert run(monkeypatch, "index", "--by", "lead_source", "--format", "csv", "--database", url) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["group", "contacts", "engaged", "engaged_percent", "overall"]
    assert [row[0] for row in rows[1:]] == ["Webinar", ""]

    assert run(monkeypatch, "index", "--format", "xml", "--database", url) == 2


def test_explain_index_and_export_read_the_store_the_connector_file_names(store, monkeypatch, capsys, tmp_path):
    url, _engine = store
    model = EXAMPLES / "sarah_walkthrough.yaml"
    config = tmp_path / "connector.yaml"
    config.write_text(yaml.safe_dump({"database_url": url, "model": str(model)}))
    assert run(monkeypatch, "score", "--config", str(config), "--as-of", AS_OF) == 0
    assert "Scored 1 contact(s)" in capsys.readouterr().out

    monkeypatch.chdir(tmp_path)  # connector.yaml in the working directory is read as `sync` reads it
    assert run(monkeypatch, "explain", "sarah@example.com", "--as-of", AS_OF) == 0
    assert "Demo attended" in capsys.readouterr().out
    assert run(monkeypatch, "index", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["overall"]["contacts"] == 1
    assert run(monkeypatch, "export", "--output", "scores.csv") == 0
    assert "00Q1" in (tmp_path / "scores.csv").read_text()
