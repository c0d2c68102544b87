from rest_framework import serializers

from audit.models import AuditEvent
from ektor.api.output import ModelOutput


class AuditEventOut(ModelOutput):
    event_id = serializers.IntegerField(source="id", read_only=True)
    # Null for a command or the system acting (and should the user ever be deleted).
    actor_id = serializers.IntegerField(source="actor_user_id", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["event_id", "at", "actor_id", "actor", "action", "object_type", "object_id"]
        # {field: [old, new]}; old is null on create, new null on delete.
        fields += ["changes", "request_id"]
        read_only_fields = fields
