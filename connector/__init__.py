"""ScoreBridge core: the normalized store, the scoring engine and the sync; knows no CRM."""

__version__ = "0.1.0"
