"""One account's roll-up in detail, for `explain` and reports: its values, why it is in its stage, what fits, and
each contact's share. Computed from the store as a run would compute it now (contacts' scores as stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.accounts.computing import compute_accounts
from connector.accounts.reading import NEVER, with_names
from connector.accounts.rollup import rank_within_account
from connector.accounts.stages import member_rows
from connector.accounts.writing import SCORE_COLUMNS
from connector.scoring.model import ScoringModel
from connector.scoring.scope import ContactScope
from connector.store.account_writer import ACCOUNT_TABLE
from connector.store.types import from_epoch, to_epoch


@dataclass(frozen=True)
class ContactShare:
    """One contact of the account, and what it brings."""

    contact_id: int
    name: str
    engagement: float
    engaged: bool
    #: Whether its engagement counts in the account's (with `top_mean`, only the `top` most engaged do).
    counted: bool
    #: The buying-group roles its fields fit (they count toward coverage when it is engaged).
    roles: tuple[str, ...]
    last_engaged_at: datetime | None


@dataclass(frozen=True)
class AccountRollup:
    account_id: int
    name: str | None
    as_of: datetime
    #: The values a run stores (account_score's columns: fit, engagement, score, grade, stage, engaged_contacts,
    #: coverage, last_engaged_at, reasons, model_version), by name.
    values: dict[str, object]
    #: Why the account is in its stage, in words.
    stage_reason: str
    #: The model's aggregate in words: "sum", "max", "mean of the top 3".
    aggregate: str
    #: (label, points) of each account fit rule that gave points.
    fit_rules: tuple[tuple[str, float], ...]
    #: Its live contacts, most engaged first.
    contacts: tuple[ContactShare, ...]


def account_rollup(
    engine: Engine, model: ScoringModel, account_id: int, as_of: datetime | None = None
) -> AccountRollup | None:
    """The roll-up of one live account; None when the model has no accounts section or the account is not live."""
    if model.accounts is None:
        return None
    moment = to_epoch(as_of or datetime.now(UTC))
    with engine.connect() as connection:
        computed = compute_accounts(connection, model, None, moment, only=account_id)
        members = with_names(connection, computed.members, np.arange(len(computed.members.contact_id)))
    if not computed.rows:
        return None
    rollup, accounts = computed.rollup, computed.accounts
    rows = member_rows(members, 0)
    points = np.maximum(members.engagement, 0.0)
    counted = rank_within_account(members.account, points) < accounts.engagement.top_count
    if accounts.engagement.aggregate != "top_mean":
        counted[:] = True
    shares = [
        ContactShare(
            int(members.contact_id[row]),
            members.name(row),
            float(members.engagement[row]),
            bool(members.engaged[row]),
            bool(counted[row]),
            tuple(role for index, role in enumerate(accounts.role_names) if members.roles[index, row]),
            None if members.last_engaged[row] == NEVER else from_epoch(int(members.last_engaged[row])),
        )
        for row in rows
    ]
    scored = rollup.fit.rule_points[:, 0]
    return AccountRollup(
        account_id=account_id,
        name=computed.columns.names[0],
        as_of=from_epoch(moment),
        values=dict(zip(SCORE_COLUMNS, computed.rows[0].values, strict=True)),
        stage_reason=computed.stage_reasons[account_id],
        aggregate=_aggregate_words(model),
        fit_rules=tuple((rule.label, float(scored[i])) for i, rule in enumerate(rollup.fit.rules) if scored[i]),
        contacts=tuple(sorted(shares, key=lambda share: -share.engagement)),
    )


def find_account(engine: Engine, crm_id: str, scope: ContactScope | None = None) -> int | None:
    """The stored id of the account with this CRM id (within one connection when given); None when unknown."""
    a = ACCOUNT_TABLE.c
    query = select(a.id).where(a.crm_id == crm_id)
    if scope is not None:
        query = query.where(a.source == scope.source, a.instance == scope.instance)
    with engine.connect() as connection:
        return connection.scalars(query.order_by(a.id)).first()


def _aggregate_words(model: ScoringModel) -> str:
    assert model.accounts is not None
    engagement = model.accounts.engagement
    return f"mean of the top {engagement.top_count}" if engagement.aggregate == "top_mean" else engagement.aggregate
