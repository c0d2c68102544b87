from decimal import Decimal

import orjson
from django.http import HttpResponse
from rest_framework.renderers import BaseRenderer


def _default(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_bytes(data) -> bytes:
    """The API's JSON of `data`, as every answer renders it."""
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


class JSONRenderer(BaseRenderer):
    """orjson rendering: the list endpoints spend most of their time here."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json_bytes(data)


def rendered_response(body: bytes, headers: dict[str, str] | None = None) -> HttpResponse:
    """A 200 whose JSON was rendered before (`json_bytes`, kept in a cache): the same status,
    Content-Type and body a Response of the data would send, without rendering it again."""
    return HttpResponse(body, content_type=JSONRenderer.media_type, headers=headers)
