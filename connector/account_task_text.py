"""The words of an account owner's task: which account, the stage it entered and why, and who engaged and how.

The account owner does not work one lead but a buying group, so the task names each engaged person (title,
engagement score, their latest touchpoints, the link to their record) rather than one contact's points. The text
is ScoreBridge's own (docs/tasks.md shows it); connections cannot replace it yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connector.task_text import TaskText, Touchpoint, shipped_template, shipped_text

#: How many people one task lists, most engaged first, and how many touchpoints each.
PEOPLE_LISTED = 5
TOUCHPOINTS_PER_PERSON = 3


@dataclass(frozen=True)
class AccountFacts:
    name: str
    domain: str | None = None
    industry: str | None = None
    object_type: str = ""
    crm_id: str = ""


@dataclass(frozen=True)
class EngagedPerson:
    """One of the account's people as the task lists them."""

    name: str
    title: str | None
    engagement: int
    engaged: bool
    touchpoints: tuple[Touchpoint, ...] = ()
    link: str | None = None


@dataclass(frozen=True)
class AccountTaskFacts:
    """What an account task's text is made of; `scores` holds the account's whole-number score, fit, engagement."""

    account: AccountFacts
    stage: str
    reason: str
    triggered_on: str
    due: str
    scores: Mapping[str, int]
    engaged_contacts: int
    people: tuple[EngagedPerson, ...]
    from_stage: str | None = None
    grade: str | None = None
    coverage: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    link: str | None = None

    def variables(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


SUBJECT = shipped_template(
    "Account {{ account.name }} is {{ stage }}: {{ engaged_contacts }} engaged "
    "{{ 'person' if engaged_contacts == 1 else 'people' }}, account score {{ scores.score }}"
)
BODY = shipped_template("""\
{{ account.name }}{% if account.domain %} ({{ account.domain }}){% endif %} became {{ stage }}\
{% if from_stage %} (was {{ from_stage }}){% endif %} on {{ triggered_on }}: {{ reason }}.
Account score {{ scores.score }}, engagement {{ scores.engagement }}, fit {{ scores.fit }}\
{% if grade %} (grade {{ grade }}){% endif %}; {{ engaged_contacts }} engaged contact(s).
{% if coverage %}
Buying group covered: {{ coverage | join(", ") }}.
{% endif %}
{% if reasons %}
Why: {{ reasons | join("; ") }}.
{% endif %}

Who is engaging:
{% for person in people %}
- {{ person.name }}{% if person.title %}, {{ person.title }}{% endif %}: engagement {{ person.engagement }}\
{% if not person.engaged %} (not engaged yet){% endif %}{% if person.link %} {{ person.link }}{% endif %}

{% for touchpoint in person.touchpoints %}
  - {{ touchpoint }}
{% endfor %}
{% else %}
- nobody recorded
{% endfor %}

{% if link %}
Open the account: {{ link }}
{% endif %}
Please follow up by {{ due }}.
""")


def account_task_text(facts: AccountTaskFacts) -> TaskText:
    return shipped_text(SUBJECT, BODY, facts.variables())
