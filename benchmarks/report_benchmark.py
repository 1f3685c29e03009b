"""How long `scorebridge report` takes on a large store: the issue's goal is 5 s at 100,000 contacts, 2,000,000
activities and 20,000 outcomes.

    python benchmarks/report_benchmark.py [--contacts 100000] [--activities 2000000] [--outcomes 20000]
                                          [--database URL] [--work DIR]

Generates the data set (benchmarks/dataset.py), imports it with `scorebridge import`, scores it once a month over
the generated year (so the score history and stage transitions span the year, as a store synced for a year holds
them), adds outcomes (likelier for contacts with a higher lead score, won or lost with noise), then times
`build_report` and writing the HTML page, three times each, in this process.
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

from benchmarks.dataset import DATASET_END, DEFAULT_MODEL, write_dataset  # noqa: E402
from benchmarks.scoring_benchmark import import_file  # noqa: E402

SCORINGS = 12
MONTH = timedelta(days=30)
REPEATS = 3
GOAL_SECONDS = 5.0


def score_monthly(engine, model) -> float:
    from connector.scoring import score_store

    started = time.perf_counter()
    for month in range(SCORINGS, -1, -1):
        score_store(engine, model, as_of=DATASET_END - month * MONTH, full=month == SCORINGS)
    return time.perf_counter() - started


def add_outcomes(engine, count: int, seed: int = 11) -> None:
    """`count` outcomes of one contact each, created over the year; a higher lead score makes one likelier."""
    from sqlalchemy import insert, select

    from connector.store.tables import ContactScore, Outcome, OutcomeContact

    rng = np.random.default_rng(seed)
    with engine.begin() as connection:
        rows = connection.execute(select(ContactScore.contact_id, ContactScore.lead)).all()
        ids, leads = map(np.asarray, zip(*rows, strict=True))
        weights = np.log1p(np.maximum(leads, 0)) + 0.2
        chosen = rng.choice(ids, size=min(count, len(ids)), replace=False, p=weights / weights.sum())
        end = int(DATASET_END.timestamp())
        created = end - rng.integers(0, 365 * 86_400, len(chosen))
        closes = created + rng.integers(10, 60, len(chosen)) * 86_400
        closed = closes <= end
        won = closed & (rng.random(len(chosen)) < 0.35)
        connection.execute(
            insert(Outcome),
            [
                {"source": "import", "instance": "default", "object_type": "Opportunity", "crm_id": f"O{index}",
                 "closed": bool(closed[index]), "won": bool(won[index]), "created_at": int(created[index]),
                 "closed_at": int(closes[index]) if closed[index] else None, "amount": 10_000.0}
                for index in range(len(chosen))
            ],
        )  # fmt: skip
        outcome_ids = dict(connection.execute(select(Outcome.crm_id, Outcome.id)).all())
        connection.execute(
            insert(OutcomeContact),
            [{"outcome_id": outcome_ids[f"O{index}"], "contact_id": int(contact), "is_primary": True}
             for index, contact in enumerate(chosen)],
        )  # fmt: skip


def time_report(engine, model, work: Path) -> list[tuple[float, float, float]]:
    from connector.reports.closed_loop import build_report
    from connector.reports.closed_loop_page import write_page

    timings = []
    for _ in range(REPEATS):
        started, cpu = time.perf_counter(), time.process_time()
        report = build_report(engine, model, now=DATASET_END)
        built, built_cpu = time.perf_counter() - started, time.process_time() - cpu
        write_page(report, work / "report.html")
        timings.append((built, built_cpu, time.perf_counter() - started))
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--outcomes", type=int, default=20_000)
    parser.add_argument("--database", help="store URL (default: a SQLite file in the work folder)")
    parser.add_argument("--work", type=Path, help="folder for the data set and the store (default: a temp dir)")
    parser.add_argument("--again", action="store_true", help="only time the report on the store a run left in --work")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scorebridge-report-bench-") as temporary:
        run(options, options.work or Path(temporary))


def build_store(engine, model, url: str, options: argparse.Namespace, work: Path) -> None:
    from connector.store import upgrade_store

    print(f"generating {options.contacts:,} contacts and {options.activities:,} activities in {work} ...")
    files = write_dataset(work, contacts=options.contacts, activities=options.activities)
    upgrade_store(engine)
    import_file(url, "contacts", files.contacts)
    import_file(url, "activities", files.activities)
    print(f"scoring {SCORINGS + 1} times, a month apart: {score_monthly(engine, model):.0f} s")
    add_outcomes(engine, options.outcomes)


def run(options: argparse.Namespace, work: Path) -> None:
    from sqlalchemy import func, select

    from connector.scoring import load_model
    from connector.store import make_engine
    from connector.store.tables import Outcome, ScoreChange, StageTransition

    work.mkdir(parents=True, exist_ok=True)
    url = options.database or f"sqlite:///{work / 'report-benchmark.db'}"
    engine, model = make_engine(url), load_model(DEFAULT_MODEL)
    if not options.again:
        build_store(engine, model, url, options, work)
    with engine.connect() as connection:
        history = connection.execute(select(func.count()).select_from(ScoreChange)).scalar()
        transitions = connection.execute(select(func.count()).select_from(StageTransition)).scalar()
        outcomes = connection.execute(select(func.count()).select_from(Outcome)).scalar()
    print(f"store: {history:,} score history rows, {transitions:,} stage transitions, {outcomes:,} outcomes")
    for built, cpu, with_page in time_report(engine, model, work):
        print(f"build_report {built:.2f} s wall ({cpu:.2f} s CPU); with the HTML page {with_page:.2f} s")
    print(f"goal: report within {GOAL_SECONDS:g} s")


if __name__ == "__main__":
    main()
