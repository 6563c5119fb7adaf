"""core.uploads: photo validation, re-encoding, videos, private names and storage."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import ExifTags, Image

from core.errors import PayloadTooLarge, ValidationFailed
from core.uploads import (
    ProcessedImage,
    delete_private,
    private_name,
    process_image,
    save_private,
    save_private_upload,
    save_processed_image,
    scrub_mp4_metadata,
    validate_image_upload,
    validate_video_upload,
)
from tests.core import files


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- validate_image_upload: accepted ---------------------------------------------


@pytest.mark.parametrize(
    ("content", "ext"),
    [
        (files.image_bytes("JPEG"), "jpg"),
        (files.image_bytes("PNG"), "png"),
        (files.image_bytes("PNG", mode="RGBA", color=(1, 2, 3, 100)), "png"),
        (files.image_bytes("WEBP"), "webp"),
        (files.noise_jpeg(), "jpg"),
        (files.image_bytes("JPEG", progressive=True), "jpg"),
    ],
)
def test_sound_photos_are_accepted_and_left_at_the_start(content, ext):
    file = upload(content, name="x.bin")
    assert validate_image_upload(file) == ext
    assert file.tell() == 0


def test_photo_is_judged_by_content_not_by_its_name_or_declared_type():
    file = upload(files.image_bytes("PNG"), name="photo.exe", content_type="application/x-msdownload")
    assert validate_image_upload(file) == "png"


def test_a_photo_spooled_to_a_temporary_file_is_accepted():
    content = files.noise_jpeg((1200, 900))
    file = TemporaryUploadedFile("big.jpg", "image/jpeg", len(content), None)
    file.write(content)
    file.seek(0)
    try:
        assert validate_image_upload(file) == "jpg"
    finally:
        file.close()


# --- validate_image_upload: refused ------------------------------------------------


def refused(content: bytes, name: str = "photo.jpg") -> ValidationFailed:
    with pytest.raises((ValidationFailed, PayloadTooLarge)) as caught:
        validate_image_upload(upload(content, name=name))
    return caught.value


@pytest.mark.parametrize(
    "content",
    [files.TIFF, files.GIF, files.BMP, files.SVG, files.HTML, files.SCRIPT, files.PDF, files.zip_bytes(), b"x" * 100],
    ids=["tiff", "gif", "bmp", "svg", "html", "script", "pdf", "zip", "text"],
)
def test_non_photos_renamed_jpg_are_refused_as_format_not_allowed(content):
    error = refused(content, name="holiday.jpg")
    assert error.code == "image_format_not_allowed"
    assert error.status_code == 400


def test_empty_file_is_refused():
    error = refused(b"")
    assert (error.code, error.status_code) == ("empty_file", 400)


def test_file_over_the_byte_cap_is_refused_before_it_is_read(settings):
    settings.UPLOAD_MAX_IMAGE_BYTES = 10_000
    error = refused(files.noise_jpeg((300, 300)))
    assert (error.code, error.status_code) == ("image_too_large", 413)
    assert error.detail == {"max_bytes": 10_000}


def test_file_at_the_byte_cap_is_accepted(settings):
    content = files.image_bytes("PNG")
    settings.UPLOAD_MAX_IMAGE_BYTES = len(content)
    assert validate_image_upload(upload(content)) == "png"


def test_pixel_bomb_png_is_refused_without_decoding():
    # 100000 x 100000 declared in a ~100 byte file: Pillow's own bomb error fires.
    bomb = files.bilevel_png(100_000, 100_000, full_data=False)
    assert len(bomb) < 200
    error = refused(bomb)
    assert (error.code, error.status_code) == ("image_too_many_pixels", 400)


def test_jpeg_declaring_a_huge_frame_is_refused_as_too_many_pixels():
    error = refused(files.jpeg_declaring(60_000, 60_000))
    assert error.code == "image_too_many_pixels"


def test_fifty_megapixel_image_is_refused_by_our_lower_cap(settings):
    assert settings.UPLOAD_MAX_IMAGE_PIXELS == 40_000_000
    content = files.bilevel_png(10_000, 5_000)  # a real, complete image of 50 MP in a few KB
    assert Image.open(io.BytesIO(content)).size == (10_000, 5_000)
    error = refused(content)
    assert error.code == "image_too_many_pixels"
    assert error.detail == {"max_pixels": 40_000_000}


def test_pixel_cap_follows_settings(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 64 * 48 - 1
    assert refused(files.image_bytes("JPEG", (64, 48))).code == "image_too_many_pixels"
    settings.UPLOAD_MAX_IMAGE_PIXELS = 64 * 48
    assert validate_image_upload(upload(files.image_bytes("JPEG", (64, 48)))) == "jpg"


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_jpeg_is_refused_as_corrupt(keep):
    content = files.noise_jpeg()
    assert refused(content[: int(len(content) * keep)]).code == "image_corrupt"


def test_truncated_progressive_jpeg_is_refused_as_corrupt():
    buffer = io.BytesIO()
    Image.effect_noise((600, 400), 60).convert("RGB").save(buffer, "JPEG", progressive=True)
    content = buffer.getvalue()
    assert refused(content[: len(content) // 2]).code == "image_corrupt"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_png_and_webp_are_refused_as_corrupt(fmt, keep):
    buffer = io.BytesIO()
    Image.effect_noise((300, 200), 60).convert("RGB").save(buffer, fmt)
    content = buffer.getvalue()
    assert refused(content[: int(len(content) * keep)]).code == "image_corrupt"


def test_png_with_a_damaged_chunk_is_refused_as_corrupt():
    content = bytearray(files.image_bytes("PNG", (40, 40)))
    idat = content.find(b"IDAT")
    content[idat + 6] ^= 0xFF  # breaks the chunk's CRC
    assert refused(bytes(content)).code == "image_corrupt"


def test_magic_bytes_followed_by_garbage_are_refused_as_corrupt():
    assert refused(b"\xff\xd8\xff\xe0" + b"garbage" * 50).code == "image_corrupt"
    assert refused(b"\x89PNG\r\n\x1a\n" + b"garbage" * 50).code == "image_corrupt"
    assert refused(b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"garbage" * 50).code == "image_corrupt"


def test_refused_photos_leave_nothing_on_disk(settings):
    for content in (files.TIFF, files.SVG, files.bilevel_png(100_000, 100_000, full_data=False), b""):
        with pytest.raises((ValidationFailed, PayloadTooLarge)):
            validate_image_upload(upload(content))
    assert stored_files(settings) == []


# --- process_image -----------------------------------------------------------------


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_gps_and_orientation_6_photo_comes_out_upright_without_any_exif():
    original = files.two_halves((200, 100), exif=files.gps_exif(orientation=6))
    # The test file really carries what we strip.
    before = Image.open(io.BytesIO(original)).getexif()
    assert before[ExifTags.Base.Orientation] == 6
    assert before.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (31.0, 14.0, 12.5)

    result = process_image(original)

    assert (result.width, result.height) == (100, 200)  # rotated upright: dimensions swapped
    assert (result.ext, result.content_type) == ("jpg", "image/jpeg")
    stored = reopen(result.image)
    assert stored.size == (100, 200)
    assert not stored.getexif()
    assert "exif" not in stored.info
    for marker in (b"Exif", b"GPS", b"PhoneMaker", b"Phone 12 Secret"):
        assert marker not in result.image
        assert marker not in result.thumbnail
    # Orientation 6 means "rotate 90 degrees clockwise to view": the left half goes to the top.
    top, bottom = stored.getpixel((50, 30)), stored.getpixel((50, 170))
    assert top[0] > 150, top
    assert top[2] < 90, top
    assert bottom[2] > 150, bottom
    assert bottom[0] < 90, bottom


@pytest.mark.parametrize(("orientation", "size"), [(1, (200, 100)), (3, (200, 100)), (8, (100, 200))])
def test_other_orientations_are_applied(orientation, size):
    result = process_image(files.two_halves((200, 100), exif=files.gps_exif(orientation=orientation)))
    assert (result.width, result.height) == size
    assert b"Exif" not in result.image


def test_xmp_comment_and_png_text_are_dropped():
    jpeg = files.image_bytes("JPEG", (80, 60), xmp=b"<x:xmpmeta>secret-xmp-location</x:xmpmeta>", comment=b"secret")
    assert b"secret-xmp-location" in jpeg
    result = process_image(jpeg)
    assert b"secret" not in result.image
    assert b"http://ns.adobe.com/xap" not in result.image

    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-png-text")
    png = files.image_bytes("PNG", (80, 60), pnginfo=info, exif=files.gps_exif(1))
    assert b"secret-png-text" in png
    assert b"eXIf" in png
    result = process_image(png)
    assert b"secret-png-text" not in result.image
    assert b"eXIf" not in result.image
    assert b"GPS" not in result.image


def test_icc_colour_profile_is_kept():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = process_image(files.image_bytes("JPEG", (80, 60), icc_profile=icc))
    assert reopen(result.image).info.get("icc_profile") == icc


def test_large_photo_is_capped_and_thumbnailed():
    result = process_image(files.noise_jpeg((3000, 1500), quality=70))
    assert isinstance(result, ProcessedImage)
    assert (result.width, result.height) == (2048, 1024)
    assert reopen(result.image).size == (2048, 1024)
    thumb = reopen(result.thumbnail)
    assert thumb.size == (480, 240) == (result.thumbnail_width, result.thumbnail_height)
    assert thumb.format == "JPEG"


def test_small_photo_keeps_its_size_and_gets_a_thumbnail_no_larger():
    result = process_image(files.image_bytes("PNG", (300, 200)))
    assert (result.width, result.height) == (300, 200)
    assert reopen(result.thumbnail).size == (300, 200)
    assert result.ext == "jpg"  # an opaque PNG becomes a JPEG


def test_png_with_real_transparency_stays_png_with_alpha():
    image = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    image.paste((10, 200, 10, 255), (0, 0, 60, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    result = process_image(buffer.getvalue())
    assert (result.ext, result.content_type) == ("png", "image/png")
    stored = reopen(result.image)
    assert stored.mode == "RGBA"
    assert stored.getpixel((100, 40))[3] == 0
    assert reopen(result.thumbnail).format == "PNG"


@pytest.mark.parametrize(
    ("mode", "color"),
    [("P", 3), ("L", 128), ("1", 1), ("I;16", 30000), ("LA", (100, 255)), ("CMYK", (0, 255, 255, 0))],
)
def test_unusual_colour_modes_are_normalised(mode, color):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    result = process_image(files.image_bytes(fmt, (50, 40), mode=mode, color=color))
    assert result.ext == "jpg"
    assert reopen(result.image).mode == "RGB"


def test_webp_is_re_encoded_as_jpeg():
    result = process_image(files.image_bytes("WEBP", (90, 70)))
    assert (result.ext, result.width, result.height) == ("jpg", 90, 70)
    assert reopen(result.image).format == "JPEG"


def test_jpeg_zip_polyglot_is_neutralised_by_re_encoding():
    polyglot = files.jpeg_zip_polyglot()
    assert b"PK\x03\x04" in polyglot
    assert validate_image_upload(upload(polyglot)) == "jpg"  # it is a sound JPEG...
    result = process_image(polyglot)
    for data in (result.image, result.thumbnail):  # ...but what we store is only the picture
        assert b"PK\x03\x04" not in data
        assert b"payload.html" not in data
        assert b"<script>" not in data


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (files.TIFF, "image_format_not_allowed"),
        (files.SVG, "image_format_not_allowed"),
        (files.HTML, "image_format_not_allowed"),
        (files.bilevel_png(100_000, 100_000, full_data=False), "image_too_many_pixels"),
        (files.bilevel_png(10_000, 5_000), "image_too_many_pixels"),
        (files.jpeg_declaring(60_000, 60_000), "image_too_many_pixels"),
        (files.noise_jpeg()[:5000], "image_corrupt"),
    ],
    ids=["empty", "tiff", "svg", "html", "bomb", "50mp", "jpeg-bomb", "truncated"],
)
def test_process_image_rechecks_everything(content, code):
    with pytest.raises(ValidationFailed) as caught:
        process_image(content)
    assert caught.value.code == code


def test_process_image_rechecks_the_byte_cap(settings):
    content = files.noise_jpeg((200, 200))
    settings.UPLOAD_MAX_IMAGE_BYTES = len(content) - 1
    with pytest.raises(PayloadTooLarge) as caught:
        process_image(content)
    assert caught.value.code == "image_too_large"


# --- videos ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "ext"),
    [
        (files.mp4_bytes(), "mp4"),
        (files.mp4_bytes(brand=b"mp42", compatible=(b"mp42", b"isom")), "mp4"),
        (files.mp4_bytes(brand=b"M4V ", compatible=()), "mp4"),
        (files.mp4_bytes(brand=b"zzzz", compatible=(b"iso5",)), "mp4"),
        (files.ebml_bytes(), "webm"),
        (files.ebml_bytes(doctype_size=b"\x40\x04"), "webm"),
        (files.ebml_bytes(doctype_size=b"\x10\x00\x00\x04"), "webm"),
    ],
    ids=["isom", "mp42", "m4v", "compatible-brand", "webm", "webm-2-byte-size", "webm-4-byte-size"],
)
def test_mp4_and_webm_are_recognised_by_signature(content, ext):
    file = upload(content, name="clip.txt", content_type="text/plain")
    assert validate_video_upload(file) == ext
    assert file.tell() == 0


@pytest.mark.parametrize(
    "content",
    [
        files.mp4_bytes(brand=b"qt  ", compatible=(b"qt  ",)),
        files.mp4_bytes(brand=b"zzzz", compatible=(b"yyyy",)),
        files.ebml_bytes(doctype=b"matroska"),
        files.ebml_bytes(doctype_size=b"\x85"),  # says 5 bytes: "webm" plus the next byte
        files.ebml_bytes(doctype_size=b"\x00"),  # not a valid size
        files.image_bytes("JPEG"),
        files.HTML,
        files.SCRIPT,
        files.zip_bytes(),
        b"\x00\x00\x00\x18ftyp",  # a signature and nothing else
        b"\x00\x00\xff\xffftypisom" + b"\x00" * 40,  # absurd box size
    ],
    ids=[
        "quicktime",
        "unknown-brand",
        "matroska",
        "bad-doctype-size",
        "zero-size",
        "jpeg",
        "html",
        "script",
        "zip",
        "short",
        "bad-box",
    ],
)
def test_fake_and_other_videos_are_refused(content):
    with pytest.raises(ValidationFailed) as caught:
        validate_video_upload(upload(content, name="clip.mp4", content_type="video/mp4"))
    assert (caught.value.code, caught.value.status_code) == ("video_format_not_allowed", 400)


def test_oversized_video_is_refused(settings):
    settings.UPLOAD_MAX_VIDEO_BYTES = 4096
    with pytest.raises(PayloadTooLarge) as caught:
        validate_video_upload(upload(files.mp4_bytes(payload=5000), name="clip.mp4"))
    assert (caught.value.code, caught.value.status_code) == ("video_too_large", 413)
    assert validate_video_upload(upload(files.mp4_bytes(payload=3500), name="clip.mp4")) == "mp4"


def test_mp4_with_the_movie_header_first_or_a_box_running_to_the_end_is_accepted():
    assert validate_video_upload(upload(files.mp4_bytes(moov_last=False))) == "mp4"
    # size 0 = "this box runs to the end of the file"; size 1 = a 64-bit size follows
    to_end = files.mp4_bytes(moov_last=False) + b"\x00\x00\x00\x00mdat" + b"\x01" * 100
    assert validate_video_upload(upload(to_end)) == "mp4"
    large = files.mp4_bytes() + b"\x00\x00\x00\x01free" + (16 + 50).to_bytes(8, "big") + b"\x00" * 50
    assert validate_video_upload(upload(large)) == "mp4"


@pytest.mark.parametrize(
    "content",
    [
        files.mp4_bytes()[:-10],  # cut off in the movie header
        files.mp4_bytes()[:600],  # cut off in the media data: the movie header never arrived
        files.mp4_bytes()[:32] + files.HTML,  # an MP4 signature in front of something else
        files.mp4_bytes() + b"trailing junk",
        files.box(b"ftyp", b"isom\x00\x00\x02\x00isom") + files.box(b"mdat", b"\x00" * 100),  # no moov
    ],
    ids=["truncated-moov", "truncated-mdat", "signature-then-html", "trailing-junk", "no-moov"],
)
def test_truncated_or_malformed_mp4_is_refused_as_corrupt(content):
    with pytest.raises(ValidationFailed) as caught:
        validate_video_upload(upload(content, name="clip.mp4"))
    assert (caught.value.code, caught.value.status_code) == ("video_corrupt", 400)


@pytest.mark.parametrize("moov_last", [True, False])
def test_stored_mp4_has_no_location_or_device_but_keeps_its_size_and_structure(settings, moov_last):
    original = files.mp4_bytes(location=True, moov_last=moov_last)
    for marker in (files.LOCATION, b"PhoneMaker", b"Phone 12 Secret", b"udta", b"xmpmeta"):
        assert marker in original
    file = upload(original, name="clip.mp4", content_type="video/mp4")
    assert validate_video_upload(file) == "mp4"

    name = save_private_upload(file, "videos", "mp4")

    stored = (Path(settings.MEDIA_ROOT) / name).read_bytes()
    assert len(stored) == len(original)
    for marker in (files.LOCATION, b"PhoneMaker", b"Phone 12 Secret", b"udta", b"xmpmeta", b"keys"):
        assert marker not in stored
    assert stored.count(b"free") == 4  # moov/udta, moov/meta, trak/udta, the XMP uuid
    # What playback needs is untouched, and the file still validates.
    for kept in (b"\x11" * 84, b"\x22" * 100, b"\xab" * 1024, b"ftypisom"):
        assert kept in stored
    assert validate_video_upload(upload(stored, name="again.mp4")) == "mp4"


def test_scrub_works_on_a_temporary_file_upload():
    original = files.mp4_bytes(location=True)
    file = TemporaryUploadedFile("clip.mp4", "video/mp4", len(original), None)
    file.write(original)
    file.seek(0)
    try:
        assert scrub_mp4_metadata(file) == 4
        assert file.tell() == 0
        assert files.LOCATION not in file.read()
    finally:
        file.close()


def test_scrub_leaves_an_unwalkable_file_alone():
    content = files.mp4_bytes(location=True) + b"junk"
    data = io.BytesIO(content)
    assert scrub_mp4_metadata(data) == 0
    assert data.getvalue() == content


def test_webm_is_stored_as_is(settings):
    name = save_private_upload(upload(files.ebml_bytes(), name="c.webm"), "videos", "webm")
    assert (Path(settings.MEDIA_ROOT) / name).read_bytes() == files.ebml_bytes()


def test_empty_video_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        validate_video_upload(upload(b"", name="clip.mp4"))
    assert caught.value.code == "empty_file"


# --- names and storage -------------------------------------------------------------

NAME_RE = re.compile(r"^evidence/photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg$")


def test_private_names_are_random_and_server_generated():
    names = {private_name("evidence/photos", "jpg") for _ in range(200)}
    assert len(names) == 200
    assert all(NAME_RE.match(name) for name in names)


@pytest.mark.parametrize(
    ("prefix", "ext"),
    [
        ("../etc", "jpg"),
        ("/abs", "jpg"),
        ("a/../../b", "jpg"),
        ("a//b", "jpg"),
        ("Evil Name", "jpg"),
        ("a", "../jpg"),
        ("a", "jpg/x"),
        ("a", ""),
        ("", "jpg"),
    ],
)
def test_private_name_refuses_bad_prefixes_and_extensions(prefix, ext):
    with pytest.raises(ValueError, match="bad"):
        private_name(prefix, ext)


def test_save_private_stores_under_media_root_and_delete_removes(settings):
    name = save_private(b"abc", "payments", "png")
    path = Path(settings.MEDIA_ROOT) / name
    assert path.read_bytes() == b"abc"
    assert default_storage.path(name) == str(path)
    delete_private(name, None, "")
    assert not path.exists()
    delete_private(name)  # already gone: no error
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "client_name", ["../../../etc/passwd.jpg", "/etc/cron.d/x.jpg", "..\\..\\win.ini", "a\x00b.jpg"]
)
def test_client_file_names_never_reach_storage(settings, client_name):
    content = files.image_bytes("JPEG")
    file = upload(content, name=client_name)
    ext = validate_image_upload(file)
    name = save_private_upload(file, "incoming", ext)
    assert re.fullmatch(r"incoming/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", name)
    stored = stored_files(settings)
    assert stored == [Path(settings.MEDIA_ROOT) / name]
    assert stored[0].read_bytes() == content
    assert os.path.commonpath([str(stored[0]), settings.MEDIA_ROOT]) == settings.MEDIA_ROOT


def test_save_processed_image_stores_both_and_cleans_up_on_failure(settings, monkeypatch):
    result = process_image(files.noise_jpeg((600, 400)))
    image_name, thumb_name = save_processed_image(result, "offers")
    assert default_storage.open(image_name).read() == result.image
    assert default_storage.open(thumb_name).read() == result.thumbnail
    delete_private(image_name, thumb_name)
    assert stored_files(settings) == []

    # The thumbnail write fails (disk full): the photo already written is removed.
    real_save = default_storage.save
    calls = []

    def failing_save(name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return real_save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_save)
    with pytest.raises(OSError, match="No space"):
        save_processed_image(result, "offers")
    assert len(calls) == 2
    assert stored_files(settings) == []


# --- multi-frame and other containers --------------------------------------------


def test_animated_webp_keeps_only_the_first_frame():
    frames = [Image.new("RGB", (60, 40), color) for color in (files.RED, files.BLUE, (0, 200, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(buffer.getvalue())).n_frames == 3
    result = process_image(buffer.getvalue())
    stored = reopen(result.image)
    assert (stored.format, getattr(stored, "n_frames", 1)) == ("JPEG", 1)
    red, _, blue = stored.getpixel((30, 20))
    assert red > 150
    assert blue < 90


def test_multi_picture_jpeg_from_a_phone_is_accepted_as_jpeg():
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (60, 40), files.RED), Image.new("RGB", (60, 40), files.BLUE)
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    content = buffer.getvalue()
    assert Image.open(io.BytesIO(content)).format == "MPO"
    assert validate_image_upload(upload(content)) == "jpg"
    result = process_image(content)
    assert (result.ext, result.width, result.height) == ("jpg", 60, 40)
    assert b"MPF" not in result.image  # the multi-picture index is gone with the other frames


def test_webp_with_orientation_and_gps_comes_out_upright_without_exif():
    content = files.two_halves((200, 100), fmt="WEBP", exif=files.gps_exif(6))
    assert Image.open(io.BytesIO(content)).getexif()[ExifTags.Base.Orientation] == 6
    result = process_image(content)
    assert (result.width, result.height) == (100, 200)
    assert b"Exif" not in result.image
    assert b"GPS" not in result.image


@pytest.mark.parametrize("as_error", [False, True])
def test_bomb_between_pillows_warning_and_error_limits_is_refused_even_with_warnings_as_errors(as_error):
    import warnings

    # 10000 x 10000 = 100 MP: over Pillow's warning threshold (~89 MP), under its error one.
    bomb = files.bilevel_png(10_000, 10_000, full_data=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error" if as_error else "ignore", Image.DecompressionBombWarning)
        error = refused(bomb)
    assert error.code == "image_too_many_pixels"


@pytest.mark.parametrize(("mode", "color", "expected"), [("L", 100, (100, 100, 100)), ("CMYK", (0, 255, 255, 0), None)])
def test_big_greyscale_and_cmyk_jpegs_take_the_reduced_decode_path(mode, color, expected):
    # 4400 px wide: more than twice the cap, so libjpeg decodes at half scale.
    result = process_image(files.image_bytes("JPEG", (4400, 2200), mode=mode, color=color))
    assert (result.width, result.height) == (2048, 1024)
    stored = reopen(result.image)
    assert stored.mode == "RGB"
    red, green, blue = stored.getpixel((10, 10))
    if expected:
        assert (red, green, blue) == expected
    else:  # CMYK cyan 0, magenta and yellow full = red
        assert red > 200
        assert green < 40
        assert blue < 40
