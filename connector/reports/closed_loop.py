"""`scorebridge report`: the closed loop in one read of the store, as data that the table, JSON and page render.

Everything comes from the store as it stands, read-only: the score history (`score_change`) for any score "at
the time", stage transitions and outcomes for the funnel, the current top reasons, the sync runs. Nothing is
scored: the report can never change what sales see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from connector.analytics.distribution import Distribution, score_distribution
from connector.analytics.funnel import FunnelRow, funnel_by, funnel_row, read_journeys
from connector.analytics.outcome_reasons import ReasonComparison, compare_reasons
from connector.analytics.ranking import Ranking, rank_scores
from connector.analytics.score_history import ScoreHistory
from connector.analytics.segments import AtMql, field_values, fit_grades, score_bands
from connector.analytics.trend import TrendPoint, weekly_index
from connector.errors import InputError
from connector.runs import RunSummary, recent_runs, run_as_dict
from connector.scoring.model import ScoringModel
from connector.store.tables import ContactScore
from connector.store.types import to_epoch

DEFAULT_WON_WITHIN_DAYS = 90
DEFAULT_WEEKS = 26
RUNS_SHOWN = 10
GROUP_FIELDS = ("lead_source", "owner_id")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    #: Model version -> contacts whose stored scores it computed.
    stored_versions: dict[str, int]


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    model: ModelInfo
    scored_contacts: int
    funnel: FunnelRow
    #: Funnel of the MQLs by the decile of their combined score when they became MQL, highest band first.
    by_band: tuple[FunnelRow, ...]
    #: Funnel of the MQLs by their fit grade when they became MQL.
    by_grade: tuple[FunnelRow, ...]
    by_lead_source: tuple[FunnelRow, ...]
    by_owner: tuple[FunnelRow, ...]
    ranking: Ranking
    trend: tuple[TrendPoint, ...]
    distribution: Distribution
    reasons: ReasonComparison
    runs: tuple[RunSummary, ...]


def build_report(
    engine: Engine,
    model: ScoringModel,
    *,
    now: datetime,
    won_within_days: int = DEFAULT_WON_WITHIN_DAYS,
    weeks: int = DEFAULT_WEEKS,
) -> Report:
    """The report as of `now`: only what the store held up to then counts."""
    until = to_epoch(now)
    with engine.connect() as connection:
        journeys = read_journeys(connection, model, until, GROUP_FIELDS)
        history = ScoreHistory.read(connection, model, until, journeys.contact_ids)
        if not len(history.contact_ids):
            raise InputError(
                "the store holds no scores yet, so there is nothing to report: run `scorebridge sync` "
                "(or `scorebridge score`) first"
            )
        reasons = compare_reasons(connection, journeys)
        versions = dict(connection.execute(_stored_versions()).all())
    at_mql = AtMql.find(history, journeys)
    return Report(
        generated_at=now,
        model=ModelInfo(model.name, model.version, versions),
        scored_contacts=len(history.scored_contacts),
        funnel=funnel_row("all", journeys.reached),
        by_band=funnel_by(journeys, score_bands(history, journeys, at_mql)),
        by_grade=funnel_by(journeys, fit_grades(history, journeys, at_mql, model)),
        by_lead_source=funnel_by(journeys, field_values(journeys, "lead_source")),
        by_owner=funnel_by(journeys, field_values(journeys, "owner_id")),
        ranking=rank_scores(history, journeys, until, won_within_days),
        trend=weekly_index(history, model.engagement.engaged_at_least, until, weeks),
        distribution=score_distribution(history, until),
        reasons=reasons,
        runs=tuple(recent_runs(engine, limit=RUNS_SHOWN)),
    )


def _stored_versions():
    return select(ContactScore.model_version, func.count()).group_by(ContactScore.model_version)


def report_as_dict(report: Report) -> dict:
    """The report as `scorebridge report --json` prints it (times in ISO 8601, rates as fractions)."""
    data = asdict(report)
    data["generated_at"] = report.generated_at.isoformat()
    data["ranking"]["scored_by"] = report.ranking.scored_by.isoformat()
    data["trend"] = [
        {"week_ending": point.at.isoformat(), "contacts": point.contacts, "engaged": point.engaged,
         "percent": round(point.percent, 2)}
        for point in report.trend
    ]  # fmt: skip
    data["runs"] = [run_as_dict(run) for run in report.runs]
    for key in ("funnel", "by_band", "by_grade", "by_lead_source", "by_owner"):
        rows = getattr(report, key)
        data[key] = _row_dict(rows) if isinstance(rows, FunnelRow) else [_row_dict(row) for row in rows]
    return data


def _row_dict(row: FunnelRow) -> dict:
    return {"group": row.group, "steps": [asdict(step) for step in row.steps], "mql_to_won": row.mql_to_won}


def headline_figures(report: Report) -> tuple[str, str]:
    """Two figures for a one-line summary: MQL -> won, and the combined score's AUC (else the engagement index)."""
    funnel = report.funnel
    conversion = funnel.mql_to_won
    first = (
        f"MQL -> won {conversion:.1%} ({funnel.mql_won:,} of {funnel.steps[0].reached:,} MQLs)"
        if conversion is not None
        else "MQL -> won: no MQLs yet"
    )
    combined = {each.score: each for each in report.ranking.scores}["combined"]
    if combined.auc is not None:
        return first, f"AUC of the combined score {combined.auc:.2f} (won within {report.ranking.won_within_days} days)"
    latest = report.trend[-1] if report.trend else None
    return first, f"engagement index {latest.percent:.1f}%" if latest else "engagement index: nobody scored"
