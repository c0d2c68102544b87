"""Office staff's pages for customers and properties. Every save and delete goes through the
services, so the admin obeys the same rules as the API."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect

from customers import selectors, services
from customers.models import Customer, Property
from ektor.api.errors import ApplicationError

CUSTOMER_FIELDS = tuple(services.CustomerFields.__annotations__)
# The customer of a property is its own form field (an autocomplete, or the inline's parent).
PROPERTY_FIELDS = tuple(
    name for name in services.PropertyFields.__annotations__ if name != "customer_id"
)


def adopt(obj, saved) -> None:
    """Give the admin's instance the state of the row a service saved (pk, timestamps), since
    the admin goes on to log, redirect and save inlines with its own instance."""
    obj.__dict__.update(saved.__dict__)


class ServiceAdmin(admin.ModelAdmin):
    """A rule a service enforces at save or delete time (a reference appearing after the
    confirmation page, a concurrent duplicate) becomes an error message, never a 500."""

    def _refuse(self, request, exc: ApplicationError) -> HttpResponseRedirect:
        self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            return self._refuse(request, exc)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            return self._refuse(request, exc)

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except ApplicationError as exc:
            return self._refuse(request, exc)

    def delete_model(self, request, obj):
        self.delete_with_service(obj)

    def delete_queryset(self, request, queryset):
        # All or nothing: one refused row keeps the others too, so the bulk action's count of
        # deleted rows is never wrong.
        with transaction.atomic():
            for obj in queryset:
                self.delete_with_service(obj)

    def delete_with_service(self, obj) -> None:
        raise NotImplementedError


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def clean_email(self):
        # The service's own check, so a duplicate shows beside the field with its message.
        email = self.cleaned_data.get("email")
        try:
            services.customer_email_check(email=email, exclude_id=self.instance.pk)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.reason) from None
        return email


class PropertyAdminForm(forms.ModelForm):
    class Meta:
        model = Property
        fields = ("customer", *PROPERTY_FIELDS)

    def clean_customer(self):
        customer = self.cleaned_data.get("customer")
        if customer is not None:
            try:
                services.property_customer_check(prop=self.instance, customer_id=customer.pk)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message, code=exc.reason) from None
        return customer


class PropertyInline(admin.TabularInline):
    model = Property
    fields = ("label", "address1", "city", "state", "postal_code", "is_active")
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    form = CustomerAdminForm
    list_display = ("full_name", "email", "phone", "property_count", "created_at")
    list_display_links = ("full_name",)
    search_fields = ("first_name", "last_name", "email", "phone")
    readonly_fields = ("created_at", "updated_at")
    fields = (*CUSTOMER_FIELDS, "created_at", "updated_at")
    inlines = [PropertyInline]

    def get_queryset(self, request):
        return selectors.customer_list_with_counts()

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, obj: Customer) -> str:
        return obj.full_name

    @admin.display(description="Properties", ordering="property_count")
    def property_count(self, obj: Customer) -> int:
        return obj.property_count

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in CUSTOMER_FIELDS}
        if change:
            services.customer_replace(customer=obj, **fields)
        else:
            adopt(obj, services.customer_create(**fields))

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for prop in formset.deleted_objects:
            services.property_delete(prop=prop)
        for prop in instances:
            fields = {name: getattr(prop, name) for name in PROPERTY_FIELDS}
            fields["customer_id"] = form.instance.pk
            if prop.pk is None:
                adopt(prop, services.property_create(**fields))
            else:
                services.property_replace(prop=prop, **fields)

    def delete_with_service(self, obj: Customer) -> None:
        services.customer_delete(customer=obj)


@admin.register(Property)
class PropertyAdmin(ServiceAdmin):
    form = PropertyAdminForm
    list_display = ("label", "customer", "address1", "city", "state", "is_active", "updated_at")
    list_filter = ("city", "state", "is_active")
    list_select_related = ("customer",)
    search_fields = ("label", "address1", "address2", "city", "postal_code")
    search_help_text = "Label, address, city or postal code"
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in PROPERTY_FIELDS}
        fields["customer_id"] = form.cleaned_data["customer"].pk
        if change:
            services.property_replace(prop=obj, **fields)
        else:
            adopt(obj, services.property_create(**fields))

    def delete_with_service(self, obj: Property) -> None:
        services.property_delete(prop=obj)
