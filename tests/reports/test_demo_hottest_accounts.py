"""The demo's hottest accounts: the top five by account score, with their stage and engaged people."""

from __future__ import annotations

from rich.console import Console
from sqlmodel import Session

from connector.demo import hottest_accounts_table
from connector.store import session_scope
from tests.sync.account_builders import add_account, add_account_score, add_member


def _printed(table) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_the_top_five_accounts_by_score_with_their_engaged_people(engine):
    with session_scope(engine) as session:
        for number in range(7):
            account = add_account(session, f"001A{number}", name=f"Company {number}")
            add_account_score(session, account, score=10.0 * number, stage="hot" if number > 4 else "aware")
            add_member(session, account, f"003E{number}", f"Eve Number{number}", engagement=30, engaged=True)
            add_member(session, account, f"003Q{number}", f"Quiet Number{number}", engagement=1)
        gone = add_account(session, "001GONE", name="Gone Inc", deleted=True)
        add_account_score(session, gone, score=99)
    with Session(engine) as session:
        text = _printed(hottest_accounts_table(session))
    assert [f"Company {number}" in text for number in range(7)] == [False, False, True, True, True, True, True]
    assert text.index("Company 6") < text.index("Company 5") < text.index("Company 2")
    assert "Eve Number6" in text and "Quiet Number6" not in text and "Gone Inc" not in text


def test_no_table_when_no_account_is_scored(engine):
    with Session(engine) as session:
        assert hottest_accounts_table(session) is None
