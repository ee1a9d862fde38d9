"""Hostile files: every file in samples/hostile/ goes through sniffing and the sandbox."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from caseapp.evidence.parsers.base import Limits
from caseapp.evidence.parsers.image import parse_image
from caseapp.evidence.parsers.pdf import parse_pdf
from caseapp.evidence.parsers.sandbox import parse_isolated
from caseapp.evidence.sniff import HEAD_BYTES, sniff

HOSTILE = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "hostile"
LIMITS = Limits(seconds=10)


@pytest.mark.parametrize("name", sorted(p.name for p in HOSTILE.iterdir()))
def test_hostile_file_is_read_in_bounded_time_without_crashing(samples, name):
    data = (samples / "hostile" / name).read_bytes()
    found = sniff(data[:HEAD_BYTES], name)

    started = time.monotonic()
    result = parse_isolated(data, found.media_type, found.kind, name, LIMITS)

    assert time.monotonic() - started < LIMITS.seconds + 2
    assert result.kind in (found.kind, "chat")
    assert not any(w.startswith("parsing stopped") for w in result.warnings)


def test_broken_xref_pdf_is_tolerated_and_reported(samples):
    result = parse_pdf((samples / "hostile" / "pypdf_issue-297.pdf").read_bytes(), LIMITS)

    assert result.parsed["pages"] == 1
    assert result.text == "--- page 1 ---\ntest example"
    assert any("cross-reference table is broken" in w for w in result.warnings)
    assert result.renditions[0].role == "page-1"


def test_truncated_jpeg_still_gets_a_thumbnail_and_a_warning(samples):
    result = parse_image((samples / "hostile" / "pillow_truncated_jpeg.jpg").read_bytes(), LIMITS)

    assert (result.parsed["width"], result.parsed["height"]) == (100, 100)
    assert any("truncated" in w for w in result.warnings)
    assert result.renditions[0].width == 100


def test_invalid_exif_is_a_warning_and_the_picture_is_still_shown(samples):
    result = parse_image((samples / "hostile" / "pillow_invalid-exif.jpg").read_bytes(), LIMITS)

    assert (result.parsed["width"], result.parsed["height"]) == (200, 200)
    assert result.parsed["taken_at"] is None
    assert result.warnings == ["the file has an EXIF block but it is not valid EXIF"]
    assert len(result.renditions) == 1


def test_truncated_heic_decodes_what_is_there(samples):
    result = parse_image((samples / "hostile" / "pillow_heif_truncated.heic").read_bytes(), LIMITS)

    assert result.parsed["format"] == "HEIF"
    assert (result.parsed["width"], result.parsed["height"]) == (16, 16)
    assert result.renditions[0].width == 16


@pytest.mark.parametrize("cut", [100, 1000, 3000])
def test_heic_cut_short_never_raises_out_of_the_dispatcher(samples, cut):
    data = (samples / "images" / "pug.heic").read_bytes()[:cut]

    result = parse_isolated(data, "image/heic", "image", limits=LIMITS)

    assert result.kind == "image"
    assert result.warnings


def test_pdf_cut_in_half_is_read_or_reported(samples):
    data = (samples / "pdf" / "multilang.pdf").read_bytes()
    half = data[: len(data) // 2]

    result = parse_isolated(half, "application/pdf", "pdf", limits=LIMITS)

    assert result.kind == "pdf"
    assert result.warnings
