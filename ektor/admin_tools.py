"""What every ModelAdmin of the back office shares: people-friendly money and dates, a
changelist that stays fast on big tables, and the "Export selected to CSV" action."""

import csv
import datetime
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import ModelChoiceField
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property

from audit.selectors import object_history
from core.context import Ctx
from core.errors import ApplicationError
from ektor.api.filters import MAX_ID
from ektor.ctx import request_ctx
from ektor.db.counts import total_count
from ektor.db.router import replica_read
from ektor.text import plural, spreadsheet_text
from tenancy.scoping import is_tenant_model


class IdConverter:
    """`<id:name>` in the back office's URLs (registered by ektor.apps): a row's id, at most
    the largest BIGINT. A bigger number matches no route, as text does; Django's `<int:>`
    passed it on to a query the database driver could not bind (a 500 on SQLite)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is past the largest id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class CachedCountPaginator(Paginator):
    """The same count as the API's X-Total-Count (ektor.db.counts.total_count): a whole big
    table's exact count comes from the shared cache instead of a COUNT(*) over every row on
    each page load; a filtered list is counted by the database, through its indexes."""

    @cached_property
    def count(self) -> int:
        return total_count(self.object_list)


def field_value(field, raw: Any) -> Any:
    """`raw` (typed into a query string or a form by hand) as a value of the model field
    `field`, or ValidationError. The field's range is checked too: an id past BIGINT made
    the database driver raise before any row was compared (OverflowError on SQLite: a 500)."""
    try:
        return field.clean(raw, None)
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from None


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks up the submitted value to redisplay it; a value that
    is not an id of the related model ("x" posted by hand) made that lookup raise (a 500).
    Such a value is simply not shown; the form's own validation reports it."""

    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        valid = []
        for item in value:
            try:
                field_value(target, item)
            except ValidationError:
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)


class AssignedUserFilter(admin.SimpleListFilter):
    """The rows given to nobody yet (`none`) or to one user (their id) by the foreign key
    `field_name`; what `lookups` offers is the admin's own. Any other value is a bad filter,
    shown as Django shows one (?e=1)."""

    field_name: str

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(**{f"{self.field_name}__isnull": True})
        target = queryset.model._meta.get_field(self.field_name).target_field
        try:
            user_id = field_value(target, value)
        except ValidationError:
            raise IncorrectLookupParameters(f"{value!r} is not a user's id") from None
        return queryset.filter(**{f"{self.field_name}_id": user_id})


class CtxForm:
    """A form that calls services: `ctx` is set on the form class the admin builds for each
    request (OfficeAdmin.get_form and its inlines' formsets), since Django's admin makes the
    form without the request."""

    ctx: Ctx


class CompanyScoped:
    """Scoping in one place for the admin: a ModelAdmin's or an inline's rows, and the choices
    of every foreign key to a tenant model (select boxes; autocompletes ask the related admin,
    whose get_queryset is scoped here too), are the current company's
    (`request_ctx(request).company`, tenancy.middleware). A row of another company is then a
    missing one: its change page redirects with "doesn't exist", as Django does."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if is_tenant_model(queryset.model):
            queryset = queryset.of(request_ctx(request))
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and is_tenant_model(related):
            kwargs["queryset"] = related._default_manager.of(request_ctx(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedInlineFormSet(BaseInlineFormSet):
    """An inline's formset whose rows' hidden id field chooses among the parent's rows (the
    scoped queryset the inline gives), not among every company's: Django builds that field on
    the model's default manager, which the tripwire refuses (and which would look another
    company's row up)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields.get(self._pk_field.name)
        if isinstance(field, ModelChoiceField):
            field.queryset = self.get_queryset()


def replica_page(request, view: Callable[[], HttpResponse]) -> HttpResponse:
    """`view()`'s page read from a replica when one may serve the user (ektor/db/router.py),
    rendered there: a template response evaluates its querysets as it renders."""

    def page() -> HttpResponse:
        response = view()
        if isinstance(response, TemplateResponse):
            response.render()
        return response

    return replica_read(request.user, page)


class OfficeInline(CompanyScoped, admin.TabularInline):
    """The base of every inline: scoped like OfficeAdmin."""

    formset = ScopedInlineFormSet


class OfficeAdmin(CompanyScoped, admin.ModelAdmin):
    """Base of every ModelAdmin: fast changelists and the CSV export.

    Every service and selector it calls gets `request_ctx(request)`; its forms and inline
    formsets get the same ctx as a class attribute (`self.ctx`, see CtxForm).

    `show_full_result_count = False` drops the second COUNT(*) over the whole table that Django
    runs on filtered pages ("5 results (100,000 total)"). An admin that lists "export_csv" in
    its actions exports the selection with `csv_columns`: (header, attribute or callable).
    """

    paginator = CachedCountPaginator
    show_full_result_count = False
    object_history_template = "admin/audit_history.html"
    history_per_page = 100
    # Who changed what is the admins' business, as in the API (GET /audit-events).
    history_permission = "audit.view_auditevent"
    list_per_page = 50
    csv_columns: tuple[tuple[str, str | Callable[[Any], Any]], ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.ctx = request_ctx(request)  # a class made for this request by modelform_factory
        return form

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            # Both classes are made for this request by inlineformset_factory.
            formset.ctx = formset.form.ctx = request_ctx(request)
            yield formset, inline

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # A rule a service enforces at save time that the form could not foresee (a reference
    # appearing after the confirmation page, a concurrent change, a total lowered in the same
    # save as a payment) becomes an error message, never a 500; the service's transaction
    # has rolled back, so nothing is half-saved.
    def _refuse(self, request, exc: ApplicationError):
        self.message_user(request, exc.describe(), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        view = super().changelist_view
        if request.method != "GET":  # an action or the list's editable fields: a write
            return view(request, extra_context)
        return replica_page(request, lambda: view(request, extra_context))

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
        # A hand-made POST whose selection is not ids of this model (or is past their range)
        # made Django's pk__in lookup raise (a 500); it is refused like any other bad request.
        pk_field = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                field_value(pk_field, value)
            except ValidationError:
                self.message_user(request, f"{value!r} is not a valid selection", messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
        try:
            return super().response_action(request, queryset)
        except ApplicationError as exc:
            return self._refuse(request, exc)

    def history_view(self, request, object_id, extra_context=None):
        """The object's page "History": its audit events (what the services recorded, from the
        API, the admin and commands alike), newest first, instead of Django's LogEntry rows,
        which only the admin's own saves write."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (
            self.has_view_or_change_permission(request, obj)
            and request.user.has_perm(self.history_permission)
        ):
            raise PermissionDenied
        events = object_history(request_ctx(request), obj).select_related("actor_user")
        paginator = self.get_paginator(request, events, self.history_per_page)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "action_list": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.num_pages > 1,
            "module_name": str(self.opts.verbose_name_plural).capitalize(),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The page's "History" link only for those who may read it.
        context["has_history_permission"] = request.user.has_perm(self.history_permission)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return csv_response(queryset, self.csv_columns, self.model._meta.model_name)


def run_on_each(model_admin: admin.ModelAdmin, request, objects, verb: str, call) -> None:
    """An action's service call on each selected row: one message for those done, one per
    refusal (named by the row)."""
    done, refused = 0, []
    for obj in objects:
        try:
            call(obj)
            done += 1
        except ApplicationError as exc:
            refused.append(f"{obj}: {exc.message}")
    if done:
        meta = model_admin.model._meta
        counted = plural(done, str(meta.verbose_name), str(meta.verbose_name_plural))
        model_admin.message_user(request, f"{verb} {counted}.", messages.SUCCESS)
    for line in refused:
        model_admin.message_user(request, line, messages.ERROR)


def csv_value(value: Any) -> Any:
    """Money as a plain decimal (1234.50), dates and moments in ISO 8601, None as empty.

    Text that a spreadsheet would run as a formula (a customer named "=HYPERLINK(...)") gets
    a leading apostrophe, which spreadsheets show as plain text.
    """
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return spreadsheet_text(value)
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(queryset, columns) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([header for header, _ in columns])
    # chunk_size: the export reads a selection in batches, never the whole of it into memory.
    for obj in queryset.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                csv_value(source(obj) if callable(source) else getattr(obj, source))
                for _, source in columns
            ]
        )


def csv_response(queryset, columns, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(queryset, columns), content_type="text/csv")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{name}s-{stamp}.csv"'
    return response
