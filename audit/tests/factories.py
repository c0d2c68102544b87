from django.db import transaction

from audit.models import AuditEvent
from audit.services import record
from core.context import Ctx
from tenancy.tests.factories import default_company


def make_event(
    ctx: Ctx | None = None, action: str = "create", target=("customer", 1), changes=None
):
    """An event as a service records it (the model has no other way in); by the system of the
    test company unless `ctx` says otherwise."""
    with transaction.atomic():
        event: AuditEvent = record(
            ctx or Ctx.system(default_company()), action, target, changes or {}
        )
    return event
