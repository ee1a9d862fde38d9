"""Read photos and screenshots: size, EXIF (time, camera, GPS), PNG text, a thumbnail.

The pixel count is checked against `Limits.max_image_pixels` from the header alone,
before any pixel is decoded, so a decompression bomb costs nothing. Metadata that cannot
be read becomes a warning; the rest of the file is still described.
"""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import ExifTags, Image, ImageFile, ImageOps

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult, Rendition

pillow_heif.register_heif_opener()

THUMBNAIL_SIZE = 512
_MAX_OFFSET = timedelta(hours=14)
_QUARTER_HOUR = timedelta(minutes=15)
_GPS_SLACK = timedelta(minutes=3)
_PNG_TEXT_CHARS = 2_000  # per chunk: enough to read, not a second copy of a huge XMP
_ORIENTATION_NAMES = {
    1: "normal",
    2: "mirrored",
    3: "rotated 180°",
    4: "mirrored vertically",
    5: "mirrored and rotated 90°",
    6: "rotated 90° clockwise",
    7: "mirrored and rotated 270°",
    8: "rotated 90° counter-clockwise",
}


class ImageTooLarge(ParseError):
    """The image has more pixels than the configured decompression-bomb bound."""


def parse_image(data: bytes, limits: Limits, tz: str = "UTC") -> ParseResult:
    """Describe an image and make a thumbnail with its orientation applied.

    `parsed["taken_at"]` carries its real offset when the EXIF gives one or the GPS time
    implies one (`parsed["taken_at_zone"]` is "exif" or "gps"); otherwise the camera's wall
    time is read in `tz` (the owner's zone), `taken_at_zone` is "assumed" and
    `parsed["timezone_assumed"]` names the zone. Raises ParseError only when the bytes are not
    an image Pillow can open at all.
    """
    result = ParseResult(kind="image")
    im = _open(data, limits)
    width, height = im.size
    parsed: dict[str, Any] = {
        "width": width,
        "height": height,
        "format": im.format,
        "taken_at": None,
        "camera": None,
        "camera_make": None,
        "camera_model": None,
        "gps": None,
        "orientation": None,
        "png_text": {},
    }
    result.parsed = parsed
    try:
        _read_exif(im, parsed, result.warnings, tz)
    except Exception as exc:  # Pillow raises many kinds on broken EXIF
        result.warnings.append(f"EXIF metadata could not be read: {_short(exc)}")
    parsed["png_text"] = _png_text(im)
    thumbnail = _thumbnail(im, result.warnings)
    if thumbnail is not None:
        result.renditions.append(thumbnail)
    result.text = _summary(parsed)
    return result


def _open(data: bytes, limits: Limits) -> Image.Image:
    """Open lazily (header only) and refuse images over the pixel bound before decoding."""
    try:
        with warnings.catch_warnings():
            # Our own bound below is the one that counts; Pillow's global one only warns.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("image has too many pixels to open safely") from exc
    except Exception as exc:
        raise ParseError(f"not a readable image: {_short(exc)}") from exc
    width, height = im.size
    if width * height > limits.max_image_pixels:
        raise ImageTooLarge(
            f"image is {width}×{height} pixels, over the limit of {limits.max_image_pixels}"
        )
    return im


def _read_exif(im: Image.Image, parsed: dict[str, Any], notes: list[str], tz: str) -> None:
    exif = im.getexif()
    if not exif:
        if im.info.get("exif"):
            notes.append("the file has an EXIF block but it is not valid EXIF")
        return
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    orientation = exif.get(ExifTags.Base.Orientation)
    if isinstance(orientation, int) and orientation in _ORIENTATION_NAMES:
        parsed["orientation"] = orientation
    make = _clean(exif.get(ExifTags.Base.Make))
    model = _clean(exif.get(ExifTags.Base.Model))
    parsed["camera_make"], parsed["camera_model"] = make, model
    if make and model and model.lower().startswith(make.lower()):
        parsed["camera"] = model
    else:
        parsed["camera"] = " ".join(p for p in (make, model) if p) or None
    stamp = _clean(sub.get(ExifTags.Base.DateTimeOriginal)) or _clean(
        exif.get(ExifTags.Base.DateTime)
    )
    offset = _clean(sub.get(ExifTags.Base.OffsetTimeOriginal)) or _clean(
        sub.get(ExifTags.Base.OffsetTime)
    )
    gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps_utc = _gps_time(gps_ifd) if gps_ifd else None
    if stamp:
        taken, zone = _exif_time(stamp, offset, gps_utc, tz)
        if taken is None:
            notes.append(f"the date the photo was taken is not a valid date: {stamp!r}")
        else:
            parsed["taken_at"], parsed["taken_at_zone"] = taken.isoformat(), zone
            if zone == "assumed":
                parsed["timezone_assumed"] = tz
    elif gps_utc is not None:
        parsed["taken_at"], parsed["taken_at_zone"] = gps_utc.isoformat(), "gps"
    if gps_ifd:
        parsed["gps"] = _gps(gps_ifd, notes)


def _exif_time(
    stamp: str, offset: str | None, gps_utc: datetime | None, tz: str
) -> tuple[datetime | None, str]:
    """The moment a photo was taken and where its offset came from.

    The camera's wall-clock time is combined with, in order of trust: the EXIF offset
    ("exif"), the offset implied by the GPS receiver's UTC time for the same shot ("gps"),
    or the owner's zone ("assumed", which the app and the dossier say aloud).
    """
    try:
        naive = datetime.strptime(stamp[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, "assumed"
    if offset:
        delta = _parse_offset(offset)
        if delta is not None:
            return naive.replace(tzinfo=timezone(delta)), "exif"
    if gps_utc is not None:
        delta = _offset_from_gps(naive, gps_utc)
        if delta is not None:
            return naive.replace(tzinfo=timezone(delta)), "gps"
    return naive.replace(tzinfo=ZoneInfo(tz)), "assumed"


def _parse_offset(offset: str) -> timedelta | None:
    """An EXIF offset such as "+08:00" or "-03:30"; None when it is not one."""
    try:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset.lstrip("+-").split(":")
        delta = sign * timedelta(hours=int(hours), minutes=int(minutes))
    except ValueError:
        return None
    return delta if abs(delta) <= _MAX_OFFSET else None


def _offset_from_gps(wall: datetime, gps_utc: datetime) -> timedelta | None:
    """The zone offset implied by wall time minus GPS (UTC) time, to the quarter hour.

    GPS time is written when the position is fixed, which can be a little before or after
    the shutter; a difference that is not within a few minutes of a quarter hour, or is
    larger than any real zone, is not trusted.
    """
    difference = wall.replace(tzinfo=UTC) - gps_utc
    quarters = round(difference / _QUARTER_HOUR)
    delta = quarters * _QUARTER_HOUR
    if abs(difference - delta) > _GPS_SLACK or abs(delta) > _MAX_OFFSET:
        return None
    return delta


def _gps_time(ifd: dict[int, Any]) -> datetime | None:
    """The GPS receiver's UTC date and time, when both are present and valid."""
    date = _clean(ifd.get(ExifTags.GPS.GPSDateStamp))
    clock = ifd.get(ExifTags.GPS.GPSTimeStamp)
    if not date or clock is None:
        return None
    try:
        hours, minutes, seconds = (float(v) for v in clock)
        day = datetime.strptime(date[:10], "%Y:%m:%d").replace(tzinfo=UTC)
        return day + timedelta(hours=hours, minutes=minutes, seconds=int(seconds))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _gps(ifd: dict[int, Any], notes: list[str]) -> dict[str, float | None]:
    """Degrees from the GPS IFD; a value that is missing or out of range stays None."""
    lat = _degrees(ifd.get(ExifTags.GPS.GPSLatitude), ifd.get(ExifTags.GPS.GPSLatitudeRef), 90)
    lon = _degrees(ifd.get(ExifTags.GPS.GPSLongitude), ifd.get(ExifTags.GPS.GPSLongitudeRef), 180)
    alt: float | None = None
    raw_alt = ifd.get(ExifTags.GPS.GPSAltitude)
    try:
        if raw_alt is not None:
            alt = round(float(raw_alt), 2)
            if ifd.get(ExifTags.GPS.GPSAltitudeRef) in (b"\x01", 1):
                alt = -alt
    except (TypeError, ValueError, ZeroDivisionError):
        alt = None
    if lat is None or lon is None:
        notes.append("the photo has a GPS block but its position could not be read")
    return {"lat": lat, "lon": lon, "alt": alt}


def _degrees(value: Any, ref: Any, bound: int) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper() in ("S", "W"):
        degrees = -degrees
    if not -bound <= degrees <= bound:
        return None
    return round(degrees, 6)


def _png_text(im: Image.Image) -> dict[str, str]:
    chunks = getattr(im, "text", None)
    if not isinstance(chunks, dict):
        return {}
    return {str(k): str(v)[:_PNG_TEXT_CHARS] for k, v in chunks.items()}


def _thumbnail(im: Image.Image, notes: list[str]) -> Rendition | None:
    """A small copy, turned upright, with no metadata carried over."""
    if im.format == "JPEG":
        im.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))  # decode at reduced scale: faster
    # Pillow's leniency is a process-wide flag (WeasyPrint turns it on at import): decode
    # strictly first so truncation is noticed and reported, then leniently, then restore.
    lenient_before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        im.load()
    except OSError as exc:
        if "truncated" not in str(exc):
            notes.append(f"the picture could not be decoded: {_short(exc)}")
            return None
        notes.append("the image data is truncated; the thumbnail shows only what is there")
        ImageFile.LOAD_TRUNCATED_IMAGES = True
        try:
            im.load()
        except OSError:
            return None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient_before
    try:
        # In place: a copy of a large photo would double the memory a thumbnail costs.
        ImageOps.exif_transpose(im, in_place=True)
    except Exception as exc:  # a broken Orientation tag must not cost the thumbnail
        notes.append(f"the orientation could not be applied: {_short(exc)}")
    has_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    if im.mode not in ("RGB", "RGBA", "L", "LA"):
        im = im.convert("RGBA" if has_alpha else "RGB")
    im.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    thumb = im.convert("RGBA" if has_alpha else "RGB")
    thumb.info = {}
    out = io.BytesIO()
    if has_alpha:
        thumb.save(out, format="PNG", optimize=True)
        media_type = "image/png"
    else:
        thumb.save(out, format="JPEG", quality=85)
        media_type = "image/jpeg"
    return Rendition(
        role="thumbnail",
        media_type=media_type,
        data=out.getvalue(),
        width=thumb.width,
        height=thumb.height,
    )


def _summary(parsed: dict[str, Any]) -> str:
    lines = [f"Image: {parsed['format'] or 'unknown format'}, {parsed['width']}×{parsed['height']}"]
    if parsed["taken_at"]:
        zone = parsed.get("timezone_assumed")
        note = f" (time zone assumed: {zone})" if zone else ""
        lines.append(f"Taken at: {parsed['taken_at']}{note}")
    if parsed["camera"]:
        lines.append(f"Camera: {parsed['camera']}")
    gps = parsed["gps"]
    if gps and gps["lat"] is not None and gps["lon"] is not None:
        where = f"GPS: {gps['lat']}, {gps['lon']}"
        if gps["alt"] is not None:
            where += f", altitude {gps['alt']} m"
        lines.append(where)
    if parsed["orientation"]:
        lines.append(f"Orientation: {_ORIENTATION_NAMES[parsed['orientation']]}")
    for key, value in parsed["png_text"].items():
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


def _clean(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
