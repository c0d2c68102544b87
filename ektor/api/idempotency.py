"""Idempotency-Key on every POST under /api/v1, run by the API base (`ApiView`) once for all.

- The key is 1..255 printable ASCII characters; anything else is a 400
  `invalid_idempotency_key`, on every POST (the sign-in ones included).
- A signed-in caller's key is claimed before the view's work runs: a row (user, key) inserted
  on its own, in flight. The key is the caller's in the company they act for (the company is
  hashed into the key's digest): a person in two companies who sends one key to both gets
  two requests, never company A's stored answer in company B. Of concurrent requests with one
  key exactly one inserts it (the unique constraint); the others read it and answer 409
  `idempotency_key_in_progress`, or the stored answer once it is there.
- The answer completes the row: status, body and the view's headers (Content-Type, Location,
  Cache-Control ...), replayed with `Idempotent-Replayed: true` for the same method, path with
  query and body within IDEMPOTENCY_TTL; another method, path or body with that key is 422
  `idempotency_key_reused`. 4xx answers are stored too (the same request gets the same
  refusal); a 5xx (an unhandled exception included) deletes the claim, so a retry runs again.
- A caller who is not signed in (`auth/token`, `auth/refresh`, open registration) has no one to
  keep the key for: the key is checked, then ignored, and each request runs. Tokens are never
  replayed to whoever presents a key.
- A record older than IDEMPOTENCY_TTL is absent; so is a claim still in flight after
  ABANDONED_AFTER (its worker died: gunicorn kills a request after 30 s), so the key is not
  locked out for a day.

The happy path costs one INSERT and one UPDATE; a replay one failed INSERT and one SELECT.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone

from core.context import Ctx
from core.errors import ApplicationError, Conflict
from ektor.api.errors import ApiErrorCode
from ektor.models import IDEMPOTENCY_TTL, IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
MAX_LENGTH = 255
# Longer than any request may run (gunicorn's timeout is 30 s).
ABANDONED_AFTER = timedelta(minutes=5)
# Claims lost to a concurrent release or takeover before giving up with a 409.
_ATTEMPTS = 3
_KEY_MESSAGE = f"The {HEADER} header must be 1 to {MAX_LENGTH} printable ASCII characters"


class Replay(Exception):
    """Raised from the view's `initial()` to answer with a stored response instead of running."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replay")
        self.response = response


@dataclass(frozen=True, slots=True)
class Claim:
    record_id: int


def key_of(request) -> str:
    """The request's key (the caller checked that it sent one), or the 400 for a malformed one."""
    key = request.META[META_KEY]
    if not 1 <= len(key) <= MAX_LENGTH or not all(" " <= char <= "~" for char in key):
        raise ApplicationError(
            _KEY_MESSAGE, reason=ApiErrorCode.INVALID_IDEMPOTENCY_KEY, status=400
        )
    return key


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        # Length-prefixed, so no two different (method, path, body) hash the same bytes.
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def claim(request, ctx: Ctx, key: str, body: bytes) -> Claim | None:
    """Claim `key` for the signed-in caller before the work runs, or raise: Replay with the
    stored answer, or the 409 / 422 the contract gives. None for a caller not signed in."""
    user = request.user
    if not user.is_authenticated:
        return None
    company_id = getattr(ctx.company, "pk", None)
    key_digest = _digest(str(company_id).encode(), key.encode())
    fingerprint = _digest(request.method.encode(), request.get_full_path().encode(), body)
    for _ in range(_ATTEMPTS):
        now = timezone.now()
        try:
            return Claim(_insert(user.pk, key_digest, fingerprint, now))
        except IntegrityError:
            pass
        found = (
            IdempotencyRecord.objects.filter(user_id=user.pk, key_digest=key_digest)
            .only("created_at", "fingerprint", "status", "headers", "body")
            .first()
        )
        if found is None:
            continue  # released since our insert failed: claim it again
        abandoned = found.status is None and found.created_at <= now - ABANDONED_AFTER
        if found.created_at <= now - IDEMPOTENCY_TTL or abandoned:
            # Absent: delete exactly the row we judged (a concurrent takeover may have replaced
            # it), then claim again; the constraint still lets only one of us in.
            IdempotencyRecord.objects.filter(pk=found.pk, created_at=found.created_at).delete()
            continue
        if found.fingerprint != fingerprint:
            raise _reused()
        if found.status is None:
            break
        raise Replay(_replayed(found))
    raise Conflict(
        f"A request with this {HEADER} is still being processed; retry later",
        reason=ApiErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
    )


def _insert(user_id: int, key_digest: str, fingerprint: str, now) -> int:
    values = {
        "user_id": user_id,
        "key_digest": key_digest,
        "fingerprint": fingerprint,
        "created_at": now,
    }
    if connection.in_atomic_block:
        # Inside a caller's transaction (the tests'): a savepoint keeps it usable on a duplicate.
        with transaction.atomic():
            return IdempotencyRecord.objects.create(**values).pk
    # Autocommit: the INSERT is its own transaction, visible to concurrent requests at once.
    return IdempotencyRecord.objects.create(**values).pk


def _reused() -> ApplicationError:
    message = f"This {HEADER} was used for another request (method, path or body)"
    error = {"loc": ["header", HEADER], "msg": message, "type": "idempotency_key_reused"}
    return ApplicationError(
        message,
        reason=ApiErrorCode.IDEMPOTENCY_KEY_REUSED,
        status=422,
        extra={"errors": [error]},
    )


def _replayed(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status)
    for name, value in record.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    # A stored error is already the envelope, with the request id of the request that got it.
    response.is_error_envelope = record.status >= 400
    return response


def settle(claim: Claim, response) -> None:
    """Complete the claim with the view's answer, or release it after a server error."""
    records = IdempotencyRecord.objects.filter(pk=claim.record_id)
    if response.status_code >= 500 or response.streaming:
        records.delete()
        return
    if hasattr(response, "render"):
        response.render()  # DRF renders late; the body is needed now (rendering is once)
    records.update(
        status=response.status_code, headers=dict(response.items()), body=response.content
    )
