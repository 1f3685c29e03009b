"""Salesforce record ids: 15 case-sensitive characters, a 3-character key prefix per object, and the 18-character
form whose last three characters encode, for each block of five, which letters are upper case."""

from __future__ import annotations

import itertools
import re
import threading

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#: Characters 4-6 of an id name the pod and a reserved digit; any fixed value will do for a single org.
POD = "5g0"
ID_PATTERN = re.compile(r"[A-Za-z0-9]{15}(?:[A-Z0-5]{3})?")


def checksum_suffix(id15: str) -> str:
    """The three characters Salesforce appends to a 15-character id to make it case-insensitive-safe."""
    suffix = ""
    for block in range(3):
        chunk = id15[block * 5 : block * 5 + 5]
        bits = sum(1 << position for position, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += CHECKSUM_ALPHABET[bits]
    return suffix


def to_18(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id."""
    return record_id if len(record_id) == 18 else record_id + checksum_suffix(record_id)


def is_well_formed(record_id: object) -> bool:
    """True for a 15-character id or an 18-character id with a correct checksum."""
    if not isinstance(record_id, str) or not ID_PATTERN.fullmatch(record_id):
        return False
    return len(record_id) == 15 or checksum_suffix(record_id[:15]) == record_id[15:]


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    return "".join(reversed(digits))


class IdFactory:
    """Hands out fresh 18-character ids per key prefix; thread-safe, and resumable from the highest id seen."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def new_id(self, key_prefix: str) -> str:
        with self._lock:
            number = next(self._counter)
        return to_18(f"{key_prefix}{POD}{_base62(number, 9)}")

    @staticmethod
    def sequence_of(record_id: str) -> int:
        """The counter value inside an id this factory made (0 for ids from elsewhere)."""
        body = record_id[6:15]
        if record_id[3:6] != POD or any(char not in BASE62 for char in body):
            return 0
        number = 0
        for char in body:
            number = number * 62 + BASE62.index(char)
        return number
