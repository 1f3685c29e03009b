"""Backtest speed against one full rescore, measured in the same run, on SQLite.

    python benchmarks/backtest_benchmark.py [--contacts 100000] [--activities 2000000] [--outcomes 20000]
                                            [--work DIR] [--store URL]

Generates and imports the data set of benchmarks/dataset.py (or reuses `--store`, a store it already holds),
adds outcomes that depend on what each contact did before the deal closed (demos, forms, webinars for; "not
interested" and unsubscribes against) with noise, scores the store once (the live scores), then times a full
rescore and a 12-point backtest (monthly over a year) of the default model against a candidate. Goal: the
backtest within 10x the full rescore.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dataset import DATASET_END, DEFAULT_MODEL, YEAR_SECONDS, write_dataset  # noqa: E402
from benchmarks.scoring_benchmark import import_file  # noqa: E402

HORIZON_DAYS = 90
#: Buying intent per activity type: what the generated outcomes depend on.
INTENT = {"demo_attended": 2.0, "demo_scheduled": 1.0, "form_fill": 0.6, "webinar_attended": 0.6, "meeting": 1.0,
          "email_click": 0.1, "not_interested": -3.0, "unsubscribe": -2.0}  # fmt: skip
DAY = 86_400


def prepared_store(options: argparse.Namespace, work: Path):
    """The benchmark store with contacts, activities, outcomes and live scores; its engine."""
    from connector.store import make_engine, upgrade_store

    url = options.store or f"sqlite:///{work / 'backtest.db'}"
    if not options.store:
        print(f"generating and importing {options.contacts:,} contacts, {options.activities:,} activities ...")
        files = write_dataset(work, contacts=options.contacts, activities=options.activities)
        import_file(url, "contacts", files.contacts)
        import_file(url, "activities", files.activities)
    engine = make_engine(url)
    upgrade_store(engine)
    if not _has_outcomes(engine):
        add_outcomes(engine, options.outcomes, seed=11)
    return engine


def _has_outcomes(engine) -> bool:
    from sqlalchemy import func, select

    from connector.store.tables import Outcome

    with engine.connect() as connection:
        return bool(connection.execute(select(func.count()).select_from(Outcome)).scalar())


def add_outcomes(engine, count: int, seed: int) -> None:
    """`count` deals for the most active-looking contacts, won with odds that rise with intent before closing."""
    rng = np.random.default_rng(seed)
    contact, weight, moment = _intent_activities(engine)
    ids = np.unique(contact)
    chosen = rng.choice(ids, size=min(count, len(ids)), replace=False)
    end = int(DATASET_END.timestamp())
    created = end - YEAR_SECONDS + rng.integers(0, YEAR_SECONDS, len(chosen))
    closed = created + rng.integers(10 * DAY, 45 * DAY, len(chosen))
    deal_of = np.full(int(contact.max()) + 1, -1)
    deal_of[chosen] = np.arange(len(chosen))
    deal = deal_of[contact]
    before = (deal >= 0) & (moment <= closed[np.maximum(deal, 0)])
    intent = np.bincount(deal[before], weights=weight[before], minlength=len(chosen))
    odds = 1 / (1 + np.exp(-(intent - 2.5 + rng.normal(0, 1, len(chosen)))))
    won = rng.random(len(chosen)) < odds
    is_closed = closed <= end
    _insert_outcomes(engine, chosen, created, closed, is_closed, won & is_closed)


def _intent_activities(engine):
    from sqlalchemy import select

    from connector.store.tables import Activity, ActivityKind

    with engine.connect() as connection:
        rows = connection.execute(
            select(Activity.contact_id, ActivityKind.type, Activity.occurred_at)
            .join(ActivityKind, ActivityKind.id == Activity.kind_id)
            .where(ActivityKind.type.in_(list(INTENT)))
        ).all()
    contact = np.array([row[0] for row in rows], dtype=np.int64)
    weight = np.array([INTENT[row[1]] for row in rows])
    moment = np.array([int(row[2].timestamp()) for row in rows], dtype=np.int64)
    return contact, weight, moment


def _insert_outcomes(engine, contacts, created, closed, is_closed, won) -> None:
    from connector.store.tables import Outcome, OutcomeContact

    rows = [
        {"source": "import", "instance": "benchmark", "object_type": "Opportunity", "crm_id": f"OPP{index:06d}",
         "stage": ("Closed Won" if won[index] else "Closed Lost") if is_closed[index] else "Prospecting",
         "closed": bool(is_closed[index]), "won": bool(won[index]), "amount": 10_000.0, "currency": "USD",
         "created_at": int(created[index]), "closed_at": int(closed[index]) if is_closed[index] else None,
         "deleted": False}
        for index in range(len(contacts))
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(Outcome.__table__.insert(), rows)
        ids = [row[0] for row in connection.execute(Outcome.__table__.select().order_by(Outcome.id)).all()]
        links = [{"outcome_id": ids[i], "contact_id": int(c), "is_primary": True} for i, c in enumerate(contacts)]
        connection.execute(OutcomeContact.__table__.insert(), links)
    print(f"added {len(contacts):,} outcomes ({int(won.sum()):,} won)")


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.2f} s")
    return result, seconds


def monthly_moments(count: int = 12) -> list[int]:
    """`count` moments a month apart, the last one a horizon before the data set's end (outcomes known)."""
    last = int((DATASET_END - timedelta(days=HORIZON_DAYS)).timestamp())
    return [last - (count - 1 - index) * 30 * DAY for index in range(count)]


def candidate_model():
    """The default model with demos and sales forms weighing double: something to compare."""
    import yaml

    from connector.scoring.model import parse_model

    raw = yaml.safe_load(DEFAULT_MODEL.read_text(encoding="utf-8"))
    for rule in raw["behavior"]["rules"]:
        if rule["type"] in ("demo_attended", "form_fill"):
            rule["points"] *= 2
    raw["name"] = "demos and forms doubled"
    return parse_model(raw)


def full_rescore(engine, model) -> float:
    from connector.scoring import score_store

    score_store(engine, model, as_of=DATASET_END, full=True)  # the live scores, as a sync leaves them
    return timed("full rescore", lambda: score_store(engine, model, as_of=DATASET_END, full=True))[1]


def main(argv: list[str] | None = None) -> None:
    with_store(__doc__, argv, run)


def with_store(doc: str, argv: list[str] | None, measure) -> None:
    """Parse the options both evaluation benchmarks take, prepare the store and run `measure` on its engine."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--outcomes", type=int, default=20_000)
    parser.add_argument("--work", type=Path, help="folder for the data set and the store (default: a temp dir)")
    parser.add_argument("--store", help="reuse this store URL (already imported); outcomes are added if it has none")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scorebridge-evaluation-") as temporary:
        work = options.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        measure(prepared_store(options, work))


def run(engine) -> None:
    from connector.analytics.backtest import backtest
    from connector.scoring import load_model

    live = load_model(DEFAULT_MODEL)
    rescore = full_rescore(engine, live)
    moments = monthly_moments()
    result, seconds = timed(
        f"backtest, {len(moments)} monthly moments, 2 models",
        lambda: backtest(engine, live, candidate_model(), moments, HORIZON_DAYS),
    )
    print(f"{'backtest / full rescore':<44} {seconds / rescore:7.1f} x   (goal: <= 10 x)")
    print(f"AUC of combined: live {result.live.auc:.3f}, candidate {result.candidate.auc:.3f}; "
          f"top-decile lift {result.live.lift:.2f}x, {result.candidate.lift:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
