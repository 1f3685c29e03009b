"""Scoring: the model file, fit and behavioral points, windows and decay, stages, explanations, what-ifs."""

from connector.scoring.model import ScoringModel, load_model
from connector.scoring.run import ScoreRunSummary, StageChange, score_store
from connector.scoring.scope import ContactScope

__all__ = ["ContactScope", "ScoreRunSummary", "ScoringModel", "StageChange", "load_model", "score_store"]
