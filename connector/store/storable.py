"""What text the store can hold, and what becomes of CRM or file values it cannot.

PostgreSQL refuses the NUL character in `text` and `jsonb` values ("invalid byte sequence for encoding UTF8:
0x00", https://www.postgresql.org/docs/current/datatype-character.html), and no UTF-8 text can hold a lone
surrogate (JSON's "\\ud800" decodes to one in Python). Either would fail the whole page of a sync, and, the
bookmark never moving past that page, every later sync too.

The rule, applied by the store's writers to every record from a sync or an import:
- a value (a name, a title, an activity attribute) is **cleaned**: NUL removed, a lone surrogate replaced by
  U+FFFD; the record is stored and counted as cleaned. Neither character means anything in CRM text.
- an identity (CRM id, object type, activity source id) is **rejected**: cleaning it would make it another
  record's id; the record is skipped and counted as skipped.
- a value too large for its column (PostgreSQL enforces `varchar(n)` and 32-bit `integer`, SQLite neither) is
  left empty if it is a value (an e-mail address of 400 characters, 10^10 employees), and rejects the record if
  it is an identity.
- an outcome's link to a contact is an identity too, but of another record: it is left as it is, names no stored
  contact (none can hold such an id) and is counted where links are resolved (`outcome_writer.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from connector.crm import AccountRecord, ActivityRecord, ContactRecord, OutcomeRecord
from connector.store.tables import Account, Activity, ActivityKind, Contact, Outcome, OutcomeContact

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
CONTACT_IDENTITY = ("object_type", "crm_id", "merged_into")
ACTIVITY_IDENTITY = ("source_id", "contact_object_type", "contact_crm_id")
OUTCOME_IDENTITY = ("object_type", "crm_id")
ACCOUNT_IDENTITY = ("object_type", "crm_id", "merged_into")
CONTACT_COLUMNS = Contact.__table__.c  # type: ignore[attr-defined]
CRM_ID_LIMIT = CONTACT_COLUMNS.crm_id.type.length
OBJECT_TYPE_LIMIT = CONTACT_COLUMNS.object_type.type.length
SOURCE_ID_LIMIT = Activity.__table__.c.source_id.type.length  # type: ignore[attr-defined]
KIND_TYPE_LIMIT = ActivityKind.__table__.c.type.type.length  # type: ignore[attr-defined]
OUTCOME_COLUMNS = Outcome.__table__.c  # type: ignore[attr-defined]
ACCOUNT_COLUMNS = Account.__table__.c  # type: ignore[attr-defined]
ROLE_LIMIT = OutcomeContact.__table__.c.role.type.length  # type: ignore[attr-defined]
#: PostgreSQL's `integer` (https://www.postgresql.org/docs/current/datatype-numeric.html).
INTEGER_RANGE = range(-(2**31), 2**31)
#: Record fields stored in `integer` columns (`tables.Contact`, `tables.Account`).
INTEGER_FIELDS = frozenset({"employees"})
#: Record fields stored in columns of a limited length, with that length.
FIELD_LIMITS: dict[type, dict[str, int]] = {
    ContactRecord: {
        "object_type": OBJECT_TYPE_LIMIT,
        "crm_id": CRM_ID_LIMIT,
        "email": CONTACT_COLUMNS.email.type.length,
        "owner_id": CONTACT_COLUMNS.owner_id.type.length,
    },
    ActivityRecord: {
        "source_id": SOURCE_ID_LIMIT,
        "contact_object_type": OBJECT_TYPE_LIMIT,
        "contact_crm_id": CRM_ID_LIMIT,
    },
    OutcomeRecord: {
        "object_type": OUTCOME_COLUMNS.object_type.type.length,
        "crm_id": OUTCOME_COLUMNS.crm_id.type.length,
        "stage": OUTCOME_COLUMNS.stage.type.length,
        "pipeline": OUTCOME_COLUMNS.pipeline.type.length,
    },
    AccountRecord: {
        "object_type": ACCOUNT_COLUMNS.object_type.type.length,
        "crm_id": ACCOUNT_COLUMNS.crm_id.type.length,
        "merged_into": ACCOUNT_COLUMNS.crm_id.type.length,
        "domain": ACCOUNT_COLUMNS.domain.type.length,
        "owner_id": ACCOUNT_COLUMNS.owner_id.type.length,
    },
}


def is_storable(value: object) -> bool:
    """False for text holding a character the store cannot keep; True for anything else."""
    return not (isinstance(value, str) and UNSTORABLE.search(value))


def storable_text(value: str) -> str:
    """The text with NUL removed and lone surrogates replaced."""
    return UNSTORABLE.sub(lambda found: "" if found.group() == "\x00" else REPLACEMENT, value)


def storable_value(value: object) -> object:
    """A field value made storable: text cleaned, a dict's keys and values (JSON) cleaned; anything else as it is."""
    if isinstance(value, str):
        return storable_text(value) if UNSTORABLE.search(value) else value
    if isinstance(value, Mapping):
        return {storable_value(key): storable_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable_value(item) for item in value]
    return value


def storable_ids(ids: Iterable[str], limit: int) -> bool:
    """True when every id fits a column of ``limit`` characters and holds nothing the store refuses."""
    ids = list(ids)
    return is_storable("".join(ids)) and max(map(len, ids), default=0) <= limit


def all_storable(values: Iterable[object]) -> bool:
    """True when no text among the values (and inside their dicts, lists and tuples) needs cleaning."""
    return is_storable("".join(_texts(values)))


class Screened:
    """Records made storable, and how many were cleaned or rejected on the way."""

    def __init__(self) -> None:
        self.cleaned = 0
        self.rejected = 0

    def contacts(self, records: Iterable[ContactRecord]) -> list[ContactRecord]:
        return self._screen_page(records, CONTACT_IDENTITY)

    def activities(self, records: Iterable[ActivityRecord]) -> list[ActivityRecord]:
        return self._screen_page(records, ACTIVITY_IDENTITY)

    def accounts(self, records: Iterable[AccountRecord]) -> list[AccountRecord]:
        return self._screen_page(records, ACCOUNT_IDENTITY)

    def _screen_page(self, records: Iterable, identity: tuple[str, ...]) -> list:
        """The page as it is when all of it fits (nearly always: one pass over its text), else record by record."""
        page = list(records)
        if _page_fits(page):
            return page
        return [kept for record in page if (kept := self._screen(record, identity)) is not None]

    def outcomes(self, records: Iterable[OutcomeRecord]) -> list[OutcomeRecord]:
        kept = []
        for record in records:
            screened = self._screen(record, OUTCOME_IDENTITY)
            if screened is not None:
                kept.append(self._screen_roles(screened, counted=screened is not record))
        return kept

    def _screen_roles(self, record: OutcomeRecord, counted: bool) -> OutcomeRecord:
        """The record with its contacts' roles made storable (a role is a value); a record is counted as cleaned
        once."""
        roles = [link.role for link in record.contacts if link.role is not None]
        if all_storable(roles) and all(len(role) <= ROLE_LIMIT for role in roles):
            return record
        self.cleaned += not counted
        return replace(record, contacts=[replace(link, role=_storable_role(link.role)) for link in record.contacts])

    def _screen(self, record, identity: tuple[str, ...]):
        values = vars(record)
        too_long = _too_large(values, FIELD_LIMITS.get(type(record), {}))
        if not too_long and all_storable(values.values()):
            return record
        if any(name in too_long or not is_storable(values[name]) for name in identity):
            self.rejected += 1
            return None
        self.cleaned += 1
        cleaned = {name: None if name in too_long else storable_value(value) for name, value in values.items()}
        return replace(record, **cleaned)


def _storable_role(role: str | None) -> str | None:
    return None if role is None or len(role) > ROLE_LIMIT else storable_text(role)


def _too_large(values: Mapping[str, object], limits: Mapping[str, int]) -> set[str]:
    """Fields whose value does not fit its column."""
    too_long = {name for name, limit in limits.items() if isinstance(values[name], str) and len(values[name]) > limit}
    too_big = {name for name in INTEGER_FIELDS & values.keys() if isinstance(values[name], int)}
    return too_long | {name for name in too_big if values[name] not in INTEGER_RANGE}


def _page_fits(records: list) -> bool:
    """Whether every record of a page fits its columns and holds only storable text: the whole page's text is
    searched once, where screening record by record costs a search (and a walk) per record."""
    texts: list[str] = []
    for record in records:
        values = vars(record)
        if not _fits(values, FIELD_LIMITS.get(type(record), {})):
            return False
        for value in values.values():
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, Mapping | list | tuple):
                texts += _texts((value,))
    return is_storable("".join(texts))


def _fits(values: Mapping[str, object], limits: Mapping[str, int]) -> bool:
    """Whether every field fits its column (what `_too_large` names, answered without building its sets)."""
    for name, limit in limits.items():
        value = values[name]
        if isinstance(value, str) and len(value) > limit:
            return False
    return all(not isinstance(value := values.get(name), int) or value in INTEGER_RANGE for name in INTEGER_FIELDS)


def _texts(values: Iterable[object]) -> list[str]:
    """Every text among the values and inside their dicts (keys too), lists and tuples, in no particular order."""
    found: list[str] = []
    pending = list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, Mapping):
            pending += value.keys()
            pending += value.values()
        elif isinstance(value, list | tuple):
            pending += value
    return found
