"""Lists are JSON arrays; paging lives in `limit`/`offset` and the headers."""

from urllib.parse import urlencode

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from ektor.api.errors import RequestValidationError
from ektor.api.filters import ASCII_INT, MAX_ID
from ektor.db.counts import total_count
from ektor.db.prepared import PreparedPage

MAX_LIMIT = 200


def _query_int(request, name: str, default: int, minimum: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    bound = f" and at most {maximum}" if maximum is not None else ""
    msg = f"Input should be an integer of at least {minimum}{bound}"
    if not ASCII_INT.match(raw):
        raise RequestValidationError([{"loc": ["query", name], "msg": msg, "type": "int_parsing"}])
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        raise RequestValidationError([{"loc": ["query", name], "msg": msg, "type": "range"}])
    return value


class ArrayLimitOffsetPagination(BasePagination):
    default_limit = 50

    def read_params(self, request) -> None:
        """`limit` and `offset` of the request (a bad one is a 422), before any query; a
        cached page (catalog's items) then only needs `count` set for its headers."""
        self.limit = _query_int(request, "limit", self.default_limit, 1, MAX_LIMIT)
        self.offset = _query_int(request, "offset", 0, 0, MAX_ID)
        self.request = request

    def paginate_queryset(self, queryset, request, view=None):
        self.read_params(request)
        self.count = total_count(queryset)
        if self.offset >= self.count:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def paginate_prepared(self, request, prepared: PreparedPage, **values) -> list[dict]:
        """`paginate_queryset` of a list compiled once (the same count, then the same page)."""
        self.read_params(request)
        self.count = prepared.count(**values)
        if self.offset >= self.count:
            return []
        return prepared.page(self.offset, self.limit, **values)

    def get_headers(self) -> dict[str, str]:
        links = []
        if self.offset + self.limit < self.count or self.offset > 0:
            # Each parameter's last value, as QueryDict.items() gives it (no QueryDict copy).
            params = dict(self.request.query_params.items())
            url = self.request.build_absolute_uri(self.request.path)

            def link(offset: int) -> str:
                params.update(limit=str(self.limit), offset=str(offset))
                return f"{url}?{urlencode(sorted(params.items()))}"

            if self.offset + self.limit < self.count:
                links.append(f'<{link(self.offset + self.limit)}>; rel="next"')
            if self.offset > 0:
                links.append(f'<{link(max(0, self.offset - self.limit))}>; rel="prev"')
        headers = {"X-Total-Count": str(self.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return headers

    def get_paginated_response(self, data):
        return Response(data, headers=self.get_headers())

    def get_paginated_response_schema(self, schema):
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
            },
        ]
