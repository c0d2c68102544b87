"""The water calculator: the chemistry of operations.chemistry over HTTP, for any member."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ektor.api.views import ApiView
from operations import chemistry
from operations.api.serializers import LsiIn, LsiOut


class LsiView(ApiView):
    """Any signed-in member (a technician at the pool, the office on the phone): it reads and
    writes nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="water_lsi", request=LsiIn, responses={200: LsiOut})
    def post(self, request):
        """The Langelier saturation index of a water test (method chart-v1)."""
        serializer = LsiIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(LsiOut(chemistry.saturation_index(**serializer.validated_data)).data)
