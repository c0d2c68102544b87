"""The application error: what every layer raises when a rule is broken.

It carries a status, a human message, a reason (a member of a domain's reason enum) and field
errors, and knows nothing of HTTP locations: the API renders it in the error envelope (adding
`loc: ["body", field]`), the admin as a message, commands as one line on stderr.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ReasonCode(StrEnum):
    """The base of every domain's reason enum (`billing/error_codes.py` ...): a reason is a
    stable string in `details.reason`, so a member renders as its value."""


class CoreErrorCode(ReasonCode):
    """Reasons any app's services may give."""

    # An action from a status it does not leave that way (a request, a visit).
    INVALID_TRANSITION = "invalid_transition"
    NO_FIELDS_TO_UPDATE = "no_fields_to_update"
    PROTECTED_BY_REFERENCES = "protected_by_references"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule on one input field (the field's name as the caller gave it)."""

    field: str
    msg: str
    type: str = "value_error"


class ApplicationError(Exception):
    """A broken rule: the status, a human message, a stable reason, and the fields at fault."""

    def __init__(
        self,
        message: str,
        *,
        reason: ReasonCode | None,
        status: int = 400,
        fields: Sequence[FieldError] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if reason is not None and not isinstance(reason, ReasonCode):
            raise TypeError(f"reason must be a ReasonCode member, not {reason!r}")
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status
        self.fields = tuple(fields)
        self.extra = dict(extra or {})

    def describe(self) -> str:
        """The refusal in one line: the message, or each field's rule."""
        if self.fields:
            return "; ".join(f"{error.field}: {error.msg}" for error in self.fields)
        return self.message


class NotFound(ApplicationError):
    def __init__(self, what: str, *, reason: ReasonCode) -> None:
        super().__init__(f"{what} not found", reason=reason, status=404)


class Conflict(ApplicationError):
    def __init__(
        self, message: str, *, reason: ReasonCode, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, reason=reason, status=409, extra=extra)


class InvalidInput(ApplicationError):
    """Field errors (422): each names its field; there is no reason beyond the fields'."""

    def __init__(self, fields: Sequence[FieldError]) -> None:
        super().__init__("Invalid request", reason=None, status=422, fields=fields)


def reason_code(value: str) -> ReasonCode:
    """The member of a domain's reason enum whose value is `value` (a LookupError if none is:
    a reason is always declared)."""
    for enum in ReasonCode.__subclasses__():
        try:
            return enum(value)
        except ValueError:
            continue
    raise LookupError(f"no reason enum declares {value!r}")


def refusal(check: Callable[[], object]) -> ApplicationError | None:
    """The error `check` raises, or None: how a `can_<action>()` guard asks the action's own
    rules without acting."""
    try:
        check()
    except ApplicationError as exc:
        return exc
    return None
