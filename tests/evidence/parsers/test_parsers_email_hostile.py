"""Hostile and malformed mail from other parsers' test suites: read, bounded, warned."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult
from caseapp.evidence.parsers.email import parse_eml

LIMITS = Limits()
SECONDS = 5.0


def read(samples: Path, name: str) -> ParseResult:
    started = time.monotonic()
    result = parse_eml((samples / "hostile" / name).read_bytes(), LIMITS)
    assert time.monotonic() - started < SECONDS
    assert result.kind == "email"
    return result


def test_boundaries_ending_in_dashes_keep_their_text(samples: Path) -> None:
    result = read(samples, "stalwart_malformed_005.eml")
    assert "body" in result.text
    assert "body2" in result.text
    assert any("malformed MIME" in w for w in result.warnings)


def test_overlong_prefix_boundaries_without_close_are_salvaged(samples: Path) -> None:
    result = read(samples, "stalwart_malformed_016.eml")
    for piece in ("22", "333", "4444"):
        assert piece in result.text
    assert any("close boundary" in w for w in result.warnings)


def test_corrupted_header_block_still_yields_subject_and_body(samples: Path) -> None:
    result = read(samples, "stalwart_malformed_019.eml")
    assert result.parsed["subject"] == "Sprint 3 multipart fixture"
    assert result.parsed["message_id"] == "<multi-001@example.test>"
    assert result.parsed["date"] is None
    assert "Plain text body of the multipart fixture." in result.text
    assert any("skipped" in w for w in result.warnings)
    assert any("Date" in w for w in result.warnings)


def test_reused_outer_boundary_still_gives_the_text(samples: Path) -> None:
    result = read(samples, "cpython_msg_15.txt")
    assert result.parsed["subject"] == "XX"
    assert "Some removed test." in result.text
    assert result.warnings


def test_boundary_that_never_matches_keeps_the_raw_parts_as_text(samples: Path) -> None:
    result = read(samples, "cpython_msg_31.txt")
    assert "message 1" in result.text
    assert "message 2" in result.text
    assert any("start boundary not found" in w for w in result.warnings)


def test_boundary_lines_inside_text_do_not_lose_it(samples: Path) -> None:
    result = read(samples, "cpython_msg_38.txt")
    assert "which is from a multipart we haven't even seen yet!" in result.text
    assert result.warnings


def test_multipart_without_boundary_is_read_as_text(samples: Path) -> None:
    result = read(samples, "cpython_msg_41.txt")
    assert result.parsed["subject"] == "64423"
    assert result.parsed["date"] == "2004-07-11T16:09:27-03:00"
    assert "Blah blah blah" in result.text
    assert any("no boundary" in w for w in result.warnings)


def test_illegal_base64_character_is_skipped_with_a_warning(samples: Path) -> None:
    result = read(samples, "enmime_malformed-base64-attach.raw")
    [document] = result.children
    assert document.name == "some.doc"
    assert document.media_type == "application/msword"
    assert document.data
    assert any("some.doc" in w and "base64" in w for w in result.warnings)


def test_big5_labelled_us_ascii_comes_out_as_chinese(samples: Path) -> None:
    result = read(samples, "enmime_chardet-success-big-5.raw")
    assert "顏是家訓" in result.text  # sic: the sample itself has 是 for 氏
    assert "夫九州之人，言語不同，生民已來，固常然矣。" in result.text
    assert any("us-ascii" in w for w in result.warnings)


def test_huge_folded_to_header_does_not_exhaust_the_stack(samples: Path) -> None:
    result = read(samples, "mimekit_stack-overflow.txt")
    assert result.parsed["subject"] == "Message Subject"
    assert result.parsed["to"].startswith('"test" <test@test.com>, date>2017-08-20T10:08:28.617')
    assert result.parsed["to"].count("2017-08-20") > 2000
    assert result.text.rstrip().endswith("Message Body")


def test_gb2312_label_on_gbk_bytes_gives_the_japanese_bounce_cleanly(samples: Path) -> None:
    result = read(samples, "php_failure.eml")
    assert "次の受信者またはグループへの配信に失敗しました" in result.text
    assert "\ufffd" not in result.text
    assert any("close boundary" in w for w in result.warnings)


def test_unknown_8bit_cc_header_is_read_as_utf8_with_a_warning(samples: Path) -> None:
    result = read(samples, "demisto_test-unknown-8bit.eml")
    assert "<testwürth@test.com>" in result.parsed["cc"]
    assert any("unknown-8bit" in w for w in result.warnings)


def test_utf8_bom_before_the_headers_is_ignored(samples: Path) -> None:
    result = read(samples, "demisto_utf_8_with_bom.eml")
    assert result.parsed["subject"] == "Test UTF Email"
    assert "עברית" in result.text


def test_four_nested_messages_are_children_of_children(samples: Path) -> None:
    result = read(samples, "webklex_four_nested_emails.eml")
    subjects = [result.parsed["subject"]]
    depth = 0
    while result.children:
        [child] = result.children
        assert child.media_type == "message/rfc822"
        depth += 1
        result = parse_eml(child.data, LIMITS, depth=depth)
        subjects.append(result.parsed["subject"])
    assert subjects == ["3-third-subject", "2-second-subject", "1-first-subject", "0-zero-subject"]
    assert "0-zero-content" in result.text


def test_mime_torture_test_yields_its_embedded_messages(samples: Path) -> None:
    result = read(samples, "postal-mime_mimetorture.eml")
    assert len(result.children) == 10
    assert all(c.media_type == "message/rfc822" for c in result.children)
    inner = [parse_eml(c.data, LIMITS, depth=1) for c in result.children]
    assert inner[1].parsed["subject"] == "messages inside messages inside..."
    assert [c.media_type for c in inner[1].children] == ["message/rfc822"]
    assert [c.name for c in inner[8].children] == ["smiley-3.png", "dot.gif", "signature.asc"]


def test_html_punctuation_soup_does_not_blow_the_parser(samples: Path) -> None:
    result = read(samples, "nodemailer_htmllargecallstack.eml")
    assert result.parsed["subject"] == "Kill the HTML parser"
    assert result.html is not None
    assert "<title" not in result.html


def test_part_budget_stops_the_walk_with_a_warning() -> None:
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(50))
    data = f'Subject: parts\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n{parts}--b--\r\n'
    result = parse_eml(data.encode(), Limits(max_parts=10))
    assert "part 8" in result.text
    assert "part 20" not in result.text
    assert any("MIME parts" in w for w in result.warnings)


def test_absurdly_deep_nesting_is_refused_or_read_never_crashes() -> None:
    depth = 3000
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    data = ("Subject: deep\r\n" + opening + "Content-Type: text/plain\r\n\r\nbottom\r\n").encode()
    started = time.monotonic()
    try:
        result = parse_eml(data, LIMITS)
    except ParseError:
        pass
    else:
        assert result.parsed["subject"] == "deep"
    assert time.monotonic() - started < SECONDS


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in (Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "hostile")
        .glob("*")
        if p.suffix in {".eml", ".txt", ".raw"}
    ),
)
def test_every_hostile_mail_parses_quickly(samples: Path, name: str) -> None:
    read(samples, name)


def test_a_charset_name_with_a_nul_in_it_still_yields_the_body() -> None:
    # Found by the fuzzer: 8-bit bytes in a header block made the standard library
    # decode the body with the declared charset, and a NUL in its name raised.
    message = (
        b"From: a@example.org\nSubject: ZAPP\nMime-Version: 1.0\n"
        b'Content-Type: text/plain;\n\tcharset=\x00"iso-8859-2"\n'
        b"\x80eceived: from lug.lug.ro\n\nBun\xe3 ziua, portul USB nu merge.\n"
    )
    result = parse_eml(message, LIMITS)
    assert result.kind == "email"
    assert "ziua, portul USB nu merge." in result.text
    assert any("did not fit" in w for w in result.warnings)
