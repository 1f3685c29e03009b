"""What the store knows about one contact, gathered as the facts a task's templates are filled with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from connector.account_members import person_name
from connector.crm import TaskContext
from connector.store.tables import Activity, ActivityKind, Contact, ContactScore
from connector.task_text import Person, Scores, TaskFacts, TaskText, TaskWriter, readable_date
from connector.touchpoints import touchpoint

TOUCHPOINTS_LISTED = 10

#: The stage words of the usual funnel, for stages the CRM's mapping gives no word for.
STAGE_WORDS: Mapping[str, str] = {
    "subscriber": "Subscriber",
    "prospect": "Prospect",
    "lead": "Lead",
    "mql": "Marketing Qualified Lead",
    "sal": "Sales Accepted Lead",
    "sql": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "disqualified": "Disqualified",
}


def stage_word(name: str, crm_words: Mapping[str, str]) -> str:
    """A stage as sales see it: the CRM's word, the usual funnel name, else the model's name made readable."""
    return crm_words.get(name) or STAGE_WORDS.get(name) or name.replace("_", " ").title()


@dataclass(frozen=True)
class TaskCause:
    """Why a task is written: its kind, the stage reached (and the one before), the reason and when it happened."""

    kind: str
    stage: str
    reason: str
    moment: datetime
    from_stage: str | None = None


@dataclass
class TaskAuthor:
    """Writes the text of every task of one run: the connection's templates, with the CRM's context (record link,
    stage words) asked for once, when the first task is written, so a run that writes none costs the CRM nothing."""

    writer: TaskWriter = field(default_factory=TaskWriter)
    ask_context: Callable[[], TaskContext] = TaskContext
    #: One line per task whose own template failed and got the default text: `Lead:00Q1: tasks.templates...: ...`.
    fallbacks: list[str] = field(default_factory=list)
    _context: TaskContext | None = None

    def context(self) -> TaskContext:
        """The CRM's record link and stage words, asked the first time a task of the run needs them."""
        if self._context is None:
            self._context = self.ask_context()
        return self._context

    def text(self, session: Session, contact: Contact, cause: TaskCause, due_at: datetime) -> TaskText:
        text = self.writer.write(task_facts(session, contact, cause, due_at, self.context()))
        if text.fallback:
            self.fallbacks.append(f"{contact.object_type}:{contact.crm_id}: {text.fallback}")
        return text


def task_facts(
    session: Session, contact: Contact, cause: TaskCause, due_at: datetime, context: TaskContext
) -> TaskFacts:
    score = session.get(ContactScore, contact.id)
    words = context.stage_labels
    return TaskFacts(
        kind=cause.kind,
        contact=person(contact),
        stage=stage_word(cause.stage, words),
        stage_name=cause.stage,
        from_stage=stage_word(cause.from_stage, words) if cause.from_stage else None,
        from_stage_name=cause.from_stage,
        reason=cause.reason,
        triggered_on=readable_date(cause.moment),
        due=readable_date(due_at),
        scores=_scores(score),
        grade=score.grade if score else None,
        reasons=tuple(str(reason) for reason in (score.reasons if score else ())[:3]),
        touchpoints=tuple(recent_touchpoints(session, contact.id)),
        link=context.record_link(contact.object_type, contact.crm_id),
    )


def person(contact: Contact) -> Person:
    return Person(
        name=person_name(contact),
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        title=contact.title,
        company=contact.company,
        object_type=contact.object_type,
        crm_id=contact.crm_id,
    )


def _scores(score: ContactScore | None) -> Scores:
    if score is None:
        return Scores()
    return Scores(*(round(value) for value in (score.lead, score.engagement, score.fit, score.combined, score.recency)))


def recent_touchpoints(session: Session, contact_id: int, limit: int = TOUCHPOINTS_LISTED) -> list:
    rows = session.execute(
        select(Activity.occurred_at, ActivityKind.type, ActivityKind.attributes)
        .join(ActivityKind, ActivityKind.id == Activity.kind_id)
        .where(Activity.contact_id == contact_id)
        .order_by(Activity.occurred_at.desc())
        .limit(limit)
    ).all()
    return [touchpoint(occurred_at, kind, attributes or {}) for occurred_at, kind, attributes in rows]
