"""`scorebridge report` on a terminal: the report's sections as rich tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Group, RenderableType
from rich.table import Table

from connector.analytics.funnel import FunnelRow, Step
from connector.reports.closed_loop import Report
from connector.runs import runs_table

#: Groups shown per "by lead source" / "by owner" table on a terminal; --json and --html have them all.
GROUPS_SHOWN = 12
BAR_WIDTH = 30


def report_tables(report: Report) -> Iterator[RenderableType]:
    """The report in reading order: what the console prints one after another."""
    model = report.model
    yield (
        f"[bold]ScoreBridge report[/] as of {report.generated_at:%Y-%m-%d %H:%M} UTC: {report.scored_contacts:,} "
        f"contacts scored; model {model.name!r} version {model.version[:12]}"
    )
    yield funnel_table("Funnel", [report.funnel])
    yield funnel_table("Funnel of the MQLs by combined score when they became MQL (deciles)", report.by_band)
    if report.by_grade:
        yield funnel_table("Funnel of the MQLs by fit grade when they became MQL", report.by_grade)
    yield funnel_table("Funnel by lead source", report.by_lead_source[:GROUPS_SHOWN])
    yield funnel_table("Funnel by owner", report.by_owner[:GROUPS_SHOWN])
    yield ranking_table(report)
    yield trend_table(report)
    yield distribution_table(report)
    yield reasons_table(report)
    yield Group(_heading("Last sync runs"), runs_table(report.runs))


def funnel_table(title: str, rows: Sequence[FunnelRow]) -> Table:
    table = _figures_table("group", ("MQL", "-> SQL", "-> opportunity", "-> won", "MQL -> won"), title=title)
    for row in rows:
        first, *rest = row.steps
        won = "-" if row.mql_to_won is None else f"{row.mql_to_won:.1%}"
        table.add_row(row.group, f"{first.reached:,}", *(step_cell(step) for step in rest), won)
    return table


def step_cell(step: Step) -> str:
    """ "3 (75%, 10 d)": contacts that reached the step, the share of the previous step's, median days."""
    if step.rate is None:
        return f"{step.reached:,}"
    days = "" if step.median_days is None else f", {step.median_days:.0f} d"
    return f"{step.reached:,} ({step.rate:.0%}{days})"


def ranking_table(report: Report) -> Group:
    ranking = report.ranking
    title = (
        f"How well each score foretold a win within {ranking.won_within_days} days "
        f"(scores of {ranking.scored_by:%Y-%m-%d}; {ranking.won:,} won of {ranking.contacts:,})"
    )
    if ranking.note:
        return Group(_heading(title), ranking.note)
    table = _figures_table("score", ("AUC", "lift of the top 10%"))
    for each in ranking.scores:
        table.add_row(each.score, _number(each.auc, ".2f"), _number(each.top_decile_lift, ".1f", "x"))
    return Group(_heading(title), table)


def trend_table(report: Report) -> Table:
    table = _figures_table("week ending", ("contacts", "engaged", "index"), title="Engagement index by week")
    for point in report.trend:
        table.add_row(f"{point.at:%Y-%m-%d}", f"{point.contacts:,}", f"{point.engaged:,}", f"{point.percent:.1f}%")
    return table


def distribution_table(report: Report) -> Table:
    shown = report.distribution
    table = _figures_table(f"{shown.score} score", ("contacts",), title="Score distribution")
    table.add_column("")
    largest = max(shown.counts, default=0) or 1
    for low, high, count in zip(shown.edges, shown.edges[1:], shown.counts, strict=False):
        table.add_row(f"{low:g} to {high:g}", f"{count:,}", "█" * round(BAR_WIDTH * count / largest))
    for stage, count in shown.stages:
        table.add_row(f"stage {stage}", f"{count:,}", "")
    return table


def reasons_table(report: Report) -> Group:
    compared = report.reasons
    title = f"Top reasons among won ({compared.won_contacts:,}) and lost ({compared.lost_contacts:,}) contacts"
    if compared.note:
        return Group(_heading(title), compared.note)
    table = _figures_table("reason", ("won", "lost"))
    for row in compared.reasons:
        table.add_row(row.reason, f"{row.won_share:.0%}", f"{row.lost_share:.0%}")
    return Group(_heading(title), table)


def _figures_table(first: str, figures: Sequence[str], title: str | None = None) -> Table:
    """A table whose first column names the row and whose other columns hold figures, aligned right."""
    table = Table(first, title=title, title_justify="left")
    for column in figures:
        table.add_column(column, justify="right")
    return table


def _heading(title: str) -> str:
    """A title too long for a narrow table's own (rich wraps those to the table's width)."""
    return f"[italic]{title}[/]"


def _number(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"
