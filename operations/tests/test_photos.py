"""A visit's photos: checked by decoding them, stored upright and without metadata in the
object storage (the local folder and a real S3-compatible server), thumbnailed by a task."""

import io
import os
import urllib.request

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Role
from audit.models import AuditEvent
from conftest import client_for
from core.context import Ctx
from core.errors import ApplicationError
from ektor.files import file_read
from ektor.testing import run_tasks
from operations import photos
from operations.models import Photo, VisitStatus
from operations.tests.factories import ServicePlanFactory, VisitFactory
from operations.tests.images import LATITUDE, image_bytes, phone_jpeg, png_header
from pools.tests.factories import PoolFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def visit(technician_user):
    return VisitFactory(plan=ServicePlanFactory(technician=technician_user))


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def add(ctx, visit, content: bytes, **fields) -> Photo:
    return photos.photo_add(
        ctx, visit=visit, upload=io.BytesIO(content), size=len(content), **fields
    )


def stored(photo: Photo) -> Image.Image:
    image = Image.open(io.BytesIO(file_read(photo.file_name)))
    image.load()
    return image


def refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def assert_no_metadata(content: bytes, image: Image.Image) -> None:
    assert not image.getexif()
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info)
    for secret in (b"Exif", b"PoolPhone", b"SN-SECRET-42", b"GPS"):
        assert secret not in content


# --- the service: what is stored -------------------------------------------------------------


@pytest.mark.parametrize("storage", ["local", "bucket"])
def test_a_phone_photo_is_stored_upright_without_exif_or_gps(ctx, visit, storage, request):
    if storage == "bucket":
        request.getfixturevalue("s3_storage")
    original = phone_jpeg()
    source = Image.open(io.BytesIO(original))
    assert source.getexif().get_ifd(0x8825)[2] == LATITUDE  # the GPS block is really there

    photo = add(ctx, visit, original, caption="  Skimmer basket  ")

    content = file_read(photo.file_name)
    image = stored(photo)
    # Orientation 6: the landscape sensor pixels turned a quarter clockwise, red on top.
    assert image.size == (32, 64) == (photo.width, photo.height)
    assert image.getpixel((16, 4))[0] > 200 and image.getpixel((16, 60))[2] > 200
    assert_no_metadata(content, image)
    assert (image.format, photo.content_type, photo.size) == ("JPEG", "image/jpeg", len(content))
    assert photo.file_name.startswith(f"companies/{ctx.company.pk}/visits/{visit.pk}/")
    assert photo.file_name.endswith(".jpg")
    assert photo.caption == "Skimmer basket"
    assert photo.thumbnail_name == ""
    if storage == "bucket":
        assert storages["default"].bucket_name == request.getfixturevalue("s3_bucket")
    event = AuditEvent.objects.get(object_type="photo", object_id=photo.pk)
    assert event.action == "create" and event.changes["file_name"] == [None, photo.file_name]


def test_a_png_named_jpg_is_stored_as_the_png_it_is(ctx, visit):
    photo = add(ctx, visit, image_bytes("PNG"))
    assert (photo.content_type, stored(photo).format) == ("image/png", "PNG")
    assert photo.file_name.endswith(".png")


def test_a_webp_and_a_transparent_png_keep_their_format(ctx, visit):
    webp = add(ctx, visit, image_bytes("WEBP"))
    assert (webp.content_type, stored(webp).format, webp.width) == ("image/webp", "WEBP", 64)
    clear = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    out = io.BytesIO()
    clear.save(out, format="PNG")
    png = add(ctx, visit, out.getvalue())
    assert stored(png).getpixel((5, 5)) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"I am a text file named photo.jpg\n", "not a JPEG, PNG or WebP image"),
        (b"", "not a JPEG, PNG or WebP image"),
        (image_bytes("GIF"), "not a JPEG, PNG or WebP image"),
        (image_bytes("BMP"), "not a JPEG, PNG or WebP image"),
        (image_bytes("JPEG", (400, 300))[:600], "the image cannot be decoded"),
        (image_bytes("PNG", (400, 300))[:80], "the image cannot be decoded"),
    ],
    ids=["text", "empty", "gif", "bmp", "truncated-jpeg", "truncated-png"],
)
def test_anything_but_a_whole_jpeg_png_or_webp_is_415(ctx, visit, content, detail):
    error = refusal(lambda: add(ctx, visit, content))
    assert (error.status, error.reason) == (415, "unsupported_media_type")
    assert error.message.startswith(f"The file is not a photo we accept ({detail}")
    assert error.message.endswith("send a JPEG, PNG or WebP image")
    assert not Photo.objects.of(ctx).exists()


def test_over_15_mb_is_413_before_anything_is_read(ctx, visit):
    content = b"\xff" * (photos.PHOTO_MAX_BYTES + 1)
    error = refusal(lambda: add(ctx, visit, content))
    assert (error.status, error.reason) == (413, "photo_too_large")
    assert error.message == "Photo too large: 15728641 bytes; at most 15728640 (15 MB)"


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ((9000, 8000), "Photo too large: 9000 x 8000 pixels; at most 64000000"),
        ((20000, 20000), "Photo too large: more than 64000000 pixels"),  # Pillow's own bomb
    ],
)
def test_a_decompression_bomb_is_413_from_its_header(ctx, visit, size, message):
    error = refusal(lambda: add(ctx, visit, png_header(*size)))
    assert (error.status, error.reason, error.message) == (413, "photo_too_large", message)


def test_the_pool_must_be_at_the_visits_property(ctx, visit):
    elsewhere = PoolFactory()
    error = refusal(lambda: add(ctx, visit, image_bytes(), pool_id=elsewhere.pk))
    assert (error.status, error.reason) == (404, "pool_not_found")
    photo = add(ctx, visit, image_bytes(), pool_id=visit.plan.pool_id)
    assert photo.pool_id == visit.plan.pool_id


def test_a_technician_adds_until_the_visit_is_completed_and_an_admin_after(
    visit, technician_user, admin_user
):
    technician = Ctx.for_user(technician_user, visit.company, Role.TECHNICIAN)
    assert add(technician, visit, image_bytes()).created_by == technician_user
    for status, reason, message in (
        ("completed", "visit_completed", "is completed: only an admin adds photos to it"),
        ("cancelled", "visit_cancelled", "is cancelled: it takes no photos"),
    ):
        visit.status = status
        visit.completed_at = visit.created_at if status == "completed" else None
        visit.save()
        error = refusal(lambda: add(technician, visit, image_bytes()))
        assert (error.status, error.reason) == (409, reason)
        assert error.message == f"Visit {visit.pk} {message}"
        assert photos.can_photo_add(technician, visit=visit).reason == reason
    admin = Ctx.for_user(admin_user, visit.company, Role.ADMIN)
    assert photos.can_photo_add(admin, visit=visit) is None
    assert add(admin, visit, image_bytes()).pk


def test_a_refused_record_leaves_no_file_behind(ctx, visit, _media_root):
    before = {p for p in _media_root.rglob("*") if p.is_file()}
    # The visit is completed between the check and the write (the row is read again, locked).
    technician = Ctx.for_user(visit.technician, visit.company, Role.TECHNICIAN)
    stale = type(visit).objects.of(ctx).get(pk=visit.pk)
    visit.status, visit.completed_at = VisitStatus.COMPLETED, visit.created_at
    visit.save()
    error = refusal(lambda: add(technician, stale, image_bytes()))
    assert error.reason == "visit_completed"
    assert {p for p in _media_root.rglob("*") if p.is_file()} == before


# --- the thumbnail task ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("storage", ["local", "bucket"])
def test_the_thumbnail_is_made_by_the_task_queued_on_commit(storage, request):
    if storage == "bucket":
        request.getfixturevalue("s3_storage")
    visit = VisitFactory()
    ctx = Ctx.system(visit.company)
    photo = add(ctx, visit, phone_jpeg((1600, 1200)))
    assert photo.thumbnail_name == ""

    run_tasks()

    photo.refresh_from_db()
    thumbnail = Image.open(io.BytesIO(file_read(photo.thumbnail_name)))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (240, 320)  # upright, as the stored photo
    assert photo.thumbnail_name.endswith("-thumb.jpg")
    assert AuditEvent.objects.filter(object_type="photo", action="update").count() == 1


def test_a_photo_deleted_before_its_task_ran_is_skipped(ctx, visit):
    photo = add(ctx, visit, image_bytes())
    photos.photo_delete(ctx, photo=photo)
    assert photos.photo_thumbnail_make(ctx, photo_id=photo.pk) is None


def test_delete_removes_the_row_and_its_files_once_committed(
    ctx, visit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        photo = add(ctx, visit, image_bytes())
    photos.photo_thumbnail_make(ctx, photo_id=photo.pk)
    photo.refresh_from_db()
    names = [photo.file_name, photo.thumbnail_name]
    with django_capture_on_commit_callbacks(execute=True):
        photos.photo_delete(ctx, photo=photo)
    assert not Photo.objects.of(ctx).exists()
    assert not any(storages["default"].exists(name) for name in names)
    event = AuditEvent.objects.get(object_type="photo", action="delete")
    assert event.changes["file_name"] == [photo.file_name, None]


# --- the API -------------------------------------------------------------------------------


def photos_path(visit) -> str:
    return f"{API}/visits/{visit.pk}/photos"


@pytest.mark.parametrize("storage", ["local", "bucket"])
def test_upload_answers_the_photo_with_signed_links(
    visit, admin_client_api, storage, request, django_capture_on_commit_callbacks
):
    if storage == "bucket":
        request.getfixturevalue("s3_storage")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_api.post(
            photos_path(visit),
            {
                "file": upload(image_bytes("PNG"), "camera.jpg", "image/jpeg"),
                "caption": "Filter",
                "pool_id": str(visit.plan.pool_id),
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    photo = Photo.unscoped.get()
    assert body == {
        "photo_id": photo.pk,
        "visit_id": visit.pk,
        "pool_id": visit.plan.pool_id,
        "caption": "Filter",
        "content_type": "image/png",
        "width": 64,
        "height": 32,
        "size": photo.size,
        "url": body["url"],
        "thumbnail_url": None,
        "created_at": body["created_at"],
    }
    if storage == "local":
        assert body["url"].startswith(f"/api/v1/files/{photo.file_name}?expires=")
        fetched = client_for(None).get(body["url"])
        assert b"".join(fetched.streaming_content) == file_read(photo.file_name)
        assert fetched["Content-Type"] == "image/png"
    else:
        assert "X-Amz-Signature=" in body["url"]
        with urllib.request.urlopen(body["url"], timeout=30) as fetched:  # noqa: S310
            assert fetched.read() == file_read(photo.file_name)

    run_tasks()
    listed = admin_client_api.get(photos_path(visit))
    assert listed.status_code == 200 and listed["X-Total-Count"] == "1"
    (row,) = listed.json()
    assert row["photo_id"] == photo.pk and row["thumbnail_url"]
    assert row["url"].split("?")[0] == body["url"].split("?")[0]


def test_the_api_refuses_what_is_not_a_photo_with_415(visit, admin_client_api):
    text = admin_client_api.post(
        photos_path(visit), {"file": upload(b"hello, not a photo", "pool.jpg")}, format="multipart"
    )
    assert text.status_code == 415
    assert text.json()["details"]["reason"] == "unsupported_media_type"
    assert text.json()["message"].startswith("The file is not a photo we accept")
    missing = admin_client_api.post(photos_path(visit), {"caption": "x"}, format="multipart")
    assert missing.status_code == 422
    assert missing.json()["details"]["errors"][0]["loc"] == ["body", "file"]
    bad_pool = admin_client_api.post(
        photos_path(visit),
        {"file": upload(image_bytes()), "pool_id": "seven"},
        format="multipart",
    )
    assert bad_pool.json()["details"]["errors"] == [
        {"loc": ["body", "pool_id"], "msg": "Input should be a valid integer", "type": "invalid"}
    ]
    assert not Photo.unscoped.exists()


def test_a_15_mb_photo_reaches_the_check_and_bigger_bodies_are_a_clean_413(visit, admin_client_api):
    # Random pixels do not compress: a PNG just under the ceiling, accepted.
    side = 2200
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG", compress_level=1)
    large = out.getvalue()
    assert photos.PHOTO_MAX_BYTES - 2 * photos.MB < len(large) <= photos.PHOTO_MAX_BYTES
    accepted = admin_client_api.post(
        photos_path(visit), {"file": upload(large, "big.png")}, format="multipart"
    )
    assert accepted.status_code == 201, accepted.content[:500]
    assert accepted.json()["width"] == side

    # Over the photo's ceiling: the service's 413.
    over = b"\x89PNG" + b"\0" * photos.PHOTO_MAX_BYTES
    refused = admin_client_api.post(
        photos_path(visit), {"file": upload(over, "big.png")}, format="multipart"
    )
    assert refused.status_code == 413
    assert refused.json()["details"]["reason"] == "photo_too_large"
    assert refused.json()["message"].startswith("Photo too large: 15728644 bytes")

    # Far over it: refused before the body is read.
    huge = b"\0" * (photos.PHOTO_MAX_BYTES + 2 * photos.MB)
    refused = admin_client_api.post(
        photos_path(visit), {"file": upload(huge, "huge.png")}, format="multipart"
    )
    assert refused.status_code == 413
    assert refused.json()["details"]["reason"] == "request_too_large"
    assert Photo.unscoped.count() == 1


def test_a_technician_uploads_to_their_own_visits_only(visit, technician_user):
    client = client_for(technician_user)
    mine = client.post(photos_path(visit), {"file": upload(image_bytes())}, format="multipart")
    assert mine.status_code == 201, mine.content
    assert client.get(photos_path(visit)).json()[0]["photo_id"] == mine.json()["photo_id"]

    other = VisitFactory()  # another technician's (or nobody's) stop
    for response in (
        client.post(photos_path(other), {"file": upload(image_bytes())}, format="multipart"),
        client.get(photos_path(other)),
    ):
        assert response.status_code == 404
        assert response.json()["details"]["reason"] == "visit_not_found"

    visit.status, visit.completed_at = VisitStatus.COMPLETED, visit.created_at
    visit.save()
    late = client.post(photos_path(visit), {"file": upload(image_bytes())}, format="multipart")
    assert late.status_code == 409
    assert late.json()["details"]["reason"] == "visit_completed"
    # No technician deletes.
    path = f"{photos_path(visit)}/{mine.json()['photo_id']}"
    assert client.delete(path).status_code == 403


def test_admins_delete_photos_of_the_visit_named_in_the_path(visit, admin_client_api):
    ctx = Ctx.system(visit.company)
    photo = add(ctx, visit, image_bytes())
    other = VisitFactory()
    wrong = admin_client_api.delete(f"{photos_path(other)}/{photo.pk}")
    assert wrong.status_code == 404 and wrong.json()["details"]["reason"] == "photo_not_found"
    bad = admin_client_api.delete(f"{API}/visits/x/photos/{photo.pk}")
    assert bad.status_code == 422
    assert bad.json()["details"]["errors"][0]["loc"] == ["path", "visit_id"]
    gone = admin_client_api.delete(f"{photos_path(visit)}/{photo.pk}")
    assert gone.status_code == 204
    assert not Photo.unscoped.exists()


def test_the_list_runs_a_fixed_number_of_queries(
    visit, admin_client_api, django_assert_num_queries
):
    ctx = Ctx.system(visit.company)
    add(ctx, visit, image_bytes())
    admin_client_api.get(photos_path(visit))  # warm: the role's permissions
    with django_assert_num_queries(4) as first:
        admin_client_api.get(photos_path(visit))
    for _ in range(3):
        add(ctx, visit, image_bytes())
    with django_assert_num_queries(len(first.captured_queries)):
        response = admin_client_api.get(photos_path(visit))
    assert len(response.json()) == 4


def test_a_retried_upload_with_its_idempotency_key_makes_one_photo(visit, admin_client_api):
    """A phone on a bad network sends the same upload again; a photo over Django's 2.5 MB
    in-memory limit for request bodies is fingerprinted all the same."""
    side = 1100
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG", compress_level=1)
    assert len(out.getvalue()) > 3 * photos.MB
    form = {"file": upload(out.getvalue(), "noise.png"), "caption": "Gate"}
    first = admin_client_api.post(
        photos_path(visit), form, format="multipart", HTTP_IDEMPOTENCY_KEY="photo-1"
    )
    assert first.status_code == 201, first.content[:300]
    form["file"].seek(0)
    # The same bytes again (the test client keeps its multipart boundary).
    again = admin_client_api.post(
        photos_path(visit), form, format="multipart", HTTP_IDEMPOTENCY_KEY="photo-1"
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["photo_id"] == first.json()["photo_id"]
    assert Photo.unscoped.count() == 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_text_chunks_xmp_comments_and_exif_of_every_format_are_dropped(ctx, visit, fmt):
    exif = Image.Exif()
    exif[0x010F] = "PoolPhone"  # Make
    exif.get_ifd(0x8825)[2] = LATITUDE
    save = {"exif": exif, "xmp": b"<x:xmpmeta>GPS PoolPhone</x:xmpmeta>"}
    if fmt == "PNG":
        from PIL import PngImagePlugin

        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "GPS 18.4661 PoolPhone")
        save["pnginfo"] = text
    if fmt == "JPEG":
        save["comment"] = b"PoolPhone GPS"
    content = image_bytes(fmt, **save)
    assert b"PoolPhone" in content
    photo = add(ctx, visit, content)
    assert_no_metadata(file_read(photo.file_name), stored(photo))
