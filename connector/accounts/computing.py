"""One account roll-up computed from the store: read, roll up, assign stages, phrase reasons, make the rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from connector.accounts.reading import NEVER, AccountColumns, Members, read_accounts, read_members
from connector.accounts.rollup import Rollup, roll_up
from connector.accounts.stages import AccountStages, assign_account_stages, engaged_phrase, role_phrase, stage_reason
from connector.accounts.writing import AccountRow, rounded
from connector.scoring.model import ScoringModel
from connector.scoring.model_accounts import AccountsModel
from connector.scoring.scope import ContactScope

#: Fit rules a reason names, highest points first.
NAMED_FIT_RULES = 2


@dataclass(frozen=True)
class AccountComputation:
    accounts: AccountsModel
    columns: AccountColumns
    members: Members
    rollup: Rollup
    stages: AccountStages
    rows: list[AccountRow]
    #: Per account id: why it is in its stage, in words.
    stage_reasons: dict[int, str]


def compute_accounts(
    connection: Connection, model: ScoringModel, scope: ContactScope | None, as_of: int, only: int | None = None
) -> AccountComputation:
    accounts = model.accounts
    assert accounts is not None, "account scoring needs the model's accounts section"
    columns = read_accounts(connection, accounts, scope, only)
    members = read_members(connection, accounts, scope, columns.ids, only)
    rollup = roll_up(accounts, columns, members, as_of)
    stages = assign_account_stages(accounts, rollup)
    rows, reasons = [], {}
    for position, account_id in enumerate(columns.ids.tolist()):
        reasons[account_id] = stage_reason(accounts, stages, rollup, members, position)
        rows.append(AccountRow(account_id, _values(model, accounts, rollup, stages, members, position)))
    return AccountComputation(accounts, columns, members, rollup, stages, rows, reasons)


def _values(
    model: ScoringModel, accounts: AccountsModel, rollup: Rollup, stages: AccountStages, members: Members, position: int
) -> tuple:
    grades = rollup.fit.grades
    last = int(rollup.last_engaged[position])
    covered = [name for index, name in enumerate(accounts.role_names) if rollup.covered[index, position]]
    return (
        rounded(rollup.fit.scores[position]),
        rounded(rollup.engagement[position]),
        rounded(rollup.score[position]),
        None if grades is None else str(grades[position]),
        stages.name(accounts, position),
        int(rollup.engaged_contacts[position]),
        covered,
        None if last == NEVER else last,
        account_reasons(accounts, rollup, members, position, tuple(covered)),
        model.version,
    )


def account_reasons(
    accounts: AccountsModel, rollup: Rollup, members: Members, position: int, covered: tuple[str, ...]
) -> list[str]:
    """The top reasons an account keeps and writes: who is engaged, which roles they fill, what fits."""
    reasons = []
    if rollup.engaged_contacts[position]:
        reasons.append(engaged_phrase(rollup, members, position))
    if covered:
        reasons.append("buying group: " + ", ".join(role_phrase(accounts, rollup, members, position, covered)))
    points = rollup.fit.rule_points[:, position]
    for row in sorted(range(len(rollup.fit.rules)), key=lambda r: -points[r])[:NAMED_FIT_RULES]:
        if points[row] > 0:
            reasons.append(f"{rollup.fit.rules[row].label} (+{points[row]:g})")
    return reasons
