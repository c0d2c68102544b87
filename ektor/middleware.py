"""Request id, per-request JSON log line, the error envelope for non-DRF responses, the API's
body size limit, CSP."""

import logging
import time

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

from ektor import files
from ektor.api.errors import ApiErrorCode, error_response, is_api_path
from ektor.request_context import choose_request_id, request_id_var, user_id_var

logger = logging.getLogger("ektor.request")
_ANSWERS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)


class RequestContextMiddleware:
    """Outermost middleware: every response, errors included, carries X-Request-Id.

    Error responses on API paths that did not come from DRF (Django's own 404 for an unknown
    URL, a 500 from a crash outside DRF, 400 for a bad Host) are rewritten into the envelope.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = choose_request_id(request.headers.get("X-Request-Id"))
        request.request_id = request_id
        rid_token = request_id_var.set(request_id)
        uid_token = user_id_var.set(None)
        try:
            response = self.get_response(request)
            if (
                response.status_code >= 400
                and is_api_path(request.path)
                and not getattr(response, "is_error_envelope", False)
            ):
                response = error_response(response.status_code, request_id=request_id)
            response["X-Request-Id"] = request_id
            user = getattr(request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
            company = getattr(request, "company", None)
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "user_id": user_id,
                    "company": company.slug if company is not None else None,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_id_var.reset(rid_token)
            user_id_var.reset(uid_token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Crashes outside DRF (DRF's handler logs its own): logged once with the request id
        # (django.request is quiet, see LOGGING); on API paths the body is the envelope.
        # 404/403/400 exceptions are answers, not crashes: Django turns them into responses.
        if isinstance(exception, _ANSWERS):
            return None
        logger.exception("unhandled error", extra={"request_id": request.request_id})
        if not is_api_path(request.path):
            return None
        return error_response(500, request_id=request.request_id)


class RequestBodyLimitMiddleware:
    """API requests with a body over API_MAX_BODY_BYTES are refused before anything reads it.

    DRF's parsers read the request stream directly, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    (which guards only request.body and form fields), so without this a JSON body of any size
    was read into memory and parsed, anonymous ones included. Django never reads more than the
    declared Content-Length, so checking it bounds what is read. A body without one (chunked)
    would be read as empty: it is refused with 411 rather than silently ignored. The admin
    keeps Django's own limits (its CSV import checks the file's size itself).

    A view that takes uploads declares its own ceiling as `max_body_bytes` on its class (the
    photos of a visit); checked once the URL names the view, before any other middleware's
    view hook or the view itself reads the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not is_api_path(request.path):
            return None
        view_class = getattr(view_func, "cls", None)
        return self.refusal(
            request, getattr(view_class, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES
        )

    @staticmethod
    def refusal(request: HttpRequest, limit: int) -> HttpResponse | None:
        declared = request.META.get("CONTENT_LENGTH")
        if not declared and "HTTP_TRANSFER_ENCODING" in request.META:
            return error_response(
                411,
                "A request body needs a Content-Length header",
                {"reason": ApiErrorCode.LENGTH_REQUIRED},
                request_id=request.request_id,
            )
        try:
            length = int(declared or 0)
        except ValueError:
            return None  # Django reads such a body as empty
        if length <= limit:
            return None
        return error_response(
            413,
            f"Request body too large: at most {limit} bytes",
            {"reason": ApiErrorCode.REQUEST_TOO_LARGE, "max_bytes": limit},
            request_id=request.request_id,
        )


# JSON answers are never a page: they may load nothing at all.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"


def with_image_origin(policy: str, origin: str | None) -> str:
    """`policy` with `origin` added to its img-src (a policy without one gets an img-src
    of its default-src's sources and the origin), so pages may show the bucket's images
    and load nothing else from it."""
    if not policy or not origin:
        return policy
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    names = [d.split()[0].lower() for d in directives]
    if "img-src" in names:
        directives[names.index("img-src")] += f" {origin}"
    else:
        default = (
            directives[names.index("default-src")].split()[1:] if "default-src" in names else []
        )
        sources = [source for source in default if source != "'none'"]  # 'none' allows nothing
        directives.append(" ".join(["img-src", *sources, origin]))
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """A CSP the admin and the self-hosted docs pages work under; the API's is stricter."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = with_image_origin(settings.CONTENT_SECURITY_POLICY, files.bucket_origin())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = API_CONTENT_SECURITY_POLICY if is_api_path(request.path) else self.policy
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
