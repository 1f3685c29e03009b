"""`explain --account`: one account's scores, stage and its history, the contacts it is rolled up from, and which
buying-group roles its engaged contacts cover, read from the store as the last scoring left it (nothing is scored
or stored)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.account_members import Member, account_members, person_name
from connector.errors import InputError
from connector.score_catalog import ACCOUNT_SCORES
from connector.store.tables import Account, AccountScore, AccountTransition


@dataclass(frozen=True)
class TransitionLine:
    at: datetime
    from_stage: str | None
    to_stage: str | None
    reason: str


@dataclass(frozen=True)
class ContributorLine:
    """One contact the account is rolled up from."""

    contact_id: int
    object_type: str
    crm_id: str
    name: str
    title: str | None
    stage: str | None
    engagement: float
    engaged: bool
    primary: bool
    #: How the contact belongs to the account: "account", "converted", "association" (the CRM says so), or
    #: "domain" / "company" (ScoreBridge matched a lead the CRM links to nothing).
    matched_by: str


@dataclass(frozen=True)
class AccountExplanation:
    account_id: int
    object_type: str
    crm_id: str
    instance: str
    name: str | None
    domain: str | None
    owner_id: str | None
    #: fit, engagement, score; empty when the account has not been scored.
    scores: dict[str, float]
    grade: str | None
    stage: str | None
    engaged_contacts: int
    #: The buying-group roles an engaged contact fills, and those the model names that none fills yet.
    covered_roles: tuple[str, ...]
    missing_roles: tuple[str, ...]
    last_engaged_at: datetime | None
    reasons: tuple[str, ...]
    scored_at: datetime | None
    transitions: tuple[TransitionLine, ...]
    contacts: tuple[ContributorLine, ...]


def find_account(session: Session, reference: str) -> Account:
    """An account by store id, then CRM id, then name (any case); live accounts before deleted or merged ones."""
    attempts = [Account.crm_id == reference, func.lower(Account.name) == reference.lower()]
    if reference.isdigit():
        attempts.insert(0, Account.id == int(reference))
    for condition in attempts:
        found = session.execute(select(Account).where(condition).order_by(Account.deleted, Account.id)).scalars().all()
        live = [account for account in found if not account.deleted and account.merged_into_id is None]
        if len({account.crm_id for account in live or found}) > 1:
            ids = ", ".join(sorted({account.crm_id for account in live or found}))
            raise InputError(f"{reference!r} names several accounts ({ids}): give the CRM id")
        if found:
            return (live or found)[0]
    raise InputError(f"no account with store id, CRM id or name {reference!r} in the store")


def account_connection(engine: Engine, reference: str) -> str:
    """The connection (CRM instance) an account was pulled through: its model names the buying-group roles."""
    with Session(engine) as session:
        return find_account(session, reference).instance


def explain_account(engine: Engine, reference: str, roles: Sequence[str] = ()) -> AccountExplanation:
    """The account `reference` names (store id, CRM id or name); `roles`: the buying-group roles of its model."""
    with Session(engine) as session:
        account = find_account(session, reference)
        score = session.get(AccountScore, account.id)
        members = account_members(session, account.id)
        transitions = session.execute(
            select(AccountTransition)
            .where(AccountTransition.account_id == account.id)
            .order_by(AccountTransition.at, AccountTransition.id)
        ).scalars()
        history = tuple(TransitionLine(row.at, row.from_stage, row.to_stage, row.reason) for row in transitions)
        covered = tuple(str(role) for role in score.coverage) if score else ()
        return AccountExplanation(
            account_id=account.id,
            object_type=account.object_type,
            crm_id=account.crm_id,
            instance=account.instance,
            name=account.name,
            domain=account.domain,
            owner_id=account.owner_id,
            scores={name: getattr(score, name) for name in ACCOUNT_SCORES} if score else {},
            grade=score.grade if score else None,
            stage=score.stage if score else None,
            engaged_contacts=score.engaged_contacts if score else 0,
            covered_roles=covered,
            missing_roles=tuple(role for role in roles if role not in covered),
            last_engaged_at=score.last_engaged_at if score else None,
            reasons=tuple(str(reason) for reason in score.reasons) if score else (),
            scored_at=score.scored_at if score else None,
            transitions=history,
            contacts=tuple(_contributor(member) for member in members),
        )


def _contributor(member: Member) -> ContributorLine:
    contact = member.contact
    return ContributorLine(
        contact_id=contact.id,
        object_type=contact.object_type,
        crm_id=contact.crm_id,
        name=person_name(contact),
        title=contact.title,
        stage=member.score.stage if member.score else None,
        engagement=member.engagement,
        engaged=member.engaged,
        primary=member.is_primary,
        matched_by=member.matched_by,
    )


def buying_group_roles(model: object) -> tuple[str, ...]:
    """The roles the model's `accounts.buying_group` names, in its order; none without an `accounts` section."""
    roles = getattr(getattr(model, "accounts", None), "buying_group", None) or ()
    return tuple(str(role.name) for role in roles)
