"""Exhibits at print resolution: photos bounded, screenshots sharp, long screenshots sliced."""

from __future__ import annotations

import io
from dataclasses import replace

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader

from caseapp.export.context import DossierContext, ImageRef
from caseapp.export.exhibits import (
    PRINT_WIDTH,
    SLICE_OVERLAP,
    SLICE_RATIO,
    ImageRefused,
    render,
    slice_count,
    slice_rows,
)
from caseapp.export.pdf import render_pdf
from tests.export.conftest import evidence_item


def _encode(picture: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


def _screenshot(width: int, height: int) -> Image.Image:
    picture = Image.new("RGB", (width, height), (237, 237, 237))
    draw = ImageDraw.Draw(picture)
    for top in range(100, height - 100, 300):
        draw.rounded_rectangle((60, top, width - 200, top + 200), 20, fill=(255, 255, 255))
        draw.text((90, top + 40), f"row {top}", fill=(0, 0, 0), font_size=40)
    return picture


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as picture:
        return picture.size


def test_large_photo_is_scaled_to_print_width_as_jpeg() -> None:
    data = _encode(Image.new("RGB", (4000, 3000), (200, 30, 30)), "JPEG")
    (rendition,) = render(data, "image/jpeg")
    assert _size(rendition.data) == (PRINT_WIDTH, 1200)
    assert rendition.media_type == "image/jpeg"


def test_rotated_photo_is_turned_upright(sample_file) -> None:
    raw = sample_file("images/hopper_orientation_6.jpg").read_bytes()
    width, height = _size(raw)
    (rendition,) = render(raw, "image/jpeg")
    assert _size(rendition.data) == (height, width)


def test_phone_screenshot_passes_through_at_full_resolution() -> None:
    data = _encode(_screenshot(1170, 2532), "PNG")
    (rendition,) = render(data, "image/png")
    assert rendition.data == data
    assert rendition.media_type == "image/png"


def test_long_screenshot_is_cut_into_overlapping_slices_that_cover_it() -> None:
    data = _encode(_screenshot(1170, 9000), "PNG")
    renditions = render(data, "image/png")
    rows = slice_rows(1170, 9000)
    assert len(renditions) == len(rows) >= 4
    assert rows[0][0] == 0
    assert rows[-1][1] == 9000
    for (_, bottom), (top, _) in zip(rows, rows[1:], strict=False):
        assert bottom - top == SLICE_OVERLAP
    for rendition, (top, bottom) in zip(renditions, rows, strict=True):
        assert rendition.media_type == "image/png"  # text stays sharp: no JPEG
        assert _size(rendition.data) == (1170, bottom - top)
        assert bottom - top <= SLICE_RATIO * 1170


def test_screenshot_in_another_format_becomes_png_and_photo_becomes_jpeg(sample_file) -> None:
    (shot,) = render(_encode(_screenshot(800, 1200), "WEBP"), "image/webp")
    assert shot.media_type == "image/png"
    heic = sample_file("images/pug.heic").read_bytes()
    (photo,) = render(heic, "image/heic")
    assert photo.media_type == "image/jpeg"
    assert _size(photo.data)[0] == PRINT_WIDTH


def test_bytes_that_are_not_a_picture_are_refused() -> None:
    with pytest.raises(ImageRefused):
        render(b"not an image", "image/png")


def test_slice_count_uses_the_known_size_without_reading_the_picture() -> None:
    def unread() -> bytes:
        raise AssertionError("read")

    assert slice_count(ImageRef("image/png", unread, width=1170, height=9000)) == len(
        slice_rows(1170, 9000)
    )
    assert slice_count(ImageRef("image/png", unread, width=1170, height=2532)) == 1


def _image_xobjects(pdf: bytes) -> list:
    """Every image XObject in the file, once (pages may share one resource dictionary)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    found = {}
    for page in reader.root["/Pages"]["/Kids"]:
        xobjects = page.get_object()["/Resources"].get("/XObject", {})
        for name in xobjects:
            found[xobjects.raw_get(name).idnum] = xobjects[name].get_object()
    return list(found.values())


def test_long_screenshot_is_legible_across_pages_and_never_interpolated(
    zh_context: DossierContext, tmp_path, sample_file
) -> None:
    data = _encode(_screenshot(1170, 9000), "PNG")
    path = tmp_path / "长截图.png"
    path.write_bytes(data)
    shot = evidence_item(
        5, path, media_type="image/png", kind="image", parsed={"width": 1170, "height": 9000},
        images=[ImageRef("image/png", data, width=1170, height=9000)],
    )
    ctx = replace(zh_context, evidence=[*zh_context.evidence, shot])
    pdf = render_pdf(ctx)

    images = _image_xobjects(pdf)
    slices = [x for x in images if x["/Width"] == 1170]
    assert len(slices) == len(slice_rows(1170, 9000))
    assert all(x.get("/Interpolate") is not True for x in images)
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages_with_slices = 0
        for page in document:
            shown = [
                obj for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
                if obj.get_metadata().width == 1170
            ]
            if shown:
                pages_with_slices += 1
                left, _, right, _ = shown[0].get_bounds()
                assert right - left >= 72 * 3.5  # shown at least 9 cm wide: phone size or more
        assert pages_with_slices == len(slices)  # one slice per page
    finally:
        document.close()


def test_images_are_prepared_a_few_ahead_of_layout_and_each_only_once(
    zh_context: DossierContext, tmp_path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from caseapp.export.pdf import _IMAGES_AHEAD, DossierFetcher

    picture = _encode(Image.new("RGB", (60, 40), (10, 120, 200)), "JPEG")
    reads: list[int] = []

    def reader(number: int):
        return lambda: reads.append(number) or picture

    path = tmp_path / "photo.jpg"
    path.write_bytes(picture)
    items = [
        evidence_item(n, path, kind="image",
                      images=[ImageRef("image/jpeg", reader(n), width=60, height=40)])
        for n in range(1, 4 * _IMAGES_AHEAD)
    ]
    fetcher = DossierFetcher(replace(zh_context, evidence=items), None, b"{}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        fetcher.prefetch_images(pool)
        pool.submit(lambda: None).result()
        assert len(reads) <= _IMAGES_AHEAD
        for item in items:
            assert fetcher.fetch(f"caseapp-evidence:{item.number}/0/0").read() == picture
    assert sorted(reads) == [item.number for item in items]
