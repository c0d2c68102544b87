"""The caller's companies and the current company's settings."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated

from ektor.api.views import ApiViewSet, ListMixin
from tenancy import selectors, services
from tenancy.api.serializers import CompanyIn, CompanyOut, MyCompanyOut
from tenancy.models import Company


class CompaniesView(ListMixin, ApiViewSet):
    """Any signed-in user: the companies they belong to."""

    permission_classes = [IsAuthenticated]
    serializer_class = MyCompanyOut

    def get_queryset(self):
        return selectors.my_companies(self.ctx)

    @extend_schema(responses={200: MyCompanyOut(many=True)})
    def list(self, request):
        """The companies the caller belongs to, with their role in each; `is_current` marks
        the one their token acts for."""
        return super().list(request)


class CompanyView(ApiViewSet):
    """Any member reads the current company; its owners change it (admins hold
    tenancy.change_company; the service lets owners only)."""

    permission_model = Company
    action_permissions: dict[str, list[str]] = {"retrieve": []}
    serializer_class = CompanyOut
    error_reasons = {
        "partial_update": {400: ("no_fields_to_update",), 403: ("owner_only",)},
    }

    @extend_schema(operation_id="company_get", responses={200: CompanyOut})
    def retrieve(self, request):
        """The company the caller's token acts for."""
        return self.output(self.ctx.company)

    @extend_schema(operation_id="company_update", request=CompanyIn, responses={200: CompanyOut})
    def partial_update(self, request):
        """Change the company's settings (owners only)."""
        data = self.validated(CompanyIn, partial=True)
        return self.output(services.company_update(self.ctx, data=data))
