"""Every .eml sample under samples/email/ read into headers, text and children."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult
from caseapp.evidence.parsers.email import parse_eml

LIMITS = Limits()


def read(samples: Path, name: str) -> ParseResult:
    return parse_eml((samples / "email" / name).read_bytes(), LIMITS)


def test_gb2312_subject_and_sender_decode_while_a_lying_body_label_is_caught(
    samples: Path,
) -> None:
    result = read(samples, "mail_test_12.eml")
    assert result.kind == "email"
    assert result.parsed["subject"] == "代开各地增值税发票"
    assert result.parsed["from"] == "张先生 <baoguan@hotmail.com>"
    assert result.parsed["to"] == "danglüe@email.com"  # raw 8-bit UTF-8 header
    assert result.parsed["date"] == "2018-05-13T12:32:22+08:00"
    assert "我公司可代开各类增值税发票" in result.text
    assert result.parsed["charsets"] == ["utf-8"]
    assert any("gb2312" in w for w in result.warnings)


def test_raw_utf8_subject_without_encoded_words_is_read(samples: Path) -> None:
    result = read(samples, "chinese_email_test.eml")
    assert result.parsed["subject"] == "示例邮件"
    assert result.parsed["date"] == "2019-01-23T18:55:56+01:00"
    assert "这是一个示例邮件，用于演示指定的条件。" in result.text
    assert "可以支持多种语言的字符，包括中文。" in result.text
    assert result.warnings == []


@pytest.mark.parametrize(
    ("name", "chinese", "codec"),
    [
        ("chinese_gb2312_encoding.eml", "你好，我是程序员，很高兴认识你", "gb18030"),
        ("chinese_gbk_encoding.eml", "你好，中国", "gb18030"),
        ("chinese_big5_encoding.eml", "圖形碼", "big5hkscs"),
    ],
)
def test_base64_chinese_bodies_decode_by_their_labels(
    samples: Path, name: str, chinese: str, codec: str
) -> None:
    result = read(samples, name)
    assert result.text.endswith(chinese)
    assert result.parsed["charsets"] == [codec]
    assert result.warnings == []


def test_message_without_a_date_header_has_a_null_date(samples: Path) -> None:
    result = read(samples, "chinese_big5_encoding.eml")
    assert result.parsed["date"] is None
    assert result.parsed["subject"] == "Hello from China"


def test_raw_big5_subject_mangled_through_latin1_is_recovered(samples: Path) -> None:
    result = read(samples, "content_transfer_encoding_empty.eml")
    assert "大家說英語" in result.parsed["subject"]
    assert "繁體中文光碟版" in result.parsed["subject"]
    assert "軟體帝國更新迅速" in result.text  # the Big5 HTML body, rendered as text
    assert "軟體帝國更新迅速" in (result.html or "")
    assert result.parsed["date"] is None
    assert any("repaired" in w for w in result.warnings)


def test_partially_encoded_subject_and_euc_kr_body(samples: Path) -> None:
    result = read(samples, "raw_email_with_partially_quoted_subject.eml")
    assert result.parsed["subject"] == 'Re: Test: "漢字" mid "漢字" tail'
    assert result.parsed["date"] == "2005-05-02T16:07:05-06:00"
    assert "제 이름은 Jamis입니다." in result.text
    assert result.parsed["charsets"] == ["cp949"]


def test_x_gbk_alias_is_understood(samples: Path) -> None:
    result = read(samples, "gbk_charset.eml")
    assert result.parsed["charsets"] == ["gb18030"]
    assert result.text.rstrip().endswith("\n\nHi")
    assert result.warnings == []


def test_iphone_photo_becomes_a_child_despite_leading_garbage(samples: Path) -> None:
    result = read(samples, "iphone.eml")
    assert result.parsed["from"] == "Danielle <someone@somewhere.com>"
    assert result.parsed["date"] == "2011-06-17T13:24:10-07:00"
    [photo] = result.children
    assert photo.name == "photo.JPG"
    assert photo.media_type == "image/jpeg"
    assert photo.data.startswith(b"\xff\xd8")
    assert result.parsed["attachments"] == [
        {"name": "photo.JPG", "media_type": "image/jpeg", "size": len(photo.data)}
    ]


def test_forwarded_eml_sent_as_octet_stream_is_a_message_child(samples: Path) -> None:
    result = read(samples, "eml_contains_base64_eml.eml")
    [child] = result.children
    assert child.name == "message.eml"
    assert child.media_type == "message/rfc822"
    inner = parse_eml(child.data, LIMITS, depth=1)
    assert inner.kind == "email"
    assert inner.parsed["subject"]


def test_gmail_message_has_text_safe_html_and_a_text_attachment(samples: Path) -> None:
    result = read(samples, "fake-email-attachment.eml")
    assert result.parsed["subject"] == "Fake email with attachment"
    assert result.parsed["date"] == "2022-12-23T12:08:48-06:00"
    assert "Here's the attachments!" in result.text
    assert "Here's the attachments!" in (result.html or "")
    [attachment] = result.children
    assert attachment.name == "fake-attachment.txt"
    assert attachment.media_type == "text/plain"
    assert result.warnings == []


def test_embedded_messages_are_listed_but_not_extracted_past_max_depth(samples: Path) -> None:
    data = (samples / "email" / "iphone.eml").read_bytes()
    result = parse_eml(data, Limits(max_depth=2), depth=2)
    assert result.children == []
    assert result.parsed["attachments"][0]["name"] == "photo.JPG"
    assert result.warnings


def test_children_are_capped_by_max_children() -> None:
    parts = "".join(
        f"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        f'filename="f{i}.pdf"\r\n\r\nx\r\n'
        for i in range(5)
    )
    data = f'Subject: many\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n{parts}--b--\r\n'
    result = parse_eml(data.encode(), Limits(max_children=2))
    assert [c.name for c in result.children] == ["f0.pdf", "f1.pdf"]
    assert len(result.parsed["attachments"]) == 5
    assert any("first 2" in w for w in result.warnings)


def test_encoded_words_split_mid_character_are_joined_before_decoding() -> None:
    raw = "中文主题".encode("gbk")
    first = base64.b64encode(raw[:3]).decode()
    second = base64.b64encode(raw[3:]).decode()
    data = f"Subject: =?gb2312?B?{first}?=\r\n =?gb2312?B?{second}?=\r\n\r\nbody\r\n"
    assert parse_eml(data.encode(), LIMITS).parsed["subject"] == "中文主题"


def test_rfc2047_filename_in_gb2312_is_decoded() -> None:
    name = "合同.pdf".encode("gbk")
    encoded = base64.b64encode(name).decode()
    data = (
        'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=gb2312\r\n\r\nhello\r\n"
        f'--b\r\nContent-Type: application/pdf; name="=?gb2312?B?{encoded}?="\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )
    [child] = parse_eml(data.encode(), LIMITS).children
    assert child.name == "合同.pdf"
    assert child.data == b"%PDF-"


def test_bytes_without_any_header_are_refused() -> None:
    with pytest.raises(ParseError):
        parse_eml(b"\x00\x01\x02 not an email at all", LIMITS)
