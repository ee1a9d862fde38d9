"""Telegram Desktop's HTML export (messages.html, messages2.html, ...).

Each message is a `div.message.default`; a "joined" message has no `from_name` and
continues the previous sender. The full time is in the title of `div.date`
("23.08.2023 13:11:23 UTC-08:00"; exports before 2021 leave out the zone).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes
from caseapp.evidence.parsers.chat_common import Message, build_result, zone

_TITLE = re.compile(
    r"(?P<d>\d{2})\.(?P<m>\d{2})\.(?P<y>\d{4}) (?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})"
    r"(?: UTC(?P<sign>[+-])(?P<oh>\d{2}):(?P<om>\d{2}))?"
)
_BREAK = "\x00"  # stands for <br>: source newlines are only whitespace
_MAX_DEPTH = 200  # deeper div nesting than any real export: stop tracking, warn


class TooDeeplyNested(ParseError):
    """The HTML nests elements deeper than any Telegram export does."""


def looks_like_telegram_html(text: str) -> bool:
    """True for the page Telegram Desktop writes (its history and message classes)."""
    head = text[:20_000]
    return 'class="history"' in head and 'class="message' in head


class _Reader(HTMLParser):
    """Collects (title, from_name, text, media) per message div; nothing else matters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.messages: list[dict[str, str | None]] = []
        self._stack: list[str | None] = []  # role of each open div (None if uninteresting)
        self._capture: str | None = None
        self._capture_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "a" and self.messages and ("photo_wrap" in classes or "media" in classes):
            href = attributes.get("href")
            if href and not self.messages[-1].get("media"):
                self.messages[-1]["media"] = href
        if tag == "br" and self._capture == "text":
            self.messages[-1]["text"] = (self.messages[-1]["text"] or "") + _BREAK
        if tag != "div":
            return
        if len(self._stack) > _MAX_DEPTH:
            raise TooDeeplyNested("HTML nested too deeply")
        role: str | None = None
        if "message" in classes and "default" in classes:
            self.messages.append(
                {"title": None, "from": None, "text": None, "media": None,
                 "joined": "joined" if "joined" in classes else None}
            )
            role = "message"
        elif self.messages and "date" in classes and "details" in classes:
            self.messages[-1]["title"] = attributes.get("title")
        elif self.messages and "from_name" in classes and self._capture is None:
            role = "from"
        elif self.messages and "text" in classes and self._capture is None:
            role = "text"
        self._stack.append(role)
        if role in ("from", "text"):
            self._capture = role
            self._capture_depth = len(self._stack)
            self.messages[-1][role] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag != "div" or not self._stack:
            return
        if self._capture is not None and len(self._stack) == self._capture_depth:
            self._capture = None
        self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._capture is not None and self.messages:
            self.messages[-1][self._capture] = (self.messages[-1][self._capture] or "") + data


def parse_telegram_html(data: bytes, limits: Limits, tz: str = "UTC") -> ParseResult:
    """Read one page of a Telegram Desktop HTML export into a transcript."""
    decoded = decode_bytes(data, "utf-8")
    warnings = list(decoded.warnings)
    reader = _Reader()
    try:
        reader.feed(decoded.text)
        reader.close()
    except TooDeeplyNested:
        warnings.append("the page nests too deeply; only the messages before that were read")
    zone_info = zone(tz)
    messages: list[Message] = []
    sender: str | None = None
    assumed = False
    for raw in reader.messages:
        if raw["from"] is not None:
            sender = _squash(raw["from"]) or None
        elif not raw["joined"]:
            sender = None
        at, naive = _time(raw["title"], zone_info)
        assumed = assumed or naive
        text = "\n".join(_squash(line) for line in (raw["text"] or "").split(_BREAK))
        messages.append(Message(at=at, sender=sender, text=text.strip(), media=raw["media"]))
    extra: dict[str, object] = {}
    if assumed:
        extra["timezone_assumed"] = tz
        warnings.append(f"the export gives no time zone; times were read as {tz}")
    return build_result("telegram", messages, limits, warnings, extra)


def _time(title: str | None, zone_info: timezone | object) -> tuple[datetime | None, bool]:
    match = _TITLE.search(title or "")
    if match is None:
        return None, False
    try:
        stamp = datetime(
            int(match["y"]), int(match["m"]), int(match["d"]),
            int(match["H"]), int(match["M"]), int(match["S"]),
        )
    except ValueError:
        return None, False
    if match["sign"]:
        offset = timedelta(hours=int(match["oh"]), minutes=int(match["om"]))
        sign = -1 if match["sign"] == "-" else 1
        return stamp.replace(tzinfo=timezone(sign * offset)), False
    return stamp.replace(tzinfo=zone_info), True  # type: ignore[arg-type]


def _squash(text: str) -> str:
    return " ".join(text.split())
