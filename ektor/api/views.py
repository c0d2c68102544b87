"""The base for thin viewsets: selectors read, services write, serializers only shape."""

from typing import Any

from rest_framework import serializers, viewsets

from ektor.api.errors import NotFound, RequestValidationError
from ektor.api.filters import ASCII_INT


class ApiViewSet(viewsets.GenericViewSet):
    """`get_object` 404s in the envelope with the model's name ("Customer not found").

    An id in the path that is not a positive integer is a 422 (`loc: ["path", "<model>_id"]`).
    """

    def dispatch(self, request, *args, **kwargs):
        # Routes name the id as errors report it (`lookup_url_kwarg = "invoice_id"`, which the
        # OpenAPI document shows); handlers and get_object keep DRF's `pk`.
        if self.lookup_url_kwarg in kwargs:
            kwargs["pk"] = kwargs.pop(self.lookup_url_kwarg)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        lookup = self.kwargs["pk"]
        model = self.get_queryset().model
        what = str(model._meta.verbose_name).capitalize()
        pk = int(lookup) if ASCII_INT.match(str(lookup)) else 0
        if pk < 1:
            raise RequestValidationError(
                [
                    {
                        "loc": ["path", f"{model._meta.model_name}_id"],
                        "msg": "Input should be a positive integer",
                        "type": "int_parsing",
                    }
                ]
            )
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise NotFound(what)
        self.check_object_permissions(self.request, obj)
        return obj

    def validated(
        self, serializer_class: type[serializers.Serializer], *, partial: bool = False
    ) -> dict[str, Any]:
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
