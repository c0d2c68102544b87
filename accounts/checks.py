"""Configuration checks run by `manage.py check` (and at server start)."""

from django.conf import settings
from django.core.checks import Error, register
from rest_framework.throttling import SimpleRateThrottle

from accounts.throttling import SIGN_IN_THROTTLES

RATE_SETTINGS = tuple(throttle.setting for throttle in SIGN_IN_THROTTLES)


@register()
def check_rate_limits(app_configs, **kwargs) -> list[Error]:
    """A malformed rate would otherwise surface as a 500 on the first sign-in."""
    errors = []
    for name in RATE_SETTINGS:
        value = getattr(settings, name, None)
        try:
            count, _ = SimpleRateThrottle.parse_rate(None, value)
            valid = count is not None and count > 0
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            errors.append(
                Error(
                    f"{name} must look like 10/min (a positive count per s, min, hour or day); "
                    f"got {value!r}.",
                    id="accounts.E001",
                )
            )
    return errors
