"""`/visits`: the stops, their actions and what a completed one recorded. Input serializers
check shape (and the readings' physical ranges, so a typo is located at its index); the
services of operations.visits decide. Thin views: selectors read, services write.

Who may act: an admin on any visit (the role's `change_visit`), a technician on their own
(the selector hides the others': 404); staff read only (403). `FieldWork` below is that check
for start, complete and skip; creating, changing and cancelling are the admin's model
permissions.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ektor.api.fields import (
    IsoDateField,
    MeasurementField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
)
from ektor.api.filters import IdFilter, IsoDateFilter, StrictFilterSet
from ektor.api.output import ModelOutput
from ektor.api.permissions import ModelPermissions
from ektor.api.views import ApiViewSet, RetrieveMixin, path_id
from ektor.db.router import replica_read
from operations import selectors, visits
from operations.models import (
    MEASUREMENT_DIGITS,
    Photo,
    Reading,
    SkipReason,
    Visit,
    VisitKind,
    VisitLine,
    VisitStatus,
)
from operations.readings import READING_LIMITS
from tenancy.models import Role

# --- input ----------------------------------------------------------------------------------


def _notes() -> StrictCharField:
    return StrictCharField(allow_null=True, allow_blank=True, max_length=10000, required=False)


def _measurement(name: str) -> MeasurementField:
    low, high = READING_LIMITS[name]
    return MeasurementField(
        min_value=low,
        max_value=high,
        max_digits=MEASUREMENT_DIGITS["max_digits"],
        decimal_places=MEASUREMENT_DIGITS["decimal_places"],
        required=False,
        allow_null=True,
    )


class ReadingIn(serializers.Serializer):
    pool_id = StrictIntegerField(min_value=1)
    free_chlorine = _measurement("free_chlorine")
    combined_chlorine = _measurement("combined_chlorine")
    ph = _measurement("ph")
    total_alkalinity = _measurement("total_alkalinity")
    calcium_hardness = _measurement("calcium_hardness")
    cyanuric_acid = _measurement("cyanuric_acid")
    salt = _measurement("salt")
    temperature_f = _measurement("temperature_f")
    tds = _measurement("tds")
    phosphates = _measurement("phosphates")


class LineIn(serializers.Serializer):
    item_id = StrictIntegerField(min_value=1)
    quantity = StrictDecimalField(
        max_digits=12, decimal_places=3, help_text="In the item's unit; positive"
    )
    pool_id = StrictIntegerField(min_value=1, required=False, allow_null=True)


class ChecklistEntryIn(serializers.Serializer):
    task = StrictCharField(min_length=1, max_length=visits.CHECKLIST_TASK_MAX)
    done = StrictBooleanField()


class VisitCompleteIn(serializers.Serializer):
    readings = ReadingIn(many=True, required=False, default=list)
    lines = LineIn(many=True, required=False, default=list)
    checklist = ChecklistEntryIn(many=True, required=False, default=list)
    customer_notes = _notes()
    office_notes = _notes()


class VisitCreateIn(serializers.Serializer):
    property_id = StrictIntegerField(min_value=1)
    scheduled_date = IsoDateField()
    kind = serializers.ChoiceField(choices=VisitKind.choices, default=VisitKind.WORK_ORDER)
    technician_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    title = StrictCharField(
        allow_null=True, allow_blank=True, max_length=visits.TITLE_MAX, required=False
    )
    customer_notes = _notes()
    office_notes = _notes()


class VisitUpdateIn(serializers.Serializer):
    """PATCH, while the visit is scheduled; its status moves through the actions."""

    property_id = StrictIntegerField(min_value=1, required=False)
    scheduled_date = IsoDateField(required=False)
    technician_id = StrictIntegerField(min_value=1, required=False, allow_null=True)
    title = StrictCharField(
        allow_null=True, allow_blank=True, max_length=visits.TITLE_MAX, required=False
    )
    customer_notes = _notes()
    office_notes = _notes()


class VisitSkipIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=SkipReason.choices)
    note = _notes()


class VisitCancelIn(serializers.Serializer):
    reason = StrictCharField(min_length=1, max_length=10000)


# --- output ---------------------------------------------------------------------------------


class SuggestionOut(serializers.Serializer):
    chemical = serializers.CharField(read_only=True)
    amount = serializers.CharField(read_only=True, help_text="A decimal, to one place")
    unit = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)


class ChecklistEntryOut(serializers.Serializer):
    task = serializers.CharField(read_only=True)
    done = serializers.BooleanField(read_only=True)


class ReadingOut(ModelOutput):
    reading_id = serializers.IntegerField(source="id", read_only=True)
    pool_id = serializers.IntegerField(read_only=True)
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)
    suggestions = serializers.ListField(child=SuggestionOut(), read_only=True)

    class Meta:
        model = Reading
        fields = ["reading_id", "pool_id", *READING_LIMITS, "lsi", "flags", "suggestions"]
        fields += ["created_at"]
        read_only_fields = fields


class VisitLineOut(ModelOutput):
    line_id = serializers.IntegerField(source="id", read_only=True)
    item_id = serializers.IntegerField(read_only=True)
    pool_id = serializers.IntegerField(read_only=True, allow_null=True)
    movement_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = VisitLine
        fields = ["line_id", "item_id", "pool_id", "description", "quantity", "unit_price"]
        fields += ["taxable", "movement_id", "created_at"]
        read_only_fields = fields


class VisitPhotoOut(ModelOutput):
    photo_id = serializers.IntegerField(source="id", read_only=True)

    class Meta:
        model = Photo
        fields = ["photo_id", "caption"]
        read_only_fields = fields


class VisitOut(ModelOutput):
    visit_id = serializers.IntegerField(source="id", read_only=True)
    plan_id = serializers.IntegerField(read_only=True, allow_null=True)
    property_id = serializers.IntegerField(read_only=True)
    customer_id = serializers.IntegerField(read_only=True)
    technician_id = serializers.IntegerField(read_only=True, allow_null=True)
    readings = ReadingOut(many=True, read_only=True)
    lines = VisitLineOut(many=True, read_only=True)
    checklist = serializers.ListField(child=ChecklistEntryOut(), read_only=True)
    photos = VisitPhotoOut(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = ["visit_id", "kind", "plan_id", "property_id", "customer_id", "technician_id"]
        fields += ["scheduled_date", "route_position", "status", "started_at", "completed_at"]
        fields += ["skip_reason", "skip_note", "cancel_reason", "title", "customer_notes"]
        fields += ["office_notes", "readings", "lines", "checklist", "photos"]
        fields += ["created_at", "updated_at"]
        read_only_fields = fields


# --- query ----------------------------------------------------------------------------------


class VisitFilter(StrictFilterSet):
    date = IsoDateFilter(field_name="scheduled_date", help_text="Scheduled on this day")
    from_date = IsoDateFilter(
        field_name="scheduled_date", lookup_expr="gte", help_text="Scheduled on this day or later"
    )
    to_date = IsoDateFilter(
        field_name="scheduled_date", lookup_expr="lte", help_text="Scheduled on this day or earlier"
    )
    status = filters.ChoiceFilter(choices=VisitStatus.choices)
    technician_id = IdFilter(field_name="technician_id")
    customer_id = IdFilter(field_name="customer_id")
    property_id = IdFilter(field_name="property_id")
    plan_id = IdFilter(field_name="plan_id")
    kind = filters.ChoiceFilter(choices=VisitKind.choices)

    class Meta:
        model = Visit
        fields = ["date", "from_date", "to_date", "status", "technician_id", "customer_id"]
        fields += ["property_id", "plan_id", "kind"]


# --- views ----------------------------------------------------------------------------------


class FieldWork(ModelPermissions):
    """The technician's actions (start, complete, skip): an admin (who may change visits) on
    any visit, a technician on their own (the selector hides the others': 404). Staff, who
    only read, are refused."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if view.ctx.role == Role.TECHNICIAN:
            return True
        return request.user.has_perm("operations.change_visit")


_TRANSITION = {409: ("invalid_transition", "visit_completed")}
FIELD_WORK = ("start", "complete", "skip")


class VisitViewSet(RetrieveMixin, ApiViewSet):
    lookup_url_kwarg = "visit_id"
    error_reasons = {
        "create": {404: ("property_not_found",)},
        "partial_update": {
            404: ("property_not_found",),
            400: ("no_fields_to_update",),
            409: (*_TRANSITION[409], "duplicate_plan_visit"),
        },
        "start": _TRANSITION,
        "complete": {409: (*_TRANSITION[409], "insufficient_stock")},
        "skip": _TRANSITION,
        "cancel": _TRANSITION,
    }
    serializer_class = VisitOut
    filterset_class = VisitFilter
    permission_model = Visit
    action_permissions = {"cancel": ["operations.change_visit"]}

    def get_permissions(self):
        if self.action in FIELD_WORK:
            return [FieldWork()]
        return super().get_permissions()

    def get_queryset(self):
        return selectors.visit_list(self.ctx)

    def get_object(self):
        # The visit by its compiled query (operations.selectors.visit_get), as get_object
        # would find it in get_queryset().
        visit = selectors.visit_get(self.ctx, visit_id=path_id(self.kwargs["pk"], "visit_id"))
        self.check_object_permissions(self.request, visit)
        return visit

    def _respond(self, visit: Visit, status: int = 200) -> Response:
        [detailed] = selectors.visit_details(self.ctx, [visit])
        return self.output(detailed, status=status)

    def list(self, request):
        """List visits, newest first (each with its readings, lines, checklist and photos)."""

        def page() -> list[dict]:
            rows = self.paginate_queryset(self.filter_queryset(self.scoped_queryset()))
            return VisitOut.encode_many(selectors.visit_details(self.ctx, rows))

        return self.get_paginated_response(replica_read(request.user, page))

    def retrieve(self, request, pk=None):
        return self._respond(self.get_object())

    @extend_schema(request=VisitCreateIn, responses={201: VisitOut})
    def create(self, request):
        """Create a work order or an extra stop (admins)."""
        created = visits.visit_create(self.ctx, **self.validated(VisitCreateIn))
        return self._respond(created, status=201)

    @extend_schema(request=VisitUpdateIn, responses=VisitOut)
    def partial_update(self, request, pk=None):
        """Change a scheduled visit (admins)."""
        visit = self.get_object()
        data = self.validated(VisitUpdateIn, partial=True)
        return self._respond(visits.visit_update(self.ctx, visit=visit, data=data))

    @extend_schema(request=None, responses=VisitOut)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start the stop: scheduled -> in_progress."""
        return self._respond(visits.visit_start(self.ctx, visit=self.get_object()))

    @extend_schema(request=VisitCompleteIn, responses=VisitOut)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete the stop in one body, all or nothing: readings, lines, checklist, notes."""
        visit = self.get_object()
        data = self.validated(VisitCompleteIn)
        return self._respond(visits.visit_complete(self.ctx, visit=visit, **data))

    @extend_schema(request=VisitSkipIn, responses=VisitOut)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        """Skip the stop, with a reason."""
        visit = self.get_object()
        data = self.validated(VisitSkipIn)
        return self._respond(visits.visit_skip(self.ctx, visit=visit, **data))

    @extend_schema(request=VisitCancelIn, responses=VisitOut)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the stop (admins)."""
        visit = self.get_object()
        data = self.validated(VisitCancelIn)
        return self._respond(visits.visit_cancel(self.ctx, visit=visit, **data))
