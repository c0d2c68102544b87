"""The office's queue of customer requests. Every save and action goes through
support.services, so the admin obeys the API's rules; a refusal shows on the form or as a
message naming the request."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.selectors import user_list
from billing.admin import OverdueFilter, refusal_to_form_errors
from ektor.admin_tools import AssignedUserFilter, CtxForm, OfficeAdmin, run_on_each
from ektor.ctx import request_ctx
from ektor.text import day
from support import selectors, services
from support.models import CustomerRequest

# What the request is about, as the form names them (the foreign keys without "_id").
ABOUT_FIELDS = tuple(name.removesuffix("_id") for name in sorted(services.UPDATABLE_FIELDS))
FORM_FIELDS = (
    "kind",
    "channel",
    "customer",
    "property",
    "invoice",
    "subject",
    "description",
    "received_at",
)
TRACKING_FIELDS = ("number", "status", "due_date", "answered_at", "closed_at", "created_at")


class AssigneeFilter(AssignedUserFilter):
    title = "assignee"
    parameter_name = "assignee"
    field_name = "assignee"

    def lookups(self, request, model_admin):
        members = user_list(request_ctx(request)).order_by("username")
        return [("none", "Nobody yet"), *((str(u.pk), u.get_username()) for u in members)]


class RequestOverdueFilter(OverdueFilter):
    filter_overdue = staticmethod(selectors.request_filter_overdue)


class CustomerRequestForm(CtxForm, forms.ModelForm):
    """Log a request (request_create); on its page, change what it is about
    (request_update), give it to someone (request_assign) and answer it (request_answer)."""

    class Meta:
        model = CustomerRequest
        fields = [*FORM_FIELDS, "assignee", "response"]
        help_texts = {
            "received_at": "When the customer made the request: the deadline counts from it.",
            "assignee": "Who in the office handles it; saving puts the request in progress.",
            "response": "The answer: saving it emails it to the customer and marks the request "
            "answered.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "received_at" in self.fields and self.instance.pk is None:
            self.fields["received_at"].initial = timezone.now
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = user_list(self.ctx).order_by("username")

    def clean(self):
        cleaned = super().clean()
        request = self.instance
        if request.pk is None:
            return cleaned
        for field, action in (("assignee", "assign"), ("response", "answer")):
            if field in self.changed_data and cleaned.get(field):
                refusal = services.can_request_transition(self.ctx, request=request, action=action)
                refusal_to_form_errors(self, refusal)
        return cleaned


@admin.register(CustomerRequest)
class CustomerRequestAdmin(OfficeAdmin):
    form = CustomerRequestForm
    list_display = [
        "number",
        "kind",
        "status",
        "customer",
        "subject",
        "assignee",
        "received",
        "due",
        "overdue",
    ]
    list_display_links = ["number"]
    # Fetched by id for the page (a JOIN would sort every joined row first).
    list_select_related = ()
    list_filter = ["kind", AssigneeFilter, "status", RequestOverdueFilter]
    search_fields = ["number", "subject", "customer__first_name", "customer__last_name"]
    search_help_text = "Request number, subject or customer name"
    autocomplete_fields = ["customer", "property", "invoice"]
    actions = ["assign_to_me", "close_selected", "reopen_selected", "export_csv"]
    csv_columns = (
        ("number", "number"),
        ("kind", "kind"),
        ("channel", "channel"),
        ("status", "status"),
        ("customer_id", "customer_id"),
        ("subject", "subject"),
        ("assignee_id", "assignee_id"),
        ("received_at", "received_at"),
        ("due_date", "due_date"),
        ("answered_at", "answered_at"),
        ("closed_at", "closed_at"),
    )

    def get_queryset(self, request):
        return selectors.request_queue(request_ctx(request)).prefetch_related(
            "customer", "assignee"
        )

    def get_ordering(self, request):
        # The queue: waiting ones first by deadline (the overdue have the earliest).
        return ["-pending", "due_date", "id"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return FORM_FIELDS
        return (*TRACKING_FIELDS, *FORM_FIELDS, "assignee", "response")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.status == "closed":  # reopen it to change it
            return (*TRACKING_FIELDS, *FORM_FIELDS, "assignee", "response")
        return (*TRACKING_FIELDS, "received_at")

    def lookup_allowed(self, lookup, value, request=None):
        # The customer's page links to their requests (office/admin.py).
        return lookup == "customer__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="received", ordering="received_at")
    def received(self, obj: CustomerRequest) -> str:
        return day(obj.received_at)

    @admin.display(description="due", ordering="due_date")
    def due(self, obj: CustomerRequest) -> str:
        return day(obj.due_date)

    @admin.display(description="overdue", ordering="is_overdue")
    def overdue(self, obj: CustomerRequest) -> str:
        if not obj.is_overdue:
            return ""
        return format_html('<strong class="overdue">{}</strong>', "Overdue")

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if not change:
            saved = services.request_create(
                ctx,
                kind=obj.kind,
                channel=obj.channel,
                customer_id=obj.customer_id,
                property_id=obj.property_id,
                invoice_id=obj.invoice_id,
                subject=obj.subject,
                description=obj.description,
                received_at=obj.received_at,
            )
            obj.pk = saved.pk
            return
        about = {
            f"{name}_id" if name in ("customer", "property", "invoice") else name: (
                getattr(value, "pk", value)
            )
            for name, value in data.items()
            if name in ABOUT_FIELDS
        }
        if about:
            services.request_update(ctx, request=obj, data=about)
        if "assignee" in data and data["assignee"] is not None:
            services.request_assign(ctx, request=obj, assignee_id=data["assignee"].pk)
        if data.get("response"):
            services.request_answer(ctx, request=obj, response=data["response"])
            to = services.request_email_recipient(ctx, request=obj)
            self.message_user(
                request,
                f"The answer is emailed to {to}."
                if to
                else "The customer has no email address: no email is sent.",
                messages.INFO,
            )

    def has_delete_permission(self, request, obj=None):
        # A request is a legal record: it is closed, never deleted.
        return False

    @admin.action(description="Assign selected requests to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        ctx = request_ctx(request)
        run_on_each(
            self,
            request,
            queryset,
            "Assigned",
            lambda obj: services.request_assign(ctx, request=obj, assignee_id=request.user.pk),
        )

    @admin.action(description="Close selected requests", permissions=["change"])
    def close_selected(self, request, queryset):
        ctx = request_ctx(request)
        run_on_each(
            self, request, queryset, "Closed", lambda obj: services.request_close(ctx, request=obj)
        )

    @admin.action(description="Reopen selected requests", permissions=["change"])
    def reopen_selected(self, request, queryset):
        ctx = request_ctx(request)
        run_on_each(
            self,
            request,
            queryset,
            "Reopened",
            lambda obj: services.request_reopen(ctx, request=obj),
        )

    # --- the response-time report ------------------------------------------------------------

    def get_urls(self):
        report = path(
            "report/",
            self.admin_site.admin_view(self.report_view),
            name="support_customerrequest_report",
        )
        return [report, *super().get_urls()]

    def report_view(self, request):
        """Median and 90th percentile days to answer, by month and kind."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Response times",
            "subtitle": None,
            "opts": self.opts,
            "rows": selectors.response_times(request_ctx(request)),
            "queue_url": reverse("admin:support_customerrequest_changelist"),
        }
        return TemplateResponse(request, "admin/support/report.html", context)
