"""Office staff's pages for customers and properties. Every save and delete goes through the
services, so the admin obeys the same rules as the API."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.context import Ctx
from core.errors import ApplicationError
from customers import csv_import, selectors, services
from customers.models import Customer, Property
from ektor import csv_input
from ektor.admin_tools import CtxForm, OfficeAdmin, OfficeInline
from ektor.ctx import request_ctx
from ektor.text import day, plural

CUSTOMER_FIELDS = tuple(services.CustomerFields.__annotations__)
# The customer of a property is its own form field (an autocomplete, or the inline's parent).
PROPERTY_FIELDS = tuple(
    name for name in services.PropertyFields.__annotations__ if name != "customer_id"
)


def adopt(obj, saved) -> None:
    """Give the admin's instance the state of the row a service saved (pk, timestamps), since
    the admin goes on to log, redirect and save inlines with its own instance."""
    obj.__dict__.update(saved.__dict__)


class ServiceAdmin(OfficeAdmin):
    """Deletes go through the app's service (delete_with_service), which refuses protected rows."""

    def delete_model(self, request, obj):
        self.delete_with_service(request_ctx(request), obj)

    def delete_queryset(self, request, queryset):
        # All or nothing: one refused row keeps the others too, so the bulk action's count of
        # deleted rows is never wrong.
        ctx = request_ctx(request)
        with transaction.atomic():
            for obj in queryset:
                self.delete_with_service(ctx, obj)

    def delete_with_service(self, ctx: Ctx, obj) -> None:
        raise NotImplementedError

    # What other apps show on the page of a row (a property's service history ...): each
    # callable takes the request and the row and gives an HTML section, shown below the form.
    # The layer above the apps adds them (office/admin.py), as with shortcut_links.
    page_sections: Sequence[Callable[[HttpRequest, Any], str]] = ()
    change_form_template = "admin/customers/sections_change_form.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["page_sections"] = [section(request, obj) for section in self.page_sections]
        return super().render_change_form(request, context, add, change, form_url, obj)


class CustomerAdminForm(CtxForm, forms.ModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def clean_email(self):
        # The service's own check, so a duplicate shows beside the field with its message.
        email = self.cleaned_data.get("email")
        try:
            services.customer_email_check(self.ctx, email=email, exclude_id=self.instance.pk)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.reason) from None
        return email


class PropertyTextForm(CtxForm, forms.ModelForm):
    """The service's text rules as field errors (used by the inline rows too)."""

    def clean(self):
        cleaned = super().clean()
        for name, message in services.property_text_errors(self.ctx, cleaned):
            if name in self.fields:
                self.add_error(name, message)
        return cleaned


class PropertyAdminForm(PropertyTextForm):
    class Meta:
        model = Property
        fields = ("customer", *PROPERTY_FIELDS)

    def clean_customer(self):
        customer = self.cleaned_data.get("customer")
        if customer is not None:
            try:
                services.property_customer_check(
                    self.ctx, prop=self.instance, customer_id=customer.pk
                )
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message, code=exc.reason) from None
        return customer


def is_autocomplete(request) -> bool:
    """Whether the admin's autocomplete (a picker on another model's form) is asking."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"


class PropertyInline(OfficeInline):
    model = Property
    form = PropertyTextForm
    # Every field; admin.css shares the row's width among them so it fits a 1,400-pixel
    # screen beside the navigation, and the notes are one line that grows when dragged.
    fields = PROPERTY_FIELDS
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1})}}
    extra = 0
    show_change_link = True


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV; the format is described in the README.")


class ImportConfirmForm(forms.Form):
    # The checked file travels back with the confirmation and is checked again before writing,
    # so the page keeps no state on the server.
    csv_text = forms.CharField(widget=forms.HiddenInput, strip=False)


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    form = CustomerAdminForm
    list_display = (
        "full_name",
        "email",
        "phone",
        "property_count",
        "open_invoice_count",
        "is_active",
        "created",
    )
    list_display_links = ("full_name",)
    list_filter = ("is_active",)
    # What the autocompletes require; the search itself is customer_search_with_addresses.
    search_fields = ("first_name", "last_name", "email", "phone")
    search_help_text = "Name, email, phone or a property's address"
    readonly_fields = ("shortcuts", "created_at", "updated_at")
    page_sections: list[Callable[[HttpRequest, Customer], str]] = []
    actions = ["deactivate_selected", "delete_selected", "export_csv"]
    csv_columns = (
        ("id", "pk"),
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("email", "email"),
        ("phone", "phone"),
        ("is_active", "is_active"),
        ("property_count", "property_count"),
        ("open_invoice_count", "open_invoice_count"),
        ("created_at", "created_at"),
    )
    inlines = [PropertyInline]

    def get_queryset(self, request):
        return selectors.customer_list_with_counts(request_ctx(request))

    def get_search_results(self, request, queryset, search_term):
        ctx = request_ctx(request)
        if is_autocomplete(request):
            queryset = selectors.customer_pickable(ctx, queryset)
        return selectors.customer_search_with_addresses(ctx, queryset, search_term), False

    def get_fields(self, request, obj=None):
        if obj is None:
            return CUSTOMER_FIELDS
        return ("shortcuts", *CUSTOMER_FIELDS, "created_at", "updated_at")

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj: Customer) -> str:
        return obj.full_name

    @admin.display(description="Properties", ordering="property_count")
    def property_count(self, obj: Customer) -> int:
        return obj.property_count

    @admin.display(description="Open invoices", ordering="open_invoice_count")
    def open_invoice_count(self, obj: Customer) -> int:
        return obj.open_invoice_count

    @admin.display(description="Customer since", ordering="created_at")
    def created(self, obj: Customer) -> str:
        return day(obj.created_at)

    # What other apps hold for a customer (their invoices, payments ...): each callable takes
    # the customer and gives (url, label) pairs. The layer above the apps adds them
    # (office/admin.py), so this app links to them without importing them.
    shortcut_links: list[Callable[[Customer], Iterable[tuple[str, str]]]] = []

    @admin.display(description="Go to")
    def shortcuts(self, obj: Customer) -> str:
        """One click to what belongs to the customer: lists filtered on them, the statement."""
        links = [
            (
                reverse("admin:customers_property_changelist") + f"?customer__id__exact={obj.pk}",
                f"Properties ({obj.property_count})",
            ),
        ]
        for provider in self.shortcut_links:
            links.extend(provider(obj))
        return format_html(
            '<span class="shortcuts">{}</span>',
            format_html_join(" · ", '<a href="{}">{}</a>', links),
        )

    # --- deleting: customers with invoices are kept, and deactivated instead -----------------

    @admin.action(description="Deactivate selected customers", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        count = services.customers_deactivate(request_ctx(request), customers=queryset)
        self.message_user(request, f"Deactivated {plural(count, 'customer')}.", messages.SUCCESS)

    @admin.action(description="Delete selected customers", permissions=["delete"])
    def delete_selected(self, request, queryset):
        kept = self.kept_customers(request_ctx(request), queryset)
        if kept:
            return self.kept_response(request, kept)
        return django_delete_selected(self, request, queryset)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_delete_permission(request, obj):
            kept = self.kept_customers(request_ctx(request), [obj])
            if kept:
                return self.kept_response(request, kept)
        return super().delete_view(request, object_id, extra_context)

    def kept_customers(self, ctx: Ctx, customers) -> list[tuple[Customer, str]]:
        reasons = (
            (customer, services.customer_kept_reason(ctx, customer)) for customer in customers
        )
        return [(customer, reason) for customer, reason in reasons if reason]

    def kept_response(self, request, kept: list[tuple[Customer, str]]) -> HttpResponse:
        """Instead of Django's page about permissions on invoices: why they are kept, and a
        button that deactivates them."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Customers with invoices are kept",
            "opts": self.model._meta,
            "kept": kept,
            "can_deactivate": self.has_change_permission(request),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "deactivate_label": f"Deactivate {plural(len(kept), 'customer')}",
        }
        return TemplateResponse(request, "admin/customers/customer/kept.html", context)

    # --- CSV import -------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        template = self.admin_site.admin_view(self.import_template_view)
        return [
            path("import/", view, name="customers_customer_import"),
            path("import/template.csv", template, name="customers_customer_import_template"),
            *super().get_urls(),
        ]

    def import_template_view(self, request):
        """The CSV to fill in: the header and one example row."""
        if not self.can_import(request):
            raise PermissionDenied(
                f"Your role ({request.user.role}) cannot import customers and properties."
            )
        response = HttpResponse(csv_import.template_csv(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="customers-template.csv"'
        return response

    def can_import(self, request) -> bool:
        return self.has_add_permission(request) and request.user.has_perm("customers.add_property")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.can_import(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload -> preview (every row with what happens to it) -> confirm -> import."""
        if not self.can_import(request):
            raise PermissionDenied(
                f"Your role ({request.user.role}) cannot import customers and properties."
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import customers and properties",
            "opts": self.model._meta,
            "columns": csv_import.COLUMNS,
            "required": csv_import.REQUIRED,
            "upload_form": ImportUploadForm(),
        }
        if request.method == "POST" and "csv_text" in request.POST:
            return self._import_confirmed(request, context)
        if request.method == "POST":
            upload = ImportUploadForm(request.POST, request.FILES)
            context["upload_form"] = upload
            if upload.is_valid():
                try:
                    text = csv_input.read_text(upload.cleaned_data["file"])
                except ValueError as exc:
                    upload.add_error("file", str(exc))
                else:
                    context["plan"] = csv_import.plan(request_ctx(request), text)
                    context["confirm_form"] = ImportConfirmForm(initial={"csv_text": text})
        return TemplateResponse(request, "admin/customers/customer/import.html", context)

    def _import_confirmed(self, request, context):
        confirm = ImportConfirmForm(request.POST)
        if not confirm.is_valid():
            return HttpResponseRedirect(request.path)
        plan, result = csv_import.import_text(
            request_ctx(request), confirm.cleaned_data["csv_text"]
        )
        if result is None:
            # Something changed since the preview (or a service refused): show it again.
            context["plan"] = plan
            return TemplateResponse(request, "admin/customers/customer/import.html", context)
        self.message_user(request, f"Imported {result.summary()}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:customers_customer_changelist"))

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        fields = {name: form.cleaned_data[name] for name in CUSTOMER_FIELDS}
        if change:
            services.customer_replace(ctx, customer=obj, **fields)
        else:
            adopt(obj, services.customer_create(ctx, **fields))

    def save_formset(self, request, form, formset, change):
        ctx = request_ctx(request)
        instances = formset.save(commit=False)
        for prop in formset.deleted_objects:
            services.property_delete(ctx, prop=prop)
        for prop in instances:
            fields = {name: getattr(prop, name) for name in PROPERTY_FIELDS}
            fields["customer_id"] = form.instance.pk
            if prop.pk is None:
                adopt(prop, services.property_create(ctx, **fields))
            else:
                services.property_replace(ctx, prop=prop, **fields)

    def delete_with_service(self, ctx: Ctx, obj: Customer) -> None:
        services.customer_delete(ctx, customer=obj)


@admin.register(Property)
class PropertyAdmin(ServiceAdmin):
    form = PropertyAdminForm
    list_display = ("label", "customer", "address1", "city", "state", "is_active", "updated")
    list_filter = ("city", "state", "is_active")
    list_select_related = ("customer",)
    search_fields = ("label", "address1", "address2", "city", "postal_code")
    search_help_text = "Label, address, city or postal code"
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at", "updated_at")
    # What other apps keep per property (its pools ...), as inlines that save through their own
    # services; the layer above the apps adds them (office/admin.py), as with shortcut_links.
    inlines: list[type[admin.options.InlineModelAdmin]] = []
    page_sections: list[Callable[[HttpRequest, Property], str]] = []

    def get_queryset(self, request):
        return selectors.property_list(request_ctx(request))

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        # The invoice form's script (billing's invoice_form.js) names the chosen customer, so
        # the property picker offers that customer's properties only.
        customer = request.GET.get("customer", "")
        if is_autocomplete(request) and customer.isascii() and customer.isdigit():
            queryset = queryset.filter(customer_id=int(customer[:18]))
        return queryset, duplicates

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj: Property) -> str:
        return day(obj.updated_at)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in PROPERTY_FIELDS}
        fields["customer_id"] = form.cleaned_data["customer"].pk
        ctx = request_ctx(request)
        if change:
            services.property_replace(ctx, prop=obj, **fields)
        else:
            adopt(obj, services.property_create(ctx, **fields))

    def delete_with_service(self, ctx: Ctx, obj: Property) -> None:
        services.property_delete(ctx, prop=obj)
