"""Files in the object storage, and the short-lived signed links that hand them out.

The storage is Django's `STORAGES["default"]` (ektor/settings.py): a folder on this machine
by default (`LocalStorage`, under MEDIA_ROOT), a private S3-compatible bucket when
STORAGE_BUCKET is set. Nothing is ever public: `file_url()` gives a link that works for
FILE_URL_SECONDS only, the bucket's presigned URL or, for the folder, a link to the streaming
view (`ektor/api/files.py`) signed here with the SECRET_KEY. Either way the link itself is the
credential, so code that hands one out decides who may see the file; an `<img>` tag, a browser
or an app then loads it without headers, the same against both backends.
"""

import os
import stat
import time
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.urls import reverse

from core.errors import ApplicationError, NotFound, ReasonCode

_SALT = "ektor.files"


class FileErrorCode(ReasonCode):
    FILE_NOT_FOUND = "file_not_found"
    FILE_LINK_EXPIRED = "file_link_expired"


def _storage() -> Storage:
    return storages["default"]


def _signed(name: str, expires: int) -> str:
    # The name and the moment it stops working, as one value: neither can be changed alone.
    return f"{name}\n{expires}"


class LocalStorage(FileSystemStorage):
    """The folder under MEDIA_ROOT. Its `url()` is a signed, expiring link to the streaming
    view, never a path under a public prefix: no URL serves the folder itself."""

    def url(self, name: str | None, *, expire: int | None = None) -> str:
        if name is None:
            raise ValueError("a file needs a name to have a link")
        expires = int(time.time()) + (settings.FILE_URL_SECONDS if expire is None else expire)
        signature = signing.Signer(salt=_SALT).signature(_signed(name, expires))
        query = urlencode({"expires": expires, "signature": signature})
        return f"{reverse('file', kwargs={'file': name})}?{query}"


def file_save(name: str, content: "bytes | File[bytes]", *, company: Any = None) -> str:
    """Store `content` under `name` (a path such as `photos/2026/pool-12.jpg`); returns the
    name it was stored under, which differs when that one was taken (never overwritten).

    A company's file goes under its own prefix (`companies/<id>/`): two companies' names never
    meet, and a link (signed for the whole name) of one company's file names no other's."""
    if isinstance(content, bytes):
        content = ContentFile(content)
    if company is not None:
        name = f"companies/{company.pk}/{name}"
    return _storage().save(name, content)


def file_url(name: str, *, expire: int | None = None) -> str:
    """A link to the stored file that works for `expire` seconds (FILE_URL_SECONDS)."""
    return _storage().url(name, expire=expire)  # type: ignore[call-arg]


def file_read(name: str) -> bytes:
    """The stored file's bytes (a background task's work on it, an email's attachment)."""
    with _storage().open(name, "rb") as stored:
        return bytes(stored.read())


def file_delete(name: str) -> None:
    _storage().delete(name)


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file of the local folder that a signed link names, checked, valid and open."""

    file: BinaryIO
    name: str
    seconds_left: int


def local_file(name: str, *, expires: str, signature: str) -> LocalFile:
    """The local file a link names, when its signature holds (constant-time, with the keys
    of SECRET_KEY_FALLBACKS too) and it has not expired; otherwise the refusal (404, 403).

    A link that was not signed here, or names no regular file inside the folder (a
    directory, a path out of it), is `file_not_found`: a refusal tells nothing about what
    exists. Only an authentic link past its time says `file_link_expired`.
    """
    not_found = NotFound("File", reason=FileErrorCode.FILE_NOT_FOUND)
    storage = _storage()
    if (
        not isinstance(storage, LocalStorage)
        or not (expires.isascii() and expires.isdigit())
        or len(expires) > 12  # a Unix time; int() of thousands of digits is refused anyway
    ):
        raise not_found
    try:
        signing.Signer(salt=_SALT).unsign(f"{_signed(name, int(expires))}:{signature}")
    except signing.BadSignature:
        raise not_found from None
    seconds_left = int(expires) - int(time.time())
    if seconds_left <= 0:
        raise ApplicationError(
            "This file link has expired: ask for a new one",
            reason=FileErrorCode.FILE_LINK_EXPIRED,
            status=403,
        )
    try:
        # Joined safely: a name leading out of the folder raises SuspiciousFileOperation.
        file = open(storage.path(name), "rb")  # noqa: SIM115 (the response closes it)
    except (SuspiciousFileOperation, OSError, ValueError):  # ValueError: a NUL in the name
        raise not_found from None
    if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # a directory is never listed
        file.close()
        raise not_found
    return LocalFile(file=file, name=name, seconds_left=seconds_left)


def bucket_origin() -> str | None:
    """The origin the bucket's links point to (`https://bucket.s3.eu-west-1.amazonaws.com`),
    or None with the local folder. Built as a link is (no request is made), so it follows the
    endpoint and addressing style the storage really uses; unsigned, so it needs no
    credentials when the process starts."""
    if not uses_bucket():
        return None
    storage = _storage()
    client = storage.unsigned_connection.meta.client  # type: ignore[attr-defined]
    url = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": storage.bucket_name, "Key": "origin-probe"},  # type: ignore[attr-defined]
    )
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def uses_bucket() -> bool:
    return not isinstance(_storage(), FileSystemStorage)


def bucket_head() -> None:
    """Ask the bucket for its head (one cheap request); raises when it does not answer."""
    storage = _storage()
    storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)  # type: ignore[attr-defined]
