"""The service report: the customer's page of a visit, and its email (sent by a task, through a
real SMTP server, with the photos inside the message)."""

import datetime
import io
import json
import re
import textwrap
from decimal import Decimal

import pytest
from PIL import Image

from accounts.models import Role
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from catalog.tests.factories import ItemFactory
from conftest import S3_KEYS, client_for
from core.context import Ctx
from core.errors import ApplicationError
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.testing import GOOD_KEY, run_manage, run_tasks
from operations import photos, reports
from operations.tests.factories import (
    ReadingFactory,
    ServicePlanFactory,
    VisitFactory,
    VisitLineFactory,
)
from operations.tests.images import image_bytes, phone_jpeg
from pools.tests.factories import PoolFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def completed_visit(technician=None, email="ana@example.com"):
    """A completed stop with a reading out of range, a checklist, lines of each kind, notes
    for the customer and for the office, and a photo."""
    customer = CustomerFactory(first_name="Ana", last_name="Rivera", email=email)
    prop = PropertyFactory(customer=customer, label="Casa Playa", address1="12 Calle Sol")
    pool = PoolFactory(property=prop, name="Main pool", surface="vinyl")
    visit = VisitFactory(
        plan=ServicePlanFactory(pool=pool, technician=technician),
        scheduled_date=datetime.date(2026, 11, 18),
        status="completed",
        completed_at=datetime.datetime(2026, 11, 18, 15, 0, tzinfo=datetime.UTC),
        checklist=[
            {"task": "brush walls", "done": True},
            {"task": "empty skimmer", "done": True},
            {"task": "backwash filter", "done": False},
        ],
        customer_notes="Filter cleaned; the pump is noisy.",
        office_notes="OFFICE ONLY: pump seal weeping, quote a new one.",
    )
    company = visit.company
    company.name = "Blue Lagoon Pools"
    company.save(update_fields=["name"])
    ReadingFactory(
        visit=visit,
        pool=pool,
        ph=Decimal("8.10"),
        free_chlorine=Decimal("0.50"),
        calcium_hardness=Decimal("220"),
        flags=["fc_low", "ph_high", "lsi_high"],
        lsi=Decimal("0.45"),
    )
    service = ItemFactory(kind="service", name="Weekly cleaning", track_stock=False)
    chlorine = ItemFactory(kind="chemical", name="Liquid chlorine 12.5%", unit="gal")
    part = ItemFactory(kind="part", name="Skimmer basket")
    VisitLineFactory(visit=visit, item=service)
    VisitLineFactory(visit=visit, item=chlorine, quantity=Decimal("1.500"), pool=pool)
    VisitLineFactory(visit=visit, item=part, quantity=Decimal("1"))
    content = phone_jpeg((400, 300))
    photos.photo_add(
        Ctx.system(company),
        visit=visit,
        upload=io.BytesIO(content),
        size=len(content),
        caption="Skimmer before",
        pool_id=pool.pk,
    )
    return visit


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_customer_what_was_done_and_nothing_of_the_office(admin_client_api):
    technician = UserFactory(first_name="Luis", last_name="Ortiz", role=Role.TECHNICIAN)
    visit = completed_visit(technician)

    response = admin_client_api.get(f"{API}/visits/{visit.pk}/report", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in response["Content-Security-Policy"]
    assert "img-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    text = text_of(html)
    for expected in (
        "Blue Lagoon Pools Service report",
        "Date Nov 18, 2026",
        "Customer Ana Rivera",
        "Property Casa Playa, 12 Calle Sol",
        "Technician Luis Ortiz",
        # Out of range, flagged; within range, OK; vinyl's calcium range.
        "Free chlorine 0.5 ppm 3 - 10 Low",
        "pH 8.1 7.2 - 7.8 High",
        "Total alkalinity 100 ppm 80 - 120 OK",
        "Calcium hardness 220 ppm 150 - 250 OK",
        "Water temperature 82 °F",
        "Saturation index (LSI) 0.45 -0.3 - 0.3 High",
        "What we did Brush walls Empty skimmer Weekly cleaning",
        "Chemicals added Liquid chlorine 12.5%: 1.5 gal",
        "Parts and products Skimmer basket: 1",
        "Notes from your technician Filter cleaned; the pump is noisy.",
        "Skimmer before (Main pool)",
    ):
        assert expected in text, expected
    assert "Backwash filter" not in text and "OFFICE ONLY" not in html
    (src,) = re.findall(r'<img src="([^"]+)"', html)
    assert src.startswith("/api/v1/files/companies/") and "signature=" in src
    image = client_for(None).get(src.replace("&amp;", "&"))
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (300, 400)


def test_the_visits_technician_sees_the_page_and_no_other_technician(technician_user):
    visit = completed_visit(technician_user)
    mine = client_for(technician_user).get(f"{API}/visits/{visit.pk}/report")
    assert mine.status_code == 200
    other = client_for(UserFactory(role=Role.TECHNICIAN)).get(f"{API}/visits/{visit.pk}/report")
    assert other.status_code == 404
    assert other.json()["details"]["reason"] == "visit_not_found"


def test_a_visit_without_readings_or_photos_still_has_a_page(admin_client_api):
    visit = VisitFactory()
    response = admin_client_api.get(f"{API}/visits/{visit.pk}/report")
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Water test" not in text and "Photos" not in text and "Visit Scheduled" in text


def test_the_report_is_read_in_a_fixed_number_of_queries(ctx, django_assert_num_queries):
    visit = completed_visit()
    # The visit, its readings and their pools, lines and their items, photos and their pools.
    with django_assert_num_queries(7) as first:
        reports.visit_report(ctx, visit=visit)
    for _ in range(3):
        ReadingFactory(visit=visit, pool=PoolFactory(property=visit.property))
        VisitLineFactory(visit=visit)
        photos.photo_add(
            ctx, visit=visit, upload=io.BytesIO(image_bytes()), size=len(image_bytes())
        )
    with django_assert_num_queries(len(first.captured_queries)):
        report = reports.visit_report(ctx, visit=visit)
    assert (len(report.readings), len(report.photos)) == (4, 4)


# --- sending it ------------------------------------------------------------------------------


def test_the_office_sends_it_by_a_task_and_the_email_carries_the_photos(
    staff_user, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "office@bluelagoon.example"
    visit = completed_visit()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff_user).post(f"{API}/visits/{visit.pk}/report/send")
    assert response.status_code == 202, response.content
    assert response.json() == {
        "visit_id": visit.pk,
        "sent_to": "ana@example.com",
        "status": "queued",
    }
    event = AuditEvent.objects.get(object_type="visit", action="send")
    assert (event.actor, event.changes) == ("clerk", {"report_sent_to": [None, "ana@example.com"]})
    assert smtp_server.messages == []  # not from the request

    run_tasks()

    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == (
        "Service report for Casa Playa, Nov 18, 2026, from Blue Lagoon Pools"
    )
    assert message["From"] == "Blue Lagoon Pools <office@bluelagoon.example>"
    assert message["To"] == "ana@example.com"
    assert message.get_content_type() == "multipart/related"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Free chlorine: 0.5 ppm (ideal 3 - 10) LOW" in text
    assert "Liquid chlorine 12.5%: 1.5 gal" in text
    assert "1 photo in the HTML version" in text
    assert "Free chlorine 0.5 ppm 3 - 10 Low" in text_of(html)
    assert "OFFICE ONLY" not in text + html
    # The photo is inside the message: no link that would expire.
    (cid,) = re.findall(r'<img src="cid:([^"]+)"', html)
    assert "expires=" not in html and "X-Amz" not in html
    (image,) = [part for part in message.walk() if part.get_content_maintype() == "image"]
    assert image["Content-ID"] == f"<{cid}>"
    assert image.get_content_disposition() == "inline"
    thumbnail = Image.open(io.BytesIO(image.get_content()))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (240, 320))


def test_a_customer_without_email_is_a_409_and_nothing_is_queued(
    admin_client_api, django_capture_on_commit_callbacks
):
    visit = completed_visit(email=None)
    with django_capture_on_commit_callbacks() as queued:
        response = admin_client_api.post(f"{API}/visits/{visit.pk}/report/send")
    assert response.status_code == 409
    body = response.json()
    assert body["details"]["reason"] == "customer_no_email"
    assert body["message"] == "Ana Rivera has no email address: add one to send the report"
    assert queued == []
    assert not AuditEvent.objects.filter(action="send").exists()


def test_the_completion_hook_queues_nothing_for_a_customer_without_email(ctx):
    """visit_report_queue is what the visit's completion calls (Company.visit_report_email)."""
    assert reports.visit_report_queue(ctx, visit=completed_visit(email=None)) is None
    visit = completed_visit(email="ana@example.com")
    assert reports.visit_report_queue(ctx, visit=visit) == "ana@example.com"
    with pytest.raises(ApplicationError):
        reports.visit_report_send(ctx, visit=completed_visit(email=None))


def test_a_technician_cannot_send_a_report(technician_user):
    visit = completed_visit(technician_user)
    response = client_for(technician_user).post(f"{API}/visits/{visit.pk}/report/send")
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "permission_denied"
    assert response.json()["message"] == "Only the office (admins and staff) sends reports"


# Transactional (the module's own marker is not): on MariaDB the other processes share the test
# database, and only a flush, not a rollback, takes away the rows they committed.
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_thumbnail_in_the_bucket_and_sends_the_email(
    worker_database, s3_server, s3_bucket, smtp_server
):
    """One process adds a photo (to the bucket) and asks for the report; `manage.py
    db_worker` in another makes the thumbnail and sends the email through the SMTP server."""
    env = {
        "SECRET_KEY": GOOD_KEY,
        "DATABASE_URL": worker_database,
        "STORAGE_BUCKET": s3_bucket,
        "STORAGE_REGION": "us-east-1",
        "STORAGE_ENDPOINT_URL": s3_server,
        "STORAGE_ACCESS_KEY_ID": S3_KEYS["access_key"],
        "STORAGE_SECRET_ACCESS_KEY": S3_KEYS["secret_key"],
        "EMAIL_URL": smtp_server.url,
    }
    ask = textwrap.dedent(
        """
        from core.context import Ctx
        from operations import reports
        from operations.tests.test_reports import completed_visit

        visit = completed_visit()
        reports.visit_report_send(Ctx.system(visit.company), visit=visit)
        """
    )
    asked = run_manage("shell", "-c", ask, **env)
    assert asked.returncode == 0, asked.stderr
    worker = run_manage(
        "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name=*", **env
    )
    assert worker.returncode == 0, worker.stderr
    ran = run_manage(
        "shell",
        "-c",
        "import json; from django_tasks_db.models import DBTaskResult as R;"
        "from operations.models import Photo; from ektor.files import file_read;"
        "print(json.dumps([[r.task_path, r.status, r.return_value] for r in"
        " R.objects.order_by('enqueued_at')]"
        " + [len(file_read(Photo.unscoped.get().thumbnail_name))]))",
        **env,
    )
    *tasks, thumbnail_size = json.loads(ran.stdout.strip().splitlines()[-1])
    assert [task[:2] for task in tasks] == [
        ["operations.tasks.make_photo_thumbnail", "SUCCESSFUL"],
        ["operations.tasks.send_visit_report", "SUCCESSFUL"],
    ]
    assert tasks[1][2]["sent_to"] == "ana@example.com" and tasks[1][2]["photos"] == 1
    assert thumbnail_size > 0  # in the bucket
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"].startswith("Service report for Casa Playa")
    (image,) = [part for part in message.walk() if part.get_content_maintype() == "image"]
    assert Image.open(io.BytesIO(image.get_content())).size == (240, 320)
