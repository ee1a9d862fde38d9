"""Mailboxes split into child messages, with an index as their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseapp.evidence.parsers.base import Limits, ParseError
from caseapp.evidence.parsers.email import parse_eml
from caseapp.evidence.parsers.mbox import parse_mbox

LIMITS = Limits()


def test_mailing_list_archive_yields_five_messages_in_order(samples: Path) -> None:
    result = parse_mbox((samples / "email" / "rlug.mbox").read_bytes(), LIMITS)
    assert result.kind == "mbox"
    assert [c.name for c in result.children] == [f"message-000{i}.eml" for i in range(1, 6)]
    assert all(c.media_type == "message/rfc822" for c in result.children)
    assert result.parsed["message_count"] == 5
    assert result.parsed["first_at"] == "2003-02-07T18:35:25+02:00"
    assert result.parsed["last_at"] == "2003-02-08T01:58:32+02:00"
    assert result.parsed["subjects"][1] == "Re: RH 8.0 boot floppy"
    assert "lonely wolf <wolfy@pcnet.ro>  Re: RH 8.0 boot floppy" in result.text
    first = parse_eml(result.children[0].data, LIMITS, depth=1)
    assert first.parsed["subject"] == "Din windows ma pot, din LINUX NU ma pot conecta (la ZAPP)"
    assert first.parsed["charsets"] == ["iso8859-2"]


def test_takeout_mbox_keeps_the_7z_attachment_with_no_blank_line(samples: Path) -> None:
    result = parse_mbox((samples / "email" / "issue1189.mbox").read_bytes(), LIMITS)
    assert result.parsed["subjects"] == ["Message 1", "Message 2", "Message 3", "Message 4"]
    second = parse_eml(result.children[1].data, LIMITS, depth=1)
    [archive] = second.children
    assert archive.name == "Attachment.zip"
    assert archive.data.startswith(b"7z\xbc\xaf\x27\x1c")  # really 7z, whatever it is named
    assert "Body of message 2." in second.text


def test_unescaped_from_lines_in_bodies_do_not_split_messages(samples: Path) -> None:
    result = parse_mbox((samples / "hostile" / "mimekit_unmunged.mbox").read_bytes(), LIMITS)
    assert result.parsed["message_count"] == 2
    assert result.parsed["first_at"] is None
    second = parse_eml(result.children[1].data, LIMITS, depth=1)
    assert "From Russia with love\nYear: 1963" in second.text
    assert "What did Thunderbird do this time?" in second.text


def test_messages_beyond_max_children_are_dropped_with_a_warning() -> None:
    data = b"".join(
        b"From a@b Tue Mar 04 03:33:20 2003\nSubject: m%d\n\nbody\n\n" % i for i in range(6)
    )
    result = parse_mbox(data, Limits(max_children=4))
    assert len(result.children) == 4
    assert result.warnings


def test_text_without_separators_is_not_an_mbox() -> None:
    with pytest.raises(ParseError):
        parse_mbox(b"Subject: just one mail\n\nhello\n", LIMITS)
