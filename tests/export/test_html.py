"""What a reader sees: a Chinese dossier in Chinese only, emoji drawn, times with their zone."""

from __future__ import annotations

import ctypes
import re
from dataclasses import replace
from datetime import UTC, datetime

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest

from caseapp.export.context import CustodyInfo, DossierContext
from caseapp.export.html import render_html
from caseapp.export.pdf import render_pdf

# Words a Chinese dossier may contain: technical names and the tools the verify page
# tells the reader to run. Everything else in Latin letters must come from the case itself.
TECHNICAL = {
    "sha", "sha256", "pdf", "utc", "rfc", "pades", "zip", "json", "manifest", "caseapp",
    "verify", "dossier", "openssl", "ts", "data", "in", "cafile", "certs", "tsa", "crt", "tsr",
    "pdfdetach", "saveall", "sha256sum", "pyhanko", "adobe", "acrobat", "reader", "dss",
    "verification", "ok", "txt", "gps", "px", "b", "kb", "mb", "gb", "e", "usdt",
    # the names of standards and of `caseapp verify`'s options (--trust, --fingerprint)
    "ca", "lta", "trust", "fingerprint",
}
_MIME = re.compile(r"\b[a-z]+/[a-z0-9.+-]+\b")
_HEX = re.compile(r"\b[0-9a-f]{16,}\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _user_words(ctx: DossierContext) -> set[str]:
    """Every Latin word the complainant or the evidence itself supplied."""
    texts = [str(v) for v in vars(ctx.case).values() if v is not None]
    for item in ctx.evidence:
        texts += [item.name, item.text or "", item.html or "", str(item.parsed)]
        texts += [str(line) for line in item.transcript or []]
    for entry in ctx.custody:
        texts += [entry.actor, entry.actor_name, entry.subject]
    texts += [ctx.dossier_id, ctx.case.id, ctx.timezone]
    return {w.lower() for text in texts for w in _WORD.findall(text)}


def _chinese_context(context_factory) -> DossierContext:
    ctx: DossierContext = context_factory()
    photo = replace(
        ctx.evidence[2],
        parsed={"width": 128, "height": 128, "taken_at": "2025-03-02T09:15:00+08:00",
                "taken_at_zone": "assumed", "timezone_assumed": "Asia/Shanghai"},
        text="Image: JPEG, 128×128\nTaken at: 2025-03-02T09:15:00+08:00",
    )
    pdf = replace(ctx.evidence[3], text="--- page 1 ---\n交易记录\n--- page 2 ---\n提币申请")
    email = replace(
        ctx.evidence[0], html=None,
        text="Subject: 关于您的账户冻结问题\nFrom: support@example-wallet.com\n\n"
             "尊敬的用户：已冻结。",
        parsed={**ctx.evidence[0].parsed, "date": "Sat, 01 Mar 2025 10:00:00 +0800",
                "attachments": [{"name": "凭证.png", "media_type": "image/png", "size": 2048}]},
    )
    chat = replace(ctx.evidence[1], transcript=[
        *(ctx.evidence[1].transcript or []),
        {"at": "2025-03-02T09:18:00+08:00", "sender": "客服小李", "text": "",
         "media": "IMG_0001.jpg"},
    ])
    at = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
    custody = [
        *ctx.custody,
        CustodyInfo(seq=5, at=at, actor="user:u2 <ana@example.org>", action="evidence.viewed",
                    subject="evidence:ev0003", details={}, hash="a" * 64,
                    actor_role="advocate", actor_name="Ana"),
        CustodyInfo(seq=6, at=at, actor="link:s1", action="share.opened", subject="share:s1",
                    details={}, hash="b" * 64, actor_role="link", actor_name="律师查看"),
        CustodyInfo(seq=7, at=at, actor="system", action="evidence.integrity_failed",
                    subject="evidence:ev0002", details={}, hash="c" * 64, actor_role="system"),
        CustodyInfo(seq=8, at=at, actor="user:u1 <zhang.wei@example.cn>",
                    action="dossier.exported", subject="dossier:dos-0000", details={},
                    hash="d" * 64, actor_role="complainant", actor_name="张伟"),
    ]
    return replace(ctx, evidence=[email, chat, photo, pdf], custody=custody)


@pytest.fixture(scope="module")
def zh_text(context_factory) -> tuple[str, DossierContext]:
    ctx = _chinese_context(context_factory)
    return _pdf_text(render_pdf(ctx)), ctx


def test_chinese_dossier_has_no_english_from_the_app(zh_text) -> None:
    text, ctx = zh_text
    allowed = TECHNICAL | _user_words(ctx)
    scrubbed = _HEX.sub(" ", _MIME.sub(" ", text))
    leaked = sorted({w for w in _WORD.findall(scrubbed) if w.lower() not in allowed})
    assert leaked == [], leaked
    for scaffolding in ("thumbnail", "--- page", "Taken at", "Subject:", "[media:", "assumed"):
        assert scaffolding not in text


def test_custody_log_reads_as_sentences_with_evidence_numbers_and_roles(zh_text) -> None:
    text, _ = zh_text
    flat = re.sub(r"\s+", "", text)
    assert "协助人Ana查看了证据E-003。" in flat
    assert "持分享链接“律师查看”的访问者打开了分享的案件。" in flat
    assert "证据E-002的完整性校验未通过（由系统发现）。" in flat
    assert "投诉人张伟导出了证据材料dos-0000。" in flat
    assert "2025-03-1014:00(UTC+08:00)" in flat  # local time beside UTC
    assert "2025-03-1006:00:00UTC" in flat


def test_photo_time_without_a_known_zone_is_labelled_not_converted(zh_text) -> None:
    text, _ = zh_text
    assert "2025-03-02 09:15 (时区为推定)" in text


def test_pdf_pages_and_email_headers_are_in_the_dossier_language(zh_text) -> None:
    text, _ = zh_text
    assert "— 第 1 页 —" in text
    assert "— 第 2 页 —" in text
    assert "2025-03-01 10:00 (UTC+08:00)" in text  # the RFC 2822 date, read and localised
    assert "凭证.png (image/png, 2.0 KB)" in text
    assert "［附件：IMG_0001.jpg］" in text


def _font_name(textpage: pypdfium2.PdfTextPage, index: int) -> str:
    buffer = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, 256, ctypes.byref(flags))
    return buffer.value.decode("latin-1")


def test_emoji_in_a_chat_message_are_drawn_with_the_emoji_font(context_factory) -> None:
    ctx: DossierContext = context_factory()
    chat = replace(ctx.evidence[1], transcript=[
        {"at": "2025-03-02T09:15:00+08:00", "sender": "张伟", "text": "收到退款了吗😀🙏💰"},
    ])
    pdf = render_pdf(replace(ctx, evidence=[chat]))
    document = pypdfium2.PdfDocument(pdf)
    try:
        found = {}
        for page in document:
            textpage = page.get_textpage()
            chars = textpage.get_text_range()
            for emoji in "😀🙏💰":
                index = chars.find(emoji)
                if index >= 0:  # pdfium counts UTF-16 units: an emoji is two
                    units = len(chars[:index].encode("utf-16-le")) // 2
                    found[emoji] = _font_name(textpage, units)
        assert set(found) == set("😀🙏💰")
        assert all("Emoji" in name for name in found.values()), found
    finally:
        document.close()


def test_english_dossier_custody_sentences_start_with_a_capital(context_factory) -> None:
    ctx: DossierContext = context_factory(lang="en")
    entry = CustodyInfo(seq=9, at=datetime(2025, 3, 10, tzinfo=UTC), actor="user:u1 <z@x.cn>",
                        action="evidence.added", subject="evidence:ev0001", details={},
                        hash="e" * 64, actor_role="complainant", actor_name="张伟")
    html = render_html(replace(ctx, custody=[entry]))
    assert "The complainant 张伟 added evidence E-001." in html
