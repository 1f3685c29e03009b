"""The vocabulary a model may refer to: contact fields by kind, score names, the disqualified stage."""

from __future__ import annotations

from connector.crm import ACCOUNT_FIELDS, CONTACT_FIELDS
from connector.score_catalog import ACCOUNT_SCORES, CONTACT_SCORES, GROUP_SCORES

#: A contact's conditions read its account's values as ``account.<name>`` (``{field: account.stage, in: [hot]}``):
#: the account's own fields and what account scoring keeps. The account is the contact's primary one
#: (connector/scoring/account_values.py); a contact without an account has none of them (missing).
ACCOUNT_PREFIX = "account."
#: Account values that only an `accounts` section of the model computes.
ACCOUNT_SCORE_VALUES = (*ACCOUNT_SCORES, "grade", "stage", "engaged_contacts")
ACCOUNT_VALUE_FIELDS = frozenset(
    ACCOUNT_PREFIX + name for name in (*ACCOUNT_FIELDS, *ACCOUNT_SCORE_VALUES) if name != "owner_id"
)
ACCOUNT_NUMBERS = frozenset({"employees", "annual_revenue", *ACCOUNT_SCORES, "engaged_contacts"})
NUMERIC_FIELDS = frozenset({"employees", "annual_revenue"}) | {ACCOUNT_PREFIX + name for name in ACCOUNT_NUMBERS}
BOOLEAN_FIELDS = frozenset({"is_customer", "email_opt_out", ACCOUNT_PREFIX + "is_customer"})
#: Numbers that cannot be below zero: a negative one is a data error, treated as empty (and counted).
NON_NEGATIVE_FIELDS = frozenset(
    {"employees", "annual_revenue", ACCOUNT_PREFIX + "employees", ACCOUNT_PREFIX + "annual_revenue"}
)
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
    """A contact field, an extra field, or one of its account's values."""
    return (
        name in SCORABLE_FIELDS
        or name in ACCOUNT_VALUE_FIELDS
        or (name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX))
    )


def is_account_value(name: str) -> bool:
    """Whether a contact condition's field reads the contact's account (``account.stage``)."""
    return name.startswith(ACCOUNT_PREFIX)


#: The fields account fit rules and disqualifiers may test: the account's own, and its extra fields.
ACCOUNT_FIT_FIELDS = frozenset(name for name in ACCOUNT_FIELDS if name != "owner_id")
ACCOUNT_NUMERIC_FIELDS = frozenset({"employees", "annual_revenue"})
ACCOUNT_BOOLEAN_FIELDS = frozenset({"is_customer"})


#: The scores each score group (the model's `groups`) has; a group's stages test these.
GROUP_SCORE_NAMES = GROUP_SCORES
