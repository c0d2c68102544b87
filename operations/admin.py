"""Office staff's pages for service plans and visits: the plans (scheduled into visits by an
action), and today's routes, a changelist of a day's visits per technician in route order,
with each visit's readings, lines, checklist and photos on its page. Every write goes through
the services, so the admin obeys the same rules as the API."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.forms import ModelChoiceField
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.selectors import user_list
from customers.admin import adopt
from ektor.admin_tools import (
    AssignedUserFilter,
    CtxForm,
    OfficeAdmin,
    OfficeInline,
    run_on_each,
)
from ektor.ctx import request_ctx
from ektor.files import file_url
from ektor.text import day, money, plural
from operations import plans, reports, selectors, visits
from operations.dashboard import LEFT, out_of_range_q, week_began_at, week_start
from operations.models import Reading, ServicePlan, Visit, VisitStatus
from operations.scheduling import schedule_range_errors, visits_schedule
from tenancy.models import Role
from tenancy.scoping import company_today

WEEKDAYS = tuple(enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")))
WEEKDAYS += ((5, "Saturday"), (6, "Sunday"))
# The readings' columns on a visit's page: (field, heading).
READING_COLUMNS = (
    ("free_chlorine", "FC"),
    ("combined_chlorine", "CC"),
    ("ph", "pH"),
    ("total_alkalinity", "TA"),
    ("calcium_hardness", "CH"),
    ("cyanuric_acid", "CYA"),
    ("salt", "Salt"),
    ("temperature_f", "°F"),
    ("tds", "TDS"),
    ("phosphates", "Phos."),
    ("lsi", "LSI"),
)


def person(user) -> str:
    return "-" if user is None else user.get_full_name() or user.get_username()


@admin.display(description="technician", ordering="technician__first_name")
def technician_name(obj: ServicePlan | Visit) -> str:
    return person(obj.technician)


def technicians(ctx):
    """The company's technicians (a plan's or a visit's technician is one of them)."""
    return user_list(ctx).filter(company_role=Role.TECHNICIAN).order_by("username")


class TechnicianFilter(AssignedUserFilter):
    title = "technician"
    parameter_name = "technician"
    field_name = "technician"

    def lookups(self, request, model_admin):
        people = technicians(request_ctx(request))
        return [
            ("none", "Nobody yet"),
            *((str(u.pk), person(u)) for u in people),
        ]


# --- plans ------------------------------------------------------------------------------------

PLAN_FIELDS = (
    "pool",
    "technician",
    "frequency",
    "weekday",
    "start_date",
    "end_date",
    "rate_type",
    "rate",
    "chemicals",
    "billing_timing",
    "route_position",
    "notes",
)


class ServicePlanForm(CtxForm, forms.ModelForm):
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int)

    class Meta:
        model = ServicePlan
        fields = PLAN_FIELDS

    def _get_validation_exclusions(self):
        # The table's checks are the service's rules, asked in clean() with its messages (the
        # model's validation would repeat them as "Constraint ... is violated").
        return super()._get_validation_exclusions() | set(PLAN_FIELDS)

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned[name] for name in PLAN_FIELDS if name in cleaned}
        values.setdefault("start_date", self.instance.start_date)
        for error in plans.plan_field_errors(self.ctx, values):
            field = error.field.removesuffix("_id")
            if field in self.fields and field not in self.errors:
                self.add_error(field, error.msg)
        return cleaned


class PauseForm(forms.Form):
    until = forms.DateField(
        required=False, help_text="The last day paused (YYYY-MM-DD); empty: until resumed."
    )


class ScheduleForm(forms.Form):
    date_from = forms.DateField(label="From", help_text="YYYY-MM-DD")
    date_to = forms.DateField(label="To", help_text="YYYY-MM-DD, at most 62 days after From")

    def __init__(self, *args, ctx, **kwargs):
        super().__init__(*args, **kwargs)
        self.ctx = ctx
        # Next week, Monday to Sunday.
        monday = week_start(company_today(ctx)) + datetime.timedelta(weeks=1)
        self.fields["date_from"].initial = monday
        self.fields["date_to"].initial = monday + datetime.timedelta(days=6)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to"):
            errors = schedule_range_errors(
                self.ctx, date_from=cleaned["date_from"], date_to=cleaned["date_to"]
            )
            for error in errors:
                self.add_error("date_to", error.msg)
        return cleaned


class WeekdayFilter(admin.SimpleListFilter):
    title = "weekday"
    parameter_name = "weekday"

    def lookups(self, request, model_admin):
        return [(str(number), name) for number, name in WEEKDAYS]

    def queryset(self, request, queryset):
        value = self.value()
        if value in {str(number) for number, _ in WEEKDAYS}:
            return queryset.filter(weekday=int(value))
        return queryset


@admin.register(ServicePlan)
class ServicePlanAdmin(OfficeAdmin):
    list_display = (
        "id",
        "pool",
        "property_",
        "customer",
        technician_name,
        "frequency",
        "weekday_",
        "status",
        "rate_",
        "start_date",
    )
    list_display_links = ("id", "pool")
    list_filter = ("status", "frequency", WeekdayFilter, TechnicianFilter, "rate_type")
    search_fields = (
        "pool__name",
        "pool__property__label",
        "pool__property__address1",
        "pool__property__city",
        "pool__property__customer__first_name",
        "pool__property__customer__last_name",
    )
    search_help_text = "The pool's name, its property's label, address or city, or the customer"
    form = ServicePlanForm
    autocomplete_fields = ("pool",)
    actions = ["schedule_visits", "pause_selected", "resume_selected", "export_csv"]
    csv_columns = (
        ("plan_id", "pk"),
        ("pool_id", "pool_id"),
        ("property_id", lambda plan: plan.pool.property_id),
        ("customer_id", lambda plan: plan.pool.property.customer_id),
        ("technician_id", "technician_id"),
        ("frequency", "frequency"),
        ("weekday", "weekday"),
        ("start_date", "start_date"),
        ("end_date", "end_date"),
        ("rate_type", "rate_type"),
        ("rate", "rate"),
        ("status", "status"),
        ("paused_until", "paused_until"),
        ("route_position", "route_position"),
    )

    def has_delete_permission(self, request, obj=None):
        # A plan ends (its end date); its visits keep it.
        return False

    def get_readonly_fields(self, request, obj=None):
        # A plan serves one pool for good; its status moves by the actions.
        return () if obj is None else ("pool", "status", "paused_until", "created_at")

    def get_fields(self, request, obj=None):
        return (
            PLAN_FIELDS if obj is None else (*PLAN_FIELDS, "status", "paused_until", "created_at")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "technician":
            kwargs["queryset"] = technicians(request_ctx(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        if not change:
            adopt(obj, plans.plan_create(ctx, **service_data(form, PLAN_FIELDS)))
            return
        data = service_data(form, [name for name in PLAN_FIELDS if name != "pool"])
        plans.plan_update(ctx, plan=obj, data=changed(form, data))

    @admin.action(description="Pause selected plans", permissions=["change"])
    def pause_selected(self, request, queryset):
        ctx = request_ctx(request)
        return run_with_form(
            self,
            request,
            queryset,
            PauseForm,
            "Paused",
            lambda plan, data: plans.plan_pause(ctx, plan=plan, until=data["until"]),
            action="pause_selected",
            title="Pause plans",
            explanation="From today, no visit is scheduled for these plans until the day "
            "given (or until they are resumed).",
            submit="Pause",
        )

    @admin.action(description="Resume selected plans", permissions=["change"])
    def resume_selected(self, request, queryset):
        ctx = request_ctx(request)
        run_on_each(self, request, queryset, "Resumed", lambda p: plans.plan_resume(ctx, plan=p))

    @admin.action(description="Schedule visits", permissions=["change"])
    def schedule_visits(self, request, queryset):
        ctx = request_ctx(request)
        form = ScheduleForm(request.POST if "apply" in request.POST else None, ctx=ctx)
        if not form.is_valid():
            return action_page(
                self,
                request,
                form,
                action="schedule_visits",
                objects=list(queryset),
                title="Schedule visits",
                explanation="Every running plan of the company gets its visits of these days "
                "(at most 62), skipping paused days and ended plans; a visit already there is "
                "kept as it is.",
                submit="Schedule",
            )
        first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        result = visits_schedule(ctx, date_from=first, date_to=last)
        self.message_user(
            request,
            f"Scheduled {plural(result['created'], 'visit')} from {day(first)} to {day(last)} "
            f"({result['existing']} already there).",
            messages.SUCCESS,
        )
        return None

    def get_queryset(self, request):
        # The page's joins: the pool, its property and customer, the technician. (The
        # changelist's list_select_related is skipped on a queryset that selects some.)
        return selectors.plan_list(request_ctx(request)).select_related(
            "pool__property__customer", "technician"
        )

    def lookup_allowed(self, lookup, value, request=None):
        # The customer's and the pool's pages link to their plans.
        return lookup in ("pool__property__customer__id__exact", "pool__id__exact") or (
            super().lookup_allowed(lookup, value, request)
        )

    @admin.display(description="property", ordering="pool__property__label")
    def property_(self, obj: ServicePlan) -> str:
        return str(obj.pool.property)

    @admin.display(description="customer", ordering="pool__property__customer__last_name")
    def customer(self, obj: ServicePlan) -> str:
        return str(obj.pool.property.customer)

    @admin.display(description="weekday", ordering="weekday")
    def weekday_(self, obj: ServicePlan) -> str:
        return dict(WEEKDAYS)[obj.weekday]

    @admin.display(description="rate", ordering="rate")
    def rate_(self, obj: ServicePlan) -> str:
        return f"{money(obj.rate)} {obj.get_rate_type_display().lower()}"


class PlanInline(OfficeInline):
    """A pool's plans, listed on the pool's page (office/admin.py adds it there); each opens
    on its own page, where the plan services save it."""

    model = ServicePlan
    fields = ("technician", "frequency", "weekday", "start_date", "end_date", "rate", "status")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    verbose_name_plural = "service plans"

    def has_view_permission(self, request, obj=None):
        # A list to read, on an existing pool's page: nothing of it is posted, so the pool's
        # save (which expects no formset of plans) is left alone.
        return (
            obj is not None
            and request.method != "POST"
            and super().has_view_permission(request, obj)
        )

    def get_queryset(self, request):
        # A technician sees their own plans only, here as in the plans' list.
        return selectors.plan_list(request_ctx(request)).select_related("technician")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- visits -----------------------------------------------------------------------------------


class RouteDateFilter(admin.SimpleListFilter):
    """The day of the routes: today in the company's time zone unless another is chosen
    (`?date=2026-01-07`), this week (`week`) or every day (`all`)."""

    title = "day"
    parameter_name = "date"

    def __init__(self, request, params, model, model_admin):
        self.today = company_today(request_ctx(request))
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        today = self.today
        days = (("Yesterday", -1), ("Today", 0), ("Tomorrow", 1))
        return [
            *(
                (
                    (today + datetime.timedelta(n)).isoformat(),
                    f"{label} ({day(today + datetime.timedelta(n))})",
                )
                for label, n in days
            ),
            ("week", "This week"),
            ("all", "Every day"),
        ]

    def chosen(self) -> str:
        return self.value() or self.today.isoformat()

    def choices(self, changelist):
        # No "All" without a value: the page without one is today's routes.
        chosen = self.chosen()
        for value, label in self.lookup_choices:
            yield {
                "selected": chosen == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        chosen = self.chosen()
        if chosen == "all":
            return queryset
        if chosen == "week":
            monday = week_start(self.today)
            return queryset.filter(
                scheduled_date__range=(monday, monday + datetime.timedelta(days=6))
            )
        try:
            return queryset.filter(scheduled_date=datetime.date.fromisoformat(chosen))
        except ValueError:
            raise IncorrectLookupParameters(f"{chosen!r} is not a day (YYYY-MM-DD)") from None


class VisitStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("left", "Still to do"), *VisitStatus.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "left":
            return queryset.filter(status__in=LEFT)
        if value in VisitStatus.values:
            return queryset.filter(status=value)
        return queryset


class ReadingsFilter(admin.SimpleListFilter):
    """Visits whose water was out of range (the dashboard links here for this week's)."""

    title = "water"
    parameter_name = "readings"

    def lookups(self, request, model_admin):
        return [("week", "Out of range, read this week"), ("out_of_range", "Out of range")]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in ("week", "out_of_range"):
            return queryset
        readings = Reading.objects.of(request_ctx(request)).filter(
            out_of_range_q(), visit=OuterRef("pk")
        )
        if value == "week":
            ctx = request_ctx(request)
            readings = readings.filter(created_at__gte=week_began_at(ctx, company_today(ctx)))
        return queryset.filter(Exists(readings))


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


def action_page(model_admin, request, form, *, action, objects, title, explanation, submit):
    """An action's intermediate page: its form, posted again with the selection."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "objects": objects,
        "form": form,
        "action": action,
        "explanation": explanation,
        "submit": submit,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/operations/action_form.html", context)


def run_with_form(model_admin, request, queryset, form_class, verb, call, **page):
    """An action that asks for something first (a reason, a day): its page until the form
    is valid, then `call(row, cleaned_data)` on each selected row (run_on_each)."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return action_page(model_admin, request, form, objects=list(queryset), **page)
    run_on_each(model_admin, request, queryset, verb, lambda row: call(row, form.cleaned_data))
    return None


def _table(headings, rows, css: str) -> str:
    return format_html(
        '<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        css,
        format_html_join("", "<th>{}</th>", ((h,) for h in headings)),
        format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
        ),
    )


def _value(value) -> str:
    return (
        "-"
        if value is None
        else f"{value.normalize():f}"
        if hasattr(value, "normalize")
        else str(value)
    )


# A work order's (or an extra stop's) fields; a scheduled visit's that the office changes; a
# completed visit's that an admin corrects.
NEW_VISIT_FIELDS = (
    "kind",
    "property",
    "technician",
    "scheduled_date",
    "title",
    "customer_notes",
    "office_notes",
)
SCHEDULED_FIELDS = ("technician", "scheduled_date", "title", "customer_notes", "office_notes")
CORRECTED = ("customer_notes", "office_notes", "checklist")


def service_data(form, fields) -> dict:
    """The form's values of `fields` as the services name them (a relation by its id)."""
    data = {}
    for name in fields:
        value = form.cleaned_data.get(name)
        if isinstance(form.fields[name], ModelChoiceField):
            data[f"{name}_id"] = value.pk if value is not None else None
        else:
            data[name] = value
    return data


def changed(form, data: dict) -> dict:
    """What the form changed of `data` (an update names only those)."""
    return {
        key: value for key, value in data.items() if key.removesuffix("_id") in form.changed_data
    }


@admin.register(Visit)
class VisitAdmin(OfficeAdmin):
    """Today's routes: the changelist opens on today's visits (the company's day) of every
    technician, each route in its order; the technician filter shows one route."""

    list_display = (
        "route_position",
        "stop",
        "scheduled_date",
        technician_name,
        "status",
        "address",
        "customer",
        "kind",
    )
    list_display_links = ("stop",)
    autocomplete_fields = ("property",)
    list_filter = (RouteDateFilter, TechnicianFilter, VisitStatusFilter, ReadingsFilter, "kind")
    ordering = ("scheduled_date", "technician_id", "route_position", "id")
    search_fields = (
        "property__label",
        "property__address1",
        "property__city",
        "customer__first_name",
        "customer__last_name",
        "title",
    )
    search_help_text = "The property's label, address or city, the customer, or the title"
    actions = ["cancel_selected", "export_csv"]
    csv_columns = (
        ("visit_id", "pk"),
        ("kind", "kind"),
        ("plan_id", "plan_id"),
        ("property_id", "property_id"),
        ("customer_id", "customer_id"),
        ("technician_id", "technician_id"),
        ("scheduled_date", "scheduled_date"),
        ("route_position", "route_position"),
        ("status", "status"),
        ("completed_at", "completed_at"),
        ("skip_reason", "skip_reason"),
    )
    PANELS = ("readings_", "lines_", "checklist_", "photos_", "report")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    "plan",
                    "property",
                    "customer",
                    "technician",
                    "scheduled_date",
                    "route_position",
                    "status",
                    "title",
                )
            },
        ),
        (
            "What happened",
            {
                "fields": (
                    "started_at",
                    "completed_at",
                    "skip_reason",
                    "skip_note",
                    "cancel_reason",
                    "customer_notes",
                    "office_notes",
                    *PANELS,
                )
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):
        # A visit is cancelled or skipped (its history stays).
        return False

    def editable(self, obj: Visit | None) -> tuple[str, ...]:
        """What the office changes: a new visit's fields; a scheduled one's (visit_update); a
        completed one's notes and checklist (visit_correct, an admin's correction). A visit
        under way, skipped or cancelled stays as it is."""
        if obj is None:
            return NEW_VISIT_FIELDS
        return {VisitStatus.SCHEDULED: SCHEDULED_FIELDS, VisitStatus.COMPLETED: CORRECTED}.get(
            obj.status, ()
        )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": NEW_VISIT_FIELDS}),)
        if obj.status != VisitStatus.COMPLETED or not self.has_change_permission(request, obj):
            return self.fieldsets
        # The correction edits the checklist itself, where others see its list.
        what, happened = self.fieldsets[1]
        fields = tuple("checklist" if f == "checklist_" else f for f in happened["fields"])
        return (self.fieldsets[0], (what, {"fields": fields}))

    def get_readonly_fields(self, request, obj=None):
        shown = flatten_fieldsets(self.get_fieldsets(request, obj))
        editable = self.editable(obj) if self.has_change_permission(request, obj) else ()
        return [name for name in shown if name not in editable]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "technician":
            kwargs["queryset"] = technicians(request_ctx(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description="Cancel selected visits", permissions=["change"])
    def cancel_selected(self, request, queryset):
        ctx = request_ctx(request)
        return run_with_form(
            self,
            request,
            queryset,
            CancelForm,
            "Cancelled",
            lambda visit, data: visits.visit_cancel(ctx, visit=visit, reason=data["reason"]),
            action="cancel_selected",
            title="Cancel visits",
            explanation="The visits stay, cancelled, with the reason; a plan's date is not "
            "scheduled again. A visit under way or finished stays as it is.",
            submit="Cancel the visits",
        )

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        data = service_data(form, self.editable(obj if change else None))
        if not change:
            adopt(obj, visits.visit_create(ctx, **data))
        elif obj.status == VisitStatus.COMPLETED:
            visits.visit_correct(ctx, visit=obj, data=changed(form, data))
        else:
            visits.visit_update(ctx, visit=obj, data=changed(form, data))

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [
            path("<path:object_id>/report/", report, name="operations_visit_report"),
            *super().get_urls(),
        ]

    def report_view(self, request, object_id):
        """The customer's service report, as the API's GET /visits/{id}/report renders it."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        visit = self.get_object(request, unquote(object_id))
        if visit is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return HttpResponse(reports.visit_report_page(request_ctx(request), visit=visit))

    def get_queryset(self, request):
        return selectors.visit_list(request_ctx(request)).select_related(
            "property", "customer", "technician"
        )

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in ("customer__id__exact", "property__id__exact", "plan__id__exact") or (
            super().lookup_allowed(lookup, value, request)
        )

    @admin.display(description="stop")
    def stop(self, obj: Visit) -> str:
        return obj.title or str(obj.property.label or obj.property)

    @admin.display(description="address", ordering="property__address1")
    def address(self, obj: Visit) -> str:
        prop = obj.property
        return ", ".join(part for part in (prop.address1, prop.city) if part)

    @admin.display(description="readings")
    def readings_(self, obj: Visit) -> str:
        readings = list(obj.readings.select_related("pool"))
        if not readings:
            return "-"
        headings = ("Pool", *(heading for _, heading in READING_COLUMNS), "Flags")
        rows = (
            (
                reading.pool.name,
                *(_value(getattr(reading, name)) for name, _ in READING_COLUMNS),
                ", ".join(reading.flags) or "in range",
            )
            for reading in readings
        )
        return _table(headings, rows, "visit-readings")

    @admin.display(description="lines")
    def lines_(self, obj: Visit) -> str:
        lines = list(obj.lines.select_related("pool"))
        if not lines:
            return "-"
        rows = (
            (
                line.description,
                _value(line.quantity),
                money(line.unit_price),
                line.pool.name if line.pool else "",
            )
            for line in lines
        )
        return _table(("Item", "Quantity", "Unit price", "Pool"), rows, "visit-lines")

    @admin.display(description="checklist")
    def checklist_(self, obj: Visit) -> str:
        if not obj.checklist:
            return "-"
        return format_html(
            '<ul class="visit-checklist">{}</ul>',
            format_html_join(
                "",
                "<li>{} {}</li>",
                (
                    ("✓" if task.get("done") else "✗", task.get("task", ""))
                    for task in obj.checklist
                ),
            ),
        )

    @admin.display(description="photos")
    def photos_(self, obj: Visit) -> str:
        photos = list(obj.photos.all())
        if not photos:
            return "-"
        return format_html(
            '<div class="visit-photos">{}</div>',
            format_html_join(
                "",
                '<a href="{}" target="_blank" rel="noopener"><img class="visit-thumb" src="{}" '
                'alt="{}" width="160"></a>',
                (
                    (
                        file_url(photo.file_name),
                        file_url(photo.thumbnail_name or photo.file_name),
                        photo.caption or f"Photo {photo.pk}",
                    )
                    for photo in photos
                ),
            ),
        )

    @admin.display(description="report")
    def report(self, obj: Visit) -> str:
        if obj.status != VisitStatus.COMPLETED:
            return "Once the visit is completed."
        url = reverse("admin:operations_visit_report", args=[obj.pk])
        return format_html('<a href="{}" id="visit-report" target="_blank">Service report</a>', url)
