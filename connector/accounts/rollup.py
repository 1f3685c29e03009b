"""The roll-up: per account, its contacts' engagement aggregated, who is engaged, which roles they fill, its own fit,
and the account score; columnar over every link at once (no loop over accounts).

A contact linked to two accounts counts toward both, whether the link is primary or not: a HubSpot contact
associated with two companies engages on behalf of both as far as anyone can tell. Deleted and merged contacts and
accounts are not read at all (reading.py), so their share leaves the account at the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from connector.accounts.reading import NEVER, AccountColumns, Members
from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.fit import NOT_DISQUALIFIED, FitResult, score_fit
from connector.scoring.model_accounts import AccountsModel


@dataclass(frozen=True)
class Rollup:
    """Per account (aligned with AccountColumns.ids): every value account stages and write-back use."""

    fit: FitResult
    engagement: np.ndarray
    score: np.ndarray
    engaged_contacts: np.ndarray
    #: Per buying-group role and account: whether an engaged contact fills it.
    covered: np.ndarray
    last_engaged: np.ndarray  # epoch seconds, or NEVER
    recency_days: np.ndarray  # NaN when no contact ever engaged

    @property
    def coverage(self) -> np.ndarray:
        return self.covered.sum(axis=0)

    @property
    def disqualified(self) -> np.ndarray:
        return self.fit.disqualified_by != NOT_DISQUALIFIED


def roll_up(accounts: AccountsModel, columns: AccountColumns, members: Members, as_of: int) -> Rollup:
    size = columns.size
    fit = score_fit(accounts.fit, columns.columns, size)
    engagement = aggregate_engagement(accounts, members, size)
    covered = np.zeros((len(accounts.buying_group), size), dtype=bool)
    for index in range(len(accounts.buying_group)):
        filled = members.roles[index] & members.engaged
        covered[index] = np.bincount(members.account[filled], minlength=size) > 0
    last = np.full(size, NEVER, dtype=np.int64)
    np.maximum.at(last, members.account, members.last_engaged)
    recency = np.where(last == NEVER, np.nan, (as_of - last) / SECONDS_PER_DAY)
    weights = accounts.score
    return Rollup(
        fit=fit,
        engagement=engagement,
        score=weights.fit * fit.scores + weights.engagement * engagement,
        engaged_contacts=np.bincount(members.account, weights=members.engaged, minlength=size).astype(np.int64),
        covered=covered,
        last_engaged=last,
        recency_days=recency,
    )


def aggregate_engagement(accounts: AccountsModel, members: Members, size: int) -> np.ndarray:
    """The contacts' engagement made the account's: sum, max, or the mean of the `top` highest (an account with
    fewer contacts than `top` counts the missing ones as 0, so breadth of engagement counts)."""
    points = np.maximum(members.engagement, 0.0)  # a contact's negative engagement never takes from colleagues
    aggregate = accounts.engagement.aggregate
    if aggregate == "sum":
        return np.bincount(members.account, weights=points, minlength=size)
    if aggregate == "max":
        highest = np.zeros(size, dtype=np.float64)
        np.maximum.at(highest, members.account, points)
        return highest
    top = accounts.engagement.top_count
    rank = rank_within_account(members.account, points)
    kept = rank < top
    return np.bincount(members.account[kept], weights=points[kept], minlength=size) / top


def rank_within_account(account: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per member, its place among its account's members by falling value (0: the highest)."""
    order = np.lexsort((-values, account))
    sorted_account = account[order]
    starts = np.searchsorted(sorted_account, sorted_account, side="left")
    rank = np.empty(len(account), dtype=np.int64)
    rank[order] = np.arange(len(account)) - starts
    return rank
