"""Account stages: the highest stage one of whose conditions holds, and why, in words.

A stage's `when` lists the ways in; within one, every test must hold. The first stage needs nothing; an account
disqualified by its fit (`accounts.fit.disqualifiers`) is in the stage "disqualified".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from connector.accounts.reading import Members
from connector.accounts.rollup import Rollup
from connector.scoring.conditions import Column, TextColumn, column_matches
from connector.scoring.fields import DISQUALIFIED
from connector.scoring.model_accounts import AccountCondition, AccountsModel

#: Engaged contacts a reason names before "and N more".
NAMED_CONTACTS = 3


@dataclass(frozen=True)
class AccountStages:
    """Per account: the stage index (len(stages): disqualified) and the (stage, condition) that put it there."""

    stage: np.ndarray
    entered_by: list[tuple[int, int] | None]

    def name(self, accounts: AccountsModel, position: int) -> str:
        index = int(self.stage[position])
        return DISQUALIFIED if index == len(accounts.stages) else accounts.stages[index].name


def assign_account_stages(accounts: AccountsModel, rollup: Rollup) -> AccountStages:
    size = len(rollup.score)
    stage = np.zeros(size, dtype=np.int64)
    entered: np.ndarray = np.full((size, 2), -1, dtype=np.int64)
    values = condition_values(rollup)
    for stage_index, account_stage in enumerate(accounts.stages):
        for condition_index in reversed(range(len(account_stage.when))):  # the first condition that holds wins
            holds = condition_holds(accounts, account_stage.when[condition_index], values, rollup)
            stage[holds] = stage_index
            entered[holds] = (stage_index, condition_index)
    stage[rollup.disqualified] = len(accounts.stages)
    entered[rollup.disqualified] = -1
    return AccountStages(stage, [None if row[0] < 0 else (int(row[0]), int(row[1])) for row in entered])


def condition_values(rollup: Rollup) -> dict[str, Column]:
    """The account values stage conditions test, by the name the model uses."""
    grades = rollup.fit.grades
    return {  # in the order reasons name them: people first
        "engaged_contacts": rollup.engaged_contacts.astype(np.float64),
        "coverage": rollup.coverage.astype(np.float64),
        "engagement": rollup.engagement,
        "fit": rollup.fit.scores,
        "score": rollup.score,
        "grade": TextColumn.from_values([None] * len(rollup.score) if grades is None else list(grades)),
        "recency_days": rollup.recency_days,
    }


def condition_holds(
    accounts: AccountsModel, condition: AccountCondition, values: dict[str, Column], rollup: Rollup
) -> np.ndarray:
    holds = np.ones(len(rollup.score), dtype=bool)
    for name, column in values.items():
        test = condition.value_test(name)
        if test is not None:
            holds &= column_matches(test, column)
    for role in condition.roles:
        holds &= rollup.covered[accounts.role_names.index(role)]
    return holds


def stage_reason(
    accounts: AccountsModel,
    stages: AccountStages,
    rollup: Rollup,
    members: Members,
    position: int,
    values: dict[str, Column] | None = None,
) -> str:
    """Why the account is where it is, in words: "3 engaged contacts (Ann Lee, ...); engagement 74 >= 60".
    `values`: `condition_values(rollup)`, computed once by a caller phrasing many accounts."""
    if int(stages.stage[position]) == len(accounts.stages):
        rule = accounts.fit.disqualifiers[int(rollup.fit.disqualified_by[position])]
        return f"disqualified: {rule.label or f'{rule.field} {rule.describe()}'}"
    entered = stages.entered_by[position]
    if entered is None:
        return "no stage condition holds"
    condition = accounts.stages[entered[0]].when[entered[1]]
    parts = [] if condition.label is None else [condition.label]
    parts += _test_phrases(accounts, condition, rollup, members, position, values or condition_values(rollup))
    return "; ".join(parts)


def _test_phrases(
    accounts: AccountsModel,
    condition: AccountCondition,
    rollup: Rollup,
    members: Members,
    position: int,
    values: dict[str, Column],
) -> list[str]:
    phrases = []
    for name in values:
        test = condition.value_test(name)
        if test is None:
            continue
        if name == "engaged_contacts":
            phrases.append(engaged_phrase(rollup, members, position))
        elif name == "coverage":
            covered = [role for i, role in enumerate(accounts.role_names) if rollup.covered[i, position]]
            phrases.append(f"{len(covered)} buying-group role(s) filled ({', '.join(covered) or 'none'})")
        elif name == "grade":
            phrases.append(f"grade {rollup.fit.grades[position]} ({test.describe()})")
        else:
            phrases.append(f"{name.replace('_', ' ')} {float(values[name][position]):g} {test.describe()}")
    if condition.roles:
        phrases.append("buying group: " + ", ".join(role_phrase(accounts, rollup, members, position, condition.roles)))
    return phrases


def member_rows(members: Members, position: int) -> np.ndarray:
    """The rows of one account's members (members are read in account order)."""
    start, end = np.searchsorted(members.account, [position, position + 1])
    return np.arange(start, end)


def engaged_names(members: Members, position: int) -> list[str]:
    """The account's engaged contacts, most engaged first."""
    rows = member_rows(members, position)
    rows = rows[members.engaged[rows]]
    rows = rows[np.argsort(-members.engagement[rows], kind="stable")]
    return [members.name(row) for row in rows]


def engaged_phrase(rollup: Rollup, members: Members, position: int) -> str:
    count = int(rollup.engaged_contacts[position])
    names = engaged_names(members, position)
    shown = ", ".join(names[:NAMED_CONTACTS]) + (
        f" and {len(names) - NAMED_CONTACTS} more" if len(names) > NAMED_CONTACTS else ""
    )
    noun = "engaged contact" if count == 1 else "engaged contacts"
    return f"{count} {noun}" + (f" ({shown})" if shown else "")


def role_phrase(
    accounts: AccountsModel, rollup: Rollup, members: Members, position: int, roles: tuple[str, ...]
) -> list[str]:
    """Each role with the engaged contact who fills it: "Decision maker (Ann Lee)"."""
    phrases = []
    for role in roles:
        index = accounts.role_names.index(role)
        rows = member_rows(members, position)
        rows = rows[members.engaged[rows] & members.roles[index][rows]]
        who = members.name(rows[np.argmax(members.engagement[rows])]) if len(rows) else "nobody"
        phrases.append(f"{role} ({who})")
    return phrases
