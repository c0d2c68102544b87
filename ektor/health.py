import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ektor.api.errors import ApiErrorCode, envelope, error_response

logger = logging.getLogger("ektor.health")

ALLOW = "GET, HEAD, OPTIONS"
_PROBE_KEY = "health:probe"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health check: database unavailable: %s", exc)
        return False
    return True


def _cache_ok(*, database_ok: bool) -> bool:
    """The shared cache answers a read (sign-in fails without it: the rate limits count there)."""
    cache = caches["default"]
    if not database_ok and isinstance(cache, BaseDatabaseCache):
        return False  # the same database: asking again would only double the wait
    try:
        cache.get(_PROBE_KEY)
    except Exception as exc:  # any backend's failure (database, Redis) is a 503
        logger.error("health check: cache unavailable: %s", exc)
        return False
    return True


# Not a form target: without the exemption a POST would meet the CSRF check (403), not the 405.
@csrf_exempt
def health(request: HttpRequest) -> HttpResponse:
    """Liveness and readiness: 503 when the database or the shared cache does not answer."""
    if request.method == "OPTIONS":
        return HttpResponse(headers={"Allow": ALLOW})
    if request.method not in ("GET", "HEAD"):
        return error_response(
            405,
            f'Method "{request.method}" not allowed.',
            {"reason": ApiErrorCode.METHOD_NOT_ALLOWED},
            headers={"Allow": ALLOW},
        )
    database_ok = _database_ok()
    cache_ok = _cache_ok(database_ok=database_ok)
    checks = {"database": "ok" if database_ok else "error", "cache": "ok" if cache_ok else "error"}
    if database_ok and cache_ok:
        return JsonResponse({"status": "ok", "version": settings.APP_VERSION, **checks})
    if database_ok:
        message, reason = "Cache unavailable", ApiErrorCode.CACHE_UNAVAILABLE
    else:
        message, reason = "Database unavailable", ApiErrorCode.DATABASE_UNAVAILABLE
    # The documented health fields and the error envelope, in one body.
    body = envelope(503, message, {"reason": reason})
    body.update(status="unavailable", version=settings.APP_VERSION, **checks)
    response = JsonResponse(body, status=503)
    response.is_error_envelope = True
    return response
