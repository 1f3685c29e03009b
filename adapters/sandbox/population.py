"""A deterministic, realistic neutral "portal": owners, companies, people and a year of their activity.

Both stand-ins turn a `Population` into their own records (Leads/Contacts/Tasks, contacts/engagements). The same
seed gives the same population on every machine: only `random.Random(seed)` is used, never the global generator.
Touch details are shared read-only mappings, which keeps a million touches cheap.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter

from adapters.sandbox import activity
from adapters.sandbox import vocabulary as words

_AGE = itemgetter(0)
STATUSES = ("open", "working", "nurturing", "qualified", "unqualified")
TOUCH_KINDS = activity.TOUCH_KINDS
EMAIL_KINDS = activity.EMAIL_KINDS


@dataclass(frozen=True, slots=True)
class Owner:
    key: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True, slots=True)
class Company:
    key: str
    name: str
    domain: str
    industry: str | None
    employees: int | None
    annual_revenue: float | None
    country: str | None


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    first_name: str
    last_name: str
    email: str | None
    title: str | None
    company_key: str
    owner_key: str
    lead_source: str | None
    product_interest: str | None
    status: str  # one of STATUSES
    is_customer: bool
    converted: bool
    opted_out: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Touch:
    """One marketing or sales interaction; `detail` keys: campaign, subject, url, form, outcome, product, channel."""

    key: str
    person_key: str
    kind: str  # one of TOUCH_KINDS
    at: datetime
    detail: Mapping[str, str] = field(hash=False)  # read-only and shared; mappings are not hashable


@dataclass(frozen=True, slots=True)
class Population:
    """Touches are grouped by person (in `people` order) and in time order within a person."""

    seed: int
    now: datetime
    owners: tuple[Owner, ...]
    companies: tuple[Company, ...]
    people: tuple[Person, ...]
    touches: tuple[Touch, ...]


def generate_population(contacts: int, *, seed: int, now: datetime, days: int = 365) -> Population:
    """Make `contacts` people with about ten touches each on average, all touches within [now - days, now]."""
    _check_now(now)
    if contacts < 0 or days < 1:
        raise ValueError(f"contacts must be >= 0 and days >= 1, got contacts={contacts}, days={days}")
    with _collector_paused():
        return _generate(contacts, random.Random(seed), seed, now, days)


def _generate(contacts: int, rng: random.Random, seed: int, now: datetime, days: int) -> Population:
    owners = _make_owners(rng)
    companies = _make_companies(rng, max(1, contacts // 4))
    planner = activity.ActivityPlanner(rng, window_seconds=days * activity.DAY)
    people_maker = _PeopleMaker(rng, now, days, owners, companies)
    people: list[Person] = []
    touches: list[Touch] = []
    for number in range(contacts):
        person, profile = people_maker.make(number)
        plan = planner.plan(profile, _age_seconds(now, person.created_at), person)
        people.append(person)
        touches.extend(_as_touches(plan, person.key, now, "t", len(touches)))
    return Population(seed, now, tuple(owners), tuple(companies), tuple(people), tuple(touches))


def more_touches(population: Population, *, share: float, seed: int, now: datetime) -> tuple[Touch, ...]:
    """New touches in (population.now, now] for about `share` of the people: "the users keep working".

    People who unsubscribed, bounced or have no email get no email touches. Keys carry the seed and `now`, so
    successive calls never collide with each other or with the population's own keys.
    """
    _check_now(now)
    if now <= population.now:
        raise ValueError(f"now ({now.isoformat()}) must be after the population's now ({population.now.isoformat()})")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be within [0, 1], got {share}")
    rng = random.Random(seed)
    # Ages stop one second short of the gap: a touch at exactly population.now would belong to the first sync.
    planner = activity.ActivityPlanner(rng, window_seconds=max(0, _age_seconds(now, population.now) - 1))
    no_email = _people_without_email(population)
    prefix = f"t{seed}.{now:%Y%m%d%H%M%S}."
    touches: list[Touch] = []
    for person in population.people:
        if rng.random() < share:
            plan = planner.plan_follow_up(person, email_allowed=person.key not in no_email)
            touches.extend(_as_touches(plan, person.key, now, prefix, len(touches)))
    return tuple(touches)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a million new acyclic objects set off full collections that find
    nothing and cost a fifth of the generation time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware (UTC), got {now.isoformat()}")


def _age_seconds(now: datetime, then: datetime) -> int:
    return int((now - then).total_seconds())


def _as_touches(plan: activity.Plan, person_key: str, now: datetime, prefix: str, first: int) -> list[Touch]:
    plan.sort(key=_AGE, reverse=True)  # oldest first; the sort is stable, so ties keep their planned order
    return [
        Touch(f"{prefix}{first + index + 1:07d}", person_key, kind, now - timedelta(seconds=age), detail)
        for index, (age, kind, detail) in enumerate(plan)
    ]


def _people_without_email(population: Population) -> set[str]:
    bounced_or_gone = {t.person_key for t in population.touches if t.kind in ("email_bounce", "unsubscribe")}
    return bounced_or_gone | {p.key for p in population.people if p.email is None or p.opted_out}


def _make_owners(rng: random.Random) -> list[Owner]:
    owners = []
    for number in range(rng.randint(5, 10)):
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        email = f"{_slug(first)}.{_slug(last)}{number + 1}@acme-demo.com"
        owners.append(Owner(f"o{number + 1:03d}", first, last, email))
    return owners


def _make_companies(rng: random.Random, count: int) -> list[Company]:
    industries = activity.WeightedChoice(words.INDUSTRIES)
    countries = activity.WeightedChoice(((country, tld), weight) for country, tld, weight in words.COUNTRIES)
    used_domains: set[str] = set()
    companies = []
    for number in range(count):
        industry = industries.draw_one(rng)
        country, tld = countries.draw_one(rng)
        name = _company_name(rng, industry)
        domain = _unique(used_domains, f"{_slug(name)}.{'edu' if industry == words.EDUCATION else tld}")
        employees, revenue = _company_size(rng, industry)
        companies.append(Company(f"c{number + 1:06d}", name, domain, industry, employees, revenue, country))
    return companies


def _company_name(rng: random.Random, industry: str | None) -> str:
    head = rng.choice(words.COMPANY_HEADS)
    if industry == words.EDUCATION:
        return f"{head} {rng.choice(words.SCHOOL_TAILS)}"
    middle = rng.choice(words.COMPANY_MIDDLES)
    return " ".join(part for part in (head, middle, rng.choice(words.COMPANY_TAILS)) if part)


def _company_size(rng: random.Random, industry: str | None) -> tuple[int | None, float | None]:
    # Sizes are log-uniform (many small firms, a few giants); revenue follows size at $40k-$400k per employee.
    employees = int(10 ** rng.uniform(0.3, 5.0)) if rng.random() > 0.12 else None
    if employees is None or rng.random() < 0.2 or industry in (words.EDUCATION, "Government"):
        return employees, None
    return employees, round(employees * rng.uniform(40_000, 400_000), -3)


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _unique(used: set[str], candidate: str) -> str:
    """`candidate`, or with a number added before the first dot when taken (john.smith2@..., acme2.com)."""
    stem, dot, rest = candidate.partition("." if "@" not in candidate else "@")
    found, number = candidate, 1
    while found in used:
        number += 1
        found = f"{stem}{number}{dot}{rest}"
    used.add(found)
    return found


class _PeopleMaker:
    """Draws people one at a time; remembers emails so that each stays unique (HubSpot requires it)."""

    def __init__(
        self, rng: random.Random, now: datetime, days: int, owners: list[Owner], companies: list[Company]
    ) -> None:
        self._rng, self._now, self._days = rng, now, days
        self._owner_keys = [owner.key for owner in owners]
        self._companies = companies
        self._schools = [c for c in companies if c.industry == words.EDUCATION] or companies
        self._titles = activity.WeightedChoice(words.TITLES)
        self._sources = activity.WeightedChoice(words.LEAD_SOURCES)
        self._emails: set[str] = set()
        self._slugs: dict[str, str] = {}

    def make(self, number: int) -> tuple[Person, activity.Profile]:
        rng = self._rng
        title = self._titles.draw_one(rng)
        company = self._company_for(title)
        first, last = activity.pick(rng, words.FIRST_NAMES), activity.pick(rng, words.LAST_NAMES)
        email = self._email(first, last, company)
        profile = activity.choose_profile(rng, has_email=email is not None, days=self._days)
        person = Person(
            key=f"p{number + 1:07d}",
            first_name=first,
            last_name=last,
            email=email,
            title=title,
            company_key=company.key,
            owner_key=activity.pick(rng, self._owner_keys),
            lead_source=self._sources.draw_one(rng),
            product_interest=rng.choice(words.PRODUCTS) if rng.random() < 0.7 else None,
            status=profile.draw_status(rng),
            is_customer=profile.is_customer,
            converted=profile.is_customer or rng.random() < 0.15,
            opted_out=profile.opts_out or rng.random() < 0.01,
            created_at=self._now - timedelta(seconds=profile.draw_age(rng, self._days)),
        )
        return person, profile

    def _company_for(self, title: str | None) -> Company:
        pool = self._schools if title in words.STUDENT_TITLES else self._companies
        # Squaring the draw skews people towards the first companies: a few big accounts, a long tail of small.
        return pool[int(len(pool) * self._rng.random() ** 2)]

    def _email(self, first: str, last: str, company: Company) -> str | None:
        draw = self._rng.random()
        if draw < 0.05:
            return None
        domain = self._rng.choice(words.FREEMAIL_DOMAINS) if draw < 0.13 else company.domain
        return _unique(self._emails, f"{self._slug(first)}.{self._slug(last)}@{domain}")

    def _slug(self, name: str) -> str:
        if name not in self._slugs:
            self._slugs[name] = _slug(name)
        return self._slugs[name]
