"""Query-string filters that validate every value (a bad one is a 422 with loc ["query", name]),
and the filter backend of list endpoints.

Used by every app's FilterSets (django-filter), so ids, booleans, dates and blank values are
judged the same way on every list.
"""

import copy
import datetime
import re
from functools import cache
from typing import Any

from django import forms
from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ektor.api.fields import parse_iso_date
from ektor.ctx import request_ctx

# The largest BIGINT: a bigger id cannot exist, and some databases fail on it (OverflowError).
MAX_ID = 2**63 - 1
# int() also reads non-ASCII digits (e.g. Arabic-Indic) and "1_0"; ids are plain ASCII digits.
ASCII_INT = re.compile(r"^[0-9]+$")
# A timestamp is ASCII digits and separators (parse_datetime alone reads other digits too).
ASCII_MOMENT = re.compile(r"^[0-9T:.+\-Z ]+$")
BLANK = "This field may not be blank."
ID_INVALID = "Input should be a positive integer"


class StrictBooleanFormField(forms.Field):
    """Only `true`/`false` (or 1/0): anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": "Input should be a valid boolean (true/false or 1/0)"}
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class IdFormField(forms.IntegerField):
    default_error_messages = {"invalid": ID_INVALID}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not ASCII_INT.match(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(filters.Filter):
    field_class = IdFormField

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if help_text:
            # As v1's document shows a described id parameter: a 64-bit integer.
            schema = {"type": "integer", "maximum": MAX_ID, "minimum": 1, "format": "int64"}
            set_override(self, "field", {**schema, "description": help_text})


class IsoDateFormField(forms.DateField):
    """YYYY-MM-DD, judged as in bodies (ektor.api.fields.parse_iso_date)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_iso_date(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class IsoDateFilter(filters.DateFilter):
    field_class = IsoDateFormField


MOMENT_INVALID = (
    "Input should be a date (YYYY-MM-DD) or a timestamp with its time zone (YYYY-MM-DDTHH:MM:SSZ)"
)
MOMENT_RANGE = "Input should be a moment from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"


class MomentFormField(forms.Field):
    """A timestamp with its zone, in UTC, or a date (a whole UTC day: `end_of_day` makes it the
    next day's first moment, for a bound that excludes it; the calendar's last day has none, so
    it bounds nothing); a moment without a zone is ambiguous."""

    default_error_messages = {"invalid": MOMENT_INVALID, "range": MOMENT_RANGE}

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            day = parse_iso_date(text)
        except ValueError:
            moment = _parse_moment(text)
            if moment is None or moment.tzinfo is None:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            try:
                # Compared in UTC: one near the calendar's ends may leave it (a 500 once bound).
                return moment.astimezone(datetime.UTC)
            except OverflowError:
                raise forms.ValidationError(self.error_messages["range"], code="range") from None
        if self.end_of_day and day == datetime.date.max:
            return None
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
        return start + datetime.timedelta(days=1) if self.end_of_day else start


def _parse_moment(text: str) -> datetime.datetime | None:
    try:
        return parse_datetime(text) if ASCII_MOMENT.match(text) else None
    except ValueError:  # the right shape, a date or time the calendar does not have
        return None


@extend_schema_field({"type": "string", "format": "date-time"})
class MomentFilter(filters.Filter):
    """`lookup_expr` gte: from this moment on; lt: before it. A date as `to` (lt) is the whole
    day, since it means the next day's first moment."""

    field_class = MomentFormField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.lookup_expr == "lt":
            self.extra["end_of_day"] = True


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanFormField


class TextFilter(filters.CharFilter):
    """An exact text value of at most `max_length` characters (a longer one is a 422), so
    declared in the OpenAPI document."""

    def __init__(self, *args, max_length: int, help_text: str = "", **kwargs):
        too_long = f"Ensure this field has no more than {max_length} characters."
        kwargs.update(max_length=max_length, error_messages={"max_length": too_long})
        super().__init__(*args, **kwargs)
        schema = {"type": "string", "minLength": 1, "maxLength": max_length}
        set_override(self, "field", {**schema, "description": help_text} if help_text else schema)


class SearchFilter(filters.CharFilter):
    """Words to find (the selector `search(ctx, queryset, words)` decides how they match, with
    the request's ctx); `?q=` is no search."""

    allow_blank = True

    def __init__(self, search, *, max_length: int = 200, help_text: str = "Words to find"):
        too_long = f"Ensure this field has no more than {max_length} characters."
        super().__init__(max_length=max_length, error_messages={"max_length": too_long})
        self.search = search
        schema = {"type": "string", "maxLength": max_length, "description": help_text}
        set_override(self, "field", schema)

    def filter(self, queryset, value):
        if value in EMPTY_VALUES:
            return queryset
        # The backend builds the FilterSet with the request, whose ctx the view built.
        return self.search(request_ctx(self.parent.request), queryset, value)


class StrictFilterSet(filters.FilterSet):
    """A filter given with no value (`?status=`) is a 422, not silently "no filter".

    The form is made once per FilterSet: django-filter makes a new form class for every
    request from its copies of the filters, whose fields are the same every time (none of ours
    depends on the request or a queryset).
    """

    @classmethod
    @cache
    def _form_class(cls, names: frozenset[str] | None = None) -> type[forms.Form]:
        """The form of the filters `names` (all of them when None)."""
        filters = {
            name: f
            for name, f in copy.deepcopy(cls.base_filters).items()
            if names is None or name in names
        }
        for filter_ in filters.values():
            filter_.model = cls._meta.model  # as FilterSet.__init__ gives it (the labels)
        fields = {name: filter_.field for name, filter_ in filters.items()}
        base = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
        strict = [name for name, f in filters.items() if not getattr(f, "allow_blank", 0)]

        def clean(form):
            cleaned = base.clean(form)
            for name in strict:
                values = form.data.getlist(name) if hasattr(form.data, "getlist") else []
                if any(not str(value).strip() for value in values):
                    form.add_error(name, forms.ValidationError(BLANK, code="blank"))
            return cleaned

        return type(f"Strict{base.__name__}", (base,), {"clean": clean})

    def get_form_class(self):
        return self._form_class()

    @classmethod
    def cleaned(cls, request) -> dict[str, Any]:
        """The values of the filters the request names, validated as `FilterBackend`
        validates them (the same 422s), without a FilterSet or a queryset: for a list that
        reads its rows otherwise. The form has only those filters' fields (no filter is
        required, so one left out is valid; a form copies each of its fields when made)."""
        names = frozenset(request.query_params.keys() & cls.base_filters.keys())
        form = cls._form_class(names)(request.query_params)
        if not form.is_valid():
            raise translate_validation(form.errors)
        return form.cleaned_data

    @classmethod
    def search_name(cls) -> str | None:
        """The query parameter of the FilterSet's SearchFilter, if it has one."""
        return next(
            (name for name, f in cls.base_filters.items() if isinstance(f, SearchFilter)), None
        )


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
