"""The one list of what ScoreBridge keeps per contact and what it can write to a CRM record.

Every other place reads these names: the scoring engine and its checks (the contact scores), the store's named
rows, the write-back plan, and, through `connector.crm`, the adapters (which targets exist and whether each holds
a number, text or a date, so `setup` creates the right field and the mapping checks refuse unknown keys).

The five contact scores are what the engine computes for every model. What an admin adds is a score group
(`groups` in the model): its scores live in one JSON document per contact, and its write targets are spelled
``groups.<group>.lead|engagement|stage``, so a new group costs a model change and a mapping entry, no code.
"""

from __future__ import annotations

from enum import StrEnum


class TargetKind(StrEnum):
    """What a write target's CRM field must hold."""

    NUMBER = "number"
    TEXT = "text"
    #: A calendar day, sent as YYYY-MM-DD (Salesforce Date) or midnight UTC (HubSpot date property).
    DATE = "date"

    @property
    def words(self) -> str:
        """As a message says it: "a number", "text", "a date"."""
        return "text" if self is TargetKind.TEXT else f"a {self.value}"


#: The scores of every contact, in the order they are stored and shown.
CONTACT_SCORES = ("fit", "lead", "engagement", "recency", "combined")
#: Everything a CRM record can receive that is not a score group's: the contact scores, the stage and grade, the
#: top reasons, and `stage_until`, the day the contact's stage lapses if nothing else happens (fall-below date).
CONTACT_TARGETS: dict[str, TargetKind] = {
    **dict.fromkeys(CONTACT_SCORES, TargetKind.NUMBER),
    "stage": TargetKind.TEXT,
    "grade": TargetKind.TEXT,
    "reasons": TargetKind.TEXT,
    "stage_until": TargetKind.DATE,
}
#: The scores every account keeps: fit on its own fields, engagement rolled up from its contacts, and `score`, the
#: combination the model's `accounts` section weighs.
ACCOUNT_SCORES = ("fit", "engagement", "score")
#: What an Account / company record can receive: the account scores, its grade and stage, how many of its contacts
#: are engaged, and the top reasons.
ACCOUNT_TARGETS: dict[str, TargetKind] = {
    **dict.fromkeys(ACCOUNT_SCORES, TargetKind.NUMBER),
    "grade": TargetKind.TEXT,
    "stage": TargetKind.TEXT,
    "engaged_contacts": TargetKind.NUMBER,
    "reasons": TargetKind.TEXT,
}
GROUP_PREFIX = "groups."
#: The values each score group keeps and writes: its own lead and engagement scores, and its stage if it has any.
GROUP_SCORES = ("lead", "engagement")
GROUP_VALUES: dict[str, TargetKind] = {**dict.fromkeys(GROUP_SCORES, TargetKind.NUMBER), "stage": TargetKind.TEXT}
#: Values whose emptiness is news: the stage no longer lapses, no stage of the group holds. A CRM that keeps an
#: old value unless told otherwise must be told to clear these (see `clears_when_empty`).
CLEARED_WHEN_EMPTY = frozenset({"stage_until", "stage"})
TARGET_HELP = ", ".join(CONTACT_TARGETS) + f", {GROUP_PREFIX}<group>.{'|'.join(GROUP_VALUES)}"


def group_target(group: str, value: str) -> str:
    """The write target of one value of one score group: ``groups.analytics.lead``."""
    return f"{GROUP_PREFIX}{group}.{value}"


def split_group_target(target: str) -> tuple[str, str] | None:
    """(group, value) of a group target, None for anything else (including a malformed one)."""
    if not target.startswith(GROUP_PREFIX):
        return None
    group, dot, value = target.removeprefix(GROUP_PREFIX).rpartition(".")
    if not dot or not group or "." in group or value not in GROUP_VALUES:
        return None
    return group, value


def target_kind(target: str) -> TargetKind | None:
    """What the target's field must hold; None when no such target exists."""
    if target in CONTACT_TARGETS:
        return CONTACT_TARGETS[target]
    parts = split_group_target(target)
    return None if parts is None else GROUP_VALUES[parts[1]]


def unknown_account_target(target: str) -> str | None:
    """One line saying why `target` is not an account write target, or None when it is one."""
    if target in ACCOUNT_TARGETS:
        return None
    return f"unknown account write-back target {target!r}; targets are {', '.join(ACCOUNT_TARGETS)}"


def unknown_target(target: str) -> str | None:
    """One line saying why `target` is not a write target, or None when it is one."""
    if target_kind(target) is not None:
        return None
    return f"unknown write-back target {target!r}; targets are {TARGET_HELP}"


def clears_when_empty(target: str) -> bool:
    """Whether an empty value of `target` must clear the CRM field rather than leave it: `stage_until` and a
    group's stage (the contact's own stage is never empty)."""
    parts = split_group_target(target)
    return (parts[1] if parts else target) in CLEARED_WHEN_EMPTY
