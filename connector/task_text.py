"""The words of a sales task: Jinja2 templates for its subject and body, checked when the connector file loads.

Templates are set per connection (`tasks.templates` in connector.yaml, beside when tasks are created and for whom)
and run in Jinja2's sandbox with every variable required (StrictUndefined), so a typo is a config error naming the
file and key, not a blank in front of sales. A template that still fails for one contact (a filter fed a value it
cannot take) never stops a sync: that task gets the default text and the run counts it. docs/tasks.md lists the
variables and shows the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, field_validator

#: What causes a task: a stage transition, or a customer engaging again after a quiet period.
KINDS = ("stage", "reengaged")
PARTS = ("subject", "body")
SUBJECT_LIMIT = 255  # Salesforce Task.Subject; HubSpot's hs_task_subject takes more

#: Every variable a template may use, and what it holds (docs/tasks.md says the same, with examples).
VARIABLES: Mapping[str, str] = {
    "kind": '"stage" or "reengaged"',
    "contact": "name, first_name, last_name, email, title, company, object_type, crm_id",
    "stage": "the stage reached, in the CRM's words (HubSpot's lifecycle stage label, Salesforce's Lead Status)",
    "stage_name": "the stage reached, as the scoring model names it (mql, sql, customer)",
    "from_stage": "the stage before, in the CRM's words; none for a contact new to ScoreBridge",
    "from_stage_name": "the stage before, as the model names it; none for a new contact",
    "reason": "why: the rule, threshold or activity that did it",
    "scores": "lead, engagement, fit, combined, recency (whole numbers; none before the first scoring)",
    "grade": "the fit grade (A-D), or none",
    "reasons": "the top reasons, a list of text",
    "touchpoints": "the latest touchpoints, newest first; each has date, text, and prints as `date: text`",
    "link": "the record's page in the CRM, or none",
    "due": "the due date, e.g. Thu 3 Dec 2026",
    "triggered_on": "when it happened: the activity that put the contact in the stage or brought it back",
}

#: How both default bodies end: the reasons, the touchpoints, the link and the due date.
_BODY_ENDING = """\
{% if reasons %}
Why: {{ reasons | join("; ") }}.
{% endif %}

Recent touchpoints:
{% for touchpoint in touchpoints %}
- {{ touchpoint }}
{% else %}
- none recorded
{% endfor %}

{% if link %}
Open the record: {{ link }}
{% endif %}
Please follow up by {{ due }}.
"""

#: The default text, the same in both CRMs (HubSpot shows the body as rich text, one line per line).
DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "stage": {
        "subject": "Follow up with {{ contact.name }}{% if contact.company %} ({{ contact.company }}){% endif %}: "
        "{{ stage }}{% if scores.lead is not none %}, lead score {{ scores.lead }}{% endif %}",
        "body": """\
{{ contact.name }}{% if contact.title %}, {{ contact.title }}{% endif %}\
{% if contact.company %} at {{ contact.company }}{% endif %} became {{ stage }}\
{% if from_stage %} (was {{ from_stage }}){% endif %} on {{ triggered_on }}: {{ reason }}.
{% if scores.lead is not none %}
Lead score {{ scores.lead }}, engagement {{ scores.engagement }}, fit {{ scores.fit }}\
{% if grade %} (grade {{ grade }}){% endif %}.
{% endif %}
"""
        + _BODY_ENDING,
    },
    "reengaged": {
        "subject": "Customer {{ contact.name }}{% if contact.company %} ({{ contact.company }}){% endif %} "
        "is engaging again{% if scores.engagement is not none %}: engagement score {{ scores.engagement }}{% endif %}",
        "body": """\
{{ contact.name }}{% if contact.title %}, {{ contact.title }}{% endif %}\
{% if contact.company %} at {{ contact.company }}{% endif %} is a customer who went quiet \
and came back on {{ triggered_on }}: {{ reason }}.
A returning customer is often looking to buy again: a call now is well timed.
"""
        + _BODY_ENDING,
    },
}


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


_ENVIRONMENT = _environment()  # stateless apart from its template cache; one for the process is enough


def template_problem(source: str) -> str | None:
    """Why a template cannot be used (syntax, an unknown variable or attribute), or None when it renders."""
    try:
        used = meta.find_undeclared_variables(_ENVIRONMENT.parse(source))  # compiles it: unknown filters show here
    except TemplateSyntaxError as error:
        return f"line {error.lineno}: {error.message}"
    unknown = sorted(used - set(VARIABLES))
    if unknown:
        return f"unknown variable {', '.join(unknown)} (known: {', '.join(VARIABLES)}; see docs/tasks.md)"
    try:  # attributes (contact.nmae) and filters show only when rendered: render an example contact
        _ENVIRONMENT.from_string(source).render(EXAMPLE.variables())
    except Exception as error:  # whatever the admin's template raises, in one line
        return f"{failure_text(error)} (rendering the example in docs/tasks.md)"
    return None


def failure_text(error: Exception) -> str:
    """`'Person object' has no attribute 'nmae'`: Jinja2's words, without this module's name."""
    text = str(error).replace(f"{__name__}.", "")
    return text if isinstance(error, UndefinedError) else f"{type(error).__name__}: {text}"


class TaskTemplate(BaseModel):
    """A subject and body template for one kind of task; one left out keeps the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str | None = None
    body: str | None = None

    @field_validator("subject", "body")
    @classmethod
    def _renders(cls, source: str | None) -> str | None:
        problem = template_problem(source) if source is not None else None
        if problem:
            raise ValueError(problem)
        return source


class TaskTemplates(BaseModel):
    """`tasks.templates` of a connection or a model: the text of stage tasks and of returning-customer tasks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: TaskTemplate = TaskTemplate()
    reengaged: TaskTemplate = TaskTemplate()

    def source(self, kind: str, part: str) -> str | None:
        return getattr(getattr(self, kind), part)

    def over(self, base: TaskTemplates) -> TaskTemplates:
        """These templates, with `base`'s wherever these leave a kind's subject or body out."""
        return TaskTemplates(
            **{
                kind: TaskTemplate(
                    **{part: self.source(kind, part) or base.source(kind, part) for part in TaskTemplate.model_fields}
                )
                for kind in TaskTemplates.model_fields
            }
        )


@dataclass(frozen=True)
class Person:
    name: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    title: str | None = None
    company: str | None = None
    object_type: str = ""
    crm_id: str = ""


@dataclass(frozen=True)
class Scores:
    lead: int | None = None
    engagement: int | None = None
    fit: int | None = None
    combined: int | None = None
    recency: int | None = None


@dataclass(frozen=True)
class Touchpoint:
    date: str
    text: str

    def __str__(self) -> str:
        return f"{self.date}: {self.text}"


@dataclass(frozen=True)
class TaskFacts:
    """What a task's templates are filled with: one variable per field (VARIABLES says what each holds)."""

    kind: str
    contact: Person
    stage: str
    stage_name: str
    reason: str
    triggered_on: str
    due: str
    from_stage: str | None = None
    from_stage_name: str | None = None
    scores: Scores = Scores()
    grade: str | None = None
    reasons: tuple[str, ...] = ()
    touchpoints: tuple[Touchpoint, ...] = ()
    link: str | None = None

    def variables(self) -> dict[str, object]:
        shallow = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return shallow | {"reasons": list(self.reasons), "touchpoints": list(self.touchpoints)}


@dataclass(frozen=True)
class TaskText:
    subject: str
    body: str
    #: Why the connection's own template failed for this contact (`tasks.templates.<kind>.<part>: ...`), when the
    #: default text stood in for it.
    fallback: str | None = None


@dataclass
class TaskWriter:
    """Renders a connection's templates, or the defaults, into a task's subject and body."""

    templates: TaskTemplates = field(default_factory=TaskTemplates)
    _compiled: dict[str, Template] = field(default_factory=dict, repr=False)

    def write(self, facts: TaskFacts) -> TaskText:
        variables = facts.variables()
        subject, subject_failure = self._render(facts.kind, "subject", variables)
        body, body_failure = self._render(facts.kind, "body", variables)
        return TaskText(_one_line(subject)[:SUBJECT_LIMIT], _tidy(body), subject_failure or body_failure)

    def _render(self, kind: str, part: str, variables: dict[str, object]) -> tuple[str, str | None]:
        own = self.templates.source(kind, part)
        if own is None:
            return self._template(DEFAULTS[kind][part]).render(variables), None
        try:
            return self._template(own).render(variables), None
        except Exception as error:  # an admin's template may raise anything: the default stands in
            failure = f"tasks.templates.{kind}.{part}: {failure_text(error)}"
            return self._template(DEFAULTS[kind][part]).render(variables), failure

    def _template(self, source: str) -> Template:
        if source not in self._compiled:
            self._compiled[source] = _ENVIRONMENT.from_string(source)
        return self._compiled[source]


def shipped_text(subject: Template, body: Template, variables: Mapping[str, object]) -> TaskText:
    """A task's words from templates that ship with ScoreBridge (compiled with `shipped_template`): the subject on
    one line, cut to what Salesforce takes, the body tidied as every task's is."""
    return TaskText(_one_line(subject.render(variables))[:SUBJECT_LIMIT], _tidy(body.render(variables)))


def shipped_template(source: str) -> Template:
    """A template compiled once, in the sandbox every task template runs in (StrictUndefined: a typo fails tests)."""
    return _ENVIRONMENT.from_string(source)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy(text: str) -> str:
    """Trailing blanks off every line, at most one empty line in a row, none at the ends."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def readable_date(moment: datetime) -> str:
    """`Thu 3 Dec 2026`, in UTC: the same in both CRMs and in every rep's locale."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def readable_moment(moment: datetime) -> str:
    """`3 Dec 2026, 14:05 UTC`."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


#: The contact every template is test-rendered with when the connector file loads (docs/tasks.md shows it).
EXAMPLE = TaskFacts(
    kind="stage",
    contact=Person("Sarah Lee", "Sarah", "Lee", "sarah.lee@acme.example", "VP Operations", "Acme Corp", "Lead", "00Q1"),
    stage="Sales Qualified Lead",
    stage_name="sql",
    from_stage="Marketing Qualified Lead",
    from_stage_name="mql",
    reason="attended demo on 2026-12-02",
    triggered_on="Wed 2 Dec 2026",
    due="Thu 3 Dec 2026",
    scores=Scores(lead=85, engagement=42, fit=35, combined=61, recency=90),
    grade="B",
    reasons=("Demo attended (+30)", "Pricing page (+15, 3x)", "VP title (+20)"),
    touchpoints=(
        Touchpoint("2 Dec 2026, 15:00 UTC", "Attended a demo"),
        Touchpoint("1 Dec 2026, 09:12 UTC", "Viewed /pricing"),
    ),
    link="https://acme.my.salesforce.com/lightning/r/Lead/00Q1/view",
)
