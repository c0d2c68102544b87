"""The local folder's streaming view: what a signed link of `ektor.files.LocalStorage` opens."""

import mimetypes

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny

from ektor import files
from ektor.api.views import ApiView


class FileView(ApiView):
    """The signature is the credential, as a bucket's presigned URL is: no session or token is
    asked for (one sent is ignored), so the same link works in an `<img>` tag and an app."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    error_reasons = {"get": {403: ("file_link_expired",)}}

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter("file", str, OpenApiParameter.PATH, description="The file's name"),
            OpenApiParameter("expires", int, required=True, description="Unix time it ends"),
            OpenApiParameter("signature", str, required=True),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes")},
    )
    def get(self, request, file):
        """A stored file, through the signed link the API handed out"""
        found = files.local_file(
            file,
            expires=request.query_params.get("expires", ""),
            signature=request.query_params.get("signature", ""),
        )
        content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        # Images show inline; anything else downloads, so no stored page runs in our origin.
        response = FileResponse(
            found.file,
            content_type=content_type,
            as_attachment=not content_type.startswith("image/"),
            filename=found.name.rsplit("/", 1)[-1],
        )
        response["Cache-Control"] = f"private, max-age={found.seconds_left}"
        return response

    def perform_content_negotiation(self, request, force=False):
        # A file answers any Accept (image/webp, */*); errors are JSON all the same.
        return super().perform_content_negotiation(request, force=True)
