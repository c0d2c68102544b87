"""The base for thin viewsets: selectors read, services write, serializers only shape."""

import io
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.metadata import BaseMetadata
from rest_framework.response import Response
from rest_framework.views import APIView

from core.context import Ctx
from core.errors import NotFound, ReasonCode, reason_code
from ektor.api import idempotency
from ektor.api.errors import RequestValidationError
from ektor.api.filters import ASCII_INT, MAX_ID, PAGING_PARAMETERS
from ektor.ctx import request_ctx
from ektor.db.prepared import PreparedPage, PreparedSearch
from ektor.db.router import replica_read
from tenancy.scoping import company_of


def path_id(value: object, name: str) -> int:
    """The id a path names, or a 422 located at it (`loc: ["path", name]`)."""
    pk = int(str(value)) if ASCII_INT.match(str(value)) else 0
    if not 1 <= pk <= MAX_ID:
        # Beyond MAX_ID no row has it, and a compiled query could not even bind it (SQLite).
        raise RequestValidationError(
            [
                {
                    "loc": ["path", name],
                    "msg": f"Input should be a positive integer of at most {MAX_ID}",
                    "type": "int_parsing",
                }
            ]
        )
    return pk


class MediaTypesMetadata(BaseMetadata):
    """The OPTIONS body: the route's name and media types (the methods are in `Allow`).

    DRF's SimpleMetadata also describes a POST from `serializer_class`, which our views use
    for output only (and some views lack: it crashed on them).
    """

    def determine_metadata(self, request, view) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }


class ApiView(APIView):
    """What every API view shares.

    OPTIONS answers anyone with `Allow` (it tells what the route's documentation tells): no
    authentication, permission or rate limit applies to it. A method the route does not have
    is refused (405) without spending a rate limit, so it cannot use up a sign-in budget.

    `self.ctx`, built once right after authentication (the permission checks read through it
    too), is what every handler passes to the services and selectors it calls.

    Every POST honours `Idempotency-Key` here (ektor/api/idempotency.py): claimed after
    authentication, permissions and rate limits, before the handler; replayed instead of
    running it; completed (or released after a 5xx) with the answer.
    """

    metadata_class = MediaTypesMetadata
    # Whoever authenticates nobody acts anonymously: an OPTIONS request, and the OpenAPI
    # generator's views (it calls get_queryset without running a request).
    ctx: Ctx = Ctx.anonymous()
    idempotency_claim: idempotency.Claim | None = None

    def initial(self, request, *args, **kwargs) -> None:
        keyed = (
            request.method == "POST"
            and hasattr(self, "post")
            and idempotency.META_KEY in request.META
        )
        # Read before anything parses the stream (the sign-in rate limits read the username):
        # the fingerprint is of the bytes sent.
        body = self._body_of(request._request) if keyed else b""
        super().initial(request, *args, **kwargs)
        if keyed:
            key = idempotency.key_of(request)
            self.idempotency_claim = idempotency.claim(request, self.ctx, key, body)

    def _body_of(self, request) -> bytes:
        if getattr(self, "max_body_bytes", None) is None:
            return request.body
        # An upload view's body was held to the view's own ceiling by the body-limit
        # middleware; Django's `request.body` would still refuse it over
        # DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, meant for form fields). Read as Django reads
        # it, so the parsers then take it from memory.
        if not hasattr(request, "_body"):
            request._body = request.read()
            request._stream = io.BytesIO(request._body)
        return request._body

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.idempotency_claim is not None:
            idempotency.settle(self.idempotency_claim, response)
        return response

    def perform_authentication(self, request) -> None:
        if request.method != "OPTIONS":
            super().perform_authentication(request)
            self.ctx = request_ctx(request)

    def check_permissions(self, request) -> None:
        if request.method == "OPTIONS":
            return
        # A method the route does not have is a 405 for whoever signed in (dispatch answers
        # it), not a 403 for lacking a permission no one has (nobody may change an audit event).
        if request.user.is_authenticated and not hasattr(self, request.method.lower()):
            return
        super().check_permissions(request)

    def check_throttles(self, request) -> None:
        # dispatch() answers a method the view has no handler for with 405.
        if request.method != "OPTIONS" and hasattr(self, request.method.lower()):
            super().check_throttles(request)


class ApiViewSet(viewsets.GenericViewSet, ApiView):
    """The shape of every resource: `get_queryset` calls the app's selector, writes take
    `self.validated(SomeIn)` to a service, and the answer is `serializer_class`'s output
    (an ektor.api.output.Output, encoded by `self.output`).

    `get_object` 404s in the envelope with the model's name ("Customer not found").

    An id in the path that is not a positive integer is a 422 (`loc: ["path", <the route's id
    name>]`, as the OpenAPI document names it: `movement_id`, `plan_id`).
    """

    def dispatch(self, request, *args, **kwargs):
        # Routes name the id as errors report it (`lookup_url_kwarg = "invoice_id"`, which the
        # OpenAPI document shows); handlers and get_object keep DRF's `pk`.
        if self.lookup_url_kwarg in kwargs:
            kwargs["pk"] = kwargs.pop(self.lookup_url_kwarg)
        return super().dispatch(request, *args, **kwargs)

    _scoped: QuerySet[Any] | None = None
    # The 404's reason when it is not "<model name>_not_found" (a ServicePlan's: plan_not_found).
    not_found_reason: ReasonCode | None = None

    def scoped_queryset(self) -> QuerySet[Any]:
        """`get_queryset()` once per request (a view serves one): the permission check,
        `get_object` and the list share it instead of building the company's scope three times
        (docs/performance.md, "With companies")."""
        if self._scoped is None:
            self._scoped = self.get_queryset()
        return self._scoped

    def get_object(self):
        queryset = self.scoped_queryset()
        model = queryset.model
        what = str(model._meta.verbose_name).capitalize()
        pk = path_id(self.kwargs["pk"], self.lookup_url_kwarg or f"{model._meta.model_name}_id")
        obj = queryset.filter(pk=pk).first()
        if obj is None:
            reason = self.not_found_reason or reason_code(f"{model._meta.model_name}_not_found")
            raise NotFound(what, reason=reason)
        self.check_object_permissions(self.request, obj)
        return obj

    def validated(
        self, serializer_class: type[serializers.Serializer], *, partial: bool = False
    ) -> dict[str, Any]:
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def output(self, obj, status: int = 200) -> Response:
        return Response(self.serializer_class.encode(obj), status=status)


class ListMixin:
    """A page of the output: a list reads only the output's columns (`values()`), from a read
    replica when one may serve the caller (ektor/db/router.py).

    `unfiltered_page`, when a list declares one, answers a request with no filter (only
    `limit`/`offset`): the same count and page as the queryset's, their SQL compiled once per
    process (a PreparedPage of the output's columns, built with the company's id only, so
    only for a list whose rows depend on nothing else of the caller). `search_page` likewise
    answers a request whose only filter is the FilterSet's search (its words validated by the
    FilterSet's form, as the FilterSet would)."""

    unfiltered_page: PreparedPage | None = None
    search_page: PreparedSearch | None = None

    def _prepared(self, request) -> tuple[PreparedPage, dict[str, Any]] | None:
        """The compiled page that answers the request and its values, if one does."""
        asked = request.query_params.keys()
        if asked <= PAGING_PARAMETERS:
            page = self.unfiltered_page
            if page is not None:
                return page, {"company_id": company_of(self.ctx).pk}
        if self.search_page is None:
            return None
        search = self.filterset_class.search_name()
        if not asked <= PAGING_PARAMETERS | {search}:
            return None
        q = self.filterset_class.cleaned(request).get(search) or ""
        page, words = self.search_page.page_for(q)
        return page, {"company_id": company_of(self.ctx).pk, **words}

    # Before `list`, whose name would otherwise be the method in this annotation.
    def list_rows(self, request) -> list[dict]:
        """The page's rows, encoded (the paginator keeps the count for the headers)."""
        out = self.serializer_class

        def page():
            prepared = self._prepared(request)
            if prepared is not None:
                rows = self.paginator.paginate_prepared(request, prepared[0], **prepared[1])
            else:
                queryset = self.filter_queryset(self.scoped_queryset()).values(*out.columns())
                rows = self.paginate_queryset(queryset)
            self.attach(rows)
            return out.encode_rows(rows)

        return replica_read(request.user, page)

    def attach(self, rows: list[dict]) -> None:
        """Add to the page's rows what their nested lists read (no column of theirs: an
        invoice's lines, under the field's source)."""

    def list(self, request):
        return self.get_paginated_response(self.list_rows(request))


class RetrieveMixin:
    def retrieve(self, request, pk=None):
        return self.output(self.get_object())
