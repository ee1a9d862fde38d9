"""The dossier PDF: readable Chinese, every hash in its text, originals attached, no fetches."""

from __future__ import annotations

import io
import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import HTML

from caseapp.export.context import DossierContext, ImageRef
from caseapp.export.html import render_html
from caseapp.export.i18n import MESSAGES
from caseapp.export.manifest import attachment_name, build_manifest, manifest_bytes
from caseapp.export.pdf import (
    DossierFetcher,
    FetchRefused,
    OriginalMismatch,
    render_pdf,
)
from caseapp.export.verify import embedded_files


@pytest.fixture(scope="module")
def zh_pdf(tmp_path_factory: pytest.TempPathFactory, context_factory) -> Path:
    """The unsigned Chinese sample dossier, written to a file for poppler's tools."""
    path = tmp_path_factory.mktemp("pdf") / "dossier.pdf"
    path.write_bytes(render_pdf(context_factory()))
    return path


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_chinese_fonts_are_embedded_as_subsets(zh_pdf: Path) -> None:
    listing = subprocess.run(
        ["pdffonts", str(zh_pdf)], capture_output=True, check=True, text=True
    ).stdout
    fonts = listing.splitlines()[2:]
    assert any("Noto-Sans-CJK-SC" in line for line in fonts)
    for line in fonts:
        name, *_, emb, sub, uni, _obj, _gen = line.split()
        assert "+" in name, line  # subset fonts carry a "ABCDEF+" tag
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line


def test_chinese_text_is_extractable(zh_pdf: Path) -> None:
    text = _text(zh_pdf)
    assert "客服承诺三个工作日内解冻资产" in text
    assert "钱包资产被冻结，客服迟迟不解冻" in text
    assert "消费者协会" in text
    assert "如何核验本材料" in text


def test_every_sha256_appears_unbroken_in_the_text(
    zh_pdf: Path, zh_context: DossierContext
) -> None:
    text = _text(zh_pdf)
    for item in zh_context.evidence:
        assert item.sha256 in text
    assert zh_context.custody_head in text


def test_generated_at_is_shown_in_utc_and_local_time(zh_pdf: Path) -> None:
    text = _text(zh_pdf)
    assert "2025-03-14 06:30:00 UTC" in text
    assert "2025-03-14 14:30 (UTC+08:00)" in text


def test_originals_and_manifest_are_embedded(zh_pdf: Path, zh_context: DossierContext) -> None:
    with zh_pdf.open("rb") as handle:
        files = embedded_files(PdfFileReader(handle, strict=False))
    expected = {attachment_name(item): item.original().read() for item in zh_context.evidence}
    assert files.pop("manifest.json") == manifest_bytes(build_manifest(zh_context))
    assert files == expected
    assert "001-客服回复邮件.eml" in files


def test_manifest_lists_every_item_with_hash_and_size(zh_context: DossierContext) -> None:
    manifest = json.loads(manifest_bytes(build_manifest(zh_context)))
    assert manifest["custody"]["head_hash"] == zh_context.custody_head
    assert [(e["sha256"], e["size"]) for e in manifest["evidence"]] == [
        (item.sha256, item.size) for item in zh_context.evidence
    ]
    assert manifest["generated_at"] == "2025-03-14T06:30:00Z"


def test_user_text_is_escaped_not_interpreted(zh_context: DossierContext) -> None:
    html = render_html(zh_context)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "&lt;b&gt;无具体时间&lt;/b&gt;" in html  # an event summary is text, not markup
    assert "<b>临时冻结</b>" in html  # the sanitised email body is the one field kept as HTML


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "recipient", ["consumer_association", "financial_regulator", "company_complaints", "lawyer"]
)
def test_each_recipient_gets_a_letter_in_each_language(
    context_factory, lang: str, recipient: str
) -> None:
    html = render_html(context_factory(lang, recipient))
    assert MESSAGES[lang][f"recipient_{recipient}"] in html
    assert "示例钱包有限公司" in html  # the company named in the letter
    assert ("此致" in html) == (lang == "zh")
    assert ("Yours faithfully" in html) == (lang == "en")


def test_both_languages_have_the_same_labels() -> None:
    assert set(MESSAGES["zh"]) == set(MESSAGES["en"])


def test_english_dossier_renders_with_english_verify_page(context_factory, tmp_path: Path) -> None:
    path = tmp_path / "en.pdf"
    path.write_bytes(render_pdf(context_factory("en", "financial_regulator")))
    text = _text(path)
    assert "How to verify this dossier" in text
    assert "Financial Regulator" in text
    assert "客服承诺三个工作日内解冻资产" in text  # Chinese user text inside an English dossier


def _fetcher(ctx: DossierContext, static_dir: Path | None = None) -> DossierFetcher:
    return DossierFetcher(ctx, static_dir, b"{}")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/secret",
        "https://tracker.example.com/pixel.gif",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://example.com/x",
        "caseapp-static:../../../etc/passwd",
    ],
)
def test_fetcher_refuses_everything_but_the_app_and_the_dossier(
    zh_context: DossierContext, tmp_path: Path, url: str
) -> None:
    fetcher = _fetcher(zh_context, tmp_path)
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)


def test_fetcher_serves_static_files_and_evidence_images(
    zh_context: DossierContext, tmp_path: Path
) -> None:
    (tmp_path / "logo.css").write_text("p { color: red }")
    fetcher = _fetcher(zh_context, tmp_path)
    assert fetcher.fetch("caseapp-static:logo.css").read() == b"p { color: red }"
    image = fetcher.fetch("caseapp-evidence:3/0/0")
    assert image.content_type == "image/jpeg"
    with Image.open(io.BytesIO(image.read())) as picture:
        assert picture.size == (128, 128)


def test_remote_image_in_an_email_is_refused_while_rendering(zh_context: DossierContext) -> None:
    fetcher = _fetcher(zh_context)
    HTML(string=render_html(zh_context), url_fetcher=fetcher).render()
    assert "https://tracker.example.com/pixel.gif" in fetcher.refused


def test_an_original_that_does_not_match_its_record_is_not_embedded(
    zh_context: DossierContext,
) -> None:
    first = zh_context.evidence[0]
    tampered = replace(first, original=lambda: io.BytesIO(b"not the original"))
    ctx = replace(zh_context, evidence=[tampered, *zh_context.evidence[1:]])
    with pytest.raises(OriginalMismatch):
        render_pdf(ctx)


def test_an_unreadable_image_is_left_out_not_fatal(zh_context: DossierContext) -> None:
    broken = replace(zh_context.evidence[2], images=[ImageRef("image/jpeg", b"not an image")])
    ctx = replace(zh_context, evidence=[*zh_context.evidence[:2], broken])
    assert render_pdf(ctx).startswith(b"%PDF-")
