"""The filter backend of list endpoints."""

from django_filters.rest_framework import DjangoFilterBackend

PAGING_PARAMETERS = frozenset({"limit", "offset"})


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that skips building the FilterSet (a form, its fields and their
    validation: about a millisecond) when the query string holds only paging parameters.

    With no filter value a FilterSet returns the queryset unchanged, as long as none of its
    filters is required or has a default; ours have neither.
    """

    def filter_queryset(self, request, queryset, view):
        if request.query_params.keys() <= PAGING_PARAMETERS:
            return queryset
        return super().filter_queryset(request, queryset, view)
