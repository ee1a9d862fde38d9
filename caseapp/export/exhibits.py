"""Print renditions of exhibits: pictures at a resolution a reader can use on paper.

A dossier shows each picture (a photo, a phone screenshot, a PDF page preview) made from
the original at export time, in memory: the bytes come from the vault already decrypted
and never touch the disk. The rendition is at most `PRINT_WIDTH` pixels wide, which is
about 230 dpi across A4's 174 mm text column, so the text of a screenshot stays sharp on
paper while a 12-megapixel photo does not cost 36 MB of pixels in the renderer.

A picture much taller than wide (a "long screenshot" of a chat, 1170 × 9000) cannot be
shown on one page without shrinking its text to nothing, and WeasyPrint does not break an
image across pages, so it is cut into slices of at most `SLICE_RATIO` times its width,
each shown on its own page at about phone size; consecutive slices overlap by
`SLICE_OVERLAP` pixels so no line of text is lost at a cut.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

from caseapp.export.context import ImageRef

pillow_heif.register_heif_opener()  # iPhone photos are HEIC; Pillow alone cannot open them

PRINT_WIDTH = 1600
TALL_RATIO = 2.6  # a 19.5:9 phone screenshot (2.17) is shown whole; longer ones are sliced
SLICE_RATIO = 2.2
SLICE_OVERLAP = 48
MAX_IMAGE_PIXELS = 64_000_000
MAX_PASS_THROUGH_BYTES = 8 * 1024 * 1024
JPEG_QUALITY = 88
_PASS_THROUGH_TYPES = {"image/jpeg", "image/png"}
_SWAPPED_ORIENTATIONS = {5, 6, 7, 8}
_SCREENSHOT_COLOURS = 2048  # distinct colours in a 128 px sample: more means a photo


class ImageRefused(ValueError):
    """The picture cannot be shown: unreadable, or over the pixel bound."""


@dataclass(frozen=True)
class Rendition:
    """One encoded picture (or slice of one) ready for the PDF."""

    data: bytes
    media_type: str


def print_size(width: int, height: int) -> tuple[int, int]:
    """The size of the print rendition of an upright `width` × `height` picture."""
    if width <= PRINT_WIDTH:
        return width, height
    scale = PRINT_WIDTH / width
    return PRINT_WIDTH, max(1, round(height * scale))


def slice_rows(width: int, height: int) -> list[tuple[int, int]]:
    """The (top, bottom) pixel rows of each slice of a print rendition of this size."""
    if width <= 0 or height <= TALL_RATIO * width:
        return [(0, height)]
    limit = int(SLICE_RATIO * width)
    step = limit - SLICE_OVERLAP
    count = math.ceil((height - SLICE_OVERLAP) / step)
    size = math.ceil((height + (count - 1) * SLICE_OVERLAP) / count)
    rows = []
    for index in range(count):
        top = index * (size - SLICE_OVERLAP)
        rows.append((top, min(height, top + size)))
    return rows


def source_size(image: ImageRef) -> tuple[int, int]:
    """The upright pixel size of the picture, from the reference or the image header."""
    if image.width and image.height:
        return image.width, image.height
    try:
        with Image.open(io.BytesIO(image.read())) as probe:
            size = probe.size
            orientation = probe.getexif().get(0x0112, 1)
    except Exception:  # an unreadable picture is left out later, not fatal here
        return 0, 0
    return (size[1], size[0]) if orientation in _SWAPPED_ORIENTATIONS else size


def slice_count(image: ImageRef) -> int:
    """How many slices the dossier shows this picture in."""
    width, height = source_size(image)
    return len(slice_rows(*print_size(width, height)))


def render(data: bytes, media_type: str) -> list[Rendition]:
    """The print rendition of a picture: upright, bounded, sliced when very tall.

    A JPEG or PNG that is already upright, narrow enough and not sliced passes through
    byte for byte; anything else is decoded once and encoded again: JPEG for photos, PNG
    for screenshots and anything with transparency, where JPEG would blur text.
    """
    try:
        probe = Image.open(io.BytesIO(data))
    except Exception as exc:
        raise ImageRefused("not a readable image") from exc
    with probe:
        if probe.width * probe.height > MAX_IMAGE_PIXELS:
            raise ImageRefused("image too large to render")
        orientation = probe.getexif().get(0x0112, 1)
        upright = (
            (probe.height, probe.width)
            if orientation in _SWAPPED_ORIENTATIONS
            else probe.size
        )
        target = print_size(*upright)
        rows = slice_rows(*target)
        if (
            media_type in _PASS_THROUGH_TYPES
            and orientation in (0, 1)
            and target == upright
            and len(rows) == 1
            and len(data) <= MAX_PASS_THROUGH_BYTES
            # CMYK would be drawn as DeviceCMYK, which a PDF/A file with an sRGB
            # OutputIntent may not contain (ISO 19005-3 6.2.4.3): it is converted.
            and probe.mode != "CMYK"
        ):
            return [Rendition(data, media_type)]
        source_format = probe.format
        image = _decode(probe, upright, target, orientation)
    as_png = source_format != "JPEG" and (
        source_format == "PNG" or _has_alpha(image) or _looks_like_screenshot(image)
    )
    return [_encode(image.crop((0, top, image.width, bottom)), as_png) for top, bottom in rows]


def _decode(
    probe: Image.Image, upright: tuple[int, int], target: tuple[int, int], orientation: int
) -> Image.Image:
    if probe.format == "JPEG" and target != upright:
        # Let the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding: less time and memory.
        stored = (target[1], target[0]) if orientation in _SWAPPED_ORIENTATIONS else target
        probe.draft(probe.mode if probe.mode in ("RGB", "L") else "RGB", stored)
    image: Image.Image = probe
    image.load()
    if orientation not in (0, 1):
        image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def _encode(image: Image.Image, as_png: bool) -> Rendition:
    out = io.BytesIO()
    if as_png:
        image.save(out, "PNG", compress_level=1)  # WeasyPrint compresses it again for the PDF
        return Rendition(out.getvalue(), "image/png")
    image.convert("L" if image.mode in ("L", "LA") else "RGB").save(
        out, "JPEG", quality=JPEG_QUALITY
    )
    return Rendition(out.getvalue(), "image/jpeg")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _looks_like_screenshot(image: Image.Image) -> bool:
    """Few distinct colours in a small sample: flat interface colours and text, not a photo."""
    sample = image.resize((128, 128), Image.Resampling.NEAREST)
    return sample.convert("RGB").getcolors(_SCREENSHOT_COLOURS) is not None
