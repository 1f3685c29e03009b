"""`explain --account`, `export --accounts` and `index --by account` through `scorebridge`'s entry point, on a
store at the newest schema (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import text

from connector.store import session_scope, upgrade_store
from connector.store.tables import Contact, ContactScore
from tests.cli import run_cli
from tests.sync.account_builders import NOW, add_account, add_account_score, add_member, add_transition


def _url(engine) -> str:
    """The store's URL as a user would give it; a PostgreSQL test schema rides along as the search path."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url
    with engine.connect() as connection:
        schema = connection.execute(text("select current_schema()")).scalar()
    return f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture
def store(empty_engine, tmp_path, monkeypatch):
    """Acme (hot: Dana and Omar engaged, Kim not), Globex (aware, nobody engaged), and a lead of no account."""
    monkeypatch.chdir(tmp_path)
    upgrade_store(empty_engine)
    with session_scope(empty_engine) as session:
        acme = add_account(session)
        add_account_score(session, acme)
        add_member(session, acme, "003DANA", "Dana Diaz", title="VP Operations", engagement=48.6, engaged=True)
        add_member(session, acme, "003OMAR", "Omar Ali", title="Analyst", engagement=22, engaged=True)
        add_member(session, acme, "003KIM", "Kim Wu", engagement=3)
        add_transition(session, acme, "engaged", days_ago=9, from_stage=None)
        add_transition(session, acme, "hot", days_ago=1)
        globex = add_account(session, "001GLOBEX", name="Globex")
        add_account_score(session, globex, score=20, stage="aware", engaged_contacts=0, coverage=[], reasons=[])
        add_member(session, globex, "003HANK", "Hank Scorpio", engagement=4)
        lead = Contact(source="salesforce", instance="acme", object_type="Lead", crm_id="00QNONE", email="x@y.example")
        session.add(lead)
        session.flush()
        session.add(ContactScore(contact_id=lead.id, stage="lead", engaged=True, model_version="m1", scored_at=NOW))
    return _url(empty_engine)


def test_explain_account_shows_scores_stage_history_contacts_and_coverage(store, monkeypatch, capsys):
    assert run_cli(monkeypatch, "explain", "--account", "001ACME", "--database", store) == 0
    out = capsys.readouterr().out
    assert "Acme Corp" in out and "stage hot" in out and "Engaged contacts: 2" in out
    assert "Buying group covered: Decision maker, Champion" in out
    assert out.index("Dana Diaz") < out.index("Omar Ali") < out.index("Kim Wu")
    assert "3 engaged contacts, score 72 >= 70" in out and "Stage history" in out


def test_explain_account_by_name_as_json(store, monkeypatch, capsys):
    assert run_cli(monkeypatch, "explain", "--account", "acme corp", "--format", "json", "--database", store) == 0
    explained = json.loads(capsys.readouterr().out)
    assert explained["crm_id"] == "001ACME" and explained["stage"] == "hot"
    assert explained["scores"] == {"fit": 40.2, "engagement": 81.6, "score": 72.4}
    assert [(line["name"], line["engaged"]) for line in explained["contacts"]] == [
        ("Dana Diaz", True), ("Omar Ali", True), ("Kim Wu", False),
    ]  # fmt: skip
    assert [line["to_stage"] for line in explained["transitions"]] == ["engaged", "hot"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--account", "Initech"), "no account with store id, CRM id or name 'Initech'"),
        (("00QNONE", "--account", "001ACME"), "not both"),
        (("--account", "001ACME", "--what-if", "demo_attended"), "--what-if is for contacts"),
        ((), "name a contact"),
    ],
)
def test_bad_account_input_is_one_clear_line(store, monkeypatch, capsys, arguments, message):
    assert run_cli(monkeypatch, "explain", *arguments, "--database", store) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_export_accounts_as_csv_and_json(store, monkeypatch, capsys, tmp_path):
    assert run_cli(monkeypatch, "export", "--accounts", "--database", store) == 0
    assert "2 account(s) written to accounts.csv" in capsys.readouterr().out
    rows = list(csv.DictReader((tmp_path / "accounts.csv").open(encoding="utf-8")))
    acme = rows[0]
    assert (acme["crm_id"], acme["name"], acme["stage"], acme["score"]) == ("001ACME", "Acme Corp", "hot", "72.4")
    assert acme["engaged_contacts"] == "2" and acme["engaged_people"] == "Dana Diaz; Omar Ali"
    assert acme["coverage"] == "Decision maker; Champion" and acme["owner_id"] == "005OWNER"
    assert run_cli(monkeypatch, "export", "--accounts", "-f", "json", "-o", "hot.json", "--database", store) == 0
    exported = json.loads((tmp_path / "hot.json").read_text(encoding="utf-8"))
    assert [row["crm_id"] for row in exported] == ["001ACME", "001GLOBEX"] and exported[1]["engaged_people"] == ""


def test_the_contact_export_takes_json_too(store, monkeypatch, tmp_path):
    assert run_cli(monkeypatch, "export", "--format", "json", "--database", store) == 0
    exported = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert {row["crm_id"] for row in exported} == {"003DANA", "003OMAR", "003KIM", "003HANK", "00QNONE"}


def test_index_by_account(store, monkeypatch, capsys):
    assert run_cli(monkeypatch, "index", "--by", "account", "--format", "json", "--database", store) == 0
    index = json.loads(capsys.readouterr().out)
    rows = {row["group"]: (row["contacts"], row["engaged"]) for row in index["groups"]}
    assert rows == {"Acme Corp (001ACME)": (3, 2), "Globex (001GLOBEX)": (1, 0), None: (1, 1)}
    assert (index["overall"]["contacts"], index["overall"]["engaged"]) == (5, 3)
    assert run_cli(monkeypatch, "index", "--by", "account", "--database", store) == 0
    assert "Acme Corp (001ACME)" in capsys.readouterr().out


def test_index_by_an_unknown_grouping_names_account_among_the_choices(store, monkeypatch, capsys):
    assert run_cli(monkeypatch, "index", "--by", "acount", "--database", store) == 2
    assert "use account or one of" in capsys.readouterr().err


def test_index_by_account_at_a_past_moment_is_replayed(store, monkeypatch, capsys):
    """No stored activity made anyone engaged a year ago: the replayed index per account says so."""
    past = "2025-11-01T12:00:00+00:00"
    assert run_cli(monkeypatch, "index", "--by", "account", "--as-of", past, "-f", "json", "--database", store) == 0
    index = json.loads(capsys.readouterr().out)
    rows = {row["group"]: (row["contacts"], row["engaged"]) for row in index["groups"]}
    assert rows == {"Acme Corp (001ACME)": (3, 0), "Globex (001GLOBEX)": (1, 0), None: (1, 0)}
