"""Admin for office staff. Every save goes through billing.services, so the admin obeys the same
rules as the API; a refused change comes back as a form error, never half-saved.

Forms validate by asking the service's `can_<action>()` guard: the rules are the service's own,
in its order, and the rows it locks stay locked until the admin's transaction ends, so the one
real call made on save sees the same state.
"""

import csv
import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Prefetch, prefetch_related_objects
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from billing import credits, printing, selectors, services
from billing.aging import BUCKETS, aging
from billing.aging import csv_rows as aging_csv_rows
from billing.dashboard import BILLED_STATUSES
from billing.models import (
    COUNTED,
    BillingRun,
    Credit,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceStatus,
    Payment,
)
from core.context import Ctx
from core.errors import ApplicationError
from customers.models import Customer
from customers.selectors import customer_pickable
from ektor.admin_tools import (
    CtxForm,
    OfficeAdmin,
    OfficeInline,
    ScopedInlineFormSet,
    csv_value,
    replica_page,
    run_on_each,
)
from ektor.ctx import request_ctx
from ektor.text import day, money, plural
from tenancy.scoping import company_today

# The model form names the foreign keys without "_id".
INVOICE_INPUT_FIELDS = tuple(name.removesuffix("_id") for name in services.INVOICE_INPUT_FIELDS)
# The invoice page's computed amounts (readonly displays of InvoiceAdmin).
MONEY_FIELDS = ("amount_paid_", "amount_credited_", "balance_due_", "credits_applied")
# The statuses the invoice page offers a payment row and button for; the services decide.
PAYABLE_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.SENT)
INVOICE_TRACKING_FIELDS = (
    "number",
    "status",
    "sent_at",
    "paid_at",
    "voided_at",
    "void_reason",
    # Under an open claim of the customer (support); only the claim's services change it.
    "disputed",
    # The payment reminders sent (manage.py send_reminders).
    "reminders_sent",
    "created_at",
    "updated_at",
)


def refusal_to_form_errors(form: forms.BaseForm, refusal: ApplicationError | None) -> None:
    """Put what a service's guard refuses on `form` as errors (on the fields it names)."""
    if refusal is None:
        return
    if not refusal.fields:
        form.add_error(None, refusal.message)
    for error in refusal.fields:
        field = error.field.removesuffix("_id")
        form.add_error(field if field in form.fields else None, error.msg)


def statement_url(customer_id: int, from_date=None, to_date=None, *, pdf: bool = False) -> str:
    """The printable statement of a customer in the admin (the customers admin links to it),
    or its PDF."""
    url = reverse(
        "admin:billing_statement_pdf" if pdf else "admin:billing_statement", args=[customer_id]
    )
    if from_date and to_date:
        url += f"?from={from_date:%Y-%m-%d}&to={to_date:%Y-%m-%d}"
    return url


def statement_link(customer_id: int) -> str:
    """An HTML link to the customer's statement, for a readonly field of the customer admin."""
    return format_html('<a href="{}">Statement</a>', statement_url(customer_id))


def emailed(request: HttpRequest, invoice: Invoice) -> str:
    """What happens to a just-sent invoice's email, for the office's message."""
    to = services.invoice_email_recipient(request_ctx(request), invoice=invoice)
    if to is None:
        return "The customer has no email address: no email is sent."
    return f"It is emailed to {to}."


class OverdueFilter(admin.SimpleListFilter):
    """Overdue or not, as the model's selector `filter_overdue(ctx, queryset, overdue)` says
    (invoices here; other apps' admins subclass it with theirs)."""

    title = "overdue"
    parameter_name = "overdue"
    filter_overdue = staticmethod(selectors.invoice_filter_overdue)

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            overdue = self.value() == "yes"
            return self.filter_overdue(request_ctx(request), queryset, overdue)
        return queryset


class BilledFilter(admin.SimpleListFilter):
    """Billed: sent or paid, what the dashboard's months chart sums (drafts and void invoices
    bill nothing)."""

    title = "billed"
    parameter_name = "billed"

    def lookups(self, request, model_admin):
        return [("yes", "Billed (sent or paid)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=BILLED_STATUSES)
        return queryset


class ReversedFilter(admin.SimpleListFilter):
    """Reversed payments or the ones that count (the dashboard's collected amounts)."""

    title = "reversed"
    parameter_name = "reversed"

    def lookups(self, request, model_admin):
        return [("no", "Counted (not reversed)"), ("yes", "Reversed")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(COUNTED)
        if self.value() == "yes":
            return queryset.exclude(COUNTED)
        return queryset


class InvoiceForm(CtxForm, forms.ModelForm):
    """Create and edit drafts through invoice_create / invoice_update."""

    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in services.CREATE_STATUSES],
        initial=InvoiceStatus.SENT,
        help_text="Sent assigns the invoice number now.",
    )

    class Meta:
        model = Invoice
        fields = [*INVOICE_INPUT_FIELDS, "status", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "customer" in self.fields:
            # Inactive customers are not offered; a draft keeps the one it has.
            customers = Customer.objects.of(self.ctx)
            pickable = customer_pickable(self.ctx, customers)
            current = customers.filter(pk=self.instance.customer_id)
            self.fields["customer"].queryset = pickable | current
        if "due_date" in self.fields:
            # invoice_form.js moves a suggested due date along with the issued date.
            self.fields["due_date"].widget.attrs["data-payment-terms-days"] = (
                settings.PAYMENT_TERMS_DAYS
            )

    def service_kwargs(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name] for name in INVOICE_INPUT_FIELDS if name in self.fields
        }
        for name in ("customer", "property"):
            if name in data:
                data[f"{name}_id"] = data.pop(name).pk
        data["notes"] = self.cleaned_data.get("notes") or None
        return data

    def clean(self):
        # Field errors (a missing or malformed value) come first; the service needs them all.
        if self.errors:
            return self.cleaned_data
        if self.instance.pk is None:
            status = self.cleaned_data["status"]
            refusal_to_form_errors(
                self, services.can_invoice_create(self.ctx, **self.service_kwargs(), status=status)
            )
        elif self.instance.status == InvoiceStatus.DRAFT and self.changed_data:
            refusal_to_form_errors(
                self,
                services.can_invoice_update(
                    self.ctx, invoice=self.instance, data=self.changed_service_data()
                ),
            )
        return self.cleaned_data

    def changed_service_data(self) -> dict[str, Any]:
        data = self.service_kwargs()
        changed = {
            f"{name}_id" if name in ("customer", "property") else name for name in self.changed_data
        }
        return {name: value for name, value in data.items() if name in changed}


class PaymentInlineFormSet(CtxForm, forms.BaseInlineFormSet):
    def new_payments(self) -> list[dict[str, Any]]:
        return [
            payment_kwargs(form.cleaned_data)
            for form in self.extra_forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        invoice_id = self.instance.pk
        payments = self.new_payments()
        # All new rows together, in order: the second may be refused because of the first.
        refusal = services.can_payments_record(self.ctx, invoice_id=invoice_id, payments=payments)
        if refusal is not None:
            raise forms.ValidationError(
                [error.msg for error in refusal.fields] or [refusal.message]
            )


def payment_kwargs(cleaned_data: dict[str, Any]) -> dict[str, Any]:
    return {
        "amount": cleaned_data["amount"],
        "paid_date": cleaned_data.get("paid_date") or timezone.localdate(),
        "method": cleaned_data["method"],
        "reference": cleaned_data.get("reference") or None,
        "notes": cleaned_data.get("notes") or None,
    }


def tell_if_sent_by_payment(
    model_admin: admin.ModelAdmin, request: HttpRequest, *, was_draft: bool, invoice: Invoice
) -> None:
    """payment_record sends (and numbers) a draft it is paid on: the office must know."""
    if was_draft and invoice.status != InvoiceStatus.DRAFT:
        model_admin.message_user(
            request, f"{invoice.number} was sent because a payment was recorded", messages.WARNING
        )


class PaymentInline(OfficeInline):
    """Payments are added, never edited or deleted: each new row goes through payment_record."""

    model = Payment
    formset = PaymentInlineFormSet
    fields = ["amount", "paid_date", "method", "reference", "notes", "created_at"]
    readonly_fields = ["created_at"]
    extra = 1
    can_delete = False

    # A short notes box, so the row fits the page beside the navigation.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 24})},
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "paid_date":
            # Most payments are recorded the day they come in; a row left alone stays unsaved.
            field.initial = timezone.localdate
        return field

    def has_add_permission(self, request, obj=None):
        # A paid or void invoice takes no payment: no empty row to fill in.
        return super().has_add_permission(request, obj) and (
            obj is None or obj.status in PAYABLE_STATUSES
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


LINE_FIELDS = ("kind", "description", "item", "quantity", "unit_price", "tax_rate")


class LineInlineFormSet(CtxForm, ScopedInlineFormSet):
    """The invoice's lines, saved all together by invoice_update (`lines`): the rows kept (each
    with its line_id, so a billed line keeps what it bills), changed and added, in page order."""

    def lines_data(self) -> list[dict[str, Any]]:
        lines = []
        for form in self.forms:
            data = form.cleaned_data
            if (
                not data
                or data.get("DELETE")
                or (form in self.extra_forms and not form.has_changed())
            ):
                continue
            line = {name: data.get(name) for name in LINE_FIELDS if name != "item"}
            line["item_id"] = data["item"].pk if data.get("item") else None
            line["line_id"] = form.instance.pk
            lines.append({name: value for name, value in line.items() if value not in (None, "")})
        return lines

    def clean(self):
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        refusal = services.can_invoice_update(
            self.ctx, invoice=self.instance, data={"lines": self.lines_data()}
        )
        if refusal is not None:
            raise forms.ValidationError(
                [error.msg for error in refusal.fields] or [refusal.message]
            )


class InvoiceLineInline(OfficeInline):
    """A draft's lines; the amounts and the invoice's totals are the service's to compute. Once
    the invoice left draft they are shown, not changed."""

    model = InvoiceLine
    formset = LineInlineFormSet
    fields = [*LINE_FIELDS, "amount", "tax"]
    readonly_fields = ["amount", "tax"]
    autocomplete_fields = ["item"]
    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "tax_rate":
            field.required = False
            field.help_text = "Empty: the company's rate for what the line bills"
        return field

    def _draft(self, request, obj) -> bool:
        return obj is not None and obj.status == InvoiceStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._draft(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._draft(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._draft(request, obj)


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"size": 60}))


class StatementPeriodForm(forms.Form):
    """`from`/`to` in the query string (Python keywords, hence declared in __init__)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        for name, initial in (("from", today.replace(month=1, day=1)), ("to", today)):
            self.fields[name] = forms.DateField(
                input_formats=["%Y-%m-%d"],
                initial=initial,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )


class AgingForm(forms.Form):
    as_of = forms.DateField(
        label="As of",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


AGING_TEMPLATE = "admin/billing/invoice/aging.html"
AGING_HEADERS = ("Current", "1-30 days", "31-60 days", "61-90 days", "Over 90 days")
# Customers' rows on a page of the aging report (the CSV has all of them).
AGING_PAGE_SIZE = 100


@admin.register(Invoice)
class InvoiceAdmin(OfficeAdmin):
    form = InvoiceForm

    class Media:
        js = ["admin/js/jquery.init.js", "billing/invoice_form.js"]

    list_display = [
        "__str__",
        "status",
        "customer",
        "property",
        "total_",
        "paid",
        "balance",
        "issued",
        "due",
        "overdue",
        "disputed",
    ]
    # No JOIN: with customers and properties joined, MariaDB sorted every joined row (running
    # the paid-amount subquery on each) before taking a page: 13.7 s at 1,000,000 invoices.
    # Fetching the page's customers and properties by id costs two small queries instead.
    list_select_related = ()
    list_filter = ["status", BilledFilter, OverdueFilter, "disputed", "issued_date"]
    search_fields = ["number", "customer__first_name", "customer__last_name", "customer__email"]
    search_help_text = "Invoice number, customer name or email"
    autocomplete_fields = ["customer", "property"]
    actions = ["send_selected", "void_selected", "export_csv"]
    csv_columns = (
        ("id", "pk"),
        ("number", "number"),
        ("status", "status"),
        ("customer_id", "customer_id"),
        ("customer", lambda invoice: invoice.customer.full_name),
        ("property", lambda invoice: invoice.property.label),
        ("period_start", "period_start"),
        ("period_end", "period_end"),
        ("issued_date", "issued_date"),
        ("due_date", "due_date"),
        ("subtotal", "subtotal"),
        ("tax", "tax"),
        ("total", "total"),
        ("amount_paid", "amount_paid"),
        ("amount_credited", "amount_credited"),
        ("balance_due", "balance_due"),
    )

    def get_queryset(self, request):
        return selectors.invoice_queryset(request_ctx(request)).prefetch_related(
            "customer", "property"
        )

    @admin.display(description="total", ordering="total")
    def total_(self, obj: Invoice) -> str:
        return money(obj.total)

    @admin.display(description="paid", ordering="amount_paid")
    def paid(self, obj: Invoice) -> str:
        return money(obj.amount_paid)

    @admin.display(description="balance", ordering="balance_due")
    def balance(self, obj: Invoice) -> str:
        return money(obj.balance_due)

    @admin.display(description="amount paid")
    def amount_paid_(self, obj: Invoice) -> str:
        return money(obj.amount_paid)

    @admin.display(description="amount credited")
    def amount_credited_(self, obj: Invoice) -> str:
        return money(obj.amount_credited)

    @admin.display(description="balance due")
    def balance_due_(self, obj: Invoice) -> str:
        return money(obj.balance_due)

    @admin.display(description="credits applied")
    def credits_applied(self, obj: Invoice) -> str:
        """Each credit applied to it (read only: applied through billing.credits), linked."""
        applications = selectors.credit_applications(Ctx.system(obj.company_id), invoice_id=obj.pk)
        return (
            format_html_join(
                mark_safe("<br>"),
                '{} of <a href="{}">{}</a> on {}',
                (
                    (
                        money(application.amount),
                        reverse("admin:billing_credit_change", args=[application.credit_id]),
                        f"credit #{application.credit_id}",
                        day(application.applied_date),
                    )
                    for application in applications
                ),
            )
            or "-"
        )

    @admin.display(description="reminders sent")
    def reminders_sent(self, obj: Invoice) -> str:
        reminders = getattr(obj, "reminder_list", [])
        if not reminders:
            return "None"
        return format_html_join(
            mark_safe("<br>"),
            "{}-day reminder, {} to {}",
            ((r.days, day(r.sent_at), r.recipient) for r in reminders),
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The page's reminders sent (its read-only field), scoped as every read.
            reminders = InvoiceReminder.objects.of(request_ctx(request))
            prefetch_related_objects([obj], Prefetch("reminders", reminders, "reminder_list"))
        return obj

    @admin.display(description="issued", ordering="issued_date")
    def issued(self, obj: Invoice) -> str:
        return day(obj.issued_date)

    @admin.display(description="due", ordering="due_date")
    def due(self, obj: Invoice) -> str:
        return day(obj.due_date)

    @admin.display(description="overdue", ordering="is_overdue")
    def overdue(self, obj: Invoice) -> str:
        # Red days, not Django's boolean icons: a green tick would read as "all good".
        if not obj.is_overdue:
            return ""
        days = (timezone.localdate() - obj.due_date).days
        return format_html('<span class="overdue-flag">{}</span>', plural(days, "day"))

    def get_inlines(self, request, obj):
        # Payments are recorded on an invoice that exists (create it first).
        return [InvoiceLineInline, PaymentInline] if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*INVOICE_INPUT_FIELDS, "status", "notes"]
        return [*INVOICE_TRACKING_FIELDS, *INVOICE_INPUT_FIELDS, *MONEY_FIELDS, "notes"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status == InvoiceStatus.DRAFT:
            # An invoice with lines has their sums as its totals (the lines are edited below).
            totals = services.TOTAL_FIELDS if obj.lines.exists() else ()
            return [*INVOICE_TRACKING_FIELDS, *totals, *MONEY_FIELDS]
        # What was billed is settled once the invoice left draft; only the notes stay open.
        return [*INVOICE_TRACKING_FIELDS, *INVOICE_INPUT_FIELDS, *MONEY_FIELDS]

    def get_changeform_initial_data(self, request):
        """A new invoice is issued today and due after the payment terms."""
        today = timezone.localdate()
        return {
            "issued_date": today,
            "due_date": today + datetime.timedelta(days=settings.PAYMENT_TERMS_DAYS),
            **super().get_changeform_initial_data(request),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            extra_context = {**(extra_context or {}), **self.page_buttons(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def page_buttons(self, request, obj: Invoice) -> dict[str, Any]:
        """The invoice page's own Send, Void, Print and Record payment."""
        can_change = self.has_change_permission(request, obj)
        ctx = request_ctx(request)
        return {
            "can_send": can_change and services.can_invoice_send(ctx, invoice=obj) is None,
            "can_void": can_change and services.can_invoice_void(ctx, invoice=obj) is None,
            "can_record_payment": can_change and obj.status in PAYABLE_STATUSES,
            "print_url": statement_url(obj.customer_id, obj.issued_date, obj.issued_date),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The invoice page's Send button (a POST); back to the page with what happened."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        # In the order of Django's change page: the permission, then the row.
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        try:
            sent = services.invoice_send(request_ctx(request), invoice=obj)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request, f"{sent} was sent. {emailed(request, sent)}", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[obj.pk]))

    def has_delete_permission(self, request, obj=None):
        return False  # invoices are voided, never deleted

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        if not change:
            saved = services.invoice_create(
                ctx, **form.service_kwargs(), status=form.cleaned_data["status"]
            )
        elif obj.status == InvoiceStatus.DRAFT:
            data = form.changed_service_data()
            saved = services.invoice_update(ctx, invoice=obj, data=data) if data else obj
        else:
            notes = form.cleaned_data["notes"]
            saved = services.invoice_update_notes(ctx, invoice=obj, notes=notes)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is InvoiceLine:
            if formset.has_changed():
                lines = formset.lines_data()
                services.invoice_update(
                    request_ctx(request), invoice=form.instance, data={"lines": lines}
                )
                form.instance.refresh_from_db()
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return None
        if formset.model is not Payment:
            return super().save_formset(request, form, formset, change)
        was_draft = form.instance.status == InvoiceStatus.DRAFT
        # The admin's change message reads these.
        formset.new_objects = [
            services.payment_record(request_ctx(request), invoice_id=form.instance.pk, **kwargs)
            for kwargs in formset.new_payments()
        ]
        formset.changed_objects, formset.deleted_objects = [], []
        form.instance.refresh_from_db()
        tell_if_sent_by_payment(self, request, was_draft=was_draft, invoice=form.instance)

    @admin.action(description="Send selected invoices", permissions=["change"])
    def send_selected(self, request, queryset):
        ctx = request_ctx(request)
        not_emailed = []

        def send(invoice: Invoice) -> None:
            sent = services.invoice_send(ctx, invoice=invoice)
            if services.invoice_email_recipient(ctx, invoice=sent) is None:
                not_emailed.append(str(sent))

        run_on_each(self, request, queryset, "Sent", send)
        if not_emailed:
            self.message_user(
                request,
                f"No email address, so no email sent for: {', '.join(not_emailed)}.",
                messages.WARNING,
            )

    @admin.action(description="Void selected invoices", permissions=["change"])
    def void_selected(self, request, queryset):
        form = VoidForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            ctx = request_ctx(request)
            run_on_each(
                self,
                request,
                queryset,
                "Voided",
                lambda invoice: services.invoice_void(ctx, invoice=invoice, reason=reason),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Void invoices",
            "opts": self.model._meta,
            "invoices": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/billing/invoice/void_selected.html", context)

    def get_urls(self):
        statement = self.admin_site.admin_view(self.statement_view)
        send = self.admin_site.admin_view(self.send_view)
        pdf = self.admin_site.admin_view(self.pdf_view)
        aging_page = self.admin_site.admin_view(self.aging_view)
        return [
            path("statement/<id:customer_id>/", statement, name="billing_statement"),
            path("aging/", aging_page, name="billing_aging"),
            path(
                "statement/<id:customer_id>/pdf/",
                self.admin_site.admin_view(self.statement_pdf_view),
                name="billing_statement_pdf",
            ),
            path("<path:object_id>/send/", send, name="billing_invoice_send"),
            path("<id:invoice_id>/pdf/", pdf, name="billing_invoice_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        """The printable invoice as a PDF (as the customer's email carries it)."""
        if not request.user.has_perm("billing.view_invoice"):
            raise PermissionDenied
        ctx = request_ctx(request)
        invoice = selectors.invoice_detail_queryset(ctx).filter(pk=invoice_id).first()
        if invoice is None:
            raise Http404("No such invoice")
        response = HttpResponse(printing.invoice_pdf(ctx, invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice}.pdf"'
        return response

    def statement_view(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        """The printable statement of a customer for the period chosen on the page."""
        if not request.user.has_perm("billing.view_invoice"):
            raise PermissionDenied
        return replica_page(request, lambda: self._statement_page(request, customer_id))

    def _statement_page(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        form = StatementPeriodForm(request.GET or None)
        ctx = request_ctx(request)
        context: dict[str, Any] = {"form": form, "title": "Statement"}
        status = 200
        if form.is_valid():
            try:
                statement = self._statement(request, customer_id, form)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                context.update(printing.statement_context(ctx, statement))
                context["statement"] = statement
                context["pdf_url"] = statement_url(
                    customer_id, statement.from_date, statement.to_date, pdf=True
                )
        elif form.is_bound:
            status = 400
        return TemplateResponse(request, "billing/statement.html", context, status=status)

    def aging_view(self, request: HttpRequest) -> HttpResponse:
        """What customers owe on the day chosen (today by default), by days past due; the
        customers' rows a page at a time, all of them in the CSV download."""
        if not request.user.has_perm("billing.view_invoice"):
            raise PermissionDenied
        return replica_page(request, lambda: self._aging_page(request))

    def _aging_page(self, request: HttpRequest) -> HttpResponse:
        ctx = request_ctx(request)
        today = company_today(ctx)
        form = AgingForm(request.GET or None, initial={"as_of": today})
        if form.is_bound and not form.is_valid():
            context = {**self.admin_site.each_context(request), "form": form, "report": None}
            return TemplateResponse(request, AGING_TEMPLATE, context, status=400)
        as_of = (form.cleaned_data["as_of"] if form.is_bound else None) or today
        report = aging(ctx, as_of=as_of)
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="aging-{as_of}.csv"'
            csv.writer(response).writerows(aging_csv_rows(report, csv_value))
            return response
        page = Paginator(report.customers, AGING_PAGE_SIZE).get_page(request.GET.get("page"))
        invoices = reverse("admin:billing_invoice_changelist")
        rows = [
            {
                "name": row["name"],
                "url": f"{invoices}?customer__id__exact={row['customer_id']}",
                "amounts": [money(row[bucket]) for bucket in (*BUCKETS, "total")],
            }
            for row in page
        ]
        query = {"as_of": as_of.isoformat()}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Aging as of {as_of:%B %-d, %Y}",
            "opts": self.opts,
            "form": form,
            "report": report,
            "headers": [*AGING_HEADERS, "Total"],
            "totals": [money(amount) for amount in (*report.totals.values(), report.total)],
            "rows": rows,
            "page": page,
            "csv_url": "?" + urlencode({**query, "format": "csv"}),
            "page_query": urlencode(query),
        }
        return TemplateResponse(request, AGING_TEMPLATE, context)

    def _statement(
        self, request: HttpRequest, customer_id: int, form: StatementPeriodForm
    ) -> selectors.Statement:
        return selectors.customer_statement(
            request_ctx(request),
            customer_id=customer_id,
            from_date=form.cleaned_data["from"],
            to_date=form.cleaned_data["to"],
        )

    def statement_pdf_view(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        """The statement of the period in the query string as a PDF."""
        if not request.user.has_perm("billing.view_invoice"):
            raise PermissionDenied
        form = StatementPeriodForm(request.GET)
        if not form.is_valid():
            return HttpResponse("Give the period: ?from=YYYY-MM-DD&to=YYYY-MM-DD", status=400)
        try:
            statement = self._statement(request, customer_id, form)
        except ApplicationError as exc:
            return HttpResponse(exc.message, status=exc.status)
        pdf = printing.statement_pdf(request_ctx(request), statement)
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = printing.statement_filename(statement)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


class PaymentForm(CtxForm, forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["invoice", "amount", "paid_date", "method", "reference", "notes"]

    def clean(self):
        if self.errors:
            return self.cleaned_data
        invoice_id = self.cleaned_data["invoice"].pk
        refusal_to_form_errors(
            self,
            services.can_payments_record(
                self.ctx, invoice_id=invoice_id, payments=[payment_kwargs(self.cleaned_data)]
            ),
        )
        return self.cleaned_data


class ReversalForm(forms.Form):
    reason = forms.CharField(
        max_length=services.REVERSAL_REASON_MAX, widget=forms.TextInput(attrs={"size": 60})
    )


REVERSAL_FIELDS = ("reversed_at", "reversed_by", "reversal_reason")


@admin.register(Payment)
class PaymentAdmin(OfficeAdmin):
    """Payments are recorded through payment_record, then only read: never edited or deleted.
    A wrong one is reversed (payment_reverse): an action on the list, or the page's button."""

    form = PaymentForm
    change_form_template = "admin/billing/payment/change_form.html"
    list_display = [
        "id",
        "invoice_link",
        "customer_link",
        "amount_",
        "paid_on",
        "method",
        "reference",
    ]
    # No JOIN, for the reason given on InvoiceAdmin (8.8 s at 670,000 payments with one).
    list_select_related = ()
    list_filter = ["method", ReversedFilter, "paid_date"]
    search_fields = [
        "reference",
        "invoice__number",
        "invoice__customer__first_name",
        "invoice__customer__last_name",
    ]
    search_help_text = "Reference, invoice number or customer name"
    autocomplete_fields = ["invoice"]
    actions = ["export_csv", "reverse_selected"]
    csv_columns = (
        ("id", "pk"),
        ("invoice_id", "invoice_id"),
        ("invoice_number", lambda payment: payment.invoice.number),
        ("customer_id", lambda payment: payment.invoice.customer_id),
        ("customer", lambda payment: payment.invoice.customer.full_name),
        ("amount", "amount"),
        ("paid_date", "paid_date"),
        ("method", "method"),
        ("reference", "reference"),
        # A reversed payment stays in the export, marked: it counts as nothing.
        ("reversed_at", "reversed_at"),
        ("reversal_reason", "reversal_reason"),
    )

    def get_queryset(self, request):
        return selectors.payment_queryset(request_ctx(request)).prefetch_related(
            "invoice__customer"
        )

    def lookup_allowed(self, lookup, value, request=None):
        # The customer page links to that customer's payments.
        return lookup == "invoice__customer__id__exact" or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description="invoice", ordering="invoice")
    def invoice_link(self, obj: Payment) -> str:
        url = reverse("admin:billing_invoice_change", args=[obj.invoice_id])
        return format_html('<a href="{}">{}</a>', url, obj.invoice)

    @admin.display(description="customer", ordering="invoice__customer__last_name")
    def customer_link(self, obj: Payment) -> str:
        customer = obj.invoice.customer
        url = reverse("admin:customers_customer_change", args=[customer.pk])
        return format_html('<a href="{}">{}</a>', url, customer)

    @admin.display(description="amount", ordering="amount")
    def amount_(self, obj: Payment) -> str:
        return f"{money(obj.amount)} (reversed)" if obj.reversed_at else money(obj.amount)

    @admin.display(description="paid on", ordering="paid_date")
    def paid_on(self, obj: Payment) -> str:
        return day(obj.paid_date)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is None else [*fields, *REVERSAL_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else list(REVERSAL_FIELDS)

    def has_reverse_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.change_payment")

    def _reverse_page(self, request, payments, form, *, single: bool) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Reverse payments" if not single else f"Reverse payment {payments[0]}",
            "opts": self.model._meta,
            "payments": payments,
            "form": form,
            "single": single,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/billing/payment/reverse.html", context)

    @admin.action(description="Reverse selected payments", permissions=["reverse"])
    def reverse_selected(self, request, queryset):
        form = ReversalForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._reverse_page(request, list(queryset), form, single=False)
        reason = form.cleaned_data["reason"]
        ctx = request_ctx(request)
        run_on_each(
            self,
            request,
            queryset,
            "Reversed",
            lambda payment: services.payment_reverse(ctx, payment_id=payment.pk, reason=reason),
        )
        return None

    def get_urls(self):
        reverse_view = self.admin_site.admin_view(self.reverse_view)
        return [
            path("<id:payment_id>/reverse/", reverse_view, name="billing_payment_reverse"),
            *super().get_urls(),
        ]

    def reverse_view(self, request: HttpRequest, payment_id: int) -> HttpResponse:
        """The payment page's Reverse button: asks for the reason, then reverses."""
        if not self.has_reverse_permission(request):
            raise PermissionDenied
        payment = self.get_object(request, str(payment_id))
        if payment is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, str(payment_id))
        form = ReversalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payment_reverse(
                    request_ctx(request), payment_id=payment.pk, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                return self._refuse(request, exc)
            self.message_user(request, f"Reversed the payment {payment}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:billing_payment_change", args=[payment.pk]))
        return self._reverse_page(request, [payment], form, single=True)

    def save_model(self, request, obj, form, change):
        invoice = form.cleaned_data["invoice"]
        payment = services.payment_record(
            request_ctx(request), invoice_id=invoice.pk, **payment_kwargs(form.cleaned_data)
        )
        obj.pk = payment.pk
        obj.refresh_from_db()
        tell_if_sent_by_payment(
            self, request, was_draft=invoice.status == InvoiceStatus.DRAFT, invoice=payment.invoice
        )


def skipped_counts(skipped: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """What a run skipped, counted by reason."""
    counts: dict[str, int] = {}
    for entry in skipped:
        counts[entry["reason"]] = counts.get(entry["reason"], 0) + 1
    return sorted(counts.items())


class BillMonthForm(forms.Form):
    period = forms.DateField(
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text="The month to bill",
        error_messages={"invalid": "Give a month, YYYY-MM"},
    )
    send = forms.BooleanField(required=False, help_text="Send the invoices (they get numbers)")
    auto_apply_credits = forms.BooleanField(
        required=False,
        label="Apply credits",
        help_text="Apply each customer's open credits to the invoices sent (needs Send)",
    )


@admin.register(BillingRun)
class BillingRunAdmin(OfficeAdmin):
    """The runs, how far each is and what it skipped; "Bill a month" previews, then queues."""

    list_display = [
        "__str__",
        "status",
        "progress",
        "invoices_created",
        "lines_created",
        "total",
        "actor",
        "created_at",
    ]
    list_filter = ["status"]
    fields = [
        "period",
        "status",
        "progress",
        "send",
        "auto_apply_credits",
        "issued_date",
        "invoices_created",
        "lines_created",
        "total",
        "skipped_",
        "error",
        "actor",
        "created_at",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description="progress")
    def progress(self, obj: BillingRun) -> str:
        return f"{obj.properties_done} of {plural(obj.properties_total, 'property', 'properties')}"

    @admin.display(description="skipped")
    def skipped_(self, obj: BillingRun) -> str:
        return ", ".join(f"{reason}: {n}" for reason, n in skipped_counts(obj.skipped)) or "-"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Adding a run is billing a month: preview (a dry run), then queue it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        ctx = request_ctx(request)
        form = BillMonthForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Bill a month",
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            period = form.cleaned_data["period"]
            options = {
                "send": form.cleaned_data["send"],
                "auto_apply_credits": form.cleaned_data["auto_apply_credits"],
            }
            try:
                if "run" in request.POST:
                    run = services.billing_run_queue(ctx, period=period, **options)
                    self.message_user(
                        request, f"{run} is queued: this page follows it.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(
                        reverse("admin:billing_billingrun_change", args=[run.pk])
                    )
                preview = services.billing_run(ctx, period=period, dry_run=True, **options)
            except ApplicationError as exc:
                refusal_to_form_errors(form, exc)
            else:
                context.update(
                    preview=preview,
                    period_label=f"{period:%B %Y}",
                    skipped=skipped_counts(preview.skipped),
                )
        return TemplateResponse(request, "admin/billing/billingrun/bill.html", context)


class OpenCreditFilter(admin.SimpleListFilter):
    title = "open"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Something remains"), ("no", "Used up or taken back")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(remaining__gt=0)
        if self.value() == "no":
            return queryset.filter(remaining=0)
        return queryset


class CreditForm(CtxForm, forms.ModelForm):
    """A manual credit, or with an invoice a credit note against it (billing.credits)."""

    class Meta:
        model = Credit
        fields = ["customer", "amount", "reason", "invoice"]
        help_texts = {
            "invoice": (
                "Makes it a credit note against this sent or paid invoice of the customer: "
                "applied to it at once, up to what it still owes"
            )
        }


class CreditApplyForm(forms.Form):
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.none())
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices


@admin.register(Credit)
class CreditAdmin(OfficeAdmin):
    """Credits are made through credit_create and applied through credit_apply (the Apply
    page); never edited or deleted: what is left of one is `remaining`."""

    form = CreditForm
    list_display = [
        "__str__",
        "customer_link",
        "source",
        "amount_",
        "remaining_",
        "granted",
        "invoice_link",
        "voided_at",
    ]
    list_select_related = ("customer", "invoice")
    list_filter = ["source", OpenCreditFilter]
    search_fields = ["reason", "customer__first_name", "customer__last_name", "invoice__number"]
    search_help_text = "Reason, customer name or invoice number"
    autocomplete_fields = ["customer", "invoice"]
    actions = ["export_csv"]
    csv_columns = (
        ("id", "pk"),
        ("customer_id", "customer_id"),
        ("customer", lambda credit: credit.customer.full_name),
        ("source", "source"),
        ("amount", "amount"),
        ("remaining", "remaining"),
        ("reason", "reason"),
        ("invoice_id", "invoice_id"),
        ("payment_id", "payment_id"),
        ("credit_date", "credit_date"),
        ("voided_at", "voided_at"),
    )
    readonly_fields = [
        "customer",
        "source",
        "amount",
        "remaining",
        "reason",
        "invoice",
        "payment",
        "credit_date",
        "voided_at",
        "void_reason",
        "created_at",
        "apply_link",
    ]

    def get_queryset(self, request):
        return selectors.credit_list(request_ctx(request))

    def lookup_allowed(self, lookup, value, request=None):
        # The customer page links to that customer's credits.
        return lookup == "customer__id__exact" or super().lookup_allowed(lookup, value, request)

    def get_fields(self, request, obj=None):
        return CreditForm._meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    @admin.display(description="customer", ordering="customer__last_name")
    def customer_link(self, obj: Credit) -> str:
        url = reverse("admin:customers_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer)

    @admin.display(description="invoice", ordering="invoice")
    def invoice_link(self, obj: Credit) -> str:
        if obj.invoice_id is None:
            return "-"
        url = reverse("admin:billing_invoice_change", args=[obj.invoice_id])
        return format_html('<a href="{}">{}</a>', url, obj.invoice)

    @admin.display(description="amount", ordering="amount")
    def amount_(self, obj: Credit) -> str:
        return money(obj.amount)

    @admin.display(description="remaining", ordering="remaining")
    def remaining_(self, obj: Credit) -> str:
        return money(obj.remaining)

    @admin.display(description="granted", ordering="credit_date")
    def granted(self, obj: Credit) -> str:
        return day(obj.credit_date)

    @admin.display(description="apply")
    def apply_link(self, obj: Credit) -> str:
        if not obj.remaining:
            return "Nothing remains to apply"
        url = reverse("admin:billing_credit_apply", args=[obj.pk])
        return format_html('<a href="{}">Apply to an invoice</a>', url)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        credit = credits.credit_create(
            request_ctx(request),
            customer_id=data["customer"].pk,
            amount=data["amount"],
            reason=data["reason"],
            invoice_id=data["invoice"].pk if data.get("invoice") else None,
        )
        obj.pk = credit.pk
        obj.refresh_from_db()

    def get_urls(self):
        apply_view = self.admin_site.admin_view(self.apply_view)
        return [
            path("<id:credit_id>/apply/", apply_view, name="billing_credit_apply"),
            *super().get_urls(),
        ]

    def apply_view(self, request: HttpRequest, credit_id: int) -> HttpResponse:
        """Apply part of the credit to one of the customer's sent invoices (credit_apply)."""
        if not request.user.has_perm("billing.change_credit"):
            raise PermissionDenied
        credit = self.get_object(request, str(credit_id))
        if credit is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, str(credit_id))
        ctx = request_ctx(request)
        invoices = selectors.invoice_queryset(ctx).filter(
            customer_id=credit.customer_id, status=InvoiceStatus.SENT
        )
        form = CreditApplyForm(request.POST or None, invoices=invoices.order_by("issued_date"))
        if request.method == "POST" and form.is_valid():
            try:
                credits.credit_apply(
                    ctx,
                    credit_id=credit.pk,
                    invoice_id=form.cleaned_data["invoice"].pk,
                    amount=form.cleaned_data["amount"],
                )
            except ApplicationError as exc:
                refusal_to_form_errors(form, exc)
            else:
                invoice = form.cleaned_data["invoice"]
                self.message_user(
                    request,
                    f"Applied {money(form.cleaned_data['amount'])} of {credit} to {invoice}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:billing_credit_change", args=[credit.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Apply {credit}",
            "opts": self.model._meta,
            "credit": credit,
            "invoices": invoices,
            "form": form,
        }
        return TemplateResponse(request, "admin/billing/credit/apply.html", context)
