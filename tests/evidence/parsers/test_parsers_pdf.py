"""PDFs: every sample under samples/pdf/."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from caseapp.evidence.parsers import parse
from caseapp.evidence.parsers.base import Limits
from caseapp.evidence.parsers.pdf import parse_pdf

LIMITS = Limits()


def read(samples: Path, name: str, limits: Limits = LIMITS):
    return parse_pdf((samples / "pdf" / name).read_bytes(), limits)


def test_multilingual_text_including_chinese(samples):
    result = read(samples, "multilang.pdf")

    assert result.parsed == {"pages": 1, "encrypted": False, "title": None, "author": None}
    assert result.text.startswith("--- page 1 ---\nEnglish:\nHello World")
    for phrase in ("你好世界", "مرحبا بالعالم", "Привет, мир", "สวัสดีชาวโลก", "こんにちは世界"):
        assert phrase in result.text
    assert result.warnings == []


def test_text_pdf_gets_a_page_preview(samples):
    result = read(samples, "crazyones.pdf")

    assert "The Crazy Ones\nOctober 14, 1998" in result.text
    (preview,) = result.renditions
    assert (preview.role, preview.media_type) == ("page-1", "image/png")
    picture = Image.open(io.BytesIO(preview.data))
    assert picture.size == (preview.width, preview.height) == (935, 1210)  # 110 dpi letter


def test_password_protected_pdf_is_reported_as_encrypted(samples):
    result = read(samples, "libreoffice-writer-password.pdf")

    assert result.parsed["encrypted"] is True
    assert result.parsed["pages"] is None
    assert result.text is None
    assert any("password" in w for w in result.warnings)


def test_pdf_encrypted_with_empty_password_opens_and_is_still_reported(samples):
    result = read(samples, "encrypted_doc_no_id.pdf")

    assert result.parsed["encrypted"] is True
    assert result.parsed["pages"] == 3
    assert [r.role for r in result.renditions] == ["page-1", "page-2", "page-3"]
    assert any("encrypted" in w for w in result.warnings)
    assert any("no text layer" in w for w in result.warnings)  # CCITT scans


def test_scanned_pdf_with_ocr_layer_gives_text_per_page(samples):
    result = read(samples, "Seige_of_Vicksburg_Sample_OCR.pdf")

    assert result.parsed["pages"] == 6
    assert result.parsed["title"] == "Binder1.pdf"
    assert result.parsed["author"] == "DSI"
    assert result.text.startswith("--- page 1 ---\nTHE SIEGE OF VICKSBURG.")
    assert "--- page 6 ---" in result.text
    assert "dangerous" in result.text  # pdfium's hyphenation mark removed
    assert len(result.renditions) == LIMITS.max_pdf_preview_pages


def test_preview_count_follows_the_limit(samples):
    result = read(samples, "Seige_of_Vicksburg_Sample_OCR.pdf", Limits(max_pdf_preview_pages=1))

    assert [r.role for r in result.renditions] == ["page-1"]


def test_pdf_attached_to_a_pdf_becomes_a_child(samples):
    result = read(samples, "attachment.pdf")

    (child,) = result.children
    assert child.name == "jpeg.pdf"
    assert child.data.startswith(b"%PDF-")
    assert parse_pdf(child.data, LIMITS).parsed["pages"] >= 1


def test_text_limit_is_honoured(samples):
    result = read(samples, "Seige_of_Vicksburg_Sample_OCR.pdf", Limits(max_text_chars=100))

    assert len(result.text) <= 100
    assert any("not kept" in w for w in result.warnings)


def test_bytes_that_are_not_a_pdf_give_a_warning():
    result = parse(b"%PDF-1.7\nthis is not really a pdf", "application/pdf", "pdf")

    assert result.kind == "pdf"
    assert result.warnings[0].startswith("could not read this file:")
