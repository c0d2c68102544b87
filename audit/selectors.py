"""Every read of the audit trail starts from `event_list(ctx)` (the company's scope joins here)."""

from django.db import models
from django.db.models import QuerySet

from audit.models import AuditEvent
from core.context import Ctx


def event_list(ctx: Ctx) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.all()


def object_history(ctx: Ctx, obj: models.Model) -> QuerySet[AuditEvent]:
    """The events of one row, newest first."""
    return event_list(ctx).filter(object_type=obj._meta.model_name, object_id=obj.pk)
