"""One error shape for every error the API returns, from every layer.

`{"code", "message", "details": {"request_id", ...}, "timestamp"}`: `code` is
`REQUEST_VALIDATION_ERROR` for 422 and `HTTP_<status>` otherwise; domain rules add a stable
`details.reason`. Services raise `core.errors.ApplicationError`; this module turns it (and
everything DRF and Django raise) into the envelope, placing a service's field errors in the body
(`loc: ["body", field]`).
"""

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.views import set_rollback

from core.errors import ApplicationError, CoreErrorCode, ReasonCode
from ektor.request_context import current_request_id

logger = logging.getLogger("ektor.errors")

VALIDATION_CODE = "REQUEST_VALIDATION_ERROR"
_API_PREFIXES = ("/api/", "/health", "/openapi.json")


def is_api_path(path: str) -> bool:
    return path.startswith(_API_PREFIXES)


class ApiErrorCode(ReasonCode):
    """Reasons the HTTP layer gives by itself (bodies, authentication, limits, health)."""

    MALFORMED_BODY = "malformed_body"
    BAD_REQUEST = "bad_request"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTEGRITY_CONFLICT = "integrity_conflict"
    LENGTH_REQUIRED = "length_required"
    REQUEST_TOO_LARGE = "request_too_large"
    RATE_LIMITED = "rate_limited"
    DATABASE_UNAVAILABLE = "database_unavailable"
    CACHE_UNAVAILABLE = "cache_unavailable"
    # Idempotency-Key (ektor/api/idempotency.py): malformed (400), sent again with another
    # request (422), sent again while the first is still running (409).
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
    STORAGE_UNAVAILABLE = "storage_unavailable"


class RequestValidationError(Exception):
    """Errors the API layer finds itself (query, path), already located: `[{loc, msg, type}]`
    (422). A service's field errors are `core.errors.InvalidInput`, located when rendered."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("Invalid request")
        self.errors = errors


def envelope(status: int, message: str, details: Mapping[str, Any] | None = None) -> dict:
    body_details = {"request_id": current_request_id()}
    body_details.update(details or {})
    return {
        "code": VALIDATION_CODE if status == 422 else f"HTTP_{status}",
        "message": message,
        "details": body_details,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _default_message(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_response(
    status: int,
    message: str | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JsonResponse:
    """A plain Django response with the envelope (used outside DRF views)."""
    body = envelope(status, message or _default_message(status), details)
    if request_id:
        body["details"]["request_id"] = request_id
    response = JsonResponse(body, status=status, headers=headers)
    response.is_error_envelope = True
    return response


def flatten_errors(detail: Any, loc: Sequence[str | int]) -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat `[{loc, msg, type}]` list."""
    if isinstance(detail, Mapping):
        errors = []
        for key, value in detail.items():
            sub_loc = list(loc) if key in ("non_field_errors", "__all__") else [*loc, key]
            errors.extend(flatten_errors(value, sub_loc))
        return errors
    if isinstance(detail, list):
        if detail and all(isinstance(item, (str, drf.ErrorDetail)) for item in detail):
            return [_error_item(item, loc) for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors.extend(flatten_errors(item, [*loc, index] if item else loc))
        return errors
    return [_error_item(detail, loc)]


def _error_item(item: Any, loc: Sequence[str | int]) -> dict[str, Any]:
    return {"loc": list(loc), "msg": str(item), "type": getattr(item, "code", "invalid")}


def _validation_loc(context: Mapping[str, Any]) -> list[str]:
    request = context.get("request")
    if request is not None and request.method in ("GET", "HEAD", "DELETE"):
        return ["query"]
    return ["body"]


def _field_loc(field: str) -> list[str | int]:
    """A nested field's place: "readings.1.ph" is ["readings", 1, "ph"], as DRF locates it."""
    return [int(part) if part.isdigit() else part for part in field.split(".")]


def application_details(exc: ApplicationError) -> dict[str, Any]:
    """The envelope's details of an application error; its field errors are body fields."""
    details: dict[str, Any] = {} if exc.reason is None else {"reason": exc.reason}
    if exc.fields:
        details["errors"] = [
            {"loc": ["body", *_field_loc(error.field)], "msg": error.msg, "type": error.type}
            for error in exc.fields
        ]
    details.update(exc.extra)
    return details


def exception_handler(exc: Exception, context: Mapping[str, Any]):
    """DRF's EXCEPTION_HANDLER: every exception a DRF view raises becomes the envelope."""
    from rest_framework.response import Response

    headers: dict[str, str] = {}
    details: dict[str, Any] = {}
    if isinstance(exc, ApplicationError):
        status, message = exc.status, exc.message
        details = application_details(exc)
    elif isinstance(exc, RequestValidationError):
        status, message, details = 422, "Invalid request", {"errors": exc.errors}
    elif isinstance(exc, drf.ValidationError):
        errors = flatten_errors(exc.detail, _validation_loc(context))
        status, message, details = 422, "Invalid request", {"errors": errors}
    elif isinstance(exc, drf.ParseError):
        status, message = 400, f"Malformed request body: {exc.detail}"
        details = {"reason": ApiErrorCode.MALFORMED_BODY}
    elif isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        codes = exc.get_codes()
        status, message = 401, str(exc.detail)
        reason = codes if isinstance(codes, str) else ApiErrorCode.AUTHENTICATION_FAILED
        details = {"reason": reason}
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(exc, drf.Throttled):
        status, message = 429, "Too many requests; try again later"
        details = {"reason": ApiErrorCode.RATE_LIMITED}
        if exc.wait is not None:
            retry_after = max(1, int(exc.wait + 0.999))
            headers["Retry-After"] = str(retry_after)
            details["retry_after"] = retry_after
    elif isinstance(exc, (Http404, drf.NotFound)):
        status, message, details = 404, "Not found", {"reason": ApiErrorCode.NOT_FOUND}
    elif isinstance(exc, (PermissionDenied, drf.PermissionDenied)):
        detail = getattr(exc, "detail", None)
        status = 403
        message = str(detail) if detail else "You do not have permission to perform this action"
        # A specific code (e.g. "user_inactive") is the reason; DRF's default stays generic.
        code = exc.get_codes() if isinstance(exc, drf.PermissionDenied) else None
        details = {"reason": code if isinstance(code, str) else ApiErrorCode.PERMISSION_DENIED}
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        status, message = 409, "Still referenced by other records"
        details = {"reason": CoreErrorCode.PROTECTED_BY_REFERENCES}
    elif isinstance(exc, IntegrityError):
        logger.warning("integrity error mapped to 409: %s", exc)
        status, message = 409, "The change conflicts with existing data"
        details = {"reason": ApiErrorCode.INTEGRITY_CONFLICT}
    elif isinstance(exc, RequestDataTooBig):
        status, message = 413, "Request body too large"
        details = {"reason": ApiErrorCode.REQUEST_TOO_LARGE}
    elif isinstance(exc, SuspiciousOperation):
        status, message, details = 400, "Bad request", {"reason": ApiErrorCode.BAD_REQUEST}
    elif isinstance(exc, drf.APIException):
        status, message = exc.status_code, str(exc.detail)
    else:
        logger.exception("unhandled error", exc_info=exc)
        status, message = 500, "Internal server error"
    set_rollback()
    response = Response(envelope(status, message, details), status=status, headers=headers)
    response.is_error_envelope = True
    return response
