"""Object storage: files stored under a name come back only through short-lived signed links.

The bucket is a real S3-compatible HTTP server (moto's server mode, started by the `s3_server`
fixture of the root conftest); links are fetched over HTTP with urllib, as a browser would,
never through boto3. The local folder's links go through the streaming view.
"""

import calendar
import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from email.message import Message
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import pytest
from django.core.files.storage import storages
from django.http import HttpResponse
from django.test import Client, RequestFactory

from conftest import S3_KEYS
from ektor.files import LocalStorage, bucket_origin, file_delete, file_save, file_url
from ektor.middleware import ContentSecurityPolicyMiddleware, with_image_origin
from ektor.testing import free_port, run_django

# A photo from a phone's camera is a few MB; random bytes do not compress, as a JPEG's don't.
PHOTO = random.Random(17).randbytes(3 * 1024 * 1024 + 123)


def http_get(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (local servers)
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def without_query(url: str) -> str:
    return url.split("?", 1)[0]


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_refused(response, status: int, message: str, reason: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == f"HTTP_{status}"
    assert body["message"] == message
    assert body["details"] == {"request_id": response["X-Request-Id"], "reason": reason}


# --- the bucket --------------------------------------------------------------------------


def test_a_photo_goes_to_the_bucket_and_comes_back_byte_equal_through_its_signed_link(
    s3_storage, s3_server
):
    name = file_save("photos/2026/pool-12.jpg", PHOTO)
    assert name == "photos/2026/pool-12.jpg"

    url = file_url(name)

    assert url.startswith(f"{s3_server}/{s3_storage}/photos/2026/pool-12.jpg?")
    status, headers, body = http_get(url)
    assert status == 200
    assert body == PHOTO
    assert headers["Content-Type"] == "image/jpeg"


def sigv4_holds(url: str, secret_key: str) -> bool:
    """Whether a presigned GET URL's signature is AWS Signature V4 over its own path, host and
    query (X-Amz-Expires included) with `secret_key`: what S3 checks before it serves one.

    Written here from AWS's specification, not with boto3: moto's server (5.2) serves a
    presigned GET without checking its signature or expiry, so the test checks the link
    itself; S3 refuses one whose signature does not hold (403 SignatureDoesNotMatch) and
    one past `X-Amz-Date + X-Amz-Expires` (403 AccessDenied, "Request has expired").
    """
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    given = dict(pairs)["X-Amz-Signature"]
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(pairs)
        if k != "X-Amz-Signature"
    )
    canonical_request = "\n".join(
        ["GET", parts.path, canonical_query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"]
    )
    amz_date = dict(pairs)["X-Amz-Date"]
    scope = dict(pairs)["X-Amz-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{secret_key}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def test_the_bucket_link_is_signed_and_ends_after_its_lifetime(s3_storage, settings):
    name = file_save("photos/pool.jpg", b"jpeg")
    signed_at = time.time()

    url = file_url(name)
    link, short = query(url), query(file_url(name, expire=60))

    assert link["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert link["X-Amz-Credential"].startswith("ektor-test-key/")
    assert int(link["X-Amz-Expires"]) == settings.FILE_URL_SECONDS == 300
    assert short["X-Amz-Expires"] == "60"
    signed = calendar.timegm(time.strptime(link["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    assert abs(signed - signed_at) < 5
    assert sigv4_holds(url, S3_KEYS["secret_key"])
    # A longer life, another file, another signature or another key: none holds.
    assert not sigv4_holds(
        url.replace("X-Amz-Expires=300", "X-Amz-Expires=86400"), S3_KEYS["secret_key"]
    )
    assert not sigv4_holds(url.replace("pool.jpg", "other.jpg"), S3_KEYS["secret_key"])
    assert not sigv4_holds(url[:-4] + "0000", S3_KEYS["secret_key"])
    assert not sigv4_holds(url, "another-secret")


def test_the_bucket_is_not_publicly_readable(s3_storage):
    name = file_save("photos/private.jpg", PHOTO[:1000])
    url = file_url(name)

    status, _, body = http_get(without_query(url))

    assert status == 403
    assert PHOTO[:1000] not in body
    assert http_get(url)[0] == 200


def test_a_name_in_the_bucket_is_never_overwritten(s3_storage):
    first = file_save("photos/same.jpg", b"first")
    second = file_save("photos/same.jpg", b"second")

    assert first == "photos/same.jpg"
    assert second != first and second.startswith("photos/same_") and second.endswith(".jpg")
    assert http_get(file_url(first))[2] == b"first"
    assert http_get(file_url(second))[2] == b"second"
    file_delete(second)
    assert http_get(file_url(second))[0] == 404


@pytest.mark.django_db
def test_health_reports_the_bucket(s3_storage, anon_client):
    response = anon_client.get("/health")

    assert response.status_code == 200
    assert response.json()["storage"] == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["missing bucket", "server down"])
def test_health_is_503_when_the_bucket_does_not_answer(where, s3_storage, s3_server, settings):
    options = settings.STORAGES["default"]["OPTIONS"]
    if where == "missing bucket":
        options = {**options, "bucket_name": "no-such-bucket"}
    else:
        options = {**options, "endpoint_url": f"http://127.0.0.1:{free_port()}"}
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"]}}
    settings.STORAGES["default"]["OPTIONS"] = options

    response = Client().get("/health")

    assert_refused(response, 503, "Storage unavailable", "storage_unavailable")
    body = response.json()
    assert (body["status"], body["database"], body["cache"], body["storage"]) == (
        "unavailable",
        "ok",
        "ok",
        "error",
    )


@pytest.mark.django_db
def test_health_has_no_storage_check_with_the_local_folder(anon_client):
    assert "storage" not in anon_client.get("/health").json()


def csp_of(path: str) -> str:
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    return middleware(RequestFactory().get(path))["Content-Security-Policy"]


def test_pages_may_show_the_bucket_images_and_nothing_else_from_it(s3_storage, s3_server):
    assert bucket_origin() == s3_server
    policy = csp_of("/admin/")

    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["img-src"] == ["'self'", "data:", s3_server]
    assert [name for name, sources in directives.items() if s3_server in sources] == ["img-src"]
    assert csp_of("/api/v1/customers") == "default-src 'none'; frame-ancestors 'none'"


def test_the_bucket_origin_needs_no_credentials(s3_storage, s3_server, settings, monkeypatch):
    # With an instance role the keys are found later; starting the app must not need them.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    default = settings.STORAGES["default"]
    options = {**default["OPTIONS"], "access_key": None, "secret_key": None}
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}

    assert bucket_origin() == s3_server


def test_without_a_bucket_the_policy_is_unchanged(settings):
    assert bucket_origin() is None
    assert csp_of("/admin/") == settings.CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("default-src 'self'; img-src 'self'", "default-src 'self'; img-src 'self' https://b"),
        ("default-src 'self' data:", "default-src 'self' data:; img-src 'self' data: https://b"),
        (
            "default-src 'none'; script-src 'self'",
            "default-src 'none'; script-src 'self'; img-src https://b",
        ),
        ("script-src 'self'", "script-src 'self'; img-src https://b"),
    ],
)
def test_an_operators_policy_gets_the_bucket_in_img_src(policy, expected):
    assert with_image_origin(policy, "https://b") == expected


# --- the local folder --------------------------------------------------------------------


def test_a_photo_comes_back_byte_equal_from_the_local_folder_through_its_signed_link(
    _media_root,
):
    name = file_save("photos/2026/pool-12.jpg", PHOTO)
    assert (_media_root / name).read_bytes() == PHOTO

    url = file_url(name)

    assert url.startswith("/api/v1/files/photos/2026/pool-12.jpg?expires=")
    response = Client().get(url)  # nobody signed in: the link is the credential
    assert response.status_code == 200
    assert streamed(response) == PHOTO
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Length"] == str(len(PHOTO))
    assert response["Content-Disposition"] == 'inline; filename="pool-12.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    # The seconds the link has left: 300 when it was signed, less if a second passed since.
    cache, max_age = response["Cache-Control"].split(", max-age=")
    assert cache == "private" and 290 <= int(max_age) <= 300
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    head = Client().head(url)
    assert (head.status_code, head["Content-Length"]) == (200, str(len(PHOTO)))
    assert streamed(head) == b""


@pytest.mark.django_db(transaction=True)
def test_the_local_link_works_over_http(live_server):
    name = file_save("photos/live.jpg", PHOTO)

    status, headers, body = http_get(live_server.url + file_url(name))

    assert (status, headers["Content-Type"], body) == (200, "image/jpeg", PHOTO)


def test_a_local_link_ends_after_its_lifetime():
    name = file_save("photos/short.jpg", b"jpeg")
    url = file_url(name, expire=2)
    assert streamed(Client().get(url)) == b"jpeg"

    time.sleep(max(0.0, int(query(url)["expires"]) - time.time()) + 0.05)

    assert_refused(
        Client().get(url), 403, "This file link has expired: ask for a new one", "file_link_expired"
    )


def test_a_local_link_cannot_be_altered():
    name = file_save("photos/mine.jpg", b"mine")
    other = file_save("photos/other.jpg", b"other")
    link, other_link = query(file_url(name)), query(file_url(other))
    path = f"/api/v1/files/{name}"

    altered = [
        {
            **link,
            "signature": link["signature"][:-1] + ("A" if link["signature"][-1] != "A" else "B"),
        },
        {**link, "expires": str(int(link["expires"]) + 3600)},  # a longer life
        other_link,  # another file's signature
        {"expires": link["expires"]},
        {},
        {**link, "expires": "\uff11\uff12\uff13"},  # not ASCII digits
        {**link, "expires": "9" * 5000},
    ]
    for params in altered:
        response = Client().get(f"{path}?{urlencode(params)}")
        assert_refused(response, 404, "File not found", "file_not_found")
    assert_refused(
        Client().get(f"/api/v1/files/{other}?{urlencode(link)}"),
        404,
        "File not found",
        "file_not_found",
    )


@pytest.mark.parametrize(
    "name", ["../outside.txt", "photos/../../outside.txt", "/etc/hostname", "nul\x00.txt"]
)
def test_a_link_never_leads_out_of_the_folder(name, _media_root):
    (_media_root.parent / "outside.txt").write_bytes(b"secret")
    # Even a link signed with our key for such a name (none is ever made) opens nothing.
    url = LocalStorage(location=_media_root).url(name)

    response = Client().get(url)

    assert_refused(response, 404, "File not found", "file_not_found")


def test_a_folder_is_never_listed(_media_root):
    file_save("albums/one.jpg", b"one")

    for url in (LocalStorage(location=_media_root).url("albums"), "/api/v1/files/albums/"):
        response = Client().get(url)
        assert response.status_code == 404
        assert b"one.jpg" not in response.content


def test_a_session_or_token_is_not_needed_and_a_bad_one_is_ignored():
    url = file_url(file_save("photos/any.jpg", b"any"))

    response = Client().get(url, headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 200
    assert streamed(response) == b"any"


def test_files_other_than_images_download_instead_of_showing():
    url = file_url(file_save("reports/page.html", b"<script>alert(1)</script>"))

    response = Client().get(url)

    assert response["Content-Type"] == "text/html"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'


def test_a_file_answers_any_accept_header():
    url = file_url(file_save("photos/accept.jpg", b"jpeg"))

    response = Client().get(url, headers={"Accept": "image/avif,image/webp"})

    assert response.status_code == 200


def test_the_link_is_read_only():
    url = file_url(file_save("photos/ro.jpg", b"jpeg"))

    response = Client().delete(url)

    assert response.status_code == 405
    assert response.json()["message"] == 'Method "DELETE" not allowed.'
    assert Client().get(url).status_code == 200


def test_a_deleted_file_is_not_found():
    name = file_save("photos/gone.jpg", b"jpeg")
    url = file_url(name)
    file_delete(name)

    assert_refused(Client().get(url), 404, "File not found", "file_not_found")


def test_the_folder_links_open_nothing_when_the_bucket_is_the_storage(_media_root, s3_storage):
    name = "photos/local.jpg"
    (_media_root / "photos").mkdir(exist_ok=True)
    (_media_root / name).write_bytes(b"jpeg")

    response = Client().get(LocalStorage(location=_media_root).url(name))

    assert_refused(response, 404, "File not found", "file_not_found")


def test_the_folder_is_not_served_under_any_media_url(_media_root):
    file_save("photos/plain.jpg", b"jpeg")

    for path in ("/media/photos/plain.jpg", "/photos/plain.jpg", "/static/photos/plain.jpg"):
        assert Client().get(path).status_code == 404


def test_the_media_root_may_not_be_inside_the_static_root(tmp_path):
    result = run_django(
        "import django; django.setup()",
        DEBUG="true",
        STATIC_ROOT=str(tmp_path),
        MEDIA_ROOT=str(tmp_path / "media"),
    )

    assert result.returncode != 0
    assert "MEDIA_ROOT must not be inside STATIC_ROOT: files would be public." in result.stderr


def test_settings_choose_the_bucket_when_one_is_set():
    code = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
storage = storages["default"]
print(json.dumps({
    "class": type(storage).__name__,
    "location": str(getattr(storage, "location", "")),
    "media_root": str(settings.MEDIA_ROOT),
    **{k: str(getattr(storage, k, "")) for k in (
        "bucket_name", "region_name", "endpoint_url", "access_key", "secret_key", "default_acl",
        "querystring_auth", "querystring_expire", "file_overwrite")},
}))
"""
    local = json.loads(run_django(code, DEBUG="true").stdout)
    bucket = json.loads(
        run_django(
            code,
            DEBUG="true",
            STORAGE_BUCKET="ektor-photos",
            STORAGE_REGION="eu-west-1",
            STORAGE_ENDPOINT_URL="https://s3.example.net",
            STORAGE_ACCESS_KEY_ID="AKIAEXAMPLE",
            STORAGE_SECRET_ACCESS_KEY="secret-example",
            FILE_URL_SECONDS="120",
        ).stdout
    )

    assert local["class"] == "LocalStorage"
    assert local["location"] == local["media_root"]
    assert local["media_root"].endswith("/media")
    assert {k: bucket[k] for k in bucket if k not in ("location", "media_root")} == {
        "class": "S3Storage",
        "bucket_name": "ektor-photos",
        "region_name": "eu-west-1",
        "endpoint_url": "https://s3.example.net",
        "access_key": "AKIAEXAMPLE",
        "secret_key": "secret-example",
        "default_acl": "private",
        "querystring_auth": "True",
        "querystring_expire": "120",
        "file_overwrite": "False",
    }


def test_the_default_storage_is_the_runs_folder(_media_root):
    assert isinstance(storages["default"], LocalStorage)
    assert storages["default"].location == str(_media_root)


@pytest.mark.parametrize("seconds", ["0", "604801"])
def test_the_link_lifetime_is_checked_at_start(seconds):
    result = run_django("import django; django.setup()", DEBUG="true", FILE_URL_SECONDS=seconds)

    assert result.returncode != 0
    assert "FILE_URL_SECONDS must be between 1 and 604800 (7 days)." in result.stderr
