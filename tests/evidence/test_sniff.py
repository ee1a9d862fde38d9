"""Sniffing: the kind of every sample is told from its bytes, never from its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseapp.evidence.sniff import HEAD_BYTES, KINDS, sniff

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


def _expected_kind(relative: str) -> str:
    folder = relative.split("/")[0]
    if relative.endswith(".mbox"):
        return "mbox"
    if folder in ("email", "msg") or relative.endswith((".eml", ".raw")):
        return "email"
    if relative.startswith(("hostile/cpython_msg", "hostile/mimekit_stack")):
        return "email"
    if folder == "chat":
        return "text" if "/encodings/" in relative else "chat"
    if folder == "images" or relative.endswith((".jpg", ".heic")):
        return "image"
    if relative.endswith(".pdf"):
        return "pdf"
    raise AssertionError(relative)


ALL = sorted(
    str(p.relative_to(SAMPLES))
    for p in SAMPLES.rglob("*")
    if p.is_file() and p.name != "SOURCES.md"
)


@pytest.mark.parametrize("relative", ALL)
def test_every_sample_is_sniffed_as_its_kind_without_its_name(samples, relative):
    head = (samples / relative).read_bytes()[:HEAD_BYTES]

    found = sniff(head, None)

    expected = _expected_kind(relative)
    # A single mail starting with an mbox "From " line needs its name to break the tie.
    if relative == "email/raw_email_with_partially_quoted_subject.eml":
        expected = "mbox"
    assert found.kind == expected
    assert found.kind in KINDS


def test_one_mail_with_from_line_is_an_email_when_named_eml(samples):
    head = (samples / "email/raw_email_with_partially_quoted_subject.eml").read_bytes()

    assert sniff(head, "forwarded.eml").kind == "email"
    assert sniff(head, "forwarded.mbox").kind == "mbox"


def test_several_from_lines_make_an_mbox_whatever_the_name(samples):
    head = (samples / "email/rlug.mbox").read_bytes()[:HEAD_BYTES]

    assert sniff(head, "message.eml") == sniff(head, None)
    assert sniff(head, None).media_type == "application/mbox"


@pytest.mark.parametrize("name", ["chinese message.msg", "msg_contains_eml.msg"])
def test_outlook_message_is_recognised_by_its_property_streams(samples, name):
    head = (samples / "msg" / name).read_bytes()[:HEAD_BYTES]

    found = sniff(head, "evidence.bin")

    assert (found.media_type, found.kind) == ("application/vnd.ms-outlook", "email")


def test_ole2_without_visible_streams_needs_the_msg_extension(samples):
    head = (samples / "msg/Hello +CJK.msg").read_bytes()[:512]

    assert sniff(head, "Hello.msg").media_type == "application/vnd.ms-outlook"
    assert sniff(head, "report.doc").kind == "other"


def test_html_named_like_a_photo_is_not_an_image():
    found = sniff(b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "a.jpg")

    assert found.media_type == "text/html"
    assert found.kind != "image"


def test_svg_is_never_an_image_kind():
    found = sniff(b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "logo.png")

    assert found.kind == "other"


def test_jpeg_named_like_a_pdf_is_an_image(samples):
    head = (samples / "images/exif_gps.jpg").read_bytes()

    assert sniff(head, "invoice.pdf") == sniff(head, None)
    assert sniff(head, "invoice.pdf").media_type == "image/jpeg"


@pytest.mark.parametrize(("name", "media_type"), [
    ("images/pug.heic", "image/heic"),
    ("images/xiaomi.heic", "image/heic"),
    ("images/pm.png", "image/png"),
    ("pdf/multilang.pdf", "application/pdf"),
    ("chat/telegram/langchain_messages.html", "text/html"),
    ("chat/telegram/tg2md_result.json", "application/json"),
    ("chat/whatsapp/langchain_whatsapp_ios.txt", "text/plain"),
])
def test_media_types(samples, name, media_type):
    assert sniff((samples / name).read_bytes()[:HEAD_BYTES], None).media_type == media_type


def test_webp_is_an_image():
    head = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32

    assert sniff(head, None).kind == "image"
    assert sniff(head, None).media_type == "image/webp"


def test_json_that_is_not_a_chat_is_text():
    found = sniff(b'{"invoice": 42, "items": [{"name": "wallet"}]}', "chat.json")

    assert (found.media_type, found.kind) == ("application/json", "text")


def test_chat_json_cut_in_the_middle_is_still_a_chat(samples):
    head = (samples / "chat/telegram/tg2md_result.json").read_bytes()[:700]

    assert sniff(head, None).kind == "chat"


def test_utf16_and_gbk_text_is_text():
    assert sniff("退款进度查询\n".encode("utf-16"), None).kind == "text"
    assert sniff("退款进度查询\n".encode("gbk"), None).kind == "text"


def test_empty_and_binary_files_are_other():
    assert sniff(b"", "empty.txt").kind == "other"
    assert sniff(b"PK\x03\x04" + bytes(200), "chat.txt") == sniff(b"PK\x03\x04" + bytes(200), None)
    assert sniff(b"PK\x03\x04" + bytes(200), None).kind == "other"
