"""The audit trail: one row per change of a business row, written by the service that made the
change, in its transaction (audit.services.record)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Audited(models.Model):
    """A business row whose services record its changes: it remembers the values it was loaded
    with, so an update's event has the old values without reading the row again (the admin's
    form has already set the new ones on the instance it hands to the service)."""

    _audit_loaded: dict[str, Any]

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = dict(zip(field_names, values, strict=True))
        return instance


class AuditEvent(models.Model):
    """`object_type` is the model's name (`invoice`, `payment`, `customer`, ...; unique across
    the project, see audit/tests), `changes` is `{field: [old, new]}` with JSON values as the
    API writes them (old null on create, new null on delete)."""

    at = models.DateTimeField(default=timezone.now)
    # The company acted for; none for what belongs to no company (a sign-in before one is
    # chosen, a command over users). A lazy reference: audit sits below tenancy.
    company = models.ForeignKey(
        "tenancy.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Users are deactivated, not deleted; should one be deleted, its events stay and `actor`
    # still names them.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_column="actor_id",
    )
    actor = models.CharField(max_length=160)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        # Events are written by services only and never changed: view is the one permission.
        default_permissions = ("view",)
        indexes = [
            # An object's history (the admin's page, ?object_type=&object_id=), newest first.
            models.Index(fields=["object_type", "object_id", "-id"], name="audit_event_object"),
            # The company's trail, newest first (GET /audit-events).
            models.Index(fields=["company", "-id"], name="audit_event_company"),
            models.Index(fields=["actor_user", "-id"], name="audit_event_actor"),
            models.Index(fields=["action", "-id"], name="audit_event_action"),
            models.Index(fields=["at"], name="audit_event_at"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_id}"
