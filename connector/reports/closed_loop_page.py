"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched from anywhere.

The page's Content-Security-Policy forbids every load, so a browser opening it (or the mail client it is sent
in) cannot reach the network on its behalf.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from pathlib import Path

from sqlalchemy.engine import Engine

from connector.analytics.funnel import FunnelRow
from connector.private_files import open_private
from connector.reports.closed_loop import Report, build_report, headline_figures
from connector.reports.closed_loop_console import step_cell
from connector.reports.svg_charts import Series, horizontal_bars, line_chart, vertical_bars

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = """
body{font-family:system-ui,sans-serif;color:#0f172a;max-width:1040px;margin:2rem auto;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2.2rem;border-bottom:1px solid #e2e8f0}
.meta{color:#475569} .headline{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.headline div{background:#eff6ff;border-radius:8px;padding:.7rem 1rem;font-weight:600}
figure.chart{margin:0} figure.chart svg{width:100%;height:auto;max-width:760px}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e2e8f0}
th{text-align:left;background:#f8fafc} td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{background:#fef9c3;padding:.6rem .8rem;border-radius:6px} .explain{color:#475569;font-size:.9rem}
"""


def render_page(report: Report) -> str:
    sections = [
        _header(report),
        _funnel_section(report),
        _band_section(report),
        _ranking_section(report),
        _trend_section(report),
        _distribution_section(report),
        _reasons_section(report),
        _groups_section(report),
        _runs_section(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>ScoreBridge report {report.generated_at:%Y-%m-%d}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )


def page_from_store(engine: Engine, model_path: Path, now: datetime) -> str:
    """The page with the default options, as `scorebridge serve` answers /report."""
    from connector.scoring import load_model

    return render_page(build_report(engine, load_model(model_path), now=now))


def write_page(report: Report, path: Path) -> None:
    """Write the page readable by its owner only: it names contacts' owners and lead sources."""
    with open_private(path, "w", encoding="utf-8") as file:
        file.write(render_page(report))


def _header(report: Report) -> str:
    model = report.model
    figures = "".join(f"<div>{escape(figure)}</div>" for figure in headline_figures(report))
    return (
        f"<h1>ScoreBridge report</h1><p class='meta'>As of {report.generated_at:%Y-%m-%d %H:%M} UTC · "
        f"{report.scored_contacts:,} contacts scored · model {escape(model.name)} "
        f"<code>{escape(model.version[:12])}</code></p><div class='headline'>{figures}</div>"
    )


def _chart(name: str, svg: str) -> str:
    return f'<figure class="chart" data-chart="{name}">{svg}</figure>'


def _section(title: str, explain: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2><p class='explain'>{escape(explain)}</p>{''.join(parts)}</section>"


def _note(text: str) -> str:
    return f"<p class='note'>{escape(text)}</p>"


def _funnel_section(report: Report) -> str:
    steps = report.funnel.steps
    svg = horizontal_bars(
        "Contacts reaching each step",
        [step.name.upper() if step.name in ("mql", "sql") else step.name for step in steps],
        [Series("contacts", [step.reached for step in steps])],
        lambda value: f"{value:,.0f}",
    )
    return _section(
        "Funnel",
        "Contacts that reached each step; in the table, the share of the previous step's contacts that went on "
        "and the median days it took.",
        _chart("funnel", svg),
        _funnel_table([report.funnel]),
    )


def _band_section(report: Report) -> str:
    rows = report.by_band
    svg = horizontal_bars(
        "MQL to won by combined score band",
        [row.group for row in rows],
        [Series("MQL -> won", [row.mql_to_won for row in rows])],
        lambda value: f"{value:.1%}",
        top=max([row.mql_to_won or 0 for row in rows], default=0) or 1,
    )
    return _section(
        "Funnel by score band",
        "MQLs grouped by the decile of their combined score at the moment they became MQL (from the score "
        "history), highest first: a good score wins more often in the higher bands.",
        _chart("band", svg) if rows else _note("no contact has reached MQL yet"),
        _funnel_table(rows),
    )


def _ranking_section(report: Report) -> str:
    ranking = report.ranking
    explain = (
        f"AUC: the chance that a contact who won within {ranking.won_within_days} days outranked one who did not, "
        f"by the scores in force on {ranking.scored_by:%Y-%m-%d} (0.5 is a coin toss, the dashed line). Lift: the won "
        f"rate of the top 10% over the overall won rate. {ranking.won:,} won of {ranking.contacts:,} measured."
    )
    if ranking.note:
        return _section("How well the scores foretell a win", explain, _note(ranking.note))
    svg = horizontal_bars(
        "AUC of each score",
        [each.score for each in ranking.scores],
        [Series("AUC", [each.auc for each in ranking.scores])],
        lambda value: f"{value:.2f}",
        top=1.0,
        reference=0.5,
    )
    lifts = [(each.score, "-" if each.top_decile_lift is None else f"{each.top_decile_lift:.1f}x")
             for each in ranking.scores]  # fmt: skip
    return _section("How well the scores foretell a win", explain, _chart("ranking", svg),
                    _table(("score", "lift of the top 10%"), lifts))  # fmt: skip


def _trend_section(report: Report) -> str:
    points = report.trend
    svg = line_chart(
        "Engagement index by week",
        [f"{point.at:%m-%d}" for point in points],
        [point.percent for point in points],
        lambda value: f"{value:.0f}%",
    )
    return _section(
        "Engagement index by week",
        "The share of scored contacts that were engaged at the end of each week, from the score history.",
        _chart("trend", svg) if points else _note("nobody was scored in these weeks"),
    )


def _distribution_section(report: Report) -> str:
    shown = report.distribution
    labels = [f"{low:g}–{high:g}" for low, high in zip(shown.edges, shown.edges[1:], strict=False)]
    svg = vertical_bars(f"Distribution of the {shown.score} score", labels, shown.counts, lambda v: f"{v:,.0f}")
    stages = _table(("stage", "contacts"), [(stage, f"{count:,}") for stage, count in shown.stages])
    return _section(
        "Score distribution",
        f"Contacts by {shown.score} score and by stage at the report's moment.",
        _chart("distribution", svg),
        stages,
    )


def _reasons_section(report: Report) -> str:
    compared = report.reasons
    explain = (
        f"Share of won ({compared.won_contacts:,}) and lost ({compared.lost_contacts:,}) contacts whose current top "
        "reasons include each one."
    )
    if compared.note:
        return _section("Top reasons, won versus lost", explain, _note(compared.note))
    rows = compared.reasons
    svg = horizontal_bars(
        "Reasons among won and lost contacts",
        [row.reason for row in rows],
        [Series("won", [row.won_share for row in rows]), Series("lost", [row.lost_share for row in rows])],
        lambda value: f"{value:.0%}",
        top=1.0,
    )
    return _section("Top reasons, won versus lost", explain, _chart("reasons", svg))


def _groups_section(report: Report) -> str:
    parts = []
    for title, rows in (("By grade", report.by_grade), ("By lead source", report.by_lead_source),
                        ("By owner", report.by_owner)):  # fmt: skip
        if rows:
            parts.append(f"<h3>{title}</h3>{_funnel_table(rows)}")
    return _section("Funnel by grade, lead source and owner", "The same funnel for each group.", *parts)


def _runs_section(report: Report) -> str:
    rows = [
        (run.connection, f"{run.started_at:%Y-%m-%d %H:%M}", run.status,
         "-" if run.duration_seconds is None else f"{run.duration_seconds:.0f} s")
        for run in report.runs
    ]  # fmt: skip
    versions = [(version[:12], f"{count:,}") for version, count in report.model.stored_versions.items()]
    return _section(
        "Model and last runs",
        f"This report read the model {report.model.name} ({report.model.version[:12]}); the stored scores were "
        "computed by these model versions.",
        _table(("model version", "contacts"), versions),
        _table(("connection", "started (UTC)", "status", "took"), rows) if rows else _note("no sync runs yet"),
    )


def _funnel_table(rows: Sequence[FunnelRow]) -> str:
    body = []
    for row in rows:
        first, *rest = row.steps
        won = "-" if row.mql_to_won is None else f"{row.mql_to_won:.1%}"
        body.append((row.group, f"{first.reached:,}", *(step_cell(step) for step in rest), won))
    return _table(("group", "MQL", "→ SQL", "→ opportunity", "→ won", "MQL → won"), body)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if index else ''}>{escape(str(cell))}</td>" for index, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
