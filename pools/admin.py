"""Office staff's pages for pools: a Pool page with its equipment inline, and the pools inline
that office/admin.py adds to the property page. Every save and delete goes through the
services, so the admin obeys the same rules as the API."""

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db import models

from core.context import Ctx
from core.errors import ApplicationError
from customers.admin import ServiceAdmin, adopt
from ektor.admin_tools import CtxForm, OfficeInline, ScopedInlineFormSet
from ektor.ctx import request_ctx
from ektor.text import day
from pools import selectors, services
from pools.models import Equipment, Pool

# The pool's property is its own form field (an autocomplete, or the inline's parent).
POOL_FIELDS = tuple(name for name in services.PoolFields.__annotations__ if name != "property_id")
EQUIPMENT_FIELDS = tuple(
    name for name in services.EquipmentFields.__annotations__ if name != "pool_id"
)
ONE_LINE_NOTES = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1})}}


class PoolRulesForm(CtxForm, forms.ModelForm):
    """The service's rules beside each field: its value rules, and the name's uniqueness at
    the property (the page's property, or the inline's parent)."""

    # The table's constraints are the service's rules, asked in clean() with the service's
    # messages; the model's own validation of them would repeat them as "Constraint ... is
    # violated" and read the name's uniqueness over every company's pools (the tripwire's
    # refusal).
    CHECKED_BY_THE_SERVICE = frozenset(
        {"property", "name", "volume_gallons", "kind", "surface", "sanitizer"}
    )

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | self.CHECKED_BY_THE_SERVICE

    def clean(self):
        cleaned = super().clean()
        for error in services.pool_field_errors(self.ctx, cleaned):
            if error.field in self.fields and error.field not in self.errors:
                self.add_error(error.field, error.msg)
        # The page's property, or the inline's parent (none yet on a new property's page).
        prop = cleaned.get("property")
        property_id = prop.pk if prop is not None else self.instance.property_id
        name = cleaned.get("name")
        if property_id is not None and name and "name" not in self.errors:
            try:
                services.pool_name_check(
                    self.ctx, property_id=property_id, name=name, exclude_id=self.instance.pk
                )
            except ApplicationError as exc:
                self.add_error("name", exc.message)
        return cleaned


class PoolAdminForm(PoolRulesForm):
    class Meta:
        model = Pool
        fields = ("property", *POOL_FIELDS)


class ServiceFormSet(ScopedInlineFormSet):
    """An inline's rows saved through the services: each new row by `create`, each changed
    one by `replace`, each deleted one by `delete` (with `ctx` set by OfficeAdmin), so a
    row saved on its parent's page obeys the same rules as one saved on its own."""

    ctx: Ctx
    fields: ClassVar[tuple[str, ...]]
    parent_key: ClassVar[str]  # the services' keyword for the parent's id
    row_key: ClassVar[str]  # the services' keyword for the row
    create: ClassVar[Callable[..., Any]]
    replace: ClassVar[Callable[..., Any]]
    remove: ClassVar[Callable[..., Any]]

    def _fields(self, form) -> dict[str, Any]:
        fields = {name: form.cleaned_data[name] for name in self.fields}
        return {**fields, self.parent_key: self.instance.pk}

    def save_new(self, form, commit=True):
        adopt(form.instance, type(self).create(self.ctx, **self._fields(form)))
        return form.instance

    def save_existing(self, form, obj, commit=True):
        return type(self).replace(self.ctx, **{self.row_key: obj}, **self._fields(form))

    def delete_existing(self, obj, commit=True):
        type(self).remove(self.ctx, **{self.row_key: obj})


class PoolFormSet(ServiceFormSet):
    fields = POOL_FIELDS
    parent_key, row_key = "property_id", "pool"
    create = staticmethod(services.pool_create)
    replace = staticmethod(services.pool_replace)
    remove = staticmethod(services.pool_delete)


class EquipmentFormSet(ServiceFormSet):
    fields = EQUIPMENT_FIELDS
    parent_key, row_key = "pool_id", "equipment"
    create = staticmethod(services.equipment_create)
    replace = staticmethod(services.equipment_replace)
    remove = staticmethod(services.equipment_delete)


class PoolInline(OfficeInline):
    """The pools of a property, on the property's page (office/admin.py adds it there)."""

    model = Pool
    form = PoolRulesForm
    formset = PoolFormSet
    fields = POOL_FIELDS
    formfield_overrides = ONE_LINE_NOTES
    extra = 0
    show_change_link = True


class EquipmentInline(OfficeInline):
    model = Equipment
    formset = EquipmentFormSet
    fields = EQUIPMENT_FIELDS
    formfield_overrides = ONE_LINE_NOTES
    extra = 0


@admin.register(Pool)
class PoolAdmin(ServiceAdmin):
    form = PoolAdminForm
    list_display = (
        "name",
        "property",
        "customer",
        "kind",
        "volume_gallons",
        "sanitizer",
        "is_active",
        "updated",
    )
    list_filter = ("kind", "surface", "sanitizer", "is_indoor", "is_active")
    # What the autocompletes of other pages (visits, plans) will require; the search itself
    # is the selector's (name, the property's label, address and city).
    search_fields = ("name", "property__label")
    search_help_text = "Name, or the property's label, address or city"
    autocomplete_fields = ("property",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [EquipmentInline]
    actions = ["delete_selected", "export_csv"]
    csv_columns = (
        ("id", "pk"),
        ("property_id", "property_id"),
        ("property", lambda pool: pool.property.label),
        *((name, name) for name in POOL_FIELDS),
        ("created_at", "created_at"),
    )

    def get_queryset(self, request):
        # (The changelist's list_select_related is skipped on a queryset that selects some.)
        return selectors.pool_list(request_ctx(request)).select_related("property__customer")

    def get_search_results(self, request, queryset, search_term):
        return selectors.pool_search(request_ctx(request), queryset, search_term), False

    @admin.display(description="Customer", ordering="property__customer__last_name")
    def customer(self, obj: Pool) -> str:
        return str(obj.property.customer)

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj: Pool) -> str:
        return day(obj.updated_at)

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        fields = {name: form.cleaned_data[name] for name in POOL_FIELDS}
        fields["property_id"] = form.cleaned_data["property"].pk
        if change:
            services.pool_replace(ctx, pool=obj, **fields)
        else:
            adopt(obj, services.pool_create(ctx, **fields))

    def delete_with_service(self, ctx: Ctx, obj: Pool) -> None:
        services.pool_delete(ctx, pool=obj)
