"""Rate limits for the sign-in endpoints, counted in the shared cache (Redis or a DB table).

DRF's own client identification trusts any X-Forwarded-For header unless NUM_PROXIES is set;
here the address comes from `client_ip`, which only believes entries added by the proxies we
were told about, so a client cannot mint itself a fresh identity per request.
"""

import hashlib
from ipaddress import ip_address

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


def _valid_ip(value: str) -> str | None:
    try:
        return str(ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = N proxies in front,
    the address the outermost of them saw (the Nth X-Forwarded-For entry from the right).

    Entries further left were written by the client and prove nothing.
    """
    meta = getattr(request, "META", {})
    remote = _valid_ip(meta.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    entries = [entry for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    return _valid_ip(entries[-min(proxies, len(entries))]) or remote


class _AuthRateThrottle(SimpleRateThrottle):
    """Counts per endpoint (the view's `throttle_scope`) and per `kind` of identity."""

    kind = ""
    setting = ""

    def get_rate(self) -> str:
        # Read per request (not at import) so the rate follows the settings in force.
        return getattr(settings, self.setting)

    def identity(self, request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request, view) -> str | None:
        ident = self.identity(request)
        if ident is None:
            return None
        # Hashed: a username may be long or hold characters some cache backends refuse.
        digest = hashlib.sha256(ident.encode()).hexdigest()
        return f"throttle:{view.throttle_scope}:{self.kind}:{digest}"


class ClientAddressRateThrottle(_AuthRateThrottle):
    kind = "address"
    setting = "AUTH_RATE_LIMIT"

    def identity(self, request) -> str | None:
        return client_ip(request) or "unknown"


class UsernameRateThrottle(_AuthRateThrottle):
    """Per account named in the body, so spreading guesses over many addresses does not help."""

    kind = "username"
    setting = "AUTH_USERNAME_RATE_LIMIT"

    def identity(self, request) -> str | None:
        try:
            username = request.data.get("username")
        except AttributeError:  # a JSON body that is not an object: validation answers it
            return None
        if not isinstance(username, str) or not username.strip():
            return None
        return username.strip().lower()
