"""The audit trail, read only: no route writes, changes or deletes an event (405)."""

from audit import selectors
from audit.api import serializers as s
from audit.api.filters import AuditEventFilter
from ektor.api.views import ApiViewSet, ListMixin


class AuditEventViewSet(ListMixin, ApiViewSet):
    """Who changed what and when: every create, update, delete and state change of a business
    row, newest first."""

    serializer_class = s.AuditEventOut
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return selectors.event_list(self.ctx)
