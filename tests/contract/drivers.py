"""What the contract suite asks of each CRM's stand-in, beyond what the adapter itself does: add, change and
delete people behind the adapter's back, as users of the CRM would, and name an id the CRM never had.

One driver per registered CRM (adapters/registry.py); `test_registry.py` fails when a CRM has none, so a third
CRM cannot skip the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tests.e2e import crm_state

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StandInDriver:
    #: The object type ScoreWrite and TaskRequest name for the people `add_contacts` makes.
    contact_type: str
    add_contacts: Callable[[Any, int], list[str]]
    change: Callable[[Any, str], None]
    delete: Callable[[Any, str], None]
    #: A well-formed id of the contact type that no record has.
    unknown_id: Callable[[Any], str]
    #: Make the stand-in count the daily allocation (so that using it up is possible).
    prepare: Callable[[Any], None]
    #: The shipped mapping with what the suite needs (pages smaller than the people it adds).
    mapping: Callable[[Path], Path]


# -- Salesforce -----------------------------------------------------------------------------------------------


def _sf_add(app: Any, count: int) -> list[str]:
    base = len(app.store.rows("Lead", include_deleted=True))
    return [
        app.insert("Lead", {"LastName": f"Person {base + n}", "Company": "Acme", "Email": f"p{base + n}@acme.io"})
        for n in range(count)
    ]


def _sf_mapping(folder: Path) -> Path:
    document = yaml.safe_load((REPO / "mappings" / "salesforce.yaml").read_text())
    document["pull"]["page_size"] = 200  # the smallest REST batch Salesforce allows
    document["pull"]["bulk_threshold"] = None
    path = folder / "salesforce.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


SALESFORCE = StandInDriver(
    contact_type="Lead",
    add_contacts=_sf_add,
    change=lambda app, crm_id: app.store.update("Lead", crm_id, {"Title": "Changed"}),
    delete=lambda app, crm_id: app.store.delete("Lead", crm_id),
    unknown_id=lambda app: app.store.ids.new_id("00Q"),
    prepare=lambda app: None,
    mapping=_sf_mapping,
)


# -- HubSpot --------------------------------------------------------------------------------------------------


def _hs_add(app: Any, count: int) -> list[str]:
    base = app.portal.objects.count("contacts")
    return [app.insert("contacts", {"email": f"p{base + n}@acme.io", "firstname": "P"}) for n in range(count)]


def _hs_change(app: Any, crm_id: str) -> None:
    record = app.portal.objects.get("contacts", crm_id)
    app.portal.objects.update(record, {"jobtitle": "Changed"}, app.clock())


def _hs_delete(app: Any, crm_id: str) -> None:
    app.portal.objects.archive(app.portal.objects.get("contacts", crm_id), app.clock())


def _hs_count_daily_usage(app: Any) -> None:
    # Limits on with bursts too high to matter: only the daily allocation counts and can run out.
    app.limiter.limits = replace(app.limiter.limits, enabled=True, per_ten_seconds=10**6, searches_per_second=10**6)


def _hs_mapping(folder: Path) -> Path:
    return REPO / "mappings" / "hubspot.yaml"  # list pages hold 100, search pages 200: fixed by HubSpot


HUBSPOT = StandInDriver(
    contact_type="contact",
    add_contacts=_hs_add,
    change=_hs_change,
    delete=_hs_delete,
    unknown_id=lambda app: "987654321987",
    prepare=_hs_count_daily_usage,
    mapping=_hs_mapping,
)

DRIVERS = {"salesforce": SALESFORCE, "hubspot": HUBSPOT}


def written(crm: str, app: Any, crm_id: str) -> dict[str, Any]:
    """The ScoreBridge values the record holds, by logical target."""
    return crm_state.written_scores(crm, app)[crm_id]


def task_keys(crm: str, app: Any) -> dict[str, int]:
    return dict(crm_state.task_keys(crm, app))


class ManualClock:
    """The stand-in's and the adapter's wall clock: it stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.monotonic_now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.monotonic_now += seconds

    def monotonic(self) -> float:
        return self.monotonic_now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(seconds, 0.0))
