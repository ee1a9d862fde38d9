"""Fuzzing the mail parsers: whatever the bytes, they return a result or a ParseError."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes
from caseapp.evidence.parsers.email import parse_eml
from caseapp.evidence.parsers.html import html_to_text, sanitise_email_html
from caseapp.evidence.parsers.mbox import parse_mbox

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
SEEDS = [
    (SAMPLES / "email" / name).read_bytes()[:20_000]
    for name in (
        "mail_test_12.eml",
        "fake-email-attachment.eml",
        "raw_email_with_partially_quoted_subject.eml",
        "content_transfer_encoding_empty.eml",
        "rlug.mbox",
    )
]
LIMITS = Limits(max_parts=100, max_children=20)
FUZZ = settings(
    max_examples=100,
    deadline=3000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    """A real message with bytes flipped, cut out and spliced in."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[position : position + draw(st.integers(1, 200))]
        else:
            snippet = draw(
                st.sampled_from(
                    [b"\r\n--", b"=?gb2312?B?", b"?=", b"\xb2\xe2", b"From - \n", b"\n\n",
                     b"Content-Type: multipart/mixed; boundary=x\n", b"--x\n", b"\x00"]
                )
            )
            data[position:position] = snippet
    return bytes(data)


def _survives(parser: Callable[[bytes, Limits], ParseResult], data: bytes) -> None:
    try:
        result = parser(data, LIMITS)
    except ParseError:
        return
    assert isinstance(result.text, str)
    assert isinstance(result.warnings, list)


@FUZZ
@given(st.one_of(st.binary(max_size=2000), mutated_mail()))
def test_parse_eml_never_raises_anything_but_parse_error(data: bytes) -> None:
    _survives(parse_eml, data)


@FUZZ
@given(st.one_of(st.binary(max_size=2000), mutated_mail()))
def test_parse_mbox_never_raises_anything_but_parse_error(data: bytes) -> None:
    _survives(parse_mbox, data)


@FUZZ
@given(st.binary(max_size=500), st.sampled_from([None, "gb2312", "big5", "us-ascii", "utf-8",
                                                  "unknown-8bit", "hz-gb-2312", "bogus"]))
def test_decode_bytes_always_returns_text(data: bytes, label: str | None) -> None:
    decoded = decode_bytes(data, label)
    assert isinstance(decoded.text, str)


@FUZZ
@given(st.text(alphabet=st.sampled_from("<>/!-=\"' abc字&;#x"), max_size=500))
def test_html_helpers_accept_any_markup(html: str) -> None:
    assert "<script" not in sanitise_email_html(html + "<script>x</script>")
    assert isinstance(html_to_text(html), str)
