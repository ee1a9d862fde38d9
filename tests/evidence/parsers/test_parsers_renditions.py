"""Pictures from the sandbox are stored only when they are the PNG or JPEG they claim."""

from __future__ import annotations

import pytest

from caseapp.evidence.parsers.base import Limits, Rendition
from caseapp.evidence.parsers.image import parse_image
from caseapp.evidence.parsers.renditions import check_rendition

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.mark.parametrize(
    ("role", "media_type", "data"),
    [("thumbnail", "image/png", PNG), ("thumbnail", "image/jpeg", JPEG),
     ("page-1", "image/png", PNG), ("page-12", "image/png", PNG)],
)
def test_pictures_the_parsers_make_are_accepted(role: str, media_type: str, data: bytes) -> None:
    assert check_rendition(Rendition(role, media_type, data)) is None


def test_thumbnail_the_image_parser_made_is_accepted(samples) -> None:
    data = (samples / "images" / "iphone_hdr_YES.jpg").read_bytes()

    (thumbnail,) = parse_image(data, Limits()).renditions

    assert check_rendition(thumbnail) is None


@pytest.mark.parametrize(
    ("rendition", "reason"),
    [
        (Rendition("thumbnail", "image/png", JPEG), "its bytes are not PNG"),
        (Rendition("thumbnail", "image/svg+xml", b"<svg onload='x()'/>"),
         "media type image/svg+xml is not allowed"),
        (Rendition("thumbnail", "image/png", b"<html><script>x()</script>"),
         "its bytes are not PNG"),
        (Rendition("thumbnail", "text/html", b"<html>"), "media type text/html is not allowed"),
        (Rendition("../../vault-key", "image/png", PNG), "unexpected role '../../vault-key'"),
        (Rendition("page-0", "image/png", PNG), "unexpected role 'page-0'"),
        (Rendition("thumbnail\n", "image/png", PNG), "unexpected role 'thumbnail\\n'"),
        (Rendition("page-1", "image/jpeg", b""), "its bytes are not JPEG"),
    ],
)
def test_anything_else_is_refused_with_a_reason(rendition: Rendition, reason: str) -> None:
    assert check_rendition(rendition) == reason
