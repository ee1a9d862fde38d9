"""Outlook .msg samples: headers, Chinese and Japanese text, attachments, nesting."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult
from caseapp.evidence.parsers.email import parse_eml
from caseapp.evidence.parsers.msg import parse_msg

LIMITS = Limits()


def read(samples: Path, name: str) -> ParseResult:
    return parse_msg((samples / "msg" / name).read_bytes(), LIMITS)


def test_unicode_msg_with_a_chinese_room_schedule(samples: Path) -> None:
    result = read(samples, "chinese message.msg")
    assert result.kind == "email"
    assert result.parsed["subject"] == ""
    assert "经过汇总 大家提前合理安排进房间入住吧。" in result.text
    assert "酒店研发部" in result.text
    assert result.warnings == []


def test_chinese_subject_and_body_are_not_garbled(samples: Path) -> None:
    result = read(samples, "chinese message garbled.msg")
    assert result.parsed["subject"] == "测试邮件"
    assert result.parsed["date"] == "2024-05-20T03:29:12+00:00"
    assert "课中练习反馈正确时" in result.text
    [image] = result.children
    assert image.name == "image001.png"
    assert image.data.startswith(b"\x89PNG")


def test_cjk_greetings_are_read(samples: Path) -> None:
    result = read(samples, "Hello +CJK.msg")
    assert result.parsed["subject"] == "Hello +CJK"
    for greeting in ("你好", "こんにちは", "안녕하세요"):
        assert greeting in result.text


def test_ansi_msg_in_code_page_932_is_not_mojibake(samples: Path) -> None:
    result = read(samples, "nonUnicodeCP932.msg")
    assert result.parsed["subject"] == "日本語 Non Unicode タイトル"
    assert "日本語 Non Unicode 本文" in result.text
    assert result.parsed["charsets"] == ["cp932"]


def test_embedded_message_is_exported_as_a_msg_child_with_its_own_child(
    samples: Path,
) -> None:
    result = read(samples, "msgInMsgInMsg.msg")
    assert [c.name for c in result.children] == ["I have attachments!.msg", "blue.png"]
    inner = parse_msg(result.children[0].data, LIMITS)
    assert inner.parsed["subject"] == "I have attachments!"
    assert any(c.name.endswith(".msg") for c in inner.children)
    assert any(c.media_type == "image/png" for c in inner.children)


def test_german_newsletter_keeps_umlauts_offset_and_inline_images(samples: Path) -> None:
    result = read(samples, "mail_outlook_1.msg")
    assert result.parsed["subject"] == (
        "Newsletter Prüfung Personalwesen / Prüfung Eröffnungsbilanz"
    )
    assert result.parsed["date"] == "2017-09-18T12:00:18+02:00"
    assert [c.media_type for c in result.children] == [
        "image/png", "image/gif", "image/jpeg", "image/jpeg", "image/jpeg",
    ]
    assert result.html is not None
    assert "Personalwesen" in result.html
    assert 'src="http' not in result.html  # no remote loads from the viewer


def test_emoji_subject_survives(samples: Path) -> None:
    result = read(samples, "utf_subject.msg")
    assert result.parsed["subject"].startswith("[TESTING] 🔒 ✔ Votre colis")
    assert "commerçant" in result.parsed["subject"]
    assert result.parsed["date"] == "2019-01-31T06:54:19-08:00"


def test_attached_eml_becomes_an_email_child(samples: Path) -> None:
    result = read(samples, "msg_contains_eml.msg")
    [child] = result.children
    assert child.name == "message.eml"
    assert child.media_type == "message/rfc822"
    assert parse_eml(child.data, LIMITS, depth=1).kind == "email"


def test_bytes_that_are_not_an_ole_file_are_refused() -> None:
    with pytest.raises(ParseError):
        parse_msg(b"Subject: an eml, not a msg\r\n\r\nbody", LIMITS)
