"""The technician's day: today's route, a stop, and the stop's actions, for the technician role
on their own stops only (another's stop is exactly a missing one). Thin like the API's views:
the selectors read, operations' services decide, and a refusal is shown beside its field with
everything typed kept."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.context import Ctx
from core.errors import ApplicationError, NotFound
from ektor.api.errors import ApiErrorCode, error_response
from ektor.ctx import request_ctx
from operations.models import Photo, SkipReason, Visit, VisitStatus
from operations.pages import selectors
from operations.pages.forms import (
    SkipForm,
    StopForm,
    completion_body,
    item_label,
    line_numbers,
    measurement,
    skip_form,
    stop_form,
    whole_number,
)
from operations.pages.water import analyse
from operations.photos import photo_add
from operations.selectors import photo_list, visit_get
from operations.visits import reading_errors, visit_complete, visit_skip, visit_start
from tenancy.models import Role

SEARCH_MAX = 100
# The photo's caption column (the API's serializer holds it to the same).
CAPTION_MAX = Photo._meta.get_field("caption").max_length or 0
# Statuses a technician still acts on; a stop done, skipped or cancelled is only shown.
OPEN = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)

View = Callable[..., HttpResponse]


def refusal_for(ctx: Ctx) -> str | None:
    """Why ctx may not use the page (None: a technician may)."""
    if ctx.role == Role.TECHNICIAN:
        return None
    return (
        f"The technician's day is the technician role's page; your role ({ctx.role or 'none'}) "
        "follows the routes in the back office."
    )


def technician_page(view: View) -> View:
    """A page: the admin's sign-in (a visitor is sent to it), CSRF and no caching; then the
    technician role only (others get the back office's 403 saying why)."""

    @functools.wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ctx = request_ctx(request)
        reason = refusal_for(ctx)
        if reason is not None:
            raise PermissionDenied(reason)
        return view(request, ctx, *args, **kwargs)

    return admin.site.admin_view(page)


def technician_json(view: View) -> View:
    """A JSON answer of a page: signed in to the back office (else 401), a technician (else
    403), every error in the API's envelope."""

    @functools.wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_active and request.user.is_staff):
            return error_response(
                401, "Sign in to the back office first.", {"reason": ApiErrorCode.NOT_AUTHENTICATED}
            )
        ctx = request_ctx(request)
        reason = refusal_for(ctx)
        if reason is not None:
            return error_response(403, reason, {"reason": ApiErrorCode.PERMISSION_DENIED})
        try:
            return view(request, ctx, *args, **kwargs)
        except NotFound as exc:
            return error_response(404, exc.message, {"reason": exc.reason})

    return never_cache(answer)


def stop_of(ctx: Ctx, visit_id: int) -> Visit:
    try:
        return visit_get(ctx, visit_id=visit_id)
    except NotFound:
        raise Http404("Visit not found") from None


def page_context(request: HttpRequest, title: str, **context: Any) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        # A phone has no room for the admin's sidebar; the route is the technician's index.
        "is_nav_sidebar_enabled": False,
        "title": title,
        **context,
    }


@technician_page
@require_GET
def route(request: HttpRequest, ctx: Ctx) -> HttpResponse:
    today = ctx.company.today()
    stops = selectors.day_stops(ctx, day=today)
    context = page_context(
        request,
        "My day",
        today=today,
        stops=stops,
        left=sum(stop["status"] in OPEN for stop in stops),
    )
    return TemplateResponse(request, "operations/day/route.html", context)


def render_stop(
    request: HttpRequest,
    ctx: Ctx,
    visit: Visit,
    *,
    form: StopForm | None = None,
    skip: SkipForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The stop: where, who, the pools with their last readings, and (while it is open) the
    completion and skip forms, empty or as sent with each refusal beside its input."""
    if form is None:
        form = stop_form(selectors.stop_pools(ctx, visit), ctx.company.visit_checklist)
    context = page_context(
        request,
        str(visit.customer),
        visit=visit,
        form=form,
        skip=skip or skip_form(),
        is_open=visit.status in OPEN,
        zone=ctx.company.time_zone,
        notes=[
            (form.customer_notes, "Notes for the customer (on the report)"),
            (form.office_notes, "Notes for the office"),
        ],
        photos=list(photo_list(ctx, visit=visit)),
        skip_reasons=SkipReason.choices,
        complete_url=reverse("my-day:complete", args=[visit.pk]),
        skip_url=reverse("my-day:skip", args=[visit.pk]),
        start_url=reverse("my-day:start", args=[visit.pk]),
    )
    return TemplateResponse(request, "operations/day/stop.html", context, status=status)


@technician_page
@require_GET
def stop(request: HttpRequest, ctx: Ctx, visit_id: int) -> HttpResponse:
    return render_stop(request, ctx, stop_of(ctx, visit_id))


@technician_json
@require_GET
def chemistry(request: HttpRequest, ctx: Ctx, visit_id: int) -> HttpResponse:
    """`?pool_id=N&ph=7.9&...`: the index, flags and doses of what is typed so far, for one of
    the stop's pools, after the completion's own checks of a reading (visits.reading_errors:
    the pool, the names, the physical ranges). A value left empty is not measured."""
    visit = visit_get(ctx, visit_id=visit_id)
    pools = {stop.pool.pk: stop.pool for stop in selectors.stop_pools(ctx, visit)}
    values = {key: measurement(request.GET[key]) for key in request.GET if key != "pool_id"}
    pool_id = whole_number(request.GET.get("pool_id", ""))
    reading = {"pool_id": pool_id, **{k: v for k, v in values.items() if v is not None}}
    errors = reading_errors(ctx, readings=[reading], pools=pools)
    if errors or not isinstance(pool_id, int):
        located = [
            {"loc": ["query", error.field.rsplit(".", 1)[-1]], "msg": error.msg, "type": error.type}
            for error in errors
        ]
        return error_response(422, "Invalid reading", {"errors": located})
    return JsonResponse(analyse(pools[pool_id], reading))


@technician_json
@require_GET
def items(request: HttpRequest, ctx: Ctx) -> HttpResponse:
    """`?q=chlor`: the catalog items a stop may use, for the line's picker."""
    q = request.GET.get("q", "").strip()
    if len(q) > SEARCH_MAX:
        error = {
            "loc": ["query", "q"],
            "msg": f"At most {SEARCH_MAX} characters",
            "type": "max_length",
        }
        return error_response(422, "Invalid request", {"errors": [error]})
    found = selectors.stop_items(ctx, q=q)
    return JsonResponse(
        [
            {
                "item_id": item.pk,
                "label": item_label(item),
                "kind": item.kind,
                "unit": item.unit,
                "track_stock": item.track_stock,
                "stock_quantity": str(item.stock_quantity),
            }
            for item in found
        ],
        safe=False,
    )


def _location(field: str) -> tuple[str | int, ...]:
    """A service's field name (`readings.0.ph`) as a body location."""
    return tuple(int(part) if part.isdigit() else part for part in field.split("."))


def _place(form: StopForm, exc: ApplicationError) -> None:
    """Each refusal beside its input: the fields a rule names, the line whose stock ran out."""
    for error in exc.fields:
        form.place(_location(error.field), error.msg)
    item_id = exc.extra.get("item_id")
    if item_id is not None:
        for index, line in enumerate(form.lines):
            if line.item.value == str(item_id):
                form.place(("lines", index, "quantity"), exc.message)
                return
    if not exc.fields:
        form.place((), exc.message)


@technician_page
@require_POST
def complete(request: HttpRequest, ctx: Ctx, visit_id: int) -> HttpResponse:
    """The whole stop: the photo first (photo_add, as POST /visits/{id}/photos: a completed
    stop takes none from a technician), then the readings, lines, checklist and notes through
    visit_complete, as POST /visits/{id}/complete. A refusal shows the stop again as it was
    typed; a photo already taken stays attached (the stop lists it) for the next try."""
    visit = stop_of(ctx, visit_id)
    posted_items = [request.POST.get(f"line-{n}-item", "") for n in line_numbers(request.POST)]
    form = stop_form(
        selectors.stop_pools(ctx, visit),
        ctx.company.visit_checklist,
        request.POST,
        items=selectors.items_by_id(ctx, posted_items),
    )
    body = completion_body(form)
    upload = request.FILES.get("photo")
    if upload is not None:
        caption = form.photo_caption.value.strip()
        if len(caption) > CAPTION_MAX:
            form.photo_caption.error = f"At most {CAPTION_MAX} characters."
            return render_stop(request, ctx, visit, form=form, status=422)
        try:
            photo_add(
                ctx,
                visit=visit,
                upload=upload,
                size=upload.size or 0,
                caption=caption or None,
            )
        except ApplicationError as exc:
            form.photo.error = f"{exc.message}. Choose the photo again, or leave it out."
            return render_stop(request, ctx, visit, form=form, status=exc.status)
    try:
        visit = visit_complete(ctx, visit=visit, **body)
    except ApplicationError as exc:
        _place(form, exc)
        return render_stop(request, ctx, visit, form=form, status=exc.status)
    messages.success(request, f"{visit.customer}: stop completed.")
    return redirect("my-day:route")


@technician_page
@require_POST
def skip(request: HttpRequest, ctx: Ctx, visit_id: int) -> HttpResponse:
    visit = stop_of(ctx, visit_id)
    form = skip_form(request.POST)
    try:
        visit = visit_skip(
            ctx, visit=visit, reason=form.reason.value, note=form.note.value.strip() or None
        )
    except ApplicationError as exc:
        by_field = {error.field: error.msg for error in exc.fields}
        form.reason.error = by_field.pop("reason", "")
        form.note.error = by_field.pop("note", "")
        form.error = "" if exc.fields else exc.message
        return render_stop(request, ctx, visit, skip=form, status=exc.status)
    reason = visit.get_skip_reason_display()
    messages.success(request, f"{visit.customer}: stop skipped ({reason}).")
    return redirect("my-day:route")


@technician_page
@require_POST
def start(request: HttpRequest, ctx: Ctx, visit_id: int) -> HttpResponse:
    visit = stop_of(ctx, visit_id)
    try:
        visit_start(ctx, visit=visit)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("my-day:stop", visit_id=visit.pk)
