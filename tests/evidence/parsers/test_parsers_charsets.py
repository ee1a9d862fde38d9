"""Charset rules: labels are trusted only as far as the bytes bear them out."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseapp.evidence.parsers.charsets import decode_bytes, normalise_charset
from caseapp.evidence.parsers.html import html_to_text, sanitise_email_html


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("GB2312", "gb18030"),
        ("X-GBK", "gb18030"),
        ("cp936", "gb18030"),
        ("big5", "big5hkscs"),
        ("ks_c_5601-1987", "cp949"),
        ("Shift_JIS", "cp932"),
        ("HZ-GB-2312", "hz"),
        ("iso-8859-1", "cp1252"),
        ('"UTF-8"', "utf-8"),
        ("unknown-8bit", None),
        ("x-unknown", None),
        ("no-such-charset", None),
        (None, None),
    ],
)
def test_labels_normalise_to_superset_codecs(label: str | None, codec: str | None) -> None:
    assert normalise_charset(label) == codec


def test_byte_order_mark_wins_over_the_label() -> None:
    decoded = decode_bytes("\ufeff中文".encode("utf-16-le"), "gb2312")
    assert decoded.text == "中文"
    assert decoded.encoding == "utf-16"


def test_gbk_text_under_a_gb2312_label_decodes_without_warning() -> None:
    decoded = decode_bytes("你好，中国".encode("gbk"), "gb2312")
    assert decoded.text == "你好，中国"
    assert decoded.warnings == []


def test_utf8_bytes_under_a_gb2312_label_are_read_as_utf8_with_a_warning() -> None:
    decoded = decode_bytes("我公司可代开各类发票".encode(), "gb2312")
    assert decoded.text == "我公司可代开各类发票"
    assert decoded.encoding == "utf-8"
    assert any("gb2312" in w for w in decoded.warnings)


def test_cjk_bytes_under_a_latin1_label_are_not_taken_as_latin1() -> None:
    decoded = decode_bytes("中文测试邮件".encode("gbk"), "iso-8859-1")
    assert decoded.text == "中文测试邮件"
    assert decoded.warnings


def test_latin1_label_on_western_text_is_trusted() -> None:
    decoded = decode_bytes("Café crème".encode("latin-1"), "iso-8859-1")
    assert decoded.text == "Café crème"
    assert decoded.warnings == []


def test_unlabelled_short_big5_is_told_apart_from_gbk() -> None:
    assert decode_bytes("測試郵件".encode("big5")).text == "測試郵件"
    assert decode_bytes("测试邮件".encode("gbk")).text == "测试邮件"


def test_unknown_8bit_label_is_detected_with_a_warning() -> None:
    decoded = decode_bytes("中文测试邮件".encode("gbk"), "unknown-8bit")
    assert decoded.text == "中文测试邮件"
    assert decoded.warnings


def test_big5_read_as_latin1_and_saved_as_utf8_is_repaired() -> None:
    mojibake = "大家說英語".encode("big5").decode("latin-1").encode("utf-8")
    decoded = decode_bytes(mojibake, "big5")
    assert decoded.text == "大家說英語"
    assert any("repaired" in w for w in decoded.warnings)


def test_bytes_that_break_their_label_never_decode_silently() -> None:
    decoded = decode_bytes(b"ok \x81\x8d\xff\x00\xfe\x80 end", "utf-8")
    assert decoded.text.startswith("ok ")
    assert decoded.warnings


def test_broken_utf16_after_a_bom_is_replaced_with_a_warning() -> None:
    decoded = decode_bytes(b"\xff\xfe" + "中".encode("utf-16-le") + b"\x00\xd8")
    assert decoded.text.startswith("中")
    assert "\ufffd" in decoded.text
    assert decoded.warnings


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gbk.txt", "gbk-utf8.txt"),
        ("gb18030.txt", "gb18030-utf8.txt"),
    ],
)
def test_unlabelled_chinese_text_files_decode_exactly(
    samples: Path, name: str, expected: str
) -> None:
    folder = samples / "chat" / "other" / "encodings"
    decoded = decode_bytes((folder / name).read_bytes())
    assert decoded.text == (folder / expected).read_text(encoding="utf-8")


def test_hz_text_is_recognised_by_its_shift_sequences(samples: Path) -> None:
    data = (samples / "chat" / "other" / "encodings" / "hz.txt").read_bytes()
    decoded = decode_bytes(data)
    assert decoded.encoding == "hz"
    assert "~{" not in decoded.text
    assert decoded.text == data.decode("hz")


def test_unlabelled_big5_wikipedia_text_is_not_read_as_gb18030(samples: Path) -> None:
    data = (samples / "chat" / "other" / "encodings" / "sample-chinese-big5.txt").read_bytes()
    decoded = decode_bytes(data)
    assert decoded.encoding in {"big5hkscs", "cp950"}
    assert "維基大典" in decoded.text


def test_sanitised_html_keeps_formatting_and_drops_active_content() -> None:
    html = sanitise_email_html(
        '<p style="color:red;background:url(http://t/x)" onclick="x()">hi <b>there</b>'
        '<img src="http://tracker.example/pixel.gif"><img src="cid:logo@mail">'
        '<a href="https://example.com">link</a><script>alert(1)</script>'
        '<form action="https://x"><input name="pw">x</form><iframe src="https://x"></iframe>'
        "<style>p{}</style></p><table><tr><td>cell</td></tr></table>"
    )
    assert "<b>there</b>" in html
    assert "<td>cell</td>" in html
    assert "tracker.example" not in html
    assert 'src="cid:logo@mail"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    for banned in ("<script", "alert", "onclick", "<form", "<input", "<iframe", "<style", "url("):
        assert banned not in html
    assert 'style="color:red"' in html


def test_html_to_text_reads_visible_text_only() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>x{}</style></head><body>"
        "<p>你好&nbsp;<b>世界</b></p><script>var a;</script>line<br>two</body></html>"
    )
    assert text == "你好 世界\nline\ntwo"


def test_html_to_text_is_bounded() -> None:
    text = html_to_text("<p>" + "字" * 10_000 + "</p>", max_chars=100)
    assert 90 <= len(text) <= 100
