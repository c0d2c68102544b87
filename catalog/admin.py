"""Office staff's pages for the catalog and its stock. Every save goes through the services,
so the admin obeys the same rules as the API: an item's stock changes only by a movement."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from catalog import csv_import, selectors, services
from catalog.models import Item, StockMovement
from core.errors import ApplicationError
from ektor import csv_input
from ektor.admin_tools import CtxForm, OfficeAdmin
from ektor.ctx import request_ctx

ITEM_FIELDS = tuple(services.ItemFields.__annotations__)


def adopt(obj, saved) -> None:
    """Give the admin's instance the state of the row a service saved (pk, timestamps)."""
    obj.__dict__.update(saved.__dict__)


class ItemAdminForm(CtxForm, forms.ModelForm):
    class Meta:
        model = Item
        fields = ITEM_FIELDS

    def clean(self):
        cleaned = super().clean()
        for name, message in services.item_field_errors(self.ctx, cleaned):
            self.add_error(name if name in self.fields else None, message)
        sku = cleaned.get("sku")
        if sku:
            try:
                services.item_sku_check(self.ctx, sku=sku.strip(), exclude_id=self.instance.pk)
            except ApplicationError as exc:
                self.add_error("sku", forms.ValidationError(exc.message, code=exc.reason))
        return cleaned


class LowStockFilter(admin.SimpleListFilter):
    """The office's reorder list (the dashboard links here): items that track stock and have
    no more than their reorder level."""

    title = "stock"
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return (("yes", "At or below reorder level"), ("no", "Above reorder level"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            ctx = request_ctx(request)
            return selectors.item_filter_low_stock(ctx, queryset, self.value() == "yes")
        return queryset


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV with a header row; see the columns above.")


@admin.register(Item)
class ItemAdmin(OfficeAdmin):
    form = ItemAdminForm
    list_display = ("sku", "name", "kind", "category", "price", "stock", "reorder_level")
    list_display += ("is_active",)
    list_display_links = ("sku", "name")
    list_filter = ("kind", "category", LowStockFilter, "is_active")
    # What the autocompletes require; the search itself is selectors.item_search.
    search_fields = ("sku", "name", "description")
    search_help_text = "SKU, name or description"
    readonly_fields = ("stock_quantity", "created_at", "updated_at")
    actions = ["delete_selected", "export_csv"]
    csv_columns = (
        ("item_id", "pk"),
        *((name, name) for name in csv_import.COLUMNS),
        ("stock_quantity", "stock_quantity"),
    )

    def get_queryset(self, request):
        return selectors.item_list(request_ctx(request))

    def get_search_results(self, request, queryset, search_term):
        return selectors.item_search(request_ctx(request), queryset, search_term), False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ITEM_FIELDS
        return (*ITEM_FIELDS, "stock_quantity", "created_at", "updated_at")

    @admin.display(description="In stock", ordering="stock_quantity")
    def stock(self, obj: Item) -> str:
        return f"{obj.stock_quantity:.3f}" if obj.track_stock else "—"

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        fields = {name: form.cleaned_data[name] for name in ITEM_FIELDS}
        if change:
            services.item_replace(ctx, item=obj, **fields)
        else:
            adopt(obj, services.item_create(ctx, **fields))

    def get_deleted_objects(self, objs, request):
        """A soft delete: the item's movements (and later visits and invoice lines) keep it,
        so nothing else is deleted and nothing protects it."""
        items = list(objs)
        return [str(item) for item in items], {"items": len(items)}, set(), []

    def delete_model(self, request, obj):
        services.item_delete(request_ctx(request), item=obj)

    def delete_queryset(self, request, queryset):
        ctx = request_ctx(request)
        with transaction.atomic():
            for item in queryset:
                services.item_delete(ctx, item=item)

    # --- CSV import ---------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="catalog_item_import",
            ),
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.import_template_view),
                name="catalog_item_import_template",
            ),
            *super().get_urls(),
        ]

    def can_import(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def _import_allowed(self, request) -> None:
        if not self.can_import(request):
            raise PermissionDenied(f"Your role ({request.user.role}) cannot import items.")

    def import_template_view(self, request):
        self._import_allowed(request)
        response = HttpResponse(csv_import.template_csv(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="items-template.csv"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.can_import(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload a CSV: every row imported through the services, or none (with each bad
        line's reason)."""
        self._import_allowed(request)
        upload = ImportUploadForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import items",
            "opts": self.model._meta,
            "columns": csv_import.COLUMNS,
            "required": csv_import.REQUIRED,
            "max_megabytes": csv_input.MAX_BYTES // (1024 * 1024),
            "upload_form": upload,
        }
        if request.method == "POST" and upload.is_valid():
            try:
                text = csv_input.read_text(upload.cleaned_data["file"])
            except ValueError as exc:
                upload.add_error("file", str(exc))
            else:
                result = csv_import.import_text(request_ctx(request), text)
                if not result.errors:
                    self.message_user(request, f"Imported {result.summary()}.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:catalog_item_changelist"))
                context["errors"] = result.errors
        return TemplateResponse(request, "admin/catalog/item/import.html", context)


class StockMovementAdminForm(CtxForm, forms.ModelForm):
    """A receipt, adjustment or return recorded by the office (usage comes from visits)."""

    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in services.OFFICE_KINDS])

    class Meta:
        model = StockMovement
        fields = ("item", "kind", "quantity", "unit_cost", "note")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") and cleaned.get("quantity") is not None:
            errors = services.movement_quantity_errors(
                self.ctx, kind=cleaned["kind"], quantity=cleaned["quantity"]
            )
            for name, message in errors:
                self.add_error(name, message)
        return cleaned


@admin.register(StockMovement)
class StockMovementAdmin(OfficeAdmin):
    """The ledger: read only; a new movement is saved by the service, under the item's lock."""

    form = StockMovementAdminForm
    list_display = ("created_at", "item", "kind", "quantity", "stock_after", "visit_id")
    list_display += ("created_by", "note")
    list_filter = ("kind",)
    list_select_related = ("item", "created_by")
    search_fields = ("item__sku", "item__name", "note")
    search_help_text = "The item's SKU or name, or the note"
    autocomplete_fields = ("item",)
    actions = ["export_csv"]
    csv_columns = (
        ("movement_id", "pk"),
        ("item_id", "item_id"),
        ("sku", lambda m: m.item.sku),
        ("kind", "kind"),
        ("quantity", "quantity"),
        ("stock_after", "stock_after"),
        ("unit_cost", "unit_cost"),
        ("visit_id", "visit_id"),
        ("note", "note"),
        ("created_at", "created_at"),
    )

    def get_queryset(self, request):
        return selectors.movement_list(request_ctx(request)).select_related("item")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        movement = services.stock_movement_create(
            request_ctx(request),
            item_id=data["item"].pk,
            kind=data["kind"],
            quantity=data["quantity"],
            unit_cost=data["unit_cost"],
            note=data["note"] or "",
        )
        adopt(obj, movement)
