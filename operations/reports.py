"""The service report: what the customer is told about a visit (the readings against their
ranges, what was done, the chemicals added, the technician's notes for them, the photos), as
a page (`GET /visits/{id}/report`) and as an email sent by a task.

The office's own notes (`office_notes`) are never in it. The email carries the photos inside
it (inline attachments, `cid:` images): a signed link would stop working after
FILE_URL_SECONDS, long before the customer opens the message.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string

from audit.services import record
from catalog.models import ItemKind
from core.context import Ctx
from core.errors import Conflict
from ektor.files import file_url
from ektor.tasks import enqueue_on_commit
from ektor.text import day
from operations import chemistry
from operations.error_codes import OperationsErrorCode
from operations.models import Photo, Reading, Visit, VisitLine
from operations.readings import pool_water
from operations.tasks import send_visit_report


@dataclass(frozen=True)
class Figure:
    """One measured value as the report shows it: the range it should be in, and `flag`
    ("low", "high", or "" within range or unchecked)."""

    label: str
    value: str
    unit: str
    range: str
    flag: str


@dataclass(frozen=True)
class PoolReading:
    pool_name: str
    figures: list[Figure]


@dataclass(frozen=True)
class Line:
    description: str
    quantity: str
    unit: str


@dataclass(frozen=True)
class ReportPhoto:
    photo: Photo
    caption: str
    pool_name: str
    # The image's address in what is rendered: a signed link on the page, `cid:` in an email.
    src: str = ""


@dataclass(frozen=True)
class VisitReport:
    visit: Visit
    company_name: str
    customer_name: str
    property_label: str
    address: str
    technician_name: str
    status: str
    readings: list[PoolReading]
    checklist_done: list[str]
    services: list[Line]
    chemicals: list[Line]
    parts: list[Line]
    customer_notes: str
    photos: list[ReportPhoto] = field(default_factory=list)


def _figure(value: Decimal | None) -> str:
    if value is None:
        return "-"
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _span(bounds: tuple[Decimal, Decimal] | None) -> str:
    return "" if bounds is None else f"{_figure(bounds[0])} - {_figure(bounds[1])}"


def _flag(flags: list[str], name: str) -> str:
    for side in ("low", "high"):
        if f"{name}_{side}" in flags:
            return side
    return ""


def _figures(reading: Reading) -> list[Figure]:
    pool = reading.pool
    ranges = chemistry.DEFAULT_RANGES.for_pool(pool_water(pool))
    limits = chemistry.DEFAULT_RANGES
    flags = list(reading.flags or [])
    fc_min = chemistry.free_chlorine_minimum(reading.cyanuric_acid)
    rows: list[tuple[str, Decimal | None, str, str, str]] = [
        # label, value, unit, range, flag name (the chemistry's)
        (
            "Free chlorine",
            reading.free_chlorine,
            "ppm",
            _span((fc_min, limits.free_chlorine_max)),
            "fc",
        ),
        (
            "Combined chlorine",
            reading.combined_chlorine,
            "ppm",
            f"at most {_figure(limits.combined_chlorine_max)}",
            "cc",
        ),
        ("pH", reading.ph, "", _span(ranges["ph"]), "ph"),
        ("Total alkalinity", reading.total_alkalinity, "ppm", _span(ranges["ta"]), "ta"),
        ("Calcium hardness", reading.calcium_hardness, "ppm", _span(ranges["ch"]), "ch"),
        ("Cyanuric acid", reading.cyanuric_acid, "ppm", _span(ranges["cya"]), "cya"),
        ("Salt", reading.salt, "ppm", _span(ranges["salt"]), "salt"),
        ("Water temperature", reading.temperature_f, "°F", "", ""),
        ("Total dissolved solids", reading.tds, "ppm", "", ""),
        ("Phosphates", reading.phosphates, "ppb", "", ""),
        ("Saturation index (LSI)", reading.lsi, "", _span(ranges["lsi"]), "lsi"),
    ]
    return [
        Figure(label, _figure(value), unit, span, _flag(flags, name) if name else "")
        for label, value, unit, span, name in rows
        if value is not None
    ]


def _line(line: VisitLine) -> Line:
    unit = line.item.unit
    return Line(
        line.description, _figure(line.quantity), "" if unit == "each" else unit.replace("_", " ")
    )


def visit_report(
    ctx: Ctx, *, visit: Visit, image_src: Callable[[Photo], str] | None = None
) -> VisitReport:
    """The report of `visit` (one ctx may see: operations.selectors.visit_get), read in a
    fixed number of queries whatever it holds; `image_src(photo)` is each photo's address in
    what is rendered (a signed link on the page, `cid:` in an email)."""
    visit = (
        Visit.objects.of(ctx)
        .select_related("customer", "property", "technician")
        .prefetch_related("readings__pool", "lines__item", "photos__pool")
        .get(pk=visit.pk)
    )
    technician = visit.technician
    lines = list(visit.lines.all())
    prop = visit.property
    return VisitReport(
        visit=visit,
        company_name=ctx.company.name,
        customer_name=visit.customer.full_name,
        property_label=prop.label,
        address=", ".join(part for part in (prop.address1, prop.address2, prop.city) if part),
        technician_name=(technician.get_full_name() or technician.get_username())
        if technician
        else "",
        status=visit.get_status_display(),
        readings=[PoolReading(r.pool.name, _figures(r)) for r in visit.readings.all()],
        checklist_done=[
            str(entry.get("task", ""))
            for entry in visit.checklist or []
            if isinstance(entry, dict) and entry.get("done")
        ],
        services=[_line(line) for line in lines if line.item.kind == ItemKind.SERVICE],
        chemicals=[_line(line) for line in lines if line.item.kind == ItemKind.CHEMICAL],
        parts=[
            _line(line)
            for line in lines
            if line.item.kind not in (ItemKind.SERVICE, ItemKind.CHEMICAL)
        ],
        customer_notes=visit.customer_notes or "",
        photos=[
            ReportPhoto(
                photo,
                photo.caption or "",
                photo.pool.name if photo.pool else "",
                src=image_src(photo) if image_src else "",
            )
            for photo in sorted(visit.photos.all(), key=lambda p: p.pk)
        ],
    )


def visit_report_page(ctx: Ctx, *, visit: Visit) -> str:
    """The report as the customer's HTML page (the API's GET /visits/{id}/report and the
    admin's link), its photos as signed links."""
    report = visit_report(ctx, visit=visit, image_src=lambda photo: file_url(photo.file_name))
    return render_to_string(
        "operations/visit_report.html", {"report": report, "date": day(visit.scheduled_date)}
    )


def visit_report_recipient(ctx: Ctx, *, visit: Visit) -> str | None:
    """Where the visit's report goes: its customer's address (None: no report is sent)."""
    return visit.customer.email or None


# No savepoint of its own inside a caller's transaction (a completion's): its two round trips
# on every completion bought nothing, as a failure here fails the whole anyway.
@transaction.atomic(savepoint=False)
def visit_report_queue(ctx: Ctx, *, visit: Visit) -> str | None:
    """Queue the report's email to the customer once the current transaction commits, and
    record the sending on the visit; returns the address, or None when the customer has no
    email (nothing queued). What the visit completion calls when the company's
    `visit_report_email` is on."""
    recipient = visit_report_recipient(ctx, visit=visit)
    if recipient is None:
        return None
    record(ctx, "send", visit, {"report_sent_to": [None, recipient]})
    enqueue_on_commit(send_visit_report, visit.company_id, visit.pk)
    return recipient


@transaction.atomic
def visit_report_send(ctx: Ctx, *, visit: Visit) -> str:
    """Email the report to the customer on demand (the office); a customer without an email
    address is a 409 `customer_no_email`. Returns the address it goes to."""
    recipient = visit_report_queue(ctx, visit=visit)
    if recipient is None:
        raise Conflict(
            f"{visit.customer.full_name} has no email address: add one to send the report",
            reason=OperationsErrorCode.CUSTOMER_NO_EMAIL,
        )
    return recipient
