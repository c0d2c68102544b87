"""A visit's photos: `/visits/{visit_id}/photos` (multipart upload, list) and
`/visits/{visit_id}/photos/{photo_id}` (delete, admins)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from ektor.api.fields import StrictCharField
from ektor.api.filters import ASCII_INT
from ektor.api.output import Output
from ektor.api.views import ApiViewSet, ListMixin, path_id
from ektor.files import file_url
from operations import photos, selectors
from operations.models import Photo, Visit


def _link(name: str | None) -> str | None:
    return file_url(name) if name else None


class FileLinkField(serializers.CharField):
    """A stored file's name rendered as a short-lived signed link (ektor.files.file_url)."""

    def to_representation(self, value) -> str | None:
        return _link(value)


class PhotoOut(Output):
    photo_id = serializers.IntegerField(source="id")
    visit_id = serializers.IntegerField()
    pool_id = serializers.IntegerField(allow_null=True)
    caption = serializers.CharField(allow_null=True)
    content_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size = serializers.IntegerField(help_text="Bytes, as stored (re-encoded without metadata)")
    url = FileLinkField(
        source="file_name", help_text="A signed link to the photo; it works for FILE_URL_SECONDS"
    )
    thumbnail_url = FileLinkField(
        source="thumbnail_name",
        allow_null=True,
        help_text="A signed link to a 320 px JPEG; null until the background task made it",
    )
    created_at = serializers.DateTimeField()

    class Meta:
        # Signed when rendered, from the stored names (a list signs each row's).
        computed = {"url": (_link, ("file_name",)), "thumbnail_url": (_link, ("thumbnail_name",))}


class FormIdField(serializers.IntegerField):
    """An id in a form field: a JSON integer, or a string of ASCII digits (multipart sends
    text); empty is none."""

    default_error_messages = {"invalid": "Input should be a valid integer"}

    def to_internal_value(self, data):
        if isinstance(data, str):
            if not data.strip():
                return None
            if not ASCII_INT.match(data.strip()):
                self.fail("invalid")
            data = int(data.strip())
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class PhotoIn(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # an empty file is not an image: the decoder says so (415)
        use_url=False,
        help_text="A JPEG, PNG or WebP image of at most 15 MB (checked by decoding it)",
    )
    caption = StrictCharField(
        required=False, allow_null=True, allow_blank=True, max_length=200, trim_whitespace=True
    )
    pool_id = FormIdField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="One of the pools at the visit's property",
    )


_VISIT = OpenApiParameter("visit_id", int, OpenApiParameter.PATH, description="The visit's id")


@extend_schema_view(
    list=extend_schema(parameters=[_VISIT]), destroy=extend_schema(parameters=[_VISIT])
)
class PhotoViewSet(ListMixin, ApiViewSet):
    """A technician adds photos to their own visits until the visit is completed; admins to
    any (a completed visit's photos are an admin's correction, in the audit trail). Staff see
    them. The links in the answers are signed and short-lived: ask again for fresh ones."""

    lookup_url_kwarg = "photo_id"
    serializer_class = PhotoOut
    permission_model = Photo
    # The photo and its form fields: the contract's 15 MB and room for the multipart framing
    # and the caption. Over the photo's ceiling but within this, the service answers (413
    # `photo_too_large`); over this, the body is refused unread (413 `request_too_large`).
    max_body_bytes = photos.PHOTO_MAX_BYTES + photos.MB
    error_reasons = {
        "list": {404: ("visit_not_found",)},
        "create": {
            404: ("visit_not_found", "pool_not_found"),
            409: ("visit_completed", "visit_cancelled"),
            413: ("photo_too_large",),
            415: ("unsupported_media_type",),
        },
        "destroy": {404: ("visit_not_found",)},
    }
    _visit: Visit | None = None

    def visit(self) -> Visit:
        """The path's visit, if the caller may see it (a technician: their own)."""
        if self._visit is None:
            visit_id = path_id(self.kwargs["visit_id"], "visit_id")
            self._visit = selectors.visit_get(self.ctx, visit_id=visit_id)
        return self._visit

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator: no request
            return Photo.objects.none()
        return selectors.photo_list(self.ctx, visit=self.visit())

    def list(self, request, visit_id=None):
        """List a visit's photos, newest first"""
        return super().list(request)

    @extend_schema(
        parameters=[_VISIT],
        request={"multipart/form-data": PhotoIn},
        responses={201: PhotoOut},
    )
    def create(self, request, visit_id=None):
        """Add a photo to a visit

        Multipart form: `file` (JPEG, PNG or WebP, at most 15 MB, checked by decoding it: its
        name and declared type do not count), optional `caption` and `pool_id`. The stored
        image is turned upright by its EXIF orientation and keeps no EXIF (no GPS position);
        `thumbnail_url` is null until the background task made the thumbnail."""
        visit = self.visit()
        data = self.validated(PhotoIn)
        upload = data["file"]
        photo = photos.photo_add(
            self.ctx,
            visit=visit,
            upload=upload,
            size=upload.size,
            caption=data.get("caption"),
            pool_id=data.get("pool_id"),
        )
        return self.output(photo, status=201)

    def destroy(self, request, visit_id=None, pk=None):
        """Delete a photo and its files (admins)"""
        self.visit()
        photos.photo_delete(self.ctx, photo=self.get_object())
        return Response(status=204)
