"""One account roll-up computed from the store: read, roll up, assign stages, phrase reasons, make the rows.

Everything but the words is columnar over all accounts at once. Reasons are phrased only for the accounts whose
values moved since the stored row (all of them on a first run): an account whose scores, stage, engaged count,
coverage and last engagement are all unchanged keeps its stored reasons, so a run where little happened costs
little more than reading the links.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from connector.accounts.reading import NEVER, AccountColumns, Members, read_accounts, read_members, with_names
from connector.accounts.rollup import Rollup, roll_up
from connector.accounts.stages import (
    AccountStages,
    assign_account_stages,
    condition_values,
    engaged_phrase,
    role_phrase,
    stage_reason,
)
from connector.accounts.writing import REASONS, SCORE_COLUMNS, AccountRow, read_stored, rounded, without_reasons
from connector.scoring.fields import DISQUALIFIED
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
    #: The rows stored before this run, by account id (empty when computing one account for an explanation).
    stored: dict[int, AccountRow]
    #: Per account id whose values moved: why it is in its stage, in words.
    stage_reasons: dict[int, str]


def compute_accounts(
    connection: Connection, model: ScoringModel, scope: ContactScope | None, as_of: int, only: int | None = None
) -> AccountComputation:
    """The scope's live accounts (or the one account `only`, always phrased) rolled up as of `as_of`."""
    accounts = model.accounts
    assert accounts is not None, "account scoring needs the model's accounts section"
    columns = read_accounts(connection, accounts, scope, only)
    members = read_members(connection, accounts, scope, columns.ids, only)
    rollup = roll_up(accounts, columns, members, as_of)
    stages = assign_account_stages(accounts, rollup)
    stored = {} if only is not None else read_stored(connection, scope)
    ids = columns.ids.tolist()
    heads = _heads(model, accounts, rollup, stages)
    moved = [
        p
        for p, account_id in enumerate(ids)
        if account_id not in stored or without_reasons(stored[account_id]) != heads[p]
    ]
    members = with_names(connection, members, np.flatnonzero(np.isin(members.account, moved) & members.engaged))
    values = condition_values(rollup)
    rows = [stored.get(account_id) for account_id in ids]
    reasons = {}
    for position in moved:
        account_id = ids[position]
        reasons[account_id] = stage_reason(accounts, stages, rollup, members, position, values)
        covered = tuple(heads[position][SCORE_COLUMNS.index("coverage")])
        phrased = account_reasons(accounts, rollup, members, position, covered)
        rows[position] = AccountRow(account_id, (*heads[position][:REASONS], phrased, *heads[position][REASONS:]))
    return AccountComputation(accounts, columns, members, rollup, stages, rows, stored, reasons)


def _heads(model: ScoringModel, accounts: AccountsModel, rollup: Rollup, stages: AccountStages) -> list[tuple]:
    """Each account's stored values but its reasons (`writing.SCORE_COLUMNS` without "reasons"), as plain values."""
    grades = [None] * len(rollup.score) if rollup.fit.grades is None else [str(g) for g in rollup.fit.grades]
    covered = [[name for i, name in enumerate(accounts.role_names) if row[i]] for row in rollup.covered.T.tolist()]
    names = [*accounts.stage_names, DISQUALIFIED]
    version = model.version
    return [
        (fit, engagement, score, grade, names[stage], engaged, roles, None if last == NEVER else last, version)
        for fit, engagement, score, grade, stage, engaged, roles, last in zip(
            rounded(rollup.fit.scores), rounded(rollup.engagement), rounded(rollup.score), grades,
            stages.stage.tolist(), rollup.engaged_contacts.tolist(), covered, rollup.last_engaged.tolist(),
            strict=True,
        )
    ]  # fmt: skip


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
