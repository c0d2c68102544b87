"""Thin viewsets: selectors read, services write, serializers only shape."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import credits, printing, selectors, services
from billing.aging import aging
from billing.api import serializers as s
from billing.api.filters import CreditFilter, InvoiceFilter, PaymentFilter
from billing.models import BillingRun, Credit, Invoice
from ektor.api.errors import RequestValidationError, flatten_errors
from ektor.api.queryparams import validate_query
from ektor.api.views import ApiView, ApiViewSet, ListMixin, RetrieveMixin
from ektor.db.router import replica_read
from tenancy.scoping import company_today

# Who an invoice is for: both exist, and the property is the customer's.
_INVOICE_PARTIES = {
    # ... and what its lines name.
    404: (
        "customer_not_found",
        "property_not_found",
        "item_not_found",
        "visit_not_found",
        "plan_not_found",
    ),
    400: ("property_customer_mismatch",),
}


class InvoiceViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    lookup_url_kwarg = "invoice_id"
    error_reasons = {
        "create": _INVOICE_PARTIES,
        "partial_update": {
            **_INVOICE_PARTIES,
            400: (*_INVOICE_PARTIES[400], "no_fields_to_update"),
            409: ("invoice_not_draft",),
        },
        "send": {409: ("invoice_not_draft",)},
        "void": {409: ("invoice_already_void", "invoice_has_payments", "invoice_has_credits")},
    }
    serializer_class = s.InvoiceOut
    filterset_class = InvoiceFilter
    # The permission check needs only the model, not the annotated queryset.
    permission_model = Invoice
    action_permissions = {
        "send": ["billing.change_invoice"],
        "void": ["billing.change_invoice"],
    }

    def get_queryset(self):
        if self.action == "list":
            return selectors.invoice_list(self.ctx)
        return selectors.invoice_detail_queryset(self.ctx)

    def attach(self, rows: list[dict]) -> None:
        selectors.invoice_lines_attach(self.ctx, rows)
        selectors.invoice_reminders_attach(self.ctx, rows)

    def _respond(self, invoice: Invoice, status: int = 200) -> Response:
        fresh = selectors.invoice_get(self.ctx, invoice_id=invoice.pk)
        return self.output(fresh, status=status)

    @extend_schema(request=s.InvoiceCreateIn, responses={201: s.InvoiceOut})
    def create(self, request):
        invoice = services.invoice_create(self.ctx, **self.validated(s.InvoiceCreateIn))
        return self._respond(invoice, status=201)

    @extend_schema(request=s.InvoiceUpdateIn, responses=s.InvoiceOut)
    def partial_update(self, request, pk=None):
        invoice = self.get_object()
        data = self.validated(s.InvoiceUpdateIn, partial=True)
        return self._respond(services.invoice_update(self.ctx, invoice=invoice, data=data))

    @extend_schema(request=None, responses=s.InvoiceOut)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Send a draft: it gets its number."""
        return self._respond(services.invoice_send(self.ctx, invoice=self.get_object()))

    @extend_schema(request=s.InvoiceVoidIn, responses=s.InvoiceOut)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Void an invoice that has no payments."""
        invoice = self.get_object()
        data = self.validated(s.InvoiceVoidIn)
        void = services.invoice_void(self.ctx, invoice=invoice, reason=data["reason"])
        return self._respond(void)


class PaymentViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    lookup_url_kwarg = "payment_id"
    error_reasons = {
        "create": {
            400: ("invoice_void",),
            404: ("invoice_not_found",),
            409: ("invoice_already_paid", "duplicate_payment_reference", "payment_exceeds_total"),
        },
        "reverse": {409: ("payment_already_reversed", "payment_credit_applied")},
    }
    serializer_class = s.PaymentOut
    filterset_class = PaymentFilter
    action_permissions = {"reverse": ["billing.change_payment"]}

    def get_queryset(self):
        return selectors.payment_queryset(self.ctx)

    @extend_schema(request=s.PaymentIn, responses={201: s.PaymentOut})
    def create(self, request):
        payment = services.payment_record(self.ctx, **self.validated(s.PaymentIn))
        return self.output(payment, status=201)

    @extend_schema(request=s.PaymentReverseIn, responses=s.PaymentOut)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Reverse a payment: kept on record, counted as nothing."""
        payment = self.get_object()
        data = self.validated(s.PaymentReverseIn)
        reversed_ = services.payment_reverse(self.ctx, payment_id=payment.pk, reason=data["reason"])
        return self.output(reversed_)


class BillingRunViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """Billing a month from operations: POST runs it now (the admin's page queues it for the
    worker instead)."""

    lookup_url_kwarg = "run_id"
    serializer_class = s.BillingRunOut
    permission_model = BillingRun

    def get_queryset(self):
        return selectors.billing_run_list(self.ctx)

    @extend_schema(
        request=s.BillingRunIn,
        responses={201: s.BillingRunResultOut, 200: s.BillingRunResultOut},
    )
    def create(self, request):
        """Bill a month: 201 with what it created; a dry run writes nothing and answers 200."""
        data = self.validated(s.BillingRunIn)
        result = services.billing_run(
            self.ctx,
            period=data["period"],
            dry_run=data["dry_run"],
            send=data["send"],
            auto_apply_credits=data["auto_apply_credits"],
        )
        return Response(s.BillingRunResultOut.encode(result), status=200 if result.dry_run else 201)


class CreditViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """Customer credits: made by admins (manual, or a credit note with `invoice_id`), applied
    to the customer's sent invoices."""

    lookup_url_kwarg = "credit_id"
    error_reasons = {
        "create": {
            404: ("customer_not_found", "invoice_not_found"),
            409: ("credit_customer_mismatch", "credit_invoice_not_sent"),
        },
        "apply": {
            404: ("invoice_not_found",),
            409: (
                "credit_customer_mismatch",
                "credit_invoice_not_sent",
                "credit_exceeds_remaining",
                "credit_exceeds_balance",
            ),
        },
    }
    serializer_class = s.CreditOut
    filterset_class = CreditFilter
    permission_model = Credit
    action_permissions = {"apply": ["billing.change_credit"]}

    def get_queryset(self):
        return selectors.credit_list(self.ctx)

    @extend_schema(request=s.CreditIn, responses={201: s.CreditOut})
    def create(self, request):
        credit = credits.credit_create(self.ctx, **self.validated(s.CreditIn))
        return self.output(selectors.credit_list(self.ctx).get(pk=credit.pk), status=201)

    @extend_schema(request=s.CreditApplyIn, responses=s.CreditOut)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply part of the credit to a sent invoice of the same customer: the credit, with
        what remains of it, in answer (the invoice shows its amount_credited)."""
        credit = self.get_object()
        data = self.validated(s.CreditApplyIn)
        credits.credit_apply(self.ctx, credit_id=credit.pk, **data)
        return self.output(selectors.credit_list(self.ctx).get(pk=credit.pk))


class CustomerBalanceView(ApiView):
    """Readable by whoever may view invoices."""

    permission_model = Invoice

    @extend_schema(
        parameters=[OpenApiParameter("customer_id", int, OpenApiParameter.PATH)],
        responses=s.CustomerBalanceOut,
    )
    def get(self, request, customer_id):
        """What the customer owes on their sent invoices, their unapplied credit, and the net."""
        path = s.StatementPath(data={"customer_id": customer_id})
        if not path.is_valid():
            raise RequestValidationError(flatten_errors(path.errors, ["path"]))
        balance = selectors.customer_balance(
            self.ctx, customer_id=path.validated_data["customer_id"]
        )
        return Response(s.CustomerBalanceOut.encode(balance))


class CustomerStatementView(ApiView):
    """Readable by whoever may view invoices."""

    permission_model = Invoice
    error_reasons = {"get": {400: ("invalid_date_range",)}}

    @extend_schema(
        parameters=[
            OpenApiParameter("customer_id", int, OpenApiParameter.PATH),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day"),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day"),
            OpenApiParameter(
                "format",
                str,
                enum=["json", "pdf"],
                default="json",
                description="`pdf`: the printable statement as a PDF (errors stay JSON)",
            ),
        ],
        responses={
            (200, "application/json"): s.StatementOut,
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The printable statement (`format=pdf`)"
            ),
        },
    )
    def get(self, request, customer_id):
        """A customer's statement of the invoices issued in a period, and their account"""
        path = s.StatementPath(data={"customer_id": customer_id})
        if not path.is_valid():
            raise RequestValidationError(flatten_errors(path.errors, ["path"]))
        query = validate_query(s.StatementQuery, request)
        statement = replica_read(
            request.user,
            lambda: selectors.customer_statement(
                self.ctx,
                customer_id=path.validated_data["customer_id"],
                from_date=query["from"],
                to_date=query["to"],
            ),
        )
        if query["format"] == "pdf":
            response = HttpResponse(
                printing.statement_pdf(self.ctx, statement), content_type="application/pdf"
            )
            filename = printing.statement_filename(statement)
            response["Content-Disposition"] = f'inline; filename="{filename}"'
            return response
        return Response(s.StatementOut.encode(statement))

    def perform_content_negotiation(self, request, force=False):
        # `format=pdf` is this view's own parameter, not a renderer's (DRF's format override
        # would answer it 404); errors are JSON whatever is asked for.
        return super().perform_content_negotiation(request, force=True)


class AgingView(ApiView):
    """Readable by whoever may view invoices."""

    permission_model = Invoice

    @extend_schema(parameters=[s.AgingQuery], responses=s.AgingOut)
    def get(self, request):
        """What the company's customers owe as of a day, by days past due."""
        query = validate_query(s.AgingQuery, request)
        as_of = query.get("as_of") or company_today(self.ctx)
        report = replica_read(request.user, lambda: aging(self.ctx, as_of=as_of))
        return Response(s.AgingOut.encode(report))
