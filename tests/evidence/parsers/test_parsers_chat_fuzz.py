"""A brief fuzz run over the chat readers: any bytes give a result or a ParseError."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.evidence.parsers import parse
from caseapp.evidence.parsers.base import Limits, ParseError
from caseapp.evidence.parsers.chat import parse_chat

LIMITS = Limits(max_messages=200)
BRIEF = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no example database written into the working tree
    suppress_health_check=[HealthCheck.too_slow],
)

header = st.builds(
    "{}/{}/{}, {}:{:02d}{} - {}: {}".format,
    st.integers(0, 40), st.integers(0, 40), st.integers(0, 3000),
    st.integers(0, 30), st.integers(0, 70),
    st.sampled_from(["", " AM", " p. m.", "\u202fpm", "_AM"]),
    st.text(max_size=12), st.text(max_size=40),
)
line_export = st.lists(st.one_of(header, st.text(max_size=40)), max_size=30).map("\n".join)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["messages", "from", "text", "date", "date_unixtime", "sender_name",
                         "timestamp_ms", "content", "type", "chats", "list", "photos", "uri"]),
        inner, max_size=5,
    ),
    max_leaves=25,
)


def _read(data: bytes) -> None:
    try:
        result = parse_chat(data, LIMITS)
    except ParseError:
        return
    assert result.kind == "chat"
    assert result.parsed["message_count"] == len(result.transcript)
    assert result.parsed["message_count"] <= LIMITS.max_messages


@BRIEF
@given(line_export, st.sampled_from(["utf-8", "utf-16", "gb18030"]))
def test_line_exports_never_crash(text, encoding):
    _read(text.encode(encoding, errors="replace"))


@BRIEF
@given(json_value)
def test_json_exports_never_crash(value):
    _read(json.dumps(value).encode())


@BRIEF
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_the_dispatcher(data):
    result = parse(data, "text/plain", "chat")

    assert result.kind == "chat"
