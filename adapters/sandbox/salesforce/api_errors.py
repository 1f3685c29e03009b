"""The errors the Salesforce sandbox answers with, in Salesforce's own codes and shapes.

These are the simulated service's errors, not ScoreBridge's: a handler raises `ApiError` for a whole-request
failure (a list body ``[{"message", "errorCode"}]``), and the record store raises `RecordError` for one record,
which collections report in that record's SaveResult (``{"statusCode", "message", "fields"}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ApiError(Exception):
    """A whole request failed: HTTP status plus Salesforce's errorCode and message."""

    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields
        super().__init__(f"{status} {error_code}: {message}")

    def body(self) -> list[dict[str, object]]:
        entry: dict[str, object] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]


@dataclass(eq=False)
class RecordError(Exception):
    """One record could not be saved; `status_code` is Salesforce's StatusCode (e.g. REQUIRED_FIELD_MISSING)."""

    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status_code}: {self.message}")

    def save_error(self) -> dict[str, object]:
        return {"statusCode": self.status_code, "message": self.message, "fields": list(self.fields)}

    def as_api_error(self) -> ApiError:
        """The single-record REST endpoints report a record error as a 400 list body."""
        return ApiError(400, self.status_code, self.message, list(self.fields))


@dataclass(eq=False)
class ValueTypeError(RecordError):
    """A JSON value of the wrong type for its field. Single-record endpoints fail the whole request with
    JSON_PARSER_ERROR, as Salesforce's deserializer does; collections report it on the record."""

    parser_message: str = ""

    def as_api_error(self) -> ApiError:
        return ApiError(400, "JSON_PARSER_ERROR", self.parser_message)


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def invalid_session() -> ApiError:
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def limit_exceeded() -> ApiError:
    return ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
