import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from ektor.api.errors import envelope

logger = logging.getLogger("ektor.health")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: answers 503 when the database does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health check: database unavailable: %s", exc)
        # The documented health fields and the error envelope, in one body.
        body = envelope(503, "Database unavailable", {"reason": "database_unavailable"})
        body.update(status="unavailable", version=settings.APP_VERSION, database="error")
        response = JsonResponse(body, status=503)
        response.is_error_envelope = True
        return response
    return JsonResponse({"status": "ok", "version": settings.APP_VERSION, "database": "ok"})
