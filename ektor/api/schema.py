"""The OpenAPI document, shaped in one place so that a client generated from it works untouched.

- Paths are the canonical ones (no trailing slash); path ids are named as errors report them
  (`invoice_id`), by each viewset's `lookup_url_kwarg`, and typed as positive BIGINTs.
- Request bodies are JSON only (a view may still declare another media type with its own
  schema, as `auth/token` does for the OAuth2 form); PATCH bodies carry no defaults, so a
  generated client sends only the fields it was given.
- Every operation lists the error statuses it can answer, all in the `Error` envelope, with
  their `details.reason` values: those that follow from the view (authentication, a body, a
  path id, query parameters, throttling) and the view's own `error_reasons` for the action
  (`{"create": {409: ("payment_exceeds_total", ...)}}`).
- Lists declare their `X-Total-Count` and `Link` headers; 429 declares `Retry-After`.
- Every POST takes the `Idempotency-Key` header (ektor/api/idempotency.py), lists its 400, 409
  and 422 reasons, and declares `Idempotent-Replayed` on its success answer.
- Tags per resource, short operation ids (`invoices_list`, `invoices_send`, `auth_token`) and
  summaries (the action's docstring, or one made from the action and the model).
"""

import inspect
import re
from collections import defaultdict
from http import HTTPStatus

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import (
    ResolvedComponent,
    get_doc,
    get_view_model,
    is_patched_serializer,
)
from rest_framework.permissions import IsAuthenticated

from ektor.api.filters import MAX_ID

API_PREFIX = "/api/v1/"

_ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "The envelope of every error answer.",
        "properties": {
            "code": {
                "type": "string",
                "description": "`REQUEST_VALIDATION_ERROR` for 422, `HTTP_<status>` otherwise",
            },
            "message": {"type": "string"},
            "details": {"$ref": "#/components/schemas/ErrorDetails"},
            "timestamp": {"type": "string", "format": "date-time"},
        },
        "required": ["code", "message", "details", "timestamp"],
    },
    "ErrorDetails": {
        "type": "object",
        "properties": {
            "request_id": {"type": "string", "description": "The response's X-Request-Id"},
            "reason": {
                "type": "string",
                "description": "A stable snake_case reason; each response lists its values",
            },
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/FieldError"},
                "description": "422: what is wrong, field by field",
            },
            "retry_after": {"type": "integer", "description": "429: seconds to wait"},
            "references": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "`protected_by_references`: how many rows of each kind",
            },
        },
        "required": ["request_id"],
    },
    "FieldError": {
        "type": "object",
        "properties": {
            "loc": {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "description": '`["body"|"query"|"path", field, ...]`',
            },
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["loc", "msg", "type"],
    },
}

_STATUS_TEXT = {
    400: "Bad request",
    401: "Not signed in: no token, a bad or expired one, or its session ended",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    411: "A body sent without `Content-Length` (chunked)",
    413: "Body too large",
    415: "Unsupported media type: send `application/json`",
    422: "Invalid request: `details.errors` says what, field by field",
    429: "Too many attempts: wait `Retry-After` seconds",
}
# Any request can have one: gunicorn refuses it before the app sees it (limit_request_line).
_URI_TOO_LONG = {"description": "Request line over 4 KB, refused by the HTTP server"}
_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"},
}
_LIST_HEADERS = {
    "X-Total-Count": {
        "schema": {"type": "integer"},
        "description": "How many items match the filters, over all pages",
    },
    "Link": {
        "schema": {"type": "string"},
        "description": 'The `rel="next"` and `rel="prev"` pages (RFC 8288), when there are any',
    },
}
# The server strips the spaces around a header's value, so a documented key has none there.
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
    },
    "description": (
        "1 to 255 printable ASCII characters, unique per request you mean once. The first "
        "request with a key runs and its answer is kept 24 hours for you and the key; the same "
        "request again (method, path with query, body) gets that answer again with "
        "`Idempotent-Replayed: true` and does nothing else; another request with the key is "
        "422 `idempotency_key_reused`, and while the first still runs 409 "
        "`idempotency_key_in_progress`. A 5xx is not kept: retry with the same key. Without a "
        "signed-in caller (sign-in, refresh) the key is checked and not kept."
    ),
}
_REPLAYED = {
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Present when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key`",
    },
}
# The standard actions of a router's viewset: operation id verb, summary.
_ACTIONS = {
    "list": ("list", "List {plural}, newest first"),
    "create": ("create", "Create {a} {name}"),
    "retrieve": ("get", "Get {a} {name}"),
    "update": ("replace", "Replace {a} {name} (every field)"),
    "partial_update": ("update", "Change some fields of {a} {name}"),
    "destroy": ("delete", "Delete {a} {name}"),
}
_BODY_METHODS = ("POST", "PUT", "PATCH")


def canonical_paths(endpoints, **kwargs):
    """PREPROCESSING_HOOKS: the routes match with or without the slash; document without."""
    return [(path.rstrip("/"), regex, method, view) for path, regex, method, view in endpoints]


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if parameter["name"].endswith("_id") and schema.get("type") == "integer":
                # Ids are positive BIGINTs wherever they appear (ektor.api.filters).
                schema.update(minimum=1, maximum=MAX_ID)
        responses = operation["responses"]
        if self._is_list_view() and "200" in responses:
            responses["200"]["headers"] = _LIST_HEADERS
        if self.method == "POST":
            operation.setdefault("parameters", []).append({**_IDEMPOTENCY_KEY})
            for status, response in responses.items():
                if status.startswith("2"):
                    response["headers"] = {**response.get("headers", {}), **_REPLAYED}
        for name, schema in _ERROR_SCHEMAS.items():
            component = ResolvedComponent(name, ResolvedComponent.SCHEMA, schema, object=name)
            registry.register_on_missing(component)
        for status, reasons in sorted(self._errors(operation).items()):
            responses[str(status)] = self._error_response(status, reasons)
        body_types = list(operation.get("requestBody", {}).get("content", {}))
        if "415" in responses and body_types not in ([], ["application/json"]):
            # An upload takes its own media type (a photo's multipart form).
            sent = " or ".join(f"`{media_type}`" for media_type in body_types)
            responses["415"]["description"] = responses["415"]["description"].replace(
                "`application/json`", sent
            )
        responses["414"] = _URI_TOO_LONG
        return operation

    def _errors(self, operation) -> dict[int, set[str]]:
        view = self.view
        errors: dict[int, set[str]] = defaultdict(set)
        if view.get_authenticators():
            errors[401] |= {"not_authenticated", "invalid_token", "session_ended"}
            errors[403].add("user_inactive")
            if not all(isinstance(p, IsAuthenticated) for p in view.get_permissions()):
                errors[403].add("permission_denied")
        if self.method == "POST":
            errors[400].add("invalid_idempotency_key")
            if view.get_authenticators():
                errors[409].add("idempotency_key_in_progress")
                errors[422].add("idempotency_key_reused")
        if self.method in _BODY_METHODS:
            errors[411].add("length_required")
            errors[413].add("request_too_large")
        if "requestBody" in operation:
            errors[400].add("malformed_body")
            errors.setdefault(415, set())
            errors.setdefault(422, set())
        for parameter in operation.get("parameters", []):
            errors.setdefault(422, set())
            if parameter["in"] == "path":
                errors[404].add(parameter["name"].removesuffix("_id") + "_not_found")
        if view.get_throttles():
            errors[429].add("rate_limited")
        action = getattr(view, "action", None) or self.method.lower()
        for status, reasons in getattr(view, "error_reasons", {}).get(action, {}).items():
            errors[status] |= set(reasons)
        return errors

    def _error_response(self, status: int, reasons: set[str]) -> dict:
        description = _STATUS_TEXT.get(status) or HTTPStatus(status).phrase
        if reasons:
            description += ". `details.reason`: " + ", ".join(f"`{r}`" for r in sorted(reasons))
        response = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if status == 429:
            response["headers"] = _RETRY_AFTER
        return response

    def map_parsers(self):
        # Form and multipart bodies cannot carry JSON's integers and booleans.
        return ["application/json"]

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if is_patched_serializer(serializer, direction):
            # A default in a PATCH body would be sent by generated clients on every call.
            for field in schema.get("properties", {}).values():
                field.pop("default", None)
        return schema

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        # CustomerOut -> Customer, CustomerIn(Request) -> CustomerRequest.
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        return re.sub(r"(?<=[a-z])(In|Out)(?=(Request|List)?$)", "", name)

    def _resource_tokens(self) -> list[str]:
        path = re.sub(r"\{[^}]+\}", "", self.path.removeprefix(API_PREFIX))
        return [token.replace("-", "_") for token in path.split("/") if token]

    def get_tags(self):
        return self._resource_tokens()[:1]

    def _standard_action(self) -> str | None:
        # Only a router's viewsets have a basename; auth/token & co. are one-action endpoints.
        action = getattr(self.view, "action", None)
        return action if getattr(self.view, "basename", None) and action in _ACTIONS else None

    def get_operation_id(self):
        tokens = self._resource_tokens()
        action = self._standard_action()
        if action:
            tokens.append(_ACTIONS[action][0])
        return "_".join(tokens)

    def _action_doc(self) -> str:
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower())
        return get_doc(handler)

    def get_summary(self):
        doc = self._action_doc()
        if doc:
            return doc.split("\n\n")[0].replace("\n", " ").rstrip(".")
        action = self._standard_action()
        model = get_view_model(self.view, emit_warnings=False)
        if not action or model is None:
            return None
        name = str(model._meta.verbose_name)
        return _ACTIONS[action][1].format(
            plural=model._meta.verbose_name_plural,
            name=name,
            a="an" if name[0] in "aeio" else "a",  # not "an user"
        )

    def get_description(self):
        doc = self._action_doc()
        if doc:
            return doc.partition("\n\n")[2]
        # The view's own docstring only: its bases' are about the plumbing, not the API.
        own = self.view.__class__.__dict__.get("__doc__")
        return inspect.cleandoc(own) if own else ""
