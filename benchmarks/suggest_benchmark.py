"""`suggest` speed on the benchmark data set, on SQLite: goal within 60 s.

    python benchmarks/suggest_benchmark.py [--contacts 100000] [--activities 2000000] [--outcomes 20000]
                                           [--work DIR] [--store URL]

The same store as benchmarks/backtest_benchmark.py (generated, imported, outcomes added; or `--store` reused),
then one suggestion over 12 monthly moments: evidence from one replay, the regression, the half-lives tried and
the held-out comparison, as `scorebridge suggest` runs them (the file is not written).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.backtest_benchmark import HORIZON_DAYS, monthly_moments, timed, with_store  # noqa: E402
from benchmarks.dataset import DEFAULT_MODEL  # noqa: E402

GOAL_SECONDS = 60


def main(argv: list[str] | None = None) -> None:
    with_store(__doc__, argv, run)


def run(engine) -> None:
    from connector.analytics.suggest import suggest
    from connector.scoring import load_model

    current, moments = load_model(DEFAULT_MODEL), monthly_moments()
    suggestion, seconds = timed(
        f"suggest, {len(moments)} monthly moments", lambda: suggest(engine, current, moments, HORIZON_DAYS)
    )
    held = suggestion.held_out
    print(f"goal: <= {GOAL_SECONDS} s: {'met' if seconds <= GOAL_SECONDS else 'missed'}")
    print(
        f"training rows {suggestion.training_rows:,}; half-life {suggestion.half_life_days} {suggestion.half_life_auc}"
    )
    print(f"held-out AUC of combined: current {held.live.auc:.3f}, suggested {held.candidate.auc:.3f}")
    for change in sorted(suggestion.behavior, key=lambda each: -abs(each.suggested - each.points))[:6]:
        print(f"  {change.label}: {change.points:g} -> {change.suggested:g} (coefficient {change.coefficient:+.3f})")


if __name__ == "__main__":
    main()
