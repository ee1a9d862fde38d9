"""Images: every sample under samples/images/ and the hostile images."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from caseapp.evidence.parsers import parse
from caseapp.evidence.parsers.base import Limits, ParseError
from caseapp.evidence.parsers.image import parse_image

LIMITS = Limits()


def read(samples: Path, name: str, tz: str = "UTC"):
    return parse_image((samples / "images" / name).read_bytes(), LIMITS, tz)


def thumbnail(result) -> Image.Image:
    (rendition,) = result.renditions
    assert rendition.role == "thumbnail"
    picture = Image.open(io.BytesIO(rendition.data))
    assert picture.size == (rendition.width, rendition.height)
    assert max(picture.size) <= 512
    return picture


def test_iphone_photo_gives_camera_time_and_position(samples):
    result = read(samples, "iphone_hdr_YES.jpg", tz="Europe/Madrid")
    parsed = result.parsed

    assert (parsed["width"], parsed["height"], parsed["format"]) == (3264, 2448, "JPEG")
    assert (parsed["camera_make"], parsed["camera_model"]) == ("Apple", "iPhone 6")
    assert parsed["camera"] == "Apple iPhone 6"
    # No offset in the EXIF, but the GPS clock (18:12:23 UTC) gives it: +02:00.
    assert parsed["taken_at"] == "2015-04-10T20:12:23+02:00"
    assert parsed["taken_at_zone"] == "gps"
    assert "timezone_assumed" not in parsed
    assert parsed["gps"] == {"lat": pytest.approx(40.446972), "lon": pytest.approx(-3.724753),
                             "alt": pytest.approx(639.61)}
    assert "Camera: Apple iPhone 6" in result.text
    assert "GPS: 40.446972, -3.724753" in result.text
    assert thumbnail(result).size == (512, 384)
    assert result.warnings == []


def test_samsung_photo_with_zero_length_exif_string(samples):
    parsed = read(samples, "67-0_length_string.jpg").parsed

    assert parsed["camera"] == "samsung SM-G930F"
    assert parsed["taken_at"] == "2016-09-12T10:05:31+00:00"
    assert parsed["gps"]["lat"] == pytest.approx(51.025)
    assert parsed["gps"]["lon"] == pytest.approx(7.591944)
    assert parsed["gps"]["alt"] == pytest.approx(340.0)


def test_gps_block_with_unreadable_position_is_reported(samples):
    result = read(samples, "exif_gps.jpg")

    assert result.parsed["gps"] == {"lat": None, "lon": None, "alt": None}
    assert result.parsed["camera"] == "Make XXX-XXX"
    assert result.parsed["taken_at"] == "2099-09-29T10:10:10+00:00"
    assert any("GPS" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("name", "size", "camera", "taken_at", "lat"),
    [
        ("pug.heic", (4032, 3024), "Apple iPhone 13 Pro", "2023-02-21T14:33:08+03:00", 44.850478),
        ("xiaomi.heic", (2592, 1944), "Xiaomi M2012K11AG", "2023-04-27T19:44:18+03:00", 47.227289),
    ],
)
def test_heic_photos_decode_with_metadata(samples, name, size, camera, taken_at, lat):
    result = read(samples, name)

    assert result.parsed["format"] == "HEIF"
    assert (result.parsed["width"], result.parsed["height"]) == size
    assert result.parsed["camera"] == camera
    assert result.parsed["taken_at"] == taken_at
    assert result.parsed["gps"]["lat"] == pytest.approx(lat)
    picture = thumbnail(result)
    assert picture.format == "JPEG"
    assert picture.size == (512, 384)


def test_heic_with_offset_time_needs_no_assumed_zone(samples):
    parsed = read(samples, "pug.heic").parsed
    assert "timezone_assumed" not in parsed
    assert parsed["taken_at_zone"] == "exif"


def _jpeg_with_exif(
    taken: str | None = None, offset: str | None = None, gps: tuple[str, tuple] | None = None
) -> bytes:
    exif = Image.Exif()
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSDateStamp], gps_ifd[ExifTags.GPS.GPSTimeStamp] = gps
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_exif_offset_gives_the_photo_its_real_zone():
    data = _jpeg_with_exif("2025:03:02 09:15:00", "+08:00")
    parsed = parse_image(data, LIMITS, "Europe/Madrid").parsed

    assert parsed["taken_at"] == "2025-03-02T09:15:00+08:00"
    assert parsed["taken_at_zone"] == "exif"
    assert "timezone_assumed" not in parsed


def test_gps_clock_gives_the_offset_when_exif_has_none():
    data = _jpeg_with_exif("2025:03:02 09:15:00", gps=("2025:03:02", (14.0, 44.0, 58.0)))
    parsed = parse_image(data, LIMITS, "Asia/Shanghai").parsed

    assert parsed["taken_at"] == "2025-03-02T09:15:00-05:30"
    assert parsed["taken_at_zone"] == "gps"


def test_gps_clock_far_from_the_shutter_is_not_trusted():
    data = _jpeg_with_exif("2025:03:02 09:15:00", gps=("2025:03:02", (1.0, 7.0, 0.0)))
    parsed = parse_image(data, LIMITS, "Asia/Shanghai").parsed

    assert parsed["taken_at"] == "2025-03-02T09:15:00+08:00"
    assert parsed["taken_at_zone"] == "assumed"
    assert parsed["timezone_assumed"] == "Asia/Shanghai"


def test_photo_with_only_a_gps_clock_is_dated_in_utc():
    data = _jpeg_with_exif(gps=("2025:03:02", (1.0, 15.0, 0.0)))
    parsed = parse_image(data, LIMITS, "Asia/Shanghai").parsed

    assert parsed["taken_at"] == "2025-03-02T01:15:00+00:00"
    assert parsed["taken_at_zone"] == "gps"


def test_photo_without_any_zone_says_it_was_assumed():
    result = parse_image(_jpeg_with_exif("2025:03:02 09:15:00"), LIMITS, "Asia/Shanghai")

    assert result.parsed["taken_at"] == "2025-03-02T09:15:00+08:00"
    assert result.parsed["taken_at_zone"] == "assumed"
    assert "time zone assumed: Asia/Shanghai" in (result.text or "")


def test_orientation_6_thumbnail_is_turned_upright(samples):
    data = (samples / "images" / "hopper_orientation_6.jpg").read_bytes()
    result = parse_image(data, LIMITS)
    stored = Image.open(io.BytesIO(data)).convert("RGB")

    assert result.parsed["orientation"] == 6
    shown = thumbnail(result).convert("RGB")
    # Orientation 6 means "turn 90° clockwise to display": the stored top-left corner
    # ends up top-right.
    expected = stored.transpose(Image.Transpose.ROTATE_270)
    assert _close(shown.getpixel((120, 5)), expected.getpixel((120, 5)))
    assert _close(shown.getpixel((5, 120)), expected.getpixel((5, 120)))
    assert not _close(shown.getpixel((5, 120)), stored.getpixel((5, 120)))


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_thumbnail_carries_no_metadata(samples):
    result = read(samples, "iphone_hdr_YES.jpg")

    picture = thumbnail(result)
    assert "exif" not in picture.info
    assert b"iPhone" not in result.renditions[0].data


def test_png_with_exif_chunk_and_text_chunks(samples):
    result = read(samples, "exif.png")

    assert result.parsed["orientation"] == 1
    assert result.parsed["png_text"]["date:create"] == "2019-01-07T10:13:34+00:00"
    assert "icc:description: sRGB IEC61966-2.1" in result.text


def test_imagemagick_raw_exif_profile_orientation(samples):
    result = read(samples, "exif_imagemagick_orientation.png")

    assert result.parsed["orientation"] == 3
    assert "Raw profile type exif" in result.parsed["png_text"]


def test_orientation_from_xmp_only(samples):
    result = read(samples, "xmp_tags_orientation_exiftool.png")

    assert result.parsed["orientation"] == 3
    assert result.parsed["png_text"]["XML:com.adobe.xmp"].startswith("<?xpacket")
    picture = thumbnail(result)
    assert picture.format == "PNG"  # RGBA keeps its transparency


def test_screenshot_without_metadata(samples):
    result = read(samples, "pm.png")

    assert (result.parsed["width"], result.parsed["height"]) == (774, 910)
    assert result.parsed["taken_at"] is None
    assert result.parsed["gps"] is None
    assert thumbnail(result).size == (435, 512)


def test_telegram_exported_photo_is_stripped_progressive_jpeg(samples):
    result = read(samples, "photo_1@12-11-2020_12-57-31.jpg")

    assert (result.parsed["width"], result.parsed["height"]) == (801, 526)
    assert result.parsed["camera"] is None
    assert result.text == "Image: JPEG, 801×526"


def test_image_over_the_pixel_limit_is_refused_before_decoding():
    # 81 megapixels: under Pillow's own bound, over ours (64). The file has no pixel data
    # at all, so any attempt to decode would fail differently.
    bomb = _png_header_only(9_000, 9_000)

    with pytest.raises(ParseError, match="over the limit of 64000000"):
        parse_image(bomb, LIMITS)
    result = parse(bomb, "image/png", "image")
    assert result.kind == "image"
    assert result.warnings[0].startswith("could not read this file: image is 9000×9000")


def test_pixel_limit_is_configurable():
    small = _png_header_only(100, 100)

    with pytest.raises(ParseError, match="over the limit of 5000"):
        parse_image(small, Limits(max_image_pixels=5_000))


def test_giant_decompression_bomb_is_refused():
    result = parse(_png_header_only(100_000, 100_000), "image/png", "image")

    assert result.warnings == ["could not read this file: image has too many pixels to open safely"]


def test_bytes_that_are_not_an_image_give_a_warning():
    result = parse(b"<html><script>alert(1)</script></html>", "image/jpeg", "image")

    assert result.warnings[0].startswith("could not read this file: not a readable image")


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
