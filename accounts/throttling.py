"""Rate limits for the sign-in endpoints, counted in the shared cache (Redis or a DB table).

Each limit is a fixed window: a counter per endpoint, identity and window (the minute, hour or
day the rate names, aligned to the clock), created with cache.add(key, 0) and counted with
cache.incr(key). Both are atomic on Redis (INCR) and on our database cache (ektor.cache: the
row is locked while it is incremented), so requests arriving at once in several processes
cannot all read the same count and slip past the limit, as DRF's SimpleRateThrottle (a
history list read and written back) lets them. Each window has its own key, so a counter is
never re-created while its window runs. A fixed window lets a client spend one window's
allowance at its end and the next one's at the start of the next: at most twice the limit in
a short burst across the boundary, never more per window. Counters are never evicted while
their window runs: our database cache deletes only expired rows when it grows (Django's would
delete a third of the live ones, letting a client flush its own counters with made-up
usernames).

Sign-ins (auth/token and the admin's sign-in form, one budget: an attempt at either counts
once against the same counters) and registrations are limited per client address, per
username from that address, and per username from anywhere under a higher ceiling: a stranger
guessing a user's password from elsewhere spends only their own address's allowance, and must
bring many addresses to reach the ceiling that would lock the user out (until the window ends).

DRF's own client identification trusts any X-Forwarded-For header unless NUM_PROXIES is set;
here the address comes from `client_ip`, which only believes entries added by the proxies we
were told about, so a client cannot mint itself a fresh identity per request.
"""

import hashlib
import math
from ipaddress import ip_address
from types import SimpleNamespace

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


# A window's counter outlives the window by this much, so clocks a little apart on two
# servers (and the database cache's whole-second expiry) never see it expire and start over
# while the window still runs.
WINDOW_KEY_MARGIN = 10


# Set on a request that a limit has refused: the limits after it do not count it (the views
# list the address limit first), so a refused client cannot make a counter per made-up username.
REFUSED = "_auth_rate_limit_refused"


class _AuthRateThrottle(SimpleRateThrottle):
    """Counts per endpoint (the view's `throttle_scope`) and per `kind` of identity, in fixed
    windows (see the module's docstring). SimpleRateThrottle gives the rate parsing; its
    history list is not used."""

    kind = ""
    setting = ""

    def get_rate(self) -> str:
        # Read per request (not at import) so the rate follows the settings in force.
        return getattr(settings, self.setting)

    def allow_request(self, request, view) -> bool:
        if self.rate is None or getattr(request, REFUSED, False):
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        timeout = math.ceil(self.window_ends - self.now) + WINDOW_KEY_MARGIN
        allowed = self.count(f"{key}:{window}", timeout) <= self.num_requests
        if not allowed:
            setattr(request, REFUSED, True)
        return allowed

    def count(self, key: str, timeout: int) -> int:
        """This request's number in the window: add() makes the counter once, incr() counts."""
        for _ in range(2):
            self.cache.add(key, 0, timeout)
            try:
                return self.cache.incr(key)
            except ValueError:
                # Gone between add and incr (culled or evicted from a full cache): make it
                # again. (Django's Redis incr checks the key exists, then INCRs: a key evicted
                # in between comes back without expiry, harmless as no later window reads it.)
                continue
        return 1  # a cache that cannot keep the key cannot limit; do not refuse for it

    def wait(self) -> float:
        """Seconds until the window ends and the counter starts again."""
        return max(self.window_ends - self.timer(), 0)

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


def _named_username(request) -> str | None:
    """The username a sign-in names: the API's parsed body, or the admin's form."""
    try:
        data = request.data if hasattr(request, "data") else request.POST
        username = data.get("username")
    except AttributeError:  # a JSON body that is not an object: validation answers it
        return None
    if not isinstance(username, str) or not username.strip():
        return None
    return username.strip().lower()


class UsernameAddressRateThrottle(_AuthRateThrottle):
    """Per account named in the body, from one client address: a user's own sign-ins never
    share a counter with a stranger's guesses."""

    kind = "username-address"
    setting = "AUTH_USERNAME_RATE_LIMIT"

    def identity(self, request) -> str | None:
        username = _named_username(request)
        if username is None:
            return None
        return f"{username}\n{client_ip(request) or 'unknown'}"


class UsernameRateThrottle(_AuthRateThrottle):
    """Per account named in the body, from any address: a ceiling on guesses spread over many
    addresses, set well above the per-address limits so a user is locked out only by many."""

    kind = "username"
    setting = "AUTH_USERNAME_CEILING"

    def identity(self, request) -> str | None:
        return _named_username(request)


# The scope auth/token counts in; the admin's sign-in form counts in it too (one budget).
SIGN_IN_SCOPE = "token"
# Address first: a request it refuses is not counted per username (see REFUSED).
SIGN_IN_THROTTLES = [ClientAddressRateThrottle, UsernameAddressRateThrottle, UsernameRateThrottle]


def sign_in_refusal(request, *, scope: str = SIGN_IN_SCOPE) -> float | None:
    """Count a sign-in made outside DRF (the admin's form) as DRF's check_throttles counts one
    at auth/token: None when every limit allows it, else the seconds to wait."""
    view = SimpleNamespace(throttle_scope=scope)
    waits = []
    for throttle_class in SIGN_IN_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, view):
            waits.append(throttle.wait())
    return max(waits) if waits else None
