"""Photos of a visit: checked by decoding them, stored without their metadata, thumbnailed by
a background task.

What is stored is never the bytes that were sent: the image is decoded (JPEG, PNG or WebP
only, whatever its name or declared type says), turned upright by its EXIF orientation and
encoded again without EXIF, XMP, text chunks or comments, so no GPS position or camera serial
number leaves with a report. Only the colour profile is kept (a phone's Display P3 photo
would look washed out without it).

Who may add one: the office's admins on any visit; a technician on their own visits (the
selectors hide the others') until the visit is completed or cancelled (409): a completed
visit is changed only by an admin, and the change is in the audit trail like any other.
"""

import functools
import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from audit.services import record_change, recording_delete
from core.context import Ctx
from core.errors import ApplicationError, Conflict, NotFound
from ektor.files import file_delete, file_read, file_save
from ektor.tasks import enqueue_on_commit
from operations.error_codes import OperationsErrorCode
from operations.models import Photo, Visit, VisitStatus
from operations.tasks import make_photo_thumbnail
from pools.error_codes import PoolErrorCode
from pools.models import Pool
from tenancy.models import Role

MB = 1024 * 1024
# The contract's ceiling for one photo (a phone's full-resolution JPEG is 3 to 12 MB).
PHOTO_MAX_BYTES = 15 * MB
# Decoded, a photo takes width x height x 4 bytes of memory: 64 megapixels (a 200 MB bitmap)
# covers every phone camera's full resolution; more is a decompression bomb, refused from the
# header's dimensions before anything is decoded.
PHOTO_MAX_PIXELS = 64_000_000
THUMBNAIL_PX = 320

# Pillow's format name -> (content type, file extension, save options).
FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "JPEG": ("image/jpeg", "jpg", {"quality": 90, "optimize": True}),
    "PNG": ("image/png", "png", {"optimize": False}),
    "WEBP": ("image/webp", "webp", {"quality": 90}),
}


def _unsupported(detail: str) -> ApplicationError:
    return ApplicationError(
        f"The file is not a photo we accept ({detail}): send a JPEG, PNG or WebP image",
        reason=OperationsErrorCode.UNSUPPORTED_MEDIA_TYPE,
        status=415,
    )


def _too_large(detail: str) -> ApplicationError:
    return ApplicationError(
        f"Photo too large: {detail}",
        reason=OperationsErrorCode.PHOTO_TOO_LARGE,
        status=413,
        extra={"max_bytes": PHOTO_MAX_BYTES, "max_pixels": PHOTO_MAX_PIXELS},
    )


@dataclass(frozen=True)
class CleanImage:
    """A decoded, upright photo encoded again without its metadata."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _clean_image(upload: IO[bytes], size: int) -> CleanImage:
    """Decode `upload` (`size` bytes) as a JPEG, PNG or WebP photo and encode it again
    upright and without metadata; 413 over the byte or pixel ceiling, 415 for anything else
    (another format, a text file named .jpg, a truncated or corrupt image)."""
    if size > PHOTO_MAX_BYTES:
        raise _too_large(f"{size} bytes; at most {PHOTO_MAX_BYTES} ({PHOTO_MAX_BYTES // MB} MB)")
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow warns past its own pixel limit and refuses at twice it: both are ours to say.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Only these decoders are tried: the name and the declared type play no part.
            image = Image.open(upload, formats=list(FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(f"more than {PHOTO_MAX_PIXELS} pixels") from None
        except UnidentifiedImageError:
            raise _unsupported("not a JPEG, PNG or WebP image") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:  # a header cut short
            raise _unsupported(f"the image cannot be decoded: {exc}") from None
        with image:
            width, height = image.size
            if width * height > PHOTO_MAX_PIXELS:
                raise _too_large(f"{width} x {height} pixels; at most {PHOTO_MAX_PIXELS}")
            try:
                image.load()
                # A copy, turned upright (the original is closed as the block ends).
                clean = ImageOps.exif_transpose(image)
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise _unsupported(f"the image cannot be decoded: {exc}") from None
            image_format = str(image.format)
    content_type, extension, options = FORMATS[image_format]
    # The encoders write only what they are given and what is in `info`: with `info` emptied,
    # no EXIF, XMP, PNG text chunk or comment of the original reaches the stored file.
    kept = {key: clean.info[key] for key in ("icc_profile", "transparency") if key in clean.info}
    clean.info = {}
    out = io.BytesIO()
    clean.save(out, format=image_format, **options, **kept)
    return CleanImage(
        content=out.getvalue(),
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


def _check_may_add(ctx: Ctx, visit: Visit) -> None:
    if ctx.role in (Role.ADMIN, None):  # admins (a correction), the system and commands
        return
    if visit.status == VisitStatus.COMPLETED:
        raise Conflict(
            f"Visit {visit.pk} is completed: only an admin adds photos to it",
            reason=OperationsErrorCode.VISIT_COMPLETED,
        )
    if visit.status == VisitStatus.CANCELLED:
        raise Conflict(
            f"Visit {visit.pk} is cancelled: it takes no photos",
            reason=OperationsErrorCode.VISIT_CANCELLED,
        )


def can_photo_add(ctx: Ctx, *, visit: Visit) -> ApplicationError | None:
    """Why photo_add would refuse a photo on `visit` as it stands (None: it may be added)."""
    try:
        _check_may_add(ctx, visit)
    except ApplicationError as exc:
        return exc
    return None


def _visit_pool(ctx: Ctx, visit: Visit, pool_id: int | None) -> Pool | None:
    if pool_id is None:
        return None
    # Only a pool at the visit's property; any other (another property's, another
    # company's) is as missing as one that does not exist.
    pool = Pool.objects.of(ctx).filter(pk=pool_id, property_id=visit.property_id).first()
    if pool is None:
        raise NotFound("Pool", reason=PoolErrorCode.POOL_NOT_FOUND)
    return pool


def photo_add(
    ctx: Ctx,
    *,
    visit: Visit,
    upload: IO[bytes],
    size: int,
    caption: str | None = None,
    pool_id: int | None = None,
) -> Photo:
    """Check, clean and store a photo of `visit` (which ctx may see: operations.selectors.
    visit_get), then record it; its thumbnail is made by a task once the row is committed.

    The image is decoded and stored before the transaction (a slow decode holds no lock); a
    refusal after that deletes the stored file again."""
    _check_may_add(ctx, visit)
    _visit_pool(ctx, visit, pool_id)
    image = _clean_image(upload, size)
    name = file_save(
        f"visits/{visit.pk}/{uuid.uuid4().hex}.{image.extension}",
        image.content,
        company=ctx.company,
    )
    try:
        return _photo_record(
            ctx, visit=visit, name=name, image=image, caption=caption, pool_id=pool_id
        )
    except BaseException:
        file_delete(name)
        raise


@transaction.atomic
def _photo_record(
    ctx: Ctx,
    *,
    visit: Visit,
    name: str,
    image: CleanImage,
    caption: str | None,
    pool_id: int | None,
) -> Photo:
    # Locked and read again: a completion or cancellation that committed meanwhile counts.
    locked = Visit.objects.of(ctx).select_for_update().get(pk=visit.pk)
    _check_may_add(ctx, locked)
    pool = _visit_pool(ctx, locked, pool_id)
    photo = Photo(
        company=ctx.company,
        visit=locked,
        pool=pool,
        caption=(caption or "").strip() or None,
        file_name=name,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size=len(image.content),
        created_by_id=ctx.user.pk if ctx.user is not None else None,
    )
    photo.save(force_insert=True)
    record_change(ctx, "create", photo)
    enqueue_on_commit(make_photo_thumbnail, photo.company_id, photo.pk)
    return photo


@transaction.atomic
def photo_delete(ctx: Ctx, *, photo: Photo) -> None:
    """Delete the photo's row (recorded) and, once that commits, its files."""
    names = [name for name in (photo.file_name, photo.thumbnail_name) if name]
    with recording_delete(ctx, photo):
        photo.delete()
    for name in names:
        transaction.on_commit(functools.partial(file_delete, name))


def _thumbnail(content: bytes) -> bytes:
    """A JPEG at most THUMBNAIL_PX on its longer side (transparency on white)."""
    with Image.open(io.BytesIO(content), formats=list(FORMATS)) as image:
        image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))  # JPEG: decode at a fraction of the size
        small = image.convert("RGBA")
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", small.size, "white")
    flat.paste(small, mask=small.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def photo_thumbnail_make(ctx: Ctx, *, photo_id: int) -> Photo | None:
    """Make and store the photo's thumbnail (the task's work); None when the photo was
    deleted before the task ran. Made again if asked again (the old file is removed)."""
    photo = Photo.objects.of(ctx).filter(pk=photo_id).first()
    if photo is None:
        return None
    thumbnail = file_save(
        f"visits/{photo.visit_id}/{uuid.uuid4().hex}-thumb.jpg",
        _thumbnail(file_read(photo.file_name)),
        company=ctx.company,
    )
    try:
        return _thumbnail_record(ctx, photo_id=photo_id, name=thumbnail)
    except BaseException:
        file_delete(thumbnail)
        raise


@transaction.atomic
def _thumbnail_record(ctx: Ctx, *, photo_id: int, name: str) -> Photo | None:
    photo = Photo.objects.of(ctx).select_for_update().filter(pk=photo_id).first()
    if photo is None:  # deleted while the thumbnail was made
        transaction.on_commit(lambda: file_delete(name))
        return None
    old = photo.thumbnail_name
    photo.thumbnail_name = name
    photo.save(update_fields=["thumbnail_name"])
    record_change(ctx, "update", photo)
    if old:
        transaction.on_commit(lambda: file_delete(old))
    return photo


def photo_thumbnail_content(ctx: Ctx, *, photo: Photo) -> bytes:
    """The thumbnail's JPEG bytes: the stored one, or made now when the task has not yet run
    (a report emailed right after the photo was taken)."""
    if photo.thumbnail_name:
        return file_read(photo.thumbnail_name)
    return _thumbnail(file_read(photo.file_name))
