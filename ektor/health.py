import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ektor import files
from ektor.api.errors import ApiErrorCode, envelope, error_response
from ektor.db.router import replica_states

logger = logging.getLogger("ektor.health")

ALLOW = "GET, HEAD, OPTIONS"
# What the first failing check (in this order) says.
_FAILURES = {
    "database": ("Database unavailable", ApiErrorCode.DATABASE_UNAVAILABLE),
    "cache": ("Cache unavailable", ApiErrorCode.CACHE_UNAVAILABLE),
    "storage": ("Storage unavailable", ApiErrorCode.STORAGE_UNAVAILABLE),
}
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


def _storage_ok() -> bool:
    """The bucket answers a HEAD (photos are uploaded and shown from there)."""
    try:
        files.bucket_head()
    except Exception as exc:  # any failure of the bucket or the way to it is a 503
        logger.error("health check: storage unavailable: %s", exc)
        return False
    return True


# Not a form target: without the exemption a POST would meet the CSRF check (403), not the 405.
@csrf_exempt
def health(request: HttpRequest) -> HttpResponse:
    """Liveness and readiness: 503 when the database, the shared cache or the bucket (when
    one is configured) does not answer. Each read replica's state and lag are shown."""
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
    checks = {"database": database_ok, "cache": _cache_ok(database_ok=database_ok)}
    if files.uses_bucket():
        checks["storage"] = _storage_ok()
    states: dict[str, object] = {name: "ok" if ok else "error" for name, ok in checks.items()}
    if settings.DATABASE_REPLICAS:
        # Reported, never failing the check: reads skip a replica that is behind or down.
        states["replicas"] = [
            {"name": state.name, "status": state.status, "lag_seconds": state.lag_seconds}
            for state in replica_states()
        ]
    failed = [name for name, ok in checks.items() if not ok]
    if not failed:
        return JsonResponse({"status": "ok", "version": settings.APP_VERSION, **states})
    message, reason = _FAILURES[failed[0]]
    # The documented health fields and the error envelope, in one body.
    body = envelope(503, message, {"reason": reason})
    body.update(status="unavailable", version=settings.APP_VERSION, **states)
    response = JsonResponse(body, status=503)
    response.is_error_envelope = True
    return response
