from decimal import Decimal

import orjson
from rest_framework.renderers import BaseRenderer


def _default(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class JSONRenderer(BaseRenderer):
    """orjson rendering: the list endpoints spend most of their time here."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
