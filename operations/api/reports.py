"""A visit's service report: the page (`GET /visits/{visit_id}/report`, HTML) and its email to
the customer (`POST /visits/{visit_id}/report/send`)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from ektor import files
from ektor.api.views import ApiView, path_id
from ektor.middleware import with_image_origin
from operations import reports, selectors
from operations.models import Visit
from tenancy.models import Role

_VISIT = OpenApiParameter("visit_id", int, OpenApiParameter.PATH, description="The visit's id")
# The page's own policy: its inline styles and the photos (our signed links, or the bucket's),
# nothing else; no script at all.
_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"
)


class _ReportView(ApiView):
    permission_model = Visit

    def visit(self, visit_id) -> Visit:
        return selectors.visit_get(self.ctx, visit_id=path_id(visit_id, "visit_id"))


class VisitReportView(_ReportView):
    """The office and the visit's technician (the selectors hide other technicians' visits)."""

    error_reasons = {"get": {404: ("visit_not_found",)}}

    @extend_schema(
        operation_id="visits_report",
        parameters=[_VISIT],
        responses={
            (200, "text/html"): OpenApiResponse(
                OpenApiTypes.STR, description="The report as an HTML page"
            )
        },
    )
    def get(self, request, visit_id):
        """The customer's service report of a visit, as an HTML page

        Readings against their ideal ranges (out of range flagged), what was done (the
        checklist and the service lines), chemicals added, the notes for the customer (never
        the office's), and the photos (signed links that end after FILE_URL_SECONDS)."""
        html = reports.visit_report_page(self.ctx, visit=self.visit(visit_id))
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = with_image_origin(_PAGE_POLICY, files.bucket_origin())
        response["Cache-Control"] = "private, no-store"  # its links expire
        return response

    def perform_content_negotiation(self, request, force=False):
        # A browser asks for text/html; the page answers it, and errors are JSON all the same.
        return super().perform_content_negotiation(request, force=True)


class OfficeOnly(BasePermission):
    """Admins and staff who see visits: the office decides what a customer is sent."""

    message = "Only the office (admins and staff) sends reports"

    def has_permission(self, request, view) -> bool:
        return view.ctx.role in (Role.ADMIN, Role.STAFF) and request.user.has_perm(
            "operations.view_visit"
        )


class VisitReportSentOut(serializers.Serializer):
    visit_id = serializers.IntegerField()
    sent_to = serializers.EmailField(help_text="The customer's address the email goes to")
    status = serializers.ChoiceField(choices=["queued"], help_text="A background task sends it")


class VisitReportSendView(_ReportView):
    permission_classes = [OfficeOnly]
    error_reasons = {"post": {404: ("visit_not_found",), 409: ("customer_no_email",)}}

    @extend_schema(
        operation_id="visits_report_send",
        parameters=[_VISIT],
        request=None,
        responses={202: VisitReportSentOut},
    )
    def post(self, request, visit_id):
        """Email a visit's service report to the customer (admins and staff)

        Queued (202): a background task sends it, with the photos inside the message. A
        customer without an email address is a 409 `customer_no_email`."""
        visit = self.visit(visit_id)
        sent_to = reports.visit_report_send(self.ctx, visit=visit)
        body = {"visit_id": visit.pk, "sent_to": sent_to, "status": "queued"}
        return Response(VisitReportSentOut(body).data, status=202)
