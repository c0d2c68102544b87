"""Thin viewsets: selectors read, services write, serializers only shape."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from ektor.api.views import ApiViewSet, ListMixin, RetrieveMixin
from support import selectors, services
from support.api import serializers as s
from support.api.filters import RequestFilter
from support.models import CustomerRequest

_PARTIES = {
    404: ("customer_not_found", "property_not_found", "invoice_not_found"),
    400: ("property_customer_mismatch", "invoice_customer_mismatch"),
}
_TRANSITION = {409: ("invalid_transition",)}


class RequestViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    lookup_url_kwarg = "request_id"
    error_reasons = {
        "create": _PARTIES,
        "partial_update": {
            **_PARTIES,
            400: (*_PARTIES[400], "no_fields_to_update"),
            409: ("request_closed",),
        },
        "assign": {**_TRANSITION, 404: ("user_not_found",)},
        "answer": _TRANSITION,
        "close": _TRANSITION,
        "reopen": _TRANSITION,
    }
    serializer_class = s.RequestOut
    filterset_class = RequestFilter
    permission_model = CustomerRequest
    action_permissions = {
        name: ["support.change_customerrequest"] for name in ("assign", "answer", "close", "reopen")
    }

    def get_queryset(self):
        return selectors.request_list(self.ctx)

    def _respond(self, request: CustomerRequest, status: int = 200) -> Response:
        return self.output(selectors.request_get(self.ctx, request_id=request.pk), status=status)

    @extend_schema(request=s.RequestCreateIn, responses={201: s.RequestOut})
    def create(self, request):
        created = services.request_create(self.ctx, **self.validated(s.RequestCreateIn))
        return self._respond(created, status=201)

    @extend_schema(request=s.RequestUpdateIn, responses=s.RequestOut)
    def partial_update(self, request, pk=None):
        obj = self.get_object()
        data = self.validated(s.RequestUpdateIn, partial=True)
        return self._respond(services.request_update(self.ctx, request=obj, data=data))

    @extend_schema(request=s.RequestAssignIn, responses=s.RequestOut)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the request to a member of the company: it is in progress."""
        obj = self.get_object()
        data = self.validated(s.RequestAssignIn)
        return self._respond(services.request_assign(self.ctx, request=obj, **data))

    @extend_schema(request=s.RequestAnswerIn, responses=s.RequestOut)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer the request; the answer is emailed to the customer."""
        obj = self.get_object()
        data = self.validated(s.RequestAnswerIn)
        return self._respond(services.request_answer(self.ctx, request=obj, **data))

    @extend_schema(request=None, responses=s.RequestOut)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an answered request (a claim's invoice is no longer disputed)."""
        return self._respond(services.request_close(self.ctx, request=self.get_object()))

    @extend_schema(request=None, responses=s.RequestOut)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Take an answered or closed request back to the office."""
        return self._respond(services.request_reopen(self.ctx, request=self.get_object()))
