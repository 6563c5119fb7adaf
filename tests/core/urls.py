"""A test-only URLconf: a minimal upload endpoint and a permission-checked media view
built from core.uploads / core.media, the way the apps use them."""

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.errors import ValidationFailed
from core.media import serve_private
from core.uploads import (
    delete_private,
    process_image,
    save_private_upload,
    save_processed_image,
    validate_image_upload,
    validate_video_upload,
)


def _file(request):
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(code="file_missing")
    return upload


@api_view(["POST"])
@permission_classes([AllowAny])
def photo_upload(request):
    upload = _file(request)
    ext = validate_image_upload(upload)
    raw = save_private_upload(upload, "incoming", ext)
    try:
        with default_storage.open(raw) as stored:
            processed = process_image(stored.read())
        image, thumbnail = save_processed_image(processed, "photos")
    finally:
        delete_private(raw)
    return Response({"image": image, "thumbnail": thumbnail}, status=201)


@api_view(["POST"])
@permission_classes([AllowAny])
def video_upload(request):
    upload = _file(request)
    ext = validate_video_upload(upload)
    return Response({"video": save_private_upload(upload, "videos", ext)}, status=201)


def private_file(request, name):
    if not request.user.is_authenticated:
        raise PermissionDenied
    return serve_private(request, name)


urlpatterns = [
    path("t/photo/", photo_upload),
    path("t/video/", video_upload),
    path("t/media/<path:name>", private_file),
    path("", include("config.urls")),
]
