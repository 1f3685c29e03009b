"""What the store knows about one account, gathered as the facts its owner's task is written from."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from connector.account_members import Member, account_members, person_name
from connector.account_task_text import (
    PEOPLE_LISTED,
    TOUCHPOINTS_PER_PERSON,
    AccountFacts,
    AccountTaskFacts,
    EngagedPerson,
)
from connector.crm import TaskContext
from connector.score_catalog import ACCOUNT_SCORES
from connector.store.tables import Account, AccountScore
from connector.task_facts import TaskCause, recent_touchpoints, stage_word
from connector.task_text import readable_date


def account_task_facts(
    session: Session, account: Account, cause: TaskCause, due_at: datetime, context: TaskContext
) -> AccountTaskFacts:
    """The account, its stage and scores, and its people: the engaged ones, else the most engaged few."""
    score = session.get(AccountScore, account.id) or AccountScore(account_id=account.id, model_version="")
    members = account_members(session, account.id)
    listed = [member for member in members if member.engaged] or members
    return AccountTaskFacts(
        account=AccountFacts(
            account.name or account.domain or account.crm_id,
            account.domain,
            account.industry,
            account.object_type,
            account.crm_id,
        ),
        stage=stage_word(cause.stage, {}),
        from_stage=stage_word(cause.from_stage, {}) if cause.from_stage else None,
        reason=cause.reason,
        triggered_on=readable_date(cause.moment),
        due=readable_date(due_at),
        scores={name: round(getattr(score, name)) for name in ACCOUNT_SCORES},
        engaged_contacts=score.engaged_contacts,
        grade=score.grade,
        coverage=tuple(str(role) for role in score.coverage),
        reasons=tuple(str(reason) for reason in score.reasons[:3]),
        people=tuple(_person(session, member, context) for member in listed[:PEOPLE_LISTED]),
        link=context.record_link(account.object_type, account.crm_id),
    )


def _person(session: Session, member: Member, context: TaskContext) -> EngagedPerson:
    contact = member.contact
    return EngagedPerson(
        name=person_name(contact),
        title=contact.title,
        engagement=round(member.engagement),
        engaged=member.engaged,
        touchpoints=tuple(recent_touchpoints(session, contact.id, TOUCHPOINTS_PER_PERSON)),
        link=context.record_link(contact.object_type, contact.crm_id),
    )
