"""The technician's day (/admin/my-day/): today's route in order, a stop, the live chemistry,
the catalog search, and the stop's actions through operations' services; for the technician
role on their own stops only, another's (or another company's) exactly a missing one."""

import datetime
import html
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import UserFactory
from catalog.models import StockMovement
from catalog.tests.factories import ItemFactory, stocked
from conftest import web_client_for
from operations.models import Photo, Reading, Visit, VisitLine, VisitStatus
from operations.pages import urls as day_urls
from operations.tests.factories import ServicePlanFactory, VisitFactory
from pools.tests.factories import PoolFactory
from tenancy.models import Company, Role
from tenancy.tests.factories import CompanyFactory

ROUTE = "/admin/my-day/"


@pytest.fixture
def today(company) -> datetime.date:
    return company.today()


@pytest.fixture
def tech_web(technician_user):
    return web_client_for(technician_user)


def stop_of(technician, day: datetime.date, position: int = 0, **fields) -> Visit:
    """A route visit of `technician` on `day` at a pool of its own property."""
    return VisitFactory(
        plan__technician=technician,
        scheduled_date=day,
        route_position=position,
        **fields,
    )


def work_order(technician, prop, day: datetime.date, position: int = 0, **fields) -> Visit:
    """A visit without a plan: the office's work order at `prop`."""
    return VisitFactory(
        plan=None,
        company=prop.company,
        kind="work_order",
        property=prop,
        customer=prop.customer,
        technician=technician,
        scheduled_date=day,
        route_position=position,
        **fields,
    )


def jpeg(size=(40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, format="JPEG")
    return SimpleUploadedFile("pool.jpg", out.getvalue(), content_type="image/jpeg")


def texts(response) -> str:
    """The page's text, its tags and runs of white space squeezed out."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


# --- the route -----------------------------------------------------------------------------


def test_the_route_is_todays_own_stops_in_route_order(tech_web, technician_user, today):
    third = stop_of(technician_user, today, 3, plan__pool__property__customer__last_name="Cruz")
    first = stop_of(technician_user, today, 1, plan__pool__property__customer__last_name="Alvarez")
    # Same position: the older visit first.
    second = stop_of(technician_user, today, 3, plan__pool__property__customer__last_name="Baez")
    done = stop_of(
        technician_user, today, 0, status=VisitStatus.COMPLETED, completed_at=timezone.now()
    )
    called_off = stop_of(technician_user, today, 2, status=VisitStatus.CANCELLED)
    stop_of(technician_user, today + datetime.timedelta(days=1), 0)  # tomorrow
    stop_of(UserFactory(role=Role.TECHNICIAN), today, 0)  # a colleague's
    # A work order (no plan) is at its property's active pools; a plan's visit at its pool.
    spa = PoolFactory(property=first.property, name="Spa")
    PoolFactory(property=first.property, name="Old pond", is_active=False)
    repair = work_order(technician_user, first.property, today, 4, title="Replace the pump seal")

    response = tech_web.get(ROUTE)

    assert response.status_code == 200
    order = [visit["id"] for visit in response.context["stops"]]
    assert order == [done.pk, first.pk, called_off.pk, third.pk, second.pk, repair.pk]
    assert re.findall(r'data-visit="(\d+)"', response.content.decode()) == [str(v) for v in order]
    page = texts(response)
    assert "6 stops, 4 left" in page
    assert f"Alvarez {first.property.address1}, Rincon {first.plan.pool.name} Scheduled" in page
    pools = sorted([first.plan.pool, spa], key=lambda pool: pool.pk)
    assert f"{pools[0].name} · {pools[1].name} — Replace the pump seal" in page
    assert "Old pond" not in page and "Cancelled" in page
    assert response.context["title"] == "My day"


def test_the_route_reads_a_fixed_number_of_queries(tech_web, technician_user, today):
    stop_of(technician_user, today, 1)
    tech_web.get(ROUTE)
    with CaptureQueriesContext(connection) as few:
        tech_web.get(ROUTE)
    for position in range(2, 7):
        visit = stop_of(technician_user, today, position)
        PoolFactory(property=visit.property)
    with CaptureQueriesContext(connection) as many:
        tech_web.get(ROUTE)
    assert len(many) == len(few)


def test_today_is_the_companys_day_not_the_servers(tech_web, technician_user, company):
    # 26 hours apart: the two zones never share a date.
    ahead = timezone.localdate(timezone=ZoneInfo("Etc/GMT-14"))
    behind = timezone.localdate(timezone=ZoneInfo("Etc/GMT+12"))
    mine = stop_of(technician_user, ahead, 1)
    stop_of(technician_user, behind, 1)
    Company.objects.filter(pk=company.pk).update(time_zone="Etc/GMT-14")

    response = tech_web.get(ROUTE)

    assert [visit["id"] for visit in response.context["stops"]] == [mine.pk]
    assert response.context["today"] == ahead


def test_an_empty_day_says_so(tech_web):
    response = tech_web.get(ROUTE)
    assert "No stops on your route today." in texts(response)


@pytest.mark.parametrize("role", ["staff_user", "admin_user"])
def test_the_office_is_refused_with_the_reason(role, request, technician_user, today):
    visit = stop_of(technician_user, today)
    web = web_client_for(request.getfixturevalue(role))
    role_name = "staff" if role == "staff_user" else "admin"
    for path in (ROUTE, f"{ROUTE}{visit.pk}/"):
        response = web.get(path)
        assert response.status_code == 403
        assert (
            f"The technician's day is the technician role's page; your role ({role_name}) "
            "follows the routes in the back office." in texts(response)
        )
    answer = web.get(f"{ROUTE}{visit.pk}/chemistry/", {"pool_id": visit.plan.pool_id})
    assert answer.status_code == 403
    assert answer.json()["details"]["reason"] == "permission_denied"


def test_a_visitor_is_sent_to_sign_in(client, db):
    response = client.get(ROUTE)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={ROUTE}"
    answer = client.get(f"{ROUTE}items/", {"q": "chlor"})
    assert answer.status_code == 401
    assert answer.json()["message"] == "Sign in to the back office first."
    assert answer.json()["details"]["reason"] == "not_authenticated"


# --- a stop ----------------------------------------------------------------------------------


def test_a_stop_shows_where_who_access_and_the_last_reading(tech_web, technician_user, today):
    visit = stop_of(
        technician_user,
        today,
        plan__pool__access_notes="Gate code 4411; dog in the yard",
        plan__pool__name="Main pool",
        plan__pool__volume_gallons=20000,
    )
    pool = visit.plan.pool
    earlier = stop_of(technician_user, today - datetime.timedelta(days=7), plan=visit.plan)
    Reading.objects.create(
        company=pool.company, visit=earlier, pool=pool, ph=Decimal("7.9"),
        free_chlorine=Decimal("0.5"), lsi=Decimal("0.12"), flags=["fc_low", "ph_high"],
    )  # fmt: skip
    older = stop_of(technician_user, today - datetime.timedelta(days=14), plan=visit.plan)
    Reading.objects.create(company=pool.company, visit=older, pool=pool, ph=Decimal("7.1"))

    response = tech_web.get(f"{ROUTE}{visit.pk}/")

    assert response.status_code == 200
    page = texts(response)
    assert str(visit.customer) in page and visit.property.address1 in page
    assert f"Call {visit.customer.phone}" in page
    assert "Access: Gate code 4411; dog in the yard" in page
    assert "Main pool" in page and "20000 gal" in page
    last = earlier.scheduled_date.strftime("%b %-d")
    assert f"Last reading · {last}" in page
    assert "FC 0.5" in page and "pH 7.9" in page and "LSI 0.12" in page and "7.1" not in page
    assert "Free chlorine low" in page and "pH high" in page
    # The form: every value of the pool, the company's checklist, the camera input.
    body = response.content.decode()
    assert f'name="reading-{pool.pk}-ph"' in body
    for task in visit.company.visit_checklist:
        assert f'value="{task}"' in body
    assert 'accept="image/*" capture="environment"' in body


def test_a_stop_done_shows_no_forms(tech_web, technician_user, today):
    visit = stop_of(
        technician_user, today, status=VisitStatus.SKIPPED, skip_reason="dog", skip_note="Big one"
    )
    response = tech_web.get(f"{ROUTE}{visit.pk}/")
    assert "Skipped: Dog — Big one" in texts(response)
    assert b'id="complete-form"' not in response.content


def test_a_completed_stop_says_when_in_the_companys_time(tech_web, technician_user, company):
    Company.objects.filter(pk=company.pk).update(time_zone="America/Puerto_Rico")
    at = datetime.datetime(2026, 3, 4, 14, 5, tzinfo=datetime.UTC)
    visit = stop_of(
        technician_user, datetime.date(2026, 3, 4), status=VisitStatus.COMPLETED, completed_at=at
    )
    assert "Completed Mar 4, 10:05." in texts(tech_web.get(f"{ROUTE}{visit.pk}/"))


def test_a_stop_reads_a_fixed_number_of_queries(tech_web, technician_user, today):
    # A work order: at every active pool of its property.
    visit = work_order(technician_user, PoolFactory().property, today)
    path = f"{ROUTE}{visit.pk}/"

    def measured_before(pool, days: int) -> None:
        earlier = work_order(technician_user, visit.property, today - datetime.timedelta(days))
        Reading.objects.create(company=pool.company, visit=earlier, pool=pool, ph=Decimal("7.5"))

    measured_before(visit.property.pools.get(), 7)
    tech_web.get(path)
    with CaptureQueriesContext(connection) as one:
        tech_web.get(path)
    for n in range(3):
        measured_before(PoolFactory(property=visit.property, name=f"Spa {n}"), n + 1)
    with CaptureQueriesContext(connection) as four:
        response = tech_web.get(path)
    assert len(four) == len(one)
    assert texts(response).count("Last reading") == 4


# --- own stops only: every URL of the page ---------------------------------------------------


def page_paths(visit_id: int) -> dict[str, tuple[str, str]]:
    """Each of the page's URLs taking a visit: (method, path)."""
    return {
        "stop": ("get", f"{ROUTE}{visit_id}/"),
        "chemistry": ("get", f"{ROUTE}{visit_id}/chemistry/?pool_id=1&ph=7.5"),
        "start": ("post", f"{ROUTE}{visit_id}/start/"),
        "complete": ("post", f"{ROUTE}{visit_id}/complete/"),
        "skip": ("post", f"{ROUTE}{visit_id}/skip/"),
    }


def test_every_url_of_the_page_is_in_these_cases():
    names = {p.name for p in day_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(page_paths(1)) | {"route", "items"}


@pytest.mark.parametrize("name", sorted(page_paths(1)))
def test_another_technicians_stop_is_missing(name, tech_web, technician_user, today):
    theirs = stop_of(UserFactory(role=Role.TECHNICIAN), today)
    method, path = page_paths(theirs.pk)[name]
    response = getattr(tech_web, method)(path, {"reason": "dog"} if method == "post" else None)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == VisitStatus.SCHEDULED


@pytest.mark.parametrize("name", sorted(page_paths(1)))
def test_another_companys_visit_is_missing(name, tech_web, technician_user, today):
    other = CompanyFactory()
    # Assigned to our technician, but in a company where they are no one.
    plan = ServicePlanFactory(pool__property__customer__company=other, technician=technician_user)
    theirs = VisitFactory(plan=plan, scheduled_date=today)
    method, path = page_paths(theirs.pk)[name]
    response = getattr(tech_web, method)(path, {"reason": "dog"} if method == "post" else None)
    assert response.status_code == 404
    assert [v["id"] for v in tech_web.get(ROUTE).context["stops"]] == []
    theirs.refresh_from_db()
    assert theirs.status == VisitStatus.SCHEDULED


@pytest.mark.parametrize("name", sorted(page_paths(1)))
@pytest.mark.parametrize("visit_id", [2**63, 10**20])
def test_an_id_past_bigint_is_missing(name, visit_id, tech_web, technician_user):
    # Past the largest id the database driver could not even bind it (a 500 on SQLite).
    method, path = page_paths(visit_id)[name]
    response = getattr(tech_web, method)(path, {"reason": "dog"} if method == "post" else None)
    assert response.status_code == 404


def test_the_catalog_search_is_the_companys_live_items(tech_web, ctx):
    chlorine = ItemFactory(name="Liquid chlorine 12.5%", sku="CHL-1", kind="chemical", unit="gal")
    ItemFactory(name="Chlorine tabs (old)", sku="CHL-0", is_active=False)
    ItemFactory(name="Chlorinator cell", sku="CHL-2", deleted_at=timezone.now(), live=None)
    ItemFactory(name="Chlorine", sku="CHL-9", company=CompanyFactory())
    ItemFactory(name="Filter cartridge", sku="FLT-1")

    answer = tech_web.get(f"{ROUTE}items/", {"q": "chlor"})

    assert answer.status_code == 200
    assert answer.json() == [
        {
            "item_id": chlorine.pk,
            "label": "Liquid chlorine 12.5% (CHL-1)",
            "kind": "chemical",
            "unit": "gal",
            "track_stock": True,
            "stock_quantity": "0.000",
        }
    ]
    too_long = tech_web.get(f"{ROUTE}items/", {"q": "x" * 101})
    assert too_long.status_code == 422
    assert too_long.json()["details"]["errors"] == [
        {"loc": ["query", "q"], "msg": "At most 100 characters", "type": "max_length"}
    ]


# --- the live chemistry ----------------------------------------------------------------------


def chemistry(web, visit, **query):
    return web.get(f"{ROUTE}{visit.pk}/chemistry/", query)


def test_the_chemistry_answers_the_flags_and_doses_of_what_is_typed(
    tech_web, technician_user, today
):
    visit = stop_of(technician_user, today, plan__pool__volume_gallons=20000)
    pool = visit.plan.pool

    answer = chemistry(tech_web, visit, pool_id=pool.pk, free_chlorine="0.5", ph="8.0",
                       total_alkalinity="100", calcium_hardness="300", temperature_f="84",
                       cyanuric_acid="")  # fmt: skip

    assert answer.status_code == 200
    body = answer.json()
    assert body["pool_id"] == pool.pk
    # chart-v1: 8.0 + 0.7 + 2.1 + 2.0 - 12.2 (TDS 1000 when not measured) = 0.60.
    assert body["lsi"] == {"value": "0.60", "status": "scaling"}
    assert [(f["flag"], f["label"], f["field"]) for f in body["flags"]] == [
        ("fc_low", "Free chlorine low", "free_chlorine"),
        ("ph_high", "pH high", "ph"),
        ("lsi_high", "LSI high", None),
    ]
    # FC 0.5 -> 2.0 in 20,000 gal: 128 x 1.5 x 2 / 12.5 = 30.72; pH 8.0 -> 7.5: 6.4 x 5 x 2.
    assert [(s["chemical"], s["amount"], s["unit_label"]) for s in body["suggestions"]] == [
        ("liquid_chlorine_12_5", "30.7", "fl oz"),
        ("muriatic_acid_31_45", "64.0", "fl oz"),
    ]
    assert body["suggestions"][0]["label"] == "Liquid chlorine 12.5%"
    assert body["suggestions"][1]["reason"] == "pH 8 is above 7.8: lower it to 7.5"


def test_a_salt_vinyl_pool_has_its_own_ranges(tech_web, technician_user, today):
    visit = stop_of(technician_user, today, plan__pool__sanitizer="salt",
                    plan__pool__surface="vinyl")  # fmt: skip
    answer = chemistry(tech_web, visit, pool_id=visit.plan.pool_id, calcium_hardness="300",
                       cyanuric_acid="40", salt="2500")  # fmt: skip
    assert [f["flag"] for f in answer.json()["flags"]] == ["ch_high", "cya_low", "salt_low"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"ph": "15"}, [(["query", "ph"], "Ensure this value is between 0 and 14.")]),
        ({"ph": "seven"}, [(["query", "ph"], "Enter a number.")]),
        ({"temperature_f": "20"}, [(["query", "temperature_f"],
                                    "Ensure this value is between 32 and 130.")]),
        ({"colour": "green"}, [(["query", "colour"], "Unknown field")]),
        ({"pool_id": "abc"}, [(["query", "pool_id"],
                               "Pool abc is not a pool of this visit's property")]),
        ({"pool_id": ""}, [(["query", "pool_id"], "This field is required.")]),
    ],
)  # fmt: skip
def test_a_bad_value_is_a_clear_422_never_a_500(query, errors, tech_web, technician_user, today):
    visit = stop_of(technician_user, today)
    answer = chemistry(tech_web, visit, **{"pool_id": visit.plan.pool_id, **query})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "REQUEST_VALIDATION_ERROR" and body["message"] == "Invalid reading"
    assert [(e["loc"], e["msg"]) for e in body["details"]["errors"]] == errors


def test_a_pool_of_another_property_is_refused(tech_web, technician_user, today):
    visit = stop_of(technician_user, today)
    elsewhere = PoolFactory()
    answer = chemistry(tech_web, visit, pool_id=elsewhere.pk, ph="7.5")
    assert answer.status_code == 422
    assert answer.json()["details"]["errors"][0]["msg"] == (
        f"Pool {elsewhere.pk} is not a pool of this visit's property"
    )


def test_the_chemistry_of_another_technicians_stop_is_a_404_envelope(tech_web, today):
    theirs = stop_of(UserFactory(role=Role.TECHNICIAN), today)
    answer = chemistry(tech_web, theirs, pool_id=theirs.plan.pool_id, ph="7.5")
    assert answer.status_code == 404
    assert answer.json()["message"] == "Visit not found"
    assert answer.json()["details"]["reason"] == "visit_not_found"


# --- completing and skipping -----------------------------------------------------------------


def completion(pool, item, **extra) -> dict:
    return {
        f"reading-{pool.pk}-free_chlorine": "0.5",
        f"reading-{pool.pk}-ph": "7.9",
        f"reading-{pool.pk}-total_alkalinity": "70",
        "line-0-item": str(item.pk),
        "line-0-quantity": "1.5",
        "line-0-pool": str(pool.pk),
        "line-3-item": "",  # a row added and left empty is no line
        "line-3-quantity": "",
        "checklist": ["Skim the surface", "Empty baskets"],
        "customer_notes": "Brushed and balanced.",
        "office_notes": "Pump seal weeping.",
        **extra,
    }


def test_completing_a_stop_records_it_through_the_services(tech_web, technician_user, today, ctx):
    visit = stop_of(technician_user, today)
    pool = visit.plan.pool
    acid = stocked(ctx, "10", name="Muriatic acid", sku="ACID-1", kind="chemical", unit="gal")

    response = tech_web.post(
        f"{ROUTE}{visit.pk}/complete/",
        completion(pool, acid, photo=jpeg(), photo_caption="Clear water"),
    )

    assert response.status_code == 302 and response["Location"] == ROUTE
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED and visit.completed_at is not None
    assert visit.customer_notes == "Brushed and balanced."
    assert visit.office_notes == "Pump seal weeping."
    tasks = visit.company.visit_checklist
    assert visit.checklist == [
        {"task": task, "done": task in ("Skim the surface", "Empty baskets")} for task in tasks
    ]
    reading = Reading.objects.of(ctx).get(visit=visit)
    assert (reading.pool_id, reading.ph, reading.free_chlorine) == (
        pool.pk, Decimal("7.90"), Decimal("0.50"),
    )  # fmt: skip
    assert reading.flags == ["fc_low", "ph_high", "ta_low"]
    line = VisitLine.objects.of(ctx).get(visit=visit)
    assert (line.item_id, line.quantity, line.pool_id) == (acid.pk, Decimal("1.500"), pool.pk)
    assert line.movement.quantity == Decimal("-1.500")
    acid.refresh_from_db()
    assert acid.stock_quantity == Decimal("8.500")
    photo = Photo.objects.of(ctx).get(visit=visit)
    assert (photo.caption, photo.content_type, photo.width) == ("Clear water", "image/jpeg", 40)
    route = tech_web.get(ROUTE)
    assert f"{visit.customer}: stop completed." in texts(route)


def test_a_refusal_keeps_everything_typed_and_says_why_beside_the_field(
    tech_web, technician_user, today, ctx
):
    visit = stop_of(technician_user, today)
    pool = visit.plan.pool
    acid = stocked(ctx, "1", name="Muriatic acid", sku="ACID-1", kind="chemical")
    sent = completion(pool, acid)

    response = tech_web.post(f"{ROUTE}{visit.pk}/complete/", sent)

    assert response.status_code == 409
    body = response.content.decode()
    quantity = re.search(r'id="error_line-0-quantity">([^<]*)<', body)
    assert quantity and quantity.group(1) == (
        "Not enough stock of ACID-1: 1.000 available, 1.500 needed"
    )
    # All that was typed is there again.
    assert f'name="reading-{pool.pk}-ph" value="7.9"' in body
    assert f'name="reading-{pool.pk}-free_chlorine" value="0.5"' in body
    assert f'<option value="{acid.pk}" selected>Muriatic acid (ACID-1)</option>' in body
    assert 'name="line-0-quantity" value="1.5"' in body
    assert 'value="Skim the surface" checked' in body
    assert 'value="Brush walls and steps">' in body  # left unticked
    assert ">Brushed and balanced.</textarea>" in body and ">Pump seal weeping.</textarea>" in body
    # Nothing of the stop was kept.
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    assert not Reading.objects.of(ctx).filter(visit=visit).exists()
    assert not VisitLine.objects.of(ctx).filter(visit=visit).exists()
    assert StockMovement.objects.of(ctx).filter(item=acid).count() == 1  # the receipt


def test_a_value_out_of_range_is_shown_beside_its_input(tech_web, technician_user, today, ctx):
    visit = stop_of(technician_user, today)
    pool = visit.plan.pool
    item = ItemFactory(kind="service", track_stock=False)

    response = tech_web.post(
        f"{ROUTE}{visit.pk}/complete/",
        completion(pool, item, **{f"reading-{pool.pk}-ph": "17", "line-0-quantity": "lots"}),
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert re.search(
        rf'id="error_reading-{pool.pk}-ph">Ensure this value is between 0 and 14.<', body
    )
    assert re.search(
        r'id="error_line-0-quantity">A positive quantity with at most 3 decimal places<', body
    )
    assert f'name="reading-{pool.pk}-ph" value="17"' in body
    assert "Please correct the errors below. Nothing you typed was lost." in texts(response)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


def test_a_file_that_is_no_photo_is_refused_beside_the_photo(tech_web, technician_user, today, ctx):
    visit = stop_of(technician_user, today)
    pool = visit.plan.pool
    item = ItemFactory(kind="service", track_stock=False)
    fake = SimpleUploadedFile("pool.jpg", b"not a picture", content_type="image/jpeg")

    response = tech_web.post(f"{ROUTE}{visit.pk}/complete/", completion(pool, item, photo=fake))

    assert response.status_code == 415
    error = re.search(r'id="error_photo">([^<]*)<', response.content.decode())
    assert error and html.unescape(error.group(1)) == (
        "The file is not a photo we accept (not a JPEG, PNG or WebP image): send a JPEG, PNG or "
        "WebP image. Choose the photo again, or leave it out."
    )
    assert f'name="reading-{pool.pk}-ph" value="7.9"' in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    assert not Photo.objects.of(ctx).filter(visit=visit).exists()


def test_a_caption_too_long_is_refused_beside_it(tech_web, technician_user, today, ctx):
    visit = stop_of(technician_user, today)
    item = ItemFactory(kind="service", track_stock=False)
    sent = completion(visit.plan.pool, item, photo=jpeg(), photo_caption="x" * 201)

    response = tech_web.post(f"{ROUTE}{visit.pk}/complete/", sent)

    assert response.status_code == 422
    assert 'id="error_photo_caption">At most 200 characters.<' in response.content.decode()
    assert not Photo.objects.of(ctx).filter(visit=visit).exists()


def test_a_photo_taken_stays_when_the_completion_is_refused(tech_web, technician_user, today, ctx):
    visit = stop_of(technician_user, today)
    acid = stocked(ctx, "1", name="Muriatic acid", sku="ACID-1", kind="chemical")
    sent = completion(visit.plan.pool, acid, photo=jpeg(), photo_caption="Green water")

    refused = tech_web.post(f"{ROUTE}{visit.pk}/complete/", sent)

    assert refused.status_code == 409
    assert "Photo attached: Green water" in texts(refused)
    # The next try, without choosing the photo again, completes the stop with it.
    again = completion(visit.plan.pool, acid, **{"line-0-quantity": "1"})
    assert tech_web.post(f"{ROUTE}{visit.pk}/complete/", again).status_code == 302
    assert [p.caption for p in Photo.objects.of(ctx).filter(visit=visit)] == ["Green water"]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED


def test_a_completed_stop_is_not_completed_again(tech_web, technician_user, today, ctx):
    visit = stop_of(technician_user, today)
    item = ItemFactory(kind="service", track_stock=False)
    sent = completion(visit.plan.pool, item)
    assert tech_web.post(f"{ROUTE}{visit.pk}/complete/", sent).status_code == 302

    again = tech_web.post(f"{ROUTE}{visit.pk}/complete/", sent)

    assert again.status_code == 409
    assert "is completed: only an admin's correction in the back office changes it" in texts(again)
    assert VisitLine.objects.of(ctx).filter(visit=visit).count() == 1


def test_skipping_a_stop_needs_a_reason(tech_web, technician_user, today):
    visit = stop_of(technician_user, today)

    refused = tech_web.post(f"{ROUTE}{visit.pk}/skip/", {"reason": "", "note": "Gate shut"})

    assert refused.status_code == 422
    assert re.search(
        r'id="error_reason">Reason must be one of gate_locked, dog', refused.content.decode()
    )
    assert ">Gate shut</textarea>" in refused.content.decode()

    response = tech_web.post(
        f"{ROUTE}{visit.pk}/skip/", {"reason": "gate_locked", "note": "Gate shut"}
    )

    assert response.status_code == 302 and response["Location"] == ROUTE
    visit.refresh_from_db()
    assert visit.status == "skipped"
    assert (visit.skip_reason, visit.skip_note) == ("gate_locked", "Gate shut")
    assert f"{visit.customer}: stop skipped (Gate locked)." in texts(tech_web.get(ROUTE))


def test_starting_a_stop(tech_web, technician_user, today):
    visit = stop_of(technician_user, today)
    response = tech_web.post(f"{ROUTE}{visit.pk}/start/")
    assert response.status_code == 302 and response["Location"] == f"{ROUTE}{visit.pk}/"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS and visit.started_at is not None
    page = tech_web.get(response["Location"])
    assert b'id="start-form"' not in page.content and b'id="complete-form"' in page.content
    again = tech_web.post(f"{ROUTE}{visit.pk}/start/", follow=True)
    assert "it cannot start (only from scheduled)" in texts(again)
