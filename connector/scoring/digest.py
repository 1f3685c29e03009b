"""A 64-bit fingerprint of each contact's score row, computed from the run's arrays without building the row.

A full rescore mostly recomputes what is stored already. Comparing rows needs a Python row per contact on both
sides (the stored one read, the computed one built, its reasons phrased); comparing fingerprints needs one integer
each, computed here in numpy, and stored beside the row (`contact_score.digest`). Only contacts whose fingerprint
differs get a row built, their stored row read and their reasons phrased (results.py).

The fingerprint covers every value of the stored row (connector/store/scores.py ScoreRow) through the numbers it is
made from: scores rounded as stored, the stage and grade, reasons as (label, points, count) of the top
contributors, group scores. Names enter once per run through a salt (model version, stage names, the row's column
names), so a model edit or a new column changes every fingerprint. Values are mixed with splitmix64's finalizer
(Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), so two different rows
share a fingerprint with odds of about 2^-64.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

from connector.score_catalog import CONTACT_SCORES
from connector.scoring.frame import ScoreFrame
from connector.scoring.model import ScoringModel
from connector.scoring.reasons import RankedReasons
from connector.scoring.scores import DECIMALS
from connector.store.scores import ScoreRow

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def text_code(text: str) -> int:
    """A stable 64-bit code for a text (Python's own hash changes from one process to the next)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer over uint64 values: every input bit reaches every output bit."""
    mixed = values.astype(np.uint64, copy=True)
    mixed ^= mixed >> np.uint64(30)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(27)
    mixed *= np.uint64(0x94D049BB133111EB)
    mixed ^= mixed >> np.uint64(31)
    return mixed


class Fingerprint:
    """Per contact, a running 64-bit value that each added column moves."""

    def __init__(self, size: int, salt: str) -> None:
        self.value = np.full(size, text_code(salt), dtype=np.uint64)

    def add(self, values: np.ndarray) -> None:
        """Fold one column in (integers, booleans or floats: floats by their bits, -0.0 as 0.0)."""
        self.value = mix(self.value * _GOLDEN + mix(_bits(values)))

    def add_codes(self, texts: np.ndarray) -> None:
        """Fold in a column of texts, each distinct text coded once."""
        distinct, inverse = np.unique(texts.astype(str), return_inverse=True)
        self.add(np.array([text_code(text) for text in distinct], dtype=np.uint64).view(np.int64)[inverse])

    def add_per_contact(self, contact: np.ndarray, rows: Iterable[np.ndarray]) -> None:
        """Fold in rows that belong to contacts (`contact`, ascending), in their order: a list per contact."""
        rows = list(rows)
        if not len(contact):
            self.add(np.zeros(len(self.value), dtype=np.int64))
            return
        row_value = np.zeros(len(contact), dtype=np.uint64)
        for column in rows:
            row_value = mix(row_value * _GOLDEN + mix(_bits(column)))
        starts = np.flatnonzero(np.r_[True, contact[1:] != contact[:-1]])
        rank = np.arange(len(contact)) - np.repeat(starts, np.diff(np.r_[starts, len(contact)]))
        # Summing is order-blind, so each row's rank is mixed in first: (a, b) and (b, a) differ.
        ranked = mix(row_value + rank.astype(np.uint64) * _GOLDEN)
        per_contact = np.zeros(len(self.value), dtype=np.uint64)
        per_contact[contact[starts]] = np.add.reduceat(ranked, starts)
        self.add(per_contact.view(np.int64))


def _bits(values: np.ndarray) -> np.ndarray:
    """A column's values as uint64: integers and booleans by value, floats by their bits (-0.0 as 0.0)."""
    if values.dtype.kind == "f":
        return (values.astype(np.float64) + 0.0).view(np.uint64)
    return values.astype(np.int64).view(np.uint64)


def score_digests(model: ScoringModel, frame: ScoreFrame, reasons: RankedReasons) -> np.ndarray:
    """Per contact, the fingerprint of the score row the run computed, as the signed 64-bit value stored."""
    size = len(frame.engaged)
    salt = "\n".join([model.version, *model.stage_names, *ScoreRow._fields, *reasons.labels])
    digest = Fingerprint(size, salt)
    for name in CONTACT_SCORES:
        digest.add(np.round(frame.scores[name], DECIMALS))
    if frame.fit.grades is not None:
        digest.add_codes(frame.fit.grades)
    digest.add(frame.stages.stage)
    digest.add(frame.engaged)
    digest.add(frame.reengaged)
    digest.add(whole_seconds(frame.latest_engaged))
    if frame.fall_below_at is not None:
        digest.add(whole_seconds(frame.fall_below_at))
    digest.add_per_contact(reasons.contact, (reasons.label, reasons.points, reasons.count))
    for group in sorted(frame.group_scores):
        group_digest = Fingerprint(size, group)
        for name in sorted(frame.group_scores[group]):
            group_digest.add(np.round(frame.group_scores[group][name], DECIMALS))
        for per_group in (frame.group_engaged, frame.group_stages):
            if group in per_group:
                group_digest.add(per_group[group])
        digest.add(group_digest.value.view(np.int64))
    return digest.value.view(np.int64)


def whole_seconds(epochs: np.ndarray) -> np.ndarray:
    """Epoch seconds as stored: whole seconds rounded up (NEVER stays NEVER)."""
    return np.ceil(epochs).astype(np.int64) if epochs.dtype.kind == "f" else epochs.astype(np.int64)
