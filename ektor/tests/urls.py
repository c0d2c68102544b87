"""Views that exist only in tests, to drive each error path of the plumbing."""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.error_codes import BillingErrorCode
from core.errors import ApplicationError
from ektor.api.fields import MoneyField, StrictBooleanField, StrictCharField, StrictIntegerField
from ektor.api.views import ApiView
from ektor.urls import urlpatterns as project_urlpatterns


class EchoSerializer(serializers.Serializer):
    name = StrictCharField(max_length=10)
    count = StrictIntegerField(min_value=1)
    active = StrictBooleanField(required=False)
    amount = MoneyField(required=False)


class EchoView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    def get(self, request):
        return Response({"user": request.user.username})

    def post(self, request):
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class CrashView(APIView):
    permission_classes = []
    authentication_classes = []

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


class RuleView(APIView):
    permission_classes = []
    authentication_classes = []

    def get(self, request):
        raise ApplicationError(
            "Invoice already paid", reason=BillingErrorCode.INVOICE_ALREADY_PAID, status=409
        )


class FlakyView(ApiView):
    """A POST that crashes `failures_left` times, then creates run number N at .../flaky/N."""

    permission_classes = [IsAuthenticated]
    failures_left = 0
    runs = 0

    def post(self, request):
        cls = type(self)
        cls.runs += 1
        if cls.failures_left:
            cls.failures_left -= 1
            raise RuntimeError("flaky")
        return Response(
            {"ran": cls.runs}, status=201, headers={"Location": f"{request.path}/{cls.runs}"}
        )


def plain_crash(request):
    raise RuntimeError("plain django crash with secret")


def plain_ok(request):
    return HttpResponse("ok")


test_api = [
    path("echo", EchoView.as_view()),
    path("crash", CrashView.as_view()),
    path("rule", RuleView.as_view()),
    path("flaky", FlakyView.as_view()),
    path("plain-crash", plain_crash),
    path("plain-ok", plain_ok),
]

urlpatterns = [path("api/v1/test/", include(test_api)), *project_urlpatterns]
