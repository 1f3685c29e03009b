"""Outcome rows of an import file as `OutcomeRecord`s: opportunities / deals from billing or a warehouse.

A file may name an outcome's contacts in one row (a `;` list) or give one row per (outcome, contact), as a SQL
join exports it: rows of the same outcome are merged, their contacts united and every other value taken from the
last of them. Contacts are named by CRM id (`contact_crm_id`) or e-mail address (`contact_email`), resolved within
the import's source and instance. A row whose amount is not a number, whose yes/no values are not yes or no, or
that names no contact is skipped: an outcome with a wrong amount or outcome would mislead every report built on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.crm import OutcomeContact, OutcomeRecord
from connector.errors import InputError
from connector.importer.contacts import number_value, time_or_none, yes_no
from connector.importer.files import REQUIRED_MISSING, ProblemLog, text_of
from connector.store.outcome_writer import CURRENCY_CODE_LENGTH

REQUIRED_OUTCOME_COLUMNS = ("outcome_id",)
#: Columns naming an outcome's contacts; a file needs at least one of them.
CONTACT_REFERENCE_COLUMNS = ("contact_crm_id", "contact_email")
#: Separates several contacts in one value: `003A;003B`.
LIST_SEPARATOR = ";"
DEFAULT_OUTCOME_TYPE = "Opportunity"
DEFAULT_CONTACT_TYPE = "Lead"
TEXT_COLUMNS = ("stage", "pipeline", "lead_source")
TIME_COLUMNS = ("created_at", "closed_at", "modified_at")
NO_CONTACT = (
    f"names no contact (fill {' or '.join(CONTACT_REFERENCE_COLUMNS)}; several separated by '{LIST_SEPARATOR}')"
)
WON_NOT_CLOSED = "won is true but closed is false"
NOT_A_CURRENCY = "not a three-letter currency code (e.g. USD, EUR)"

ContactKey = tuple[str, str]


@dataclass
class ParsedOutcome:
    """One outcome as the file describes it, its contacts not resolved yet."""

    values: dict[str, Any]
    contact_keys: list[ContactKey] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)


@dataclass
class OutcomeRows:
    """The usable outcomes of a file, rows of the same outcome merged; `rows` counts the usable rows."""

    by_key: dict[tuple[str, str], ParsedOutcome] = field(default_factory=dict)
    rows: int = 0
    _checked: bool = False

    def read(self, path: str, rows: Iterator[tuple[int, dict]], log: ProblemLog, assume_utc: bool) -> None:
        """Parse every row; an `InputError` when the first names none of the contact columns."""
        for line, row in rows:
            if not self._checked and not any(name in row for name in CONTACT_REFERENCE_COLUMNS):
                names = " or ".join(CONTACT_REFERENCE_COLUMNS)
                raise InputError(f"{path}:{line}: no column naming the outcome's contacts: add {names}")
            self._checked = True  # like a header: the first row (a CSV's every row) holds the columns
            parsed = _parsed_row(line, row, log, assume_utc)
            if parsed is not None:
                self.rows += 1
                self._merge(parsed)

    def emails(self) -> set[str]:
        return {email for outcome in self.by_key.values() for email in outcome.emails}

    def records(self, contacts_by_email: Mapping[str, Iterable[ContactKey]]) -> tuple[list[OutcomeRecord], int]:
        """The records, e-mail addresses replaced by the contacts holding them; and how many addresses no stored
        contact holds."""
        records, unknown = [], 0
        for outcome in self.by_key.values():
            keys = list(dict.fromkeys(outcome.contact_keys))
            for email in outcome.emails:
                found = list(contacts_by_email.get(email, ()))
                unknown += not found
                keys.extend(key for key in found if key not in keys)
            links = tuple(OutcomeContact(object_type, crm_id) for object_type, crm_id in keys)
            records.append(OutcomeRecord(**outcome.values, contacts=links, warnings=outcome.warnings))
        return records, unknown

    def _merge(self, parsed: ParsedOutcome) -> None:
        key = (parsed.values["object_type"], parsed.values["crm_id"])
        earlier = self.by_key.get(key)
        if earlier is not None:
            parsed.contact_keys = earlier.contact_keys + parsed.contact_keys
            parsed.emails = list(dict.fromkeys(earlier.emails + parsed.emails))
        self.by_key[key] = parsed


def _parsed_row(line: int, row: dict[str, Any], log: ProblemLog, assume_utc: bool) -> ParsedOutcome | None:
    """The outcome a row stands for, or None (reported) when a value it cannot do without is unusable."""
    crm_id = text_of(row.get("outcome_id"))
    if crm_id is None:
        log.reject(line, "outcome_id", row.get("outcome_id"), REQUIRED_MISSING)
        return None
    values: dict[str, Any] = {"object_type": text_of(row.get("object_type")) or DEFAULT_OUTCOME_TYPE, "crm_id": crm_id}
    try:
        values.update(_amount_and_flags(row))
    except _Refused as refused:
        log.reject(line, refused.column, row.get(refused.column), refused.problem)
        return None
    contact_type = text_of(row.get("contact_object_type")) or DEFAULT_CONTACT_TYPE
    parsed = ParsedOutcome(
        values,
        [(contact_type, crm_id) for crm_id in _listed(row.get("contact_crm_id"))],
        [email.lower() for email in _listed(row.get("contact_email"))],
    )
    if not (parsed.contact_keys or parsed.emails or values["deleted"]):
        log.reject(line, CONTACT_REFERENCE_COLUMNS[0], row.get(CONTACT_REFERENCE_COLUMNS[0]), NO_CONTACT)
        return None
    _optional_values(line, row, log, assume_utc, parsed)
    return parsed


class _Refused(ValueError):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column, self.problem = column, problem


def _amount_and_flags(row: dict[str, Any]) -> dict[str, Any]:
    """Amount, won, closed and deleted: the values that say what an outcome was worth and how it ended."""
    values: dict[str, Any] = {}
    for column, parse in (("amount", number_value), ("won", yes_no), ("closed", yes_no), ("deleted", yes_no)):
        try:
            values[column] = parse(row.get(column))
        except ValueError as error:
            raise _Refused(column, str(error)) from None
    if text_of(row.get("closed")) is None:
        values["closed"] = values["won"]  # a won deal is closed; an open or lost one must say closed
    elif values["won"] and not values["closed"]:
        raise _Refused("closed", WON_NOT_CLOSED)
    return values


def _optional_values(line: int, row: dict[str, Any], log: ProblemLog, assume_utc: bool, parsed: ParsedOutcome) -> None:
    """Texts, times and the currency; an unusable one is left empty, warned about, and the row kept."""
    for column in TEXT_COLUMNS:
        parsed.values[column] = text_of(row.get(column))
    for column in TIME_COLUMNS:
        try:
            parsed.values[column] = time_or_none(row.get(column), assume_utc)
        except ValueError as error:
            parsed.values[column] = None
            parsed.warnings[column] = str(error)
            log.warn(line, column, row.get(column), str(error))
    currency = text_of(row.get("currency"))
    if currency is not None and not (len(currency) == CURRENCY_CODE_LENGTH and currency.isalpha()):
        parsed.warnings["currency"] = NOT_A_CURRENCY
        log.warn(line, "currency", currency, NOT_A_CURRENCY)
        currency = None
    parsed.values["currency"] = currency.upper() if currency else None


def _listed(value: object) -> list[str]:
    text = text_of(value)
    return [] if text is None else [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
