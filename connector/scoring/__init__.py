"""Scoring: the model file, fit and behavioral points, windows and decay, stages, explanations, the index."""

from connector.scoring.model import ScoringModel, load_model
from connector.scoring.run import ScoreRunSummary, StageChange, score_store

__all__ = ["ScoreRunSummary", "ScoringModel", "StageChange", "load_model", "score_store"]
