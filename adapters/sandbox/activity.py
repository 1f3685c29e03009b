"""How the people of a sandbox population behave over time: profiles, bursts, and what each touch looks like.

A plan is a list of (age in seconds before now, kind, detail). Profiles give the shapes a scoring model must tell
apart: contacts going cold, old customers coming back after months, unsubscribes and bounces, "not interested"
calls, and demos that follow visits to the pricing page.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from types import MappingProxyType
from typing import Any, Protocol

from adapters.sandbox import vocabulary as words

DAY = 86_400
COLD_AFTER = 90 * DAY  # a cold contact has earlier activity and none in the last 90 days
BURST_WIDTH = 3 * DAY

TOUCH_KINDS = (
    "email_open", "email_click", "email_bounce", "unsubscribe", "form_fill", "page_view", "webinar_registered",
    "webinar_attended", "demo_scheduled", "demo_attended", "meeting", "call", "not_interested",
)  # fmt: skip
EMAIL_KINDS = frozenset({"email_open", "email_click", "email_bounce", "unsubscribe"})

# What people do while engaged: (kind, weight).
BROWSING_MIX = (
    ("email_open", 34), ("page_view", 36), ("email_click", 12), ("form_fill", 4), ("webinar_registered", 3),
    ("call", 5), ("meeting", 2),
)  # fmt: skip
READING_MIX = (("email_open", 70), ("email_click", 30))

Step = tuple[int, str, Mapping[str, str]]
Plan = list[Step]


class PersonTraits(Protocol):
    """What the planner reads of a person (a population.Person has it all)."""

    @property
    def email(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def lead_source(self) -> str | None: ...
    @property
    def product_interest(self) -> str | None: ...


class WeightedChoice:
    """A weighted choice among (value, weight) pairs; cheaper than `rng.choices` when drawn a million times."""

    def __init__(self, weighted: Any) -> None:
        weighted = list(weighted)
        self.values = [value for value, _ in weighted]
        self.cum_weights = list(accumulate(weight for _, weight in weighted))
        self._total = self.cum_weights[-1]

    def draw(self, rng: random.Random, count: int) -> list[Any]:
        return rng.choices(self.values, cum_weights=self.cum_weights, k=count)

    def draw_one(self, rng: random.Random) -> Any:
        return self.values[bisect_right(self.cum_weights, rng.random() * self._total)]


def pick(rng: random.Random, values: Sequence[Any]) -> Any:
    """A uniform draw from `values`, like `rng.choice` at half the cost."""
    return values[int(rng.random() * len(values))]


def between(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform integer in [lo, hi]; `rng.randint` costs three times as much and this runs millions of times."""
    return lo + int(rng.random() * (hi - lo + 1))


@dataclass(frozen=True)
class Profile:
    """A behaviour archetype: how often it occurs, which lead statuses go with it, and when such people appear."""

    name: str
    weight: float
    statuses: tuple[tuple[str, float], ...]
    is_customer: bool = False
    opts_out: bool = False
    needs_email: bool = False
    min_days: int = 1  # the window must be this long for the profile's shape to fit
    _status_choice: WeightedChoice = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_status_choice", WeightedChoice(self.statuses))

    def draw_status(self, rng: random.Random) -> str:
        return self._status_choice.draw_one(rng)

    def draw_age(self, rng: random.Random, days: int) -> int:
        """Seconds between the person's creation and now; customers and a third of the rest predate the window."""
        window = days * DAY
        if self.is_customer or rng.random() < 0.3:
            return window + between(rng, DAY, 3 * 365 * DAY)
        floor = COLD_AFTER + 30 * DAY if self.name == "cold" else 0
        return between(rng, min(floor, window), window)


PROFILES = (
    Profile("quiet", 20, (("open", 6), ("nurturing", 3), ("unqualified", 1))),
    Profile("steady", 25, (("working", 3), ("nurturing", 4), ("open", 3))),
    Profile("cold", 18, (("nurturing", 5), ("unqualified", 2), ("open", 3)), min_days=150),
    Profile("hot", 12, (("working", 4), ("qualified", 4), ("open", 2))),
    Profile("returning_customer", 6, (("qualified", 1),), is_customer=True, min_days=180),
    Profile("customer", 5, (("qualified", 1),), is_customer=True),
    Profile("unsubscriber", 6, (("nurturing", 4), ("unqualified", 3), ("open", 3)), opts_out=True, needs_email=True),
    Profile("bouncer", 3, (("unqualified", 6), ("open", 4)), needs_email=True),
    Profile("not_interested", 5, (("unqualified", 8), ("nurturing", 2))),
)

_PROFILE_CHOICE = WeightedChoice((profile, profile.weight) for profile in PROFILES)


def choose_profile(rng: random.Random, *, has_email: bool, days: int) -> Profile:
    """A weighted draw; a profile that cannot fit (no email, short window) becomes "steady"."""
    profile = _PROFILE_CHOICE.draw_one(rng)
    if (profile.needs_email and not has_email) or days < profile.min_days:
        return PROFILES[1]
    return profile


class ActivityPlanner:
    """Plans the touches of one person at a time, with ages in [0, min(window, person's age)]."""

    def __init__(self, rng: random.Random, *, window_seconds: int) -> None:
        self._rng = rng
        self._window = window_seconds
        self._pools = _detail_pools()
        self._browsing = WeightedChoice(BROWSING_MIX)
        self._browsing_no_email = WeightedChoice([(k, w) for k, w in BROWSING_MIX if k not in EMAIL_KINDS])
        self._reading = WeightedChoice(READING_MIX)
        self._by_profile = {
            "quiet": self._plan_quiet,
            "steady": self._plan_steady,
            "customer": self._plan_steady,
            "cold": self._plan_cold,
            "hot": self._plan_hot,
            "returning_customer": self._plan_returning_customer,
            "unsubscriber": self._plan_unsubscriber,
            "bouncer": self._plan_bouncer,
            "not_interested": self._plan_not_interested,
        }

    def plan(self, profile: Profile, created_age: int, person: PersonTraits) -> Plan:
        span = min(self._window, created_age)
        mix = self._browsing if person.email else self._browsing_no_email
        steps = self._by_profile[profile.name](span, mix, person)
        if person.title in words.STUDENT_TITLES and self._rng.random() < 0.5:
            careers = self._pools["careers"][0]
            steps += [(between(self._rng, 0, span), "page_view", careers) for _ in range(between(self._rng, 1, 3))]
        if person.lead_source == "Webinar" and person.email and created_age <= self._window:
            steps += self._webinar(created_age, 0)
        return steps if person.email else [s for s in steps if s[1] not in EMAIL_KINDS]

    def plan_follow_up(self, person: PersonTraits, *, email_allowed: bool) -> Plan:
        """A short burst of new activity over the whole window, sometimes a demo, a refusal or an unsubscribe."""
        rng, window = self._rng, self._window
        mix = self._browsing if email_allowed else self._browsing_no_email
        steps = self._burst(between(rng, 0, window), between(rng, 1, 6), mix, 0, window)
        draw = rng.random()
        if draw < 0.10:
            steps += self._demo_chain(between(rng, 0, window), 0, person.product_interest)
        elif draw < 0.13:
            steps.append((between(rng, 0, window), "not_interested", self._pick("not_interested")))
        elif draw < 0.15 and email_allowed:
            steps.append((between(rng, 0, window), "unsubscribe", self._pick("unsubscribe")))
        return steps

    # Profiles. Ages grow into the past: `lo` is the most recent allowed age, `hi` the oldest.

    def _plan_quiet(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        return self._scatter(between(self._rng, 0, 2), mix, 0, span)

    def _plan_steady(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        return self._scatter(between(self._rng, 3, 14), mix, 0, span)

    def _plan_cold(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        rng, lo = self._rng, COLD_AFTER + DAY
        if span <= lo + DAY:
            return self._plan_steady(span, mix, person)
        steps: Plan = []
        for _ in range(between(rng, 1, 3)):
            steps += self._burst(between(rng, lo, span), between(rng, 3, 12), mix, lo, span)
        return steps

    def _plan_hot(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        rng = self._rng
        steps = self._scatter(between(rng, 0, 5), mix, 0, span)
        steps += self._burst(between(rng, 0, min(span, 21 * DAY)), between(rng, 6, 20), mix, 0, span)
        if rng.random() < 0.5:
            steps += self._demo_chain(between(rng, 0, min(span, 14 * DAY)), 0, person.product_interest)
        return steps

    def _plan_returning_customer(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        # Active early in the window, silent for months, then back: at least 105 days of silence in between.
        rng, early_lo, recent_hi = self._rng, 150 * DAY, 45 * DAY
        steps = self._burst(between(rng, early_lo, span), between(rng, 3, 10), mix, early_lo, span)
        steps += self._burst(between(rng, 0, 30 * DAY), between(rng, 4, 15), mix, 0, recent_hi)
        if rng.random() < 0.4:
            steps += self._demo_chain(between(rng, 0, 30 * DAY), 0, person.product_interest)
        return steps

    def _plan_unsubscriber(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        rng = self._rng
        gone = between(rng, 0, span)
        steps = self._scatter(between(rng, 2, 8), self._reading, gone, span)
        steps.append((gone, "unsubscribe", self._pick("unsubscribe")))
        return steps + self._page_views(between(rng, 0, 3), 0, gone)

    def _plan_bouncer(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        rng = self._rng
        bounced = between(rng, 0, span)
        steps = self._page_views(between(rng, 0, 2), bounced, span)
        steps.append((bounced, "email_bounce", self._pick("email_bounce")))
        return steps + self._page_views(between(rng, 0, 3), 0, bounced)

    def _plan_not_interested(self, span: int, mix: WeightedChoice, person: PersonTraits) -> Plan:
        rng = self._rng
        refused = between(rng, 0, span)
        steps = self._scatter(between(rng, 2, 8), mix, refused, span)
        steps.append((refused, "not_interested", self._pick("not_interested")))
        return steps + self._page_views(between(rng, 0, 1), 0, refused)

    # Building blocks.

    def _pick(self, pool: str) -> Mapping[str, str]:
        return pick(self._rng, self._pools[pool])

    def _scatter(self, count: int, mix: WeightedChoice, lo: int, hi: int) -> Plan:
        rng = self._rng
        return self._expand([between(rng, lo, hi) for _ in range(count)], mix.draw(rng, count), lo)

    def _burst(self, center: int, count: int, mix: WeightedChoice, lo: int, hi: int) -> Plan:
        rng = self._rng
        ages = [min(hi, max(lo, center + int((rng.random() - 0.5) * BURST_WIDTH))) for _ in range(count)]
        return self._expand(ages, mix.draw(rng, count), lo)

    def _page_views(self, count: int, lo: int, hi: int) -> Plan:
        rng, pool = self._rng, self._pools["page_view"]
        return [(between(rng, lo, hi), "page_view", pick(rng, pool)) for _ in range(count)]

    def _expand(self, ages: list[int], kinds: list[str], lo: int) -> Plan:
        steps: Plan = []
        for age, kind in zip(ages, kinds, strict=True):
            if kind == "webinar_registered":
                steps += self._webinar(age, lo)
            else:
                steps.append((age, kind, self._pick(kind)))
        return steps

    def _webinar(self, age: int, lo: int) -> Plan:
        rng = self._rng
        detail = self._pick("webinar_registered")
        steps: Plan = [(age, "webinar_registered", detail)]
        if rng.random() < 0.6:
            steps.append((max(lo, age - between(rng, 1, 10) * DAY), "webinar_attended", detail))
        return steps

    def _demo_chain(self, age: int, lo: int, product: str | None) -> Plan:
        """Pricing page, then a demo request, a booking, and (mostly) the demo itself a few days later."""
        rng, pools = self._rng, self._pools
        product_detail = pools["product:" + (product or rng.choice(words.PRODUCTS))][0]
        steps: Plan = [
            (age, "page_view", pools["pricing"][0]),
            (max(lo, age - 300), "form_fill", pools["demo_request"][0]),
            (max(lo, age - 600), "demo_scheduled", product_detail),
        ]
        attended = age - between(rng, 2, 8) * DAY
        if attended >= lo and rng.random() < 0.75:
            steps.append((attended, "demo_attended", product_detail))
        return steps


def _detail_pools() -> dict[str, tuple[Mapping[str, str], ...]]:
    """Read-only details to share between touches: a million touches need only a few hundred mappings."""

    def frozen(*details: dict[str, str]) -> tuple[Mapping[str, str], ...]:
        return tuple(MappingProxyType(d) for d in details)

    emails = [{"campaign": c, "subject": s} for c, s in words.EMAIL_CAMPAIGNS]
    webinars = [{"campaign": w} for w in words.WEBINARS]
    pages = _page_urls()
    pools = {
        "email_open": frozen(*emails),
        "email_bounce": frozen(*emails),
        "unsubscribe": frozen(*emails),
        "email_click": frozen(*({**e, "url": _landing_page(e["campaign"])} for e in emails)),
        "page_view": frozen(*({"url": url} for url in pages)),
        "form_fill": frozen(*({"form": f, "url": _FORM_URLS[f]} for f in words.FORMS)),
        "webinar_registered": frozen(*webinars),
        "webinar_attended": frozen(*webinars),
        "demo_scheduled": frozen(*({"product": p} for p in words.PRODUCTS)),
        "demo_attended": frozen(*({"product": p} for p in words.PRODUCTS)),
        "meeting": frozen(*({"channel": c, "outcome": "held"} for c in words.MEETING_CHANNELS),
                          {"channel": "video", "outcome": "no show"}),
        "call": frozen(*({"channel": "phone", "outcome": o} for o in words.CALL_OUTCOMES)),
        "not_interested": frozen({"channel": "phone", "outcome": "not interested"}),
        "pricing": frozen({"url": "/pricing"}),
        "careers": frozen({"url": "/careers"}),
        "demo_request": frozen({"form": "Demo Request", "url": _FORM_URLS["Demo Request"]}),
    }  # fmt: skip
    pools.update({f"product:{p}": frozen({"product": p}) for p in words.PRODUCTS})
    return pools


_FORM_URLS = {
    "Contact Us": "/contact",
    "Demo Request": "/demo",
    "Whitepaper Download": "/resources/whitepaper",
    "Newsletter Signup": "/blog",
    "Free Trial": "/trial",
    "Pricing Inquiry": "/pricing",
}


def _page_urls() -> list[str]:
    """Site pages, repeated by how often they are visited: pricing and product pages draw the most interest."""
    products = [f"/product/{slug}" for slug in words.PRODUCT_SLUGS]
    return (
        ["/pricing"] * 8
        + products * 3
        + [f"/blog/{slug}" for slug in words.BLOG_SLUGS]
        + [f"/docs/{path}" for path in words.DOCS_PATHS]
        + list(words.GENERAL_PAGES) * 2
        + ["/careers"] * 2
    )


def _landing_page(campaign: str) -> str:
    if campaign.startswith("Pricing"):
        return "/pricing"
    if campaign.startswith(("Product Launch", "Customer Upsell")):
        return "/product/automation"
    if campaign.startswith("Webinar"):
        return "/webinars"
    return "/blog/lead-scoring-101"
