"""What became of the sandbox's people: opportunities / deals that depend on behaviour and fit, with noise.

Both stand-ins turn these into their own records (Salesforce Opportunity + OpportunityContactRole, HubSpot deals
with deal -> contact associations). The odds follow a logistic model of buying intent (demos, webinars, forms,
pricing pages; "not interested" and unsubscribes against) and fit (seniority, company size; students never buy),
plus normal noise, so a scoring model that weighs the right things finds signal and one that does not, does not.
Same population and seed, same outcomes; only `random.Random(seed)` is used.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.sandbox import vocabulary as words
from adapters.sandbox.population import Company, Person, Population, Touch

#: Points of buying intent per touch kind; a pricing page view counts as PRICING_PAGE_INTENT.
INTENT = {
    "demo_attended": 3.0, "demo_scheduled": 1.5, "webinar_attended": 1.0, "form_fill": 1.0, "meeting": 1.0,
    "call": 0.5, "email_click": 0.3, "page_view": 0.1, "not_interested": -3.0, "unsubscribe": -2.0,
}  # fmt: skip
PRICING_PAGE_INTENT = 1.0
SENIOR_WORDS = ("Chief", "VP", "Vice President", "Head", "Director")
#: A deal closes this long after it was created (days), and stays open when that is still in the future.
DAYS_TO_CLOSE = (10, 45)
ROLES = ("Decision Maker", "Economic Buyer", "Evaluator", "Influencer", "Technical Buyer")
OPEN_STAGES = ("Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review")
WON_STAGE, LOST_STAGE = "Closed Won", "Closed Lost"


@dataclass(frozen=True, slots=True)
class DealContact:
    person_key: str
    role: str
    primary: bool


@dataclass(frozen=True, slots=True)
class Deal:
    """An opportunity or deal; `stage` is one of OPEN_STAGES, WON_STAGE or LOST_STAGE."""

    key: str
    name: str
    contacts: tuple[DealContact, ...]
    amount: float
    stage: str
    created_at: datetime
    closed_at: datetime | None
    lead_source: str | None

    @property
    def closed(self) -> bool:
        return self.stage in (WON_STAGE, LOST_STAGE)

    @property
    def won(self) -> bool:
        return self.stage == WON_STAGE


def generate_outcomes(population: Population, *, seed: int) -> tuple[Deal, ...]:
    """The deals of a population, at most one per person, linked to colleagues at the same company."""
    rng = random.Random(seed)
    companies = {company.key: company for company in population.companies}
    colleagues: dict[str, list[str]] = {}
    for person in population.people:
        colleagues.setdefault(person.company_key, []).append(person.key)
    deals = []
    for person, touches in _touches_by_person(population):
        company = companies[person.company_key]
        deal = _maybe_deal(rng, population.now, person, company, touches, colleagues[person.company_key], len(deals))
        if deal is not None:
            deals.append(deal)
    return tuple(deals)


def buying_intent(touches: Iterable[Touch]) -> float:
    total = 0.0
    for touch in touches:
        total += INTENT.get(touch.kind, 0.0)
        if touch.kind == "page_view" and "pricing" in touch.detail.get("url", ""):
            total += PRICING_PAGE_INTENT
    return total


def fit(person: Person, company: Company) -> float:
    title = person.title or ""
    if title in words.STUDENT_TITLES or company.industry == words.EDUCATION:
        return -6.0
    seniority = 1.0 if any(word in title for word in SENIOR_WORDS) else 0.0
    size = 0.5 if (company.employees or 0) >= 200 else 0.0
    return seniority + size


def _touches_by_person(population: Population) -> Iterable[tuple[Person, list[Touch]]]:
    grouped: dict[str, list[Touch]] = {}
    for touch in population.touches:
        grouped.setdefault(touch.person_key, []).append(touch)
    return ((person, grouped.get(person.key, [])) for person in population.people)


def _maybe_deal(
    rng: random.Random,
    now: datetime,
    person: Person,
    company: Company,
    touches: list[Touch],
    colleagues: list[str],
    number: int,
) -> Deal | None:
    intent, person_fit = buying_intent(touches), fit(person, company)
    if not touches or rng.random() >= _sigmoid(-4.0 + 0.6 * intent + person_fit + rng.gauss(0.0, 1.0)):
        return None
    created = min(_strongest(touches).at + timedelta(days=rng.randint(1, 14)), now - timedelta(hours=1))
    closes = created + timedelta(days=rng.randint(*DAYS_TO_CLOSE))
    if closes > now:
        stage, closed_at = rng.choice(OPEN_STAGES), None
    else:
        won = rng.random() < _sigmoid(-1.0 + 0.3 * intent + person_fit + rng.gauss(0.0, 1.0))
        stage, closed_at = (WON_STAGE if won else LOST_STAGE), closes
    return Deal(
        key=f"d{number}",
        name=f"{company.name}: {person.product_interest or 'platform'}",
        contacts=_deal_contacts(rng, person, colleagues),
        amount=_amount(rng, company),
        stage=stage,
        created_at=created,
        closed_at=closed_at,
        lead_source=person.lead_source,
    )


def _strongest(touches: list[Touch]) -> Touch:
    """The touch with the most intent, latest on a tie: the deal follows it."""
    return max(touches, key=lambda touch: (INTENT.get(touch.kind, 0.0), touch.at))


def _deal_contacts(rng: random.Random, person: Person, colleagues: list[str]) -> tuple[DealContact, ...]:
    others = [key for key in colleagues if key != person.key]
    extra = rng.sample(others, k=min(len(others), rng.randint(0, 2)))
    primary = DealContact(person.key, rng.choice(ROLES[:2]), True)
    return (primary, *(DealContact(key, rng.choice(ROLES[2:]), False) for key in extra))


def _amount(rng: random.Random, company: Company) -> float:
    scale = math.log10(max(company.employees or 10, 10))
    return round(rng.lognormvariate(math.log(4_000 * scale), 0.5), -2)


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def outcome_counts(deals: Iterable[Deal]) -> Mapping[str, int]:
    """How many deals are open, won and lost: the sandbox's stats and the docs quote these."""
    counts = {"open": 0, "won": 0, "lost": 0}
    for deal in deals:
        counts["won" if deal.won else "lost" if deal.closed else "open"] += 1
    return counts
