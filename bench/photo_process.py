"""Time the photo pipeline on a generated 12-megapixel phone photo.

    .venv/bin/python bench/photo_process.py [--runs 5] [--size 4000x3000]

Prints the time for validate_image_upload (the in-request check) and
process_image (the Celery task's work), output sizes and peak memory. Not part
of the test command; figures go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import ExifTags, Image, ImageDraw, ImageFilter  # noqa: E402

from core.uploads import process_image, validate_image_upload  # noqa: E402


def phone_photo(width: int, height: int) -> bytes:
    """A photo-like JPEG (gradients, shapes, fine noise) with orientation 6 and GPS, quality 92."""
    gradient = Image.linear_gradient("L").resize((width, height))
    base = Image.merge("RGB", (gradient, gradient.rotate(90).resize((width, height)), gradient.transpose(0)))
    draw = ImageDraw.Draw(base)
    for i in range(40):
        x, y = (i * 977) % width, (i * 613) % height
        draw.ellipse((x, y, x + width // 8, y + height // 8), fill=((i * 40) % 256, (i * 90) % 256, (i * 150) % 256))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    photo = Image.blend(base.filter(ImageFilter.GaussianBlur(2)), noise, 0.15)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 12.5)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(path: str) -> None:
    """In a fresh process: how much memory does each step add at its peak?"""
    data = Path(path).read_bytes()
    validate_image_upload(SimpleUploadedFile("photo.jpg", data))  # warm up imports and plugins
    steps = (
        ("validate_image_upload (request)", lambda: validate_image_upload(SimpleUploadedFile("p.jpg", data))),
        ("process_image (task)", lambda: process_image(data)),
    )
    for label, work in steps:
        # ru_maxrss survives exec on Linux; VmHWM is per process image and can be reset.
        Path("/proc/self/clear_refs").write_text("5")
        baseline = _proc_status_kb("VmRSS")
        work()
        peak = _proc_status_kb("VmHWM")
        print(f"peak memory of {label}: +{(peak - baseline) / 1024:.0f} MB over {baseline / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="4000x3000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    width, height = (int(v) for v in args.size.split("x"))
    if width * height > settings.UPLOAD_MAX_IMAGE_PIXELS:
        sys.exit(f"{args.size} is over UPLOAD_MAX_IMAGE_PIXELS; raise it in the environment to bench this size.")

    data = phone_photo(width, height)
    print(f"input: {width}x{height} ({width * height / 1e6:.1f} MP) JPEG, {len(data) / 1e6:.2f} MB")

    validate_times, process_times = [], []
    result = None
    for _ in range(args.runs):
        upload = SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")
        start = time.perf_counter()
        validate_image_upload(upload)
        validate_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = process_image(data)
        process_times.append(time.perf_counter() - start)
    assert result is not None

    def fmt(times: list[float]) -> str:
        return f"median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms"

    print(f"validate_image_upload: {fmt(validate_times)} over {args.runs} runs")
    print(f"process_image:         {fmt(process_times)} over {args.runs} runs")
    print(
        f"output: {result.width}x{result.height} {result.ext} {len(result.image) / 1e3:.0f} KB, "
        f"thumbnail {result.thumbnail_width}x{result.thumbnail_height} {len(result.thumbnail) / 1e3:.0f} KB"
    )
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        subprocess.run([sys.executable, __file__, "--child", file.name], check=True)


if __name__ == "__main__":
    main()
