"""The audit trail in the back office: read only, for everyone (superusers included)."""

from django.contrib import admin

from audit import selectors
from audit.models import AuditEvent
from ektor.admin_tools import OfficeAdmin
from ektor.ctx import request_ctx


@admin.register(AuditEvent)
class AuditEventAdmin(OfficeAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id", "request_id")
    # No list filter: its choices would read the distinct values of the largest table on every
    # page. `?object_type=invoice&object_id=12` filters the changelist, and
    # the search finds a request's or an actor's events.
    search_fields = ("=request_id", "=actor")
    fields = (
        "at",
        "actor",
        "actor_user",
        "action",
        "object_type",
        "object_id",
        "changes",
        "request_id",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.event_list(request_ctx(request))

    # Events are written by the services only, and never changed or removed.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
