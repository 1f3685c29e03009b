"""`scorebridge report` end to end through the entry point, on a SQLite file store."""

from __future__ import annotations

import json
import stat

import pytest
import yaml
from sqlalchemy import func, select

from connector.store import make_engine, upgrade_store
from connector.store.tables import ContactScore, ScoreChange, StageTransition, TaskOutbox, WriteLedger
from tests.analytics.report_builders import ReportStore, sample_store
from tests.cli import run_cli as run
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade_store(engine)
    yield url, ReportStore(engine)
    engine.dispose()


def two_mqls_one_won(store: ReportStore) -> None:
    won, lost = store.contact(lead_source="Webinar"), store.contact(lead_source="Web")
    for contact in (won, lost):
        store.scored(contact, 60, lead=55, combined=30)
        store.entered(contact, "mql", 60)
        store.current(contact, ["Demo attended +25"], lead=55)
    store.outcome([won], created=40, closed=20, won=True)
    store.outcome([lost], created=40, closed=20)


def what_sales_see(engine) -> list[int]:
    with engine.connect() as connection:
        return [
            connection.execute(select(func.count()).select_from(table)).scalar()
            for table in (ContactScore, ScoreChange, StageTransition, TaskOutbox, WriteLedger)
        ]


def test_report_prints_tables_and_stores_nothing(store, monkeypatch, capsys):
    url, builder = store
    two_mqls_one_won(builder)
    before = what_sales_see(builder.engine)

    assert run(monkeypatch, "report", "--database", url, "--model", str(DEFAULT_MODEL)) == 0

    out = capsys.readouterr().out
    for title in ("Funnel", "Funnel by lead source", "Engagement index by week", "Score distribution"):
        assert title in out
    assert "too few outcomes: needs at least 5 contacts won and 5 not won" in out
    assert what_sales_see(builder.engine) == before


def test_report_json(store, monkeypatch, capsys):
    url, builder = store
    two_mqls_one_won(builder)

    assert run(monkeypatch, "report", "--json", "--won-within", "30", "--database", url) == 0

    data = json.loads(capsys.readouterr().out)
    assert [step["reached"] for step in data["funnel"]["steps"]] == [2, 0, 2, 1]
    assert data["funnel"]["mql_to_won"] == 0.5
    assert [row["group"] for row in data["by_lead_source"]] == ["Web", "Webinar"]
    assert data["ranking"]["won_within_days"] == 30


def test_report_html_writes_a_private_page_and_prints_two_figures(store, monkeypatch, capsys, tmp_path):
    url, builder = store
    two_mqls_one_won(builder)
    page = tmp_path / "report.html"

    assert run(monkeypatch, "report", "--html", str(page), "--database", url) == 0

    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert capsys.readouterr().out.strip() == (
        f"report written to {page}: MQL -> won 50.0% (1 of 2 MQLs); engagement index 0.0%"
    )


def test_an_empty_store_is_one_line_and_a_non_zero_exit(store, monkeypatch, capsys, tmp_path):
    url, _ = store
    page = tmp_path / "report.html"

    code = run(monkeypatch, "report", "--html", str(page), "--database", url)

    err = capsys.readouterr().err
    assert code != 0 and not page.exists()
    assert err.strip().splitlines() == [
        "error: the store holds no scores yet, so there is nothing to report: run `scorebridge sync` "
        "(or `scorebridge score`) first"
    ]


def test_a_model_without_an_mql_stage_is_one_line(store, monkeypatch, capsys, tmp_path):
    url, builder = store
    two_mqls_one_won(builder)
    model = yaml.safe_load(DEFAULT_MODEL.read_text())
    model["stages"] = [stage for stage in model["stages"] if stage["name"] != "mql"]
    path = tmp_path / "no-mql.yaml"
    path.write_text(yaml.safe_dump(model))

    code = run(monkeypatch, "report", "--model", str(path), "--database", url)

    err = capsys.readouterr().err.strip()
    assert code != 0 and "Traceback" not in err
    assert err.startswith("error: the model 'ScoreBridge default' has no stage named 'mql'")


def test_a_page_that_cannot_be_written_is_one_line(store, monkeypatch, capsys, tmp_path):
    url, builder = store
    two_mqls_one_won(builder)
    page = tmp_path / "no such folder" / "report.html"

    code = run(monkeypatch, "report", "--html", str(page), "--database", url)

    assert code != 0
    assert capsys.readouterr().err.strip() == f"error: --html {page}: cannot write the page: No such file or directory"


def test_report_as_of_a_moment_shows_every_section_with_figures(store, monkeypatch, capsys):
    url, builder = store
    sample_store(builder)

    assert run(monkeypatch, "report", "--as-of", NOW.isoformat(), "--database", url) == 0

    out = capsys.readouterr().out
    assert f"as of {NOW:%Y-%m-%d %H:%M} UTC: 160 contacts scored" in out
    assert "How well each score foretold a win within 90 days" in out and "too few" not in out
    assert "Top reasons among won" in out and "Demo attended" in out
    assert "acme-salesforce" in out  # the last runs
