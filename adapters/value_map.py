"""A value map: how a CRM's own values (picklist options, HubSpot's internal names) become ScoreBridge's words.

Both mapping files use it in their long form (`{field|property: ..., values: {...}, default, unlisted, case}`), so
that one vocabulary (say, lead sources) can be shared by every CRM an engagement index groups together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

Scalar = str | bool | int | float


class UnlistedValue(ValueError):
    """A value the map does not list and may not pass through; the message is the warning shown to the admin."""


class ValueMap(BaseModel):
    """CRM value -> normalized value, then a letter case; `values: None` passes every value through."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: dict[str, Scalar] | None = None
    #: What a value missing from `values` becomes; unset, `unlisted` decides.
    default: Scalar | None = None
    #: Without a default: `empty` leaves a value missing from `values` empty with a warning, `keep` passes it
    #: through unchanged (the admin's own picklist values stay visible until they are added to the map).
    unlisted: Literal["empty", "keep"] = "empty"
    case: Literal["lower", "upper", "title"] | None = None

    def translate(self, value: object) -> object:
        """The normalized value of one CRM value (not None); raises UnlistedValue when it may not pass."""
        if self.values is None:
            return value
        if str(value) in self.values:
            return self.values[str(value)]
        if self.default is not None:
            return self.default
        if self.unlisted == "keep":
            return value
        raise UnlistedValue(f"unexpected value {value!r} (not in the mapping's `values`)")

    def translate_or_none(self, value: object) -> object | None:
        """As `translate`, with None for a value the map leaves empty."""
        try:
            return self.translate(value)
        except UnlistedValue:
            return None

    def text(self, value: object) -> str:
        """The normalized value as text, in the map's letter case."""
        return apply_case(str(self.translate(value)), self.case)

    def produces(self) -> frozenset[str] | None:
        """Every normalized value this map can give (lower case, as conditions compare), or None for any value."""
        if self.values is None or (self.unlisted == "keep" and self.default is None):
            return None
        given = [*self.values.values(), *([self.default] if self.default is not None else [])]
        return frozenset(str(value).lower() for value in given)


def apply_case(text: str, case: str | None) -> str:
    if case == "lower":
        return text.lower()
    if case == "upper":
        return text.upper()
    return text.title() if case == "title" else text


def only_sources(values: Mapping[str, Scalar] | None) -> dict[str, str]:
    """Normalized value -> the CRM value that gives it, for each normalized value exactly one CRM value gives: the
    CRM's own word for one of ScoreBridge's (several CRM values for one word leave it unnamed)."""
    sources: dict[str, list[str]] = {}
    for crm_value, normalized in (values or {}).items():
        sources.setdefault(str(normalized), []).append(crm_value)
    return {normalized: found[0] for normalized, found in sources.items() if len(found) == 1}
