"""Real image bytes made with Pillow for the photo tests: what a phone sends, and what it
should not."""

import io
import struct
import zlib

from PIL import ExifTags, Image

# Where the test photo claims it was taken (the GPS block that must not survive).
LATITUDE = (18.0, 27.0, 58.0)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 32), **save) -> bytes:
    """A `size` image whose left half is red and right half blue (so a rotation shows)."""
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def phone_jpeg(size: tuple[int, int] = (64, 32)) -> bytes:
    """A JPEG as a phone held upright stores it: the sensor's landscape pixels with EXIF
    orientation 6 (turn 90 degrees clockwise to show), the camera's make and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PoolPhone"
    exif[ExifTags.Base.BodySerialNumber] = "SN-SECRET-42"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (66.0, 6.0, 25.0)
    return image_bytes("JPEG", size, exif=exif, quality=95)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` pixels (and holds one row): a decompression
    bomb's header, refused before anything is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1)))
        + chunk(b"IEND", b"")
    )
