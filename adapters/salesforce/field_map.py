"""The building blocks every section of `mappings/salesforce.yaml` shares: a field name safe to put into SOQL, and
a normalized field read from a Salesforce field through a value map."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from adapters.value_map import ValueMap

#: A Salesforce API name, or a path through relationships (`Account.Industry`): nothing SOQL would read as syntax.
FIELD_PATH = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$"
_FIELD_PATH = re.compile(FIELD_PATH)


def _field_name(value: str) -> str:
    """Names go into the SOQL the adapter builds as they are (values are quoted): reject what is not a name."""
    if not _FIELD_PATH.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Salesforce field name (letters, digits and _, parent fields as Account.Name); "
            "it would break the SOQL query"
        )
    return value


FieldName = Annotated[str, AfterValidator(_field_name)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldMap(ValueMap):
    """One normalized field read from a Salesforce field (parent fields as `Account.Industry`), through the
    picklist value map: a value missing from `values` is left empty with a warning, unless `default` says what
    to use instead or `unlisted: keep` passes it through."""

    field: FieldName


def short_forms(value: Any) -> Any:
    """`email: Email` is short for `email: {field: Email}` (a `fields:` validator, before parsing)."""
    if isinstance(value, Mapping):
        return {key: {"field": item} if isinstance(item, str) else item for key, item in value.items()}
    return value


def known_targets(problem: Callable[[str], str | None]) -> Callable[[dict[str, str]], dict[str, str]]:
    """A `write_back:` validator refusing the first key `problem` has a message for."""

    def check(value: dict[str, str]) -> dict[str, str]:
        first = next(filter(None, map(problem, value)), None)
        if first:
            raise ValueError(first)
        return value

    return check
