"""One error shape for every error the API returns, from every layer.

`{"code", "message", "details": {"request_id", ...}, "timestamp"}`: `code` is
`REQUEST_VALIDATION_ERROR` for 422 and `HTTP_<status>` otherwise; domain rules add a stable
`details.reason`. Services raise `ApplicationError`; this module turns it (and everything DRF
and Django raise) into the envelope.
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

from ektor.request_context import current_request_id

logger = logging.getLogger("ektor.errors")

VALIDATION_CODE = "REQUEST_VALIDATION_ERROR"
_API_PREFIXES = ("/api/", "/health", "/openapi.json")


def is_api_path(path: str) -> bool:
    return path.startswith(_API_PREFIXES)


class ApplicationError(Exception):
    """A broken business rule: the HTTP status, a human message and a stable reason."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        status: int = 400,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status
        self.extra = dict(extra or {})


class NotFound(ApplicationError):
    def __init__(self, what: str, *, reason: str | None = None) -> None:
        slug = what.lower().replace(" ", "_")
        super().__init__(f"{what} not found", reason=reason or f"{slug}_not_found", status=404)


class Conflict(ApplicationError):
    def __init__(self, message: str, *, reason: str, extra: Mapping[str, Any] | None = None):
        super().__init__(message, reason=reason, status=409, extra=extra)


class RequestValidationError(Exception):
    """Field errors in the FastAPI-compatible `[{loc, msg, type}]` form (422)."""

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


def exception_handler(exc: Exception, context: Mapping[str, Any]):
    """DRF's EXCEPTION_HANDLER: every exception a DRF view raises becomes the envelope."""
    from rest_framework.response import Response

    headers: dict[str, str] = {}
    details: dict[str, Any] = {}
    if isinstance(exc, ApplicationError):
        status, message = exc.status, exc.message
        details = {"reason": exc.reason, **exc.extra}
    elif isinstance(exc, RequestValidationError):
        status, message, details = 422, "Invalid request", {"errors": exc.errors}
    elif isinstance(exc, drf.ValidationError):
        errors = flatten_errors(exc.detail, _validation_loc(context))
        status, message, details = 422, "Invalid request", {"errors": errors}
    elif isinstance(exc, drf.ParseError):
        status, message = 400, f"Malformed request body: {exc.detail}"
        details = {"reason": "malformed_body"}
    elif isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        codes = exc.get_codes()
        status, message = 401, str(exc.detail)
        details = {"reason": codes if isinstance(codes, str) else "authentication_failed"}
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(exc, drf.Throttled):
        status, message = 429, "Too many requests; try again later"
        details = {"reason": "rate_limited"}
        if exc.wait is not None:
            retry_after = max(1, int(exc.wait + 0.999))
            headers["Retry-After"] = str(retry_after)
            details["retry_after"] = retry_after
    elif isinstance(exc, (Http404, drf.NotFound)):
        status, message, details = 404, "Not found", {"reason": "not_found"}
    elif isinstance(exc, (PermissionDenied, drf.PermissionDenied)):
        detail = getattr(exc, "detail", None)
        status = 403
        message = str(detail) if detail else "You do not have permission to perform this action"
        # A specific code (e.g. "user_inactive") is the reason; DRF's default stays generic.
        code = exc.get_codes() if isinstance(exc, drf.PermissionDenied) else None
        details = {"reason": code if isinstance(code, str) else "permission_denied"}
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        status, message = 409, "Still referenced by other records"
        details = {"reason": "protected_by_references"}
    elif isinstance(exc, IntegrityError):
        logger.warning("integrity error mapped to 409: %s", exc)
        status, message = 409, "The change conflicts with existing data"
        details = {"reason": "integrity_conflict"}
    elif isinstance(exc, RequestDataTooBig):
        status, message = 413, "Request body too large"
        details = {"reason": "request_too_large"}
    elif isinstance(exc, SuspiciousOperation):
        status, message, details = 400, "Bad request", {"reason": "bad_request"}
    elif isinstance(exc, drf.APIException):
        status, message = exc.status_code, str(exc.detail)
    else:
        logger.exception("unhandled error", exc_info=exc)
        status, message = 500, "Internal server error"
    set_rollback()
    response = Response(envelope(status, message, details), status=status, headers=headers)
    response.is_error_envelope = True
    return response
