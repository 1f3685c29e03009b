"""Checks of the model's `accounts` section that need more than one key: fields, roles, stage names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from connector.scoring.fields import is_account_value, is_known_field
from connector.scoring.model_checks import ACCOUNT_FIELD_KINDS, Problem, fit_problems, stage_name_problems

if TYPE_CHECKING:
    from connector.scoring.model import ScoringModel
    from connector.scoring.model_accounts import AccountsModel

KEY = "accounts"


def account_problems(model: ScoringModel) -> Iterator[Problem]:
    """Every (key path, problem) of the `accounts` section, in file order; none without one."""
    accounts = model.accounts
    if accounts is None:
        return
    yield from fit_problems(accounts.fit, f"{KEY}.fit", ACCOUNT_FIELD_KINDS)
    yield from _role_problems(accounts)
    yield from _stage_problems(accounts)


def _role_problems(accounts: AccountsModel) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, role in enumerate(accounts.buying_group):
        key = f"{KEY}.buying_group[{index}]"
        if role.name in seen:
            yield f"{key}.name", f"role {role.name!r} is listed twice"
        seen.add(role.name)
        if not is_known_field(role.field) or is_account_value(role.field):
            yield f"{key}.field", f"unknown contact field {role.field!r}; roles test the contact's own fields"


def _stage_problems(accounts: AccountsModel) -> Iterator[Problem]:
    seen: set[str] = set()
    roles = set(accounts.role_names)
    for stage_index, stage in enumerate(accounts.stages):
        key = f"{KEY}.stages[{stage_index}]"
        yield from stage_name_problems(stage.name, key, seen, f"{KEY}.fit")
        for index, condition in enumerate(stage.when):
            for role in condition.roles:
                if role not in roles:
                    known = ", ".join(sorted(roles)) or "none defined"
                    yield f"{key}.when[{index}].roles", f"unknown role {role!r}; accounts.buying_group has {known}"
