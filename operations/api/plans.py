"""Service plans, scheduling and the route of a day over HTTP: input serializers check shape,
the services and selectors decide, outputs only render."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.context import Ctx
from core.errors import InvalidInput
from customers.api.serializers import optional_text
from customers.models import Customer, Property, full_name
from ektor.api.errors import RequestValidationError
from ektor.api.fields import IsoDateField, MoneyField, StrictIntegerField
from ektor.api.filters import IdFilter, StrictFilterSet
from ektor.api.output import ModelOutput, Output
from ektor.api.queryparams import validate_query
from ektor.api.views import ApiView, ApiViewSet, ListMixin, RetrieveMixin
from operations import plans, selectors
from operations.error_codes import OperationsErrorCode
from operations.models import (
    BillingTiming,
    Chemicals,
    Frequency,
    PlanStatus,
    RateType,
    ServicePlan,
    Visit,
    VisitKind,
    VisitStatus,
)
from operations.scheduling import visits_schedule
from pools.models import Pool

# A route position fits the column (PositiveIntegerField) on every database.
MAX_ROUTE_POSITION = 2**31 - 1


class PlanIn(serializers.Serializer):
    pool_id = StrictIntegerField(min_value=1)
    technician_id = StrictIntegerField(min_value=1, allow_null=True, default=None)
    frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = StrictIntegerField(min_value=0, max_value=6, help_text="0 = Monday .. 6 = Sunday")
    start_date = IsoDateField()
    end_date = IsoDateField(allow_null=True, default=None)
    rate_type = serializers.ChoiceField(choices=RateType.choices, default=RateType.PER_MONTH)
    rate = MoneyField()
    chemicals = serializers.ChoiceField(choices=Chemicals.choices, default=Chemicals.INCLUDED)
    billing_timing = serializers.ChoiceField(
        choices=BillingTiming.choices, default=BillingTiming.ADVANCE
    )
    route_position = StrictIntegerField(min_value=0, max_value=MAX_ROUTE_POSITION, default=0)
    notes = optional_text()


class PlanPauseIn(serializers.Serializer):
    until = IsoDateField(
        allow_null=True, default=None, help_text="The last day paused (null: until resumed)"
    )


class PlanEndIn(serializers.Serializer):
    end_date = IsoDateField(help_text="The plan's last day")


class PlanOut(ModelOutput):
    plan_id = serializers.IntegerField(source="id", read_only=True)
    pool_id = serializers.IntegerField(read_only=True)
    # Through the pool: a plan serves the pool's property and its customer.
    property_id = serializers.IntegerField(source="pool.property_id", read_only=True)
    customer_id = serializers.IntegerField(source="pool.property.customer_id", read_only=True)
    technician_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ServicePlan
        fields = ["plan_id", "pool_id", "property_id", "customer_id", "technician_id"]
        fields += ["frequency", "weekday", "start_date", "end_date", "rate_type", "rate"]
        fields += ["chemicals", "billing_timing", "status", "paused_until", "route_position"]
        fields += ["notes", "created_at", "updated_at"]
        read_only_fields = fields


class PlanFilter(StrictFilterSet):
    customer_id = IdFilter(
        field_name="pool__property__customer_id", help_text="Only this customer's plans"
    )
    property_id = IdFilter(field_name="pool__property_id", help_text="Only this property's plans")
    pool_id = IdFilter(field_name="pool_id", help_text="Only this pool's plans")
    technician_id = IdFilter(field_name="technician_id", help_text="Only this technician's plans")
    status = filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = ServicePlan
        fields = ["customer_id", "property_id", "pool_id", "technician_id", "status"]


_TRANSITION = {409: ("invalid_transition",)}
_CHANGE = "operations.change_serviceplan"


@extend_schema_view(
    list=extend_schema(responses=PlanOut(many=True)),
    retrieve=extend_schema(responses=PlanOut),
    create=extend_schema(request=PlanIn, responses={201: PlanOut}),
    partial_update=extend_schema(request=PlanIn, responses=PlanOut),
)
class PlanViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """A pool's recurring service. Admins write; staff read; a technician reads their own."""

    lookup_url_kwarg = "plan_id"
    not_found_reason = OperationsErrorCode.PLAN_NOT_FOUND
    error_reasons = {
        "create": {404: ("pool_not_found",)},
        "partial_update": {400: ("no_fields_to_update",), **_TRANSITION},
        "pause": _TRANSITION,
        "resume": _TRANSITION,
        "end": _TRANSITION,
    }
    serializer_class = PlanOut
    filterset_class = PlanFilter
    action_permissions = {name: [_CHANGE] for name in ("pause", "resume", "end")}

    def get_queryset(self):
        return selectors.plan_list(self.ctx)

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "GET":
            # What is read is up to date: plans past their end read as ended (operations.plans).
            plans.plans_status_refresh(Ctx.system(self.ctx.company))

    def create(self, request):
        plan = plans.plan_create(self.ctx, **self.validated(PlanIn))
        return self.output(plan, status=201)

    def partial_update(self, request, pk=None):
        data = self.validated(PlanIn, partial=True)
        return self.output(plans.plan_update(self.ctx, plan=self.get_object(), data=data))

    @extend_schema(request=PlanPauseIn, responses=PlanOut)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Pause the plan from today (the company's date) through `until` inclusive."""
        plan = self.get_object()
        return self.output(plans.plan_pause(self.ctx, plan=plan, **self.validated(PlanPauseIn)))

    @extend_schema(request=None, responses=PlanOut)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Serve the paused plan again from today."""
        return self.output(plans.plan_resume(self.ctx, plan=self.get_object()))

    @extend_schema(request=PlanEndIn, responses=PlanOut)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """Set the plan's last day; it is ended once that day is past."""
        plan = self.get_object()
        return self.output(plans.plan_end(self.ctx, plan=plan, **self.validated(PlanEndIn)))


ScheduleIn = type(
    "ScheduleIn",
    (serializers.Serializer,),
    {
        "from": IsoDateField(help_text="The first day to schedule"),
        "to": IsoDateField(help_text="The last day to schedule (at most 62 days in all)"),
    },
)


class ScheduleOut(serializers.Serializer):
    created = serializers.IntegerField(read_only=True, help_text="Visits created")
    existing = serializers.IntegerField(read_only=True, help_text="Visits that were there")


class ScheduleView(ApiView):
    """Admins: create the visits of every running plan in a range (again: nothing twice)."""

    permission_model = Visit
    error_reasons = {"post": {409: ("scheduling_contended",)}}

    @extend_schema(operation_id="schedule_create", request=ScheduleIn, responses={200: ScheduleOut})
    def post(self, request):
        """Schedule the visits of every running plan from `from` through `to`."""
        serializer = ScheduleIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        dates = serializer.validated_data
        result = visits_schedule(self.ctx, date_from=dates["from"], date_to=dates["to"])
        return Response(ScheduleOut(result).data)


class RouteQuery(serializers.Serializer):
    date = IsoDateField()
    technician_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class RouteCustomerOut(ModelOutput):
    customer_id = serializers.IntegerField(source="id", read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)

    class Meta:
        model = Customer
        fields = ["customer_id", "name", "phone"]
        read_only_fields = fields
        computed = {"name": (full_name, ("first_name", "last_name"))}


class RoutePropertyOut(ModelOutput):
    property_id = serializers.IntegerField(source="id", read_only=True)

    class Meta:
        model = Property
        fields = ["property_id", "label", "address1", "address2", "city", "state", "postal_code"]
        read_only_fields = fields


class RoutePoolOut(ModelOutput):
    pool_id = serializers.IntegerField(source="id", read_only=True)

    class Meta:
        model = Pool
        fields = ["pool_id", "name", "kind", "volume_gallons", "access_notes"]
        read_only_fields = fields


class RouteStopOut(Output):
    visit_id = serializers.IntegerField(source="id", read_only=True)
    route_position = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=VisitStatus.choices, read_only=True)
    kind = serializers.ChoiceField(choices=VisitKind.choices, read_only=True)
    scheduled_date = serializers.DateField(read_only=True)
    customer = RouteCustomerOut(read_only=True)
    property = RoutePropertyOut(read_only=True)
    pools = RoutePoolOut(source="route_pools", many=True, read_only=True)


class RouteView(ApiView):
    """A day's stops of one technician in route order: a technician their own, the office
    anyone's (with technician_id)."""

    permission_model = Visit
    error_reasons = {"get": {403: ("not_your_route",)}}

    @extend_schema(
        operation_id="route_retrieve",
        parameters=[
            OpenApiParameter("date", str, required=True, description="The day (YYYY-MM-DD)"),
            OpenApiParameter(
                "technician_id",
                int,
                description="Whose route (a technician: their own, the default; the office: "
                "required)",
            ),
        ],
        responses={200: RouteStopOut(many=True)},
    )
    def get(self, request):
        """The route of a day."""
        query = validate_query(RouteQuery, request)
        try:
            visits = selectors.route_list(
                self.ctx,
                day=query["date"],
                columns=RouteStopOut.columns(),
                pool_columns=RoutePoolOut.columns(),
                technician_id=query.get("technician_id"),
            )
        except InvalidInput as exc:
            # The technician is a query parameter here, not a body field.
            raise RequestValidationError(
                [{"loc": ["query", e.field], "msg": e.msg, "type": e.type} for e in exc.fields]
            ) from None
        return Response(RouteStopOut.encode_rows(visits))
