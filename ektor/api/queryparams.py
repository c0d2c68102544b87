"""Query-string validation: a bad value is a 422 with loc ["query", name], never ignored."""

from typing import Any

from rest_framework import serializers

from ektor.api.errors import RequestValidationError, flatten_errors


def validate_query(serializer_class: type[serializers.Serializer], request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    if not serializer.is_valid():
        raise RequestValidationError(flatten_errors(serializer.errors, ["query"]))
    return serializer.validated_data
