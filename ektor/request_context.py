"""The current request's id and user, readable anywhere (logs, error bodies)."""

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)

# An incoming X-Request-Id is kept only when it is short and made of safe characters,
# so it cannot inject anything into logs or headers.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def choose_request_id(incoming: str | None) -> str:
    if incoming and _VALID_REQUEST_ID.match(incoming):
        return incoming
    return str(uuid.uuid4())


def current_request_id() -> str:
    return request_id_var.get()
