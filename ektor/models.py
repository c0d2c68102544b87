"""The plumbing's own rows: the API's Idempotency-Key records (ektor/api/idempotency.py)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# How long a key's answer is kept and replayed (the contract: 24 hours).
IDEMPOTENCY_TTL = timedelta(hours=24)


class IdempotencyRecordQuerySet(models.QuerySet):
    def expired(self, now: datetime | None = None) -> "IdempotencyRecordQuerySet":
        """Records past IDEMPOTENCY_TTL: the API treats them as absent, and
        `manage.py purge_idempotency_keys` deletes them."""
        return self.filter(created_at__lte=(now or timezone.now()) - IDEMPOTENCY_TTL)


class IdempotencyRecord(models.Model):
    """One Idempotency-Key of one user: claimed (in flight, `status` NULL) before the request's
    work runs, then completed with the answer to replay.

    The unique (user, key_digest) constraint is the claim: of two requests with the same key,
    exactly one inserts its row; the other hits the constraint and answers from that row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # SHA-256 of the company acted for and the key, hex (a key is per user and company):
    # keys are case-sensitive, MySQL's default collation is not, and
    # 64 characters index better than 255.
    key_digest = models.CharField(max_length=64)
    # SHA-256 of the method, the path with its query string and the body bytes.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    # NULL while the first request is in flight.
    status = models.PositiveSmallIntegerField(null=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key_digest"], name="ektor_idempotencyrecord_user_key_unique"
            )
        ]

    def __str__(self) -> str:
        state = "in flight" if self.status is None else f"answered {self.status}"
        return f"Idempotency key of user {self.user_id}, {state}"
