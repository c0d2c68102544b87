"""Every read of the audit trail starts from `event_list(ctx)`: the events of ctx's company."""

from django.db import models
from django.db.models import QuerySet

from audit.models import AuditEvent
from core.context import Ctx


def event_list(ctx: Ctx) -> QuerySet[AuditEvent]:
    if ctx.company is None:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(company=ctx.company)


def object_history(ctx: Ctx, obj: models.Model) -> QuerySet[AuditEvent]:
    """The events of one row, newest first."""
    return event_list(ctx).filter(object_type=obj._meta.model_name, object_id=obj.pk)
