"""The vocabulary a model may refer to: contact fields by kind, score names, the disqualified stage."""

from __future__ import annotations

from connector.crm import CONTACT_FIELDS
from connector.score_catalog import CONTACT_SCORES, GROUP_SCORES

NUMERIC_FIELDS = frozenset({"employees", "annual_revenue"})
BOOLEAN_FIELDS = frozenset({"is_customer", "email_opt_out"})
#: ``email_domain`` is derived from ``email`` (lower case, after the @) so competitor domains are one list.
#: Each derived field and the field it is computed from.
DERIVED_FROM = {"email_domain": "email"}
DERIVED_FIELDS = frozenset(DERIVED_FROM)
SCORABLE_FIELDS = frozenset(CONTACT_FIELDS) | DERIVED_FIELDS
EXTRA_PREFIX = "extra."
#: The scores a model may name (stage conditions, floors): the contact scores of connector/score_catalog.py.
SCORE_NAMES = CONTACT_SCORES
DISQUALIFIED = "disqualified"
GRADE_LETTERS = ("A", "B", "C", "D", "E")


def is_known_field(name: str) -> bool:
    return name in SCORABLE_FIELDS or (name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX))


#: The scores each score group (the model's `groups`) has; a group's stages test these.
GROUP_SCORE_NAMES = GROUP_SCORES
