"""Real images made with Pillow for the photo tests: camera JPEGs with EXIF (orientation,
camera, GPS), PNG, WebP, and hostile files (a text file named .jpg, a truncated JPEG, a
decompression bomb)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

SHANGHAI_GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 11.0, 16.8),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 26.0, 13.2),
}


def camera_jpeg(width=2400, height=1200, orientation=6, gps=True, quality=90) -> bytes:
    """A landscape sensor image that the camera says to turn 90° (orientation 6): upright,
    it is portrait. Left half red, right half blue, so the turn can be seen."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Field 9 Pro"
    exif[ExifTags.Base.BodySerialNumber] = "SN-123456"
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(SHANGHAI_GPS)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=quality, comment=b"secret comment")
    return out.getvalue()


def png(width=800, height=600, alpha=True) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (10, 200, 10, 128))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp(width=640, height=480) -> bytes:
    image = Image.new("RGB", (width, height), (10, 10, 200))
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(SHANGHAI_GPS)
    out = io.BytesIO()
    image.save(out, "WEBP", exif=exif)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "GIF")
    return out.getvalue()


def heic_header() -> bytes:
    """The start of an iPhone HEIC file (an ISO-BMFF `ftyp` box of brand heic)."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + b"\0" * 200


def truncated_jpeg() -> bytes:
    whole = camera_jpeg(width=1200, height=800, gps=False)
    return whole[: len(whole) // 2]


def png_bomb(side=20_000) -> bytes:
    """A ~50 KB PNG that decodes to side² pixels (400 million by default): 1-bit grey rows of
    zeros, compressed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\0" + b"\0" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def jpeg_segments(data: bytes) -> list[bytes]:
    """The markers of a JPEG up to the image data (APPn segments carry metadata: APP1 is EXIF
    or XMP, APP2 ICC, COM a comment)."""
    assert data[:2] == b"\xff\xd8"
    found, at = [], 2
    while at < len(data):
        marker = data[at : at + 2]
        found.append(marker)
        if marker == b"\xff\xda":  # start of scan: image data follows
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return found


APP0, APP1, APP2, COM = b"\xff\xe0", b"\xff\xe1", b"\xff\xe2", b"\xff\xfe"
