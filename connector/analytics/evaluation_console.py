"""Rich tables of a backtest: the live model and a candidate side by side, measure by measure and period by period."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from connector.analytics.backtest import Backtest, ModelBacktest


def print_backtest(console: Console, result: Backtest, title: str = "Backtest") -> None:
    console.print(
        f"{title}: {len(result.moments)} moments from {result.moments[0]} to {result.moments[-1]}, "
        f"won = a won deal closed within {result.horizon_days:g} days after the moment; replayed, nothing stored."
    )
    console.print(summary_table(result))
    console.print(periods_table(result))
    console.print(stages_table(result))


def summary_table(result: Backtest) -> Table:
    live, candidate = result.live, result.candidate
    table = Table("measure", f"live: {live.name}", f"candidate: {candidate.name}", title="Measures over all moments")
    rows = (
        (f"AUC of {live.score} for won", format_decimal(live.auc), format_decimal(candidate.auc)),
        (f"lift of the top decile of {live.score}", format_ratio(live.lift), format_ratio(candidate.lift)),
        (f"new MQLs ({live.mql_stage} or higher)", str(live.mqls), str(candidate.mqls)),
        ("MQL -> won", format_percent(live.conversion), format_percent(candidate.conversion)),
        ("precision at the MQL stage", format_percent(live.precision), format_percent(candidate.precision)),
        ("recall at the MQL stage", format_percent(live.recall), format_percent(candidate.recall)),
        ("model version", live.version[:12], candidate.version[:12]),
    )
    for row in rows:
        table.add_row(*row)
    return table


def periods_table(result: Backtest) -> Table:
    table = Table(
        "period up to", "cohort", "won", "MQLs live", "MQLs candidate", "MQLs won live", "MQLs won candidate",
        "AUC live", "AUC candidate", title="Per period (new MQLs: reached the MQL stage since the previous moment)",
    )  # fmt: skip
    for live, candidate in zip(result.live.periods, result.candidate.periods, strict=True):
        table.add_row(
            live.end[:10], str(live.cohort), str(live.won), str(live.mqls), str(candidate.mqls),
            str(live.mqls_won), str(candidate.mqls_won), format_decimal(live.auc), format_decimal(candidate.auc),
        )  # fmt: skip
    return table


def stages_table(result: Backtest) -> Table:
    live, candidate = result.live, result.candidate
    table = Table("stage", "live", "candidate", title=f"Stage counts at {result.moments[-1][:10]}")
    for name in _stage_names(live, candidate):
        table.add_row(name, str(live.stage_counts.get(name, 0)), str(candidate.stage_counts.get(name, 0)))
    return table


def _stage_names(live: ModelBacktest, candidate: ModelBacktest) -> list[str]:
    return [*live.stage_counts, *(name for name in candidate.stage_counts if name not in live.stage_counts)]


def format_decimal(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
