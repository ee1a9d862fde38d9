"""Plain text in any encoding: the Chinese samples under samples/chat/other/encodings/."""

from __future__ import annotations

import codecs

import pytest

from caseapp.evidence.parsers import parse
from caseapp.evidence.parsers.base import Limits
from caseapp.evidence.parsers.text import parse_text

LIMITS = Limits()


@pytest.mark.parametrize(("encoded", "expected"), [
    ("gbk.txt", "gbk-utf8.txt"),
    ("gb18030.txt", "gb18030-utf8.txt"),
])
def test_gb_text_decodes_to_its_utf8_reference(samples, encoded, expected):
    folder = samples / "chat" / "other" / "encodings"

    result = parse_text((folder / encoded).read_bytes(), LIMITS)

    assert result.kind == "text"
    assert result.text == (folder / expected).read_text(encoding="utf-8")
    assert result.parsed["encoding"] == "gb18030"
    assert result.text.startswith("Python（派森）语言是一种功能强大而完善的通用型")


def test_gb18030_four_byte_sequences_survive(samples):
    folder = samples / "chat" / "other" / "encodings"

    result = parse_text((folder / "gb18030.txt").read_bytes(), LIMITS)

    assert "파이썬은 강력한 기능을 지닌 범용 컴퓨터 프로그래밍 언어다." in result.text
    assert "\ufffd" not in result.text


def test_utf8_reference_reads_as_utf8_without_warning(samples):
    result = parse_text((samples / "chat/other/encodings/gbk-utf8.txt").read_bytes(), LIMITS)

    assert result.parsed == {"encoding": "utf-8", "lines": 14}
    assert result.warnings == []


def test_big5_gives_traditional_chinese(samples):
    result = parse_text((samples / "chat/other/encodings/sample-chinese-big5.txt").read_bytes(),
                        LIMITS)

    assert result.parsed["encoding"] in ("big5hkscs", "cp950")
    assert result.text.startswith("維基大典（Wikipedia）者，網路為礎；集天下知、四海言、眾人志")
    assert "《墨子閒詁》曰︰「維，繫也」" in result.text


def test_hz_shifts_are_decoded(samples):
    result = parse_text((samples / "chat/other/encodings/hz.txt").read_bytes(), LIMITS)

    assert result.parsed["encoding"] == "hz"
    assert "The next sentence is in GB.己所不欲，勿施於人。Bye." in result.text


@pytest.mark.parametrize("bom_codec", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_byte_order_marks_decide_the_encoding(bom_codec):
    text = "客服说三天内退款\r\n第二行\r\n"
    data = text.encode(bom_codec)
    if bom_codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data

    result = parse_text(data, LIMITS)

    assert result.text == "客服说三天内退款\n第二行\n"
    assert result.parsed["lines"] == 2


def test_text_limit_keeps_the_start_and_says_so():
    result = parse_text("你好".encode() * 100, Limits(max_text_chars=10))

    assert result.text == "你好" * 5
    assert any("first 10 characters" in w for w in result.warnings)


def test_html_page_uploaded_as_text_is_shown_as_text():
    page = "<html><body><h1>退款申请</h1><script>alert(1)</script><p>订单 42</p></body></html>"

    result = parse(page.encode(), "text/html", "text")

    assert "退款申请" in result.text
    assert "订单 42" in result.text
    assert "<script>" not in result.text
    assert "alert" not in result.text
