"""The parser dispatcher: one entry point that reads any piece of evidence and never raises.

`parse` picks the reader by the sniffed kind (see `caseapp.evidence.sniff`); whatever
goes wrong inside a reader becomes a warning on an otherwise empty result, so an upload
always succeeds with its hash. Untrusted files should go through
`caseapp.evidence.parsers.sandbox.parse_isolated`, which runs this in a child process.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult

log = logging.getLogger(__name__)

# Reader modules, imported on first use (and ahead of time by the sandbox's fork server).
PARSER_MODULES = (
    "caseapp.evidence.parsers.chat",
    "caseapp.evidence.parsers.email",
    "caseapp.evidence.parsers.mbox",
    "caseapp.evidence.parsers.msg",
    "caseapp.evidence.parsers.html",
    "caseapp.evidence.parsers.image",
    "caseapp.evidence.parsers.pdf",
    "caseapp.evidence.parsers.text",
)
OUTLOOK_MEDIA_TYPE = "application/vnd.ms-outlook"
_REASON_CHARS = 200


def parse(
    data: bytes,
    media_type: str,
    kind: str,
    filename: str | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
    depth: int = 0,
    tz: str = "UTC",
) -> ParseResult:
    """Read `data` as `kind`; on any failure return a result whose warning says why.

    `filename` is display text, used only as a hint between look-alike chat shapes.
    `tz` is the zone for chat exports and photo times that carry none.
    """
    try:
        result = _dispatch(data, media_type, kind, filename, limits, depth, tz)
    except ParseError as exc:
        return _failed(kind, str(exc))
    except MemoryError:
        return _failed(kind, "not enough memory to read it")
    except RecursionError:
        return _failed(kind, "it is nested too deeply")
    except Exception as exc:  # a reader bug must cost a warning, never the upload
        log.warning("parser for %s failed: %s", kind, type(exc).__name__)
        return _failed(kind, f"{type(exc).__name__}: {exc}")
    if not result.kind:
        result.kind = kind
    return result


def _dispatch(
    data: bytes,
    media_type: str,
    kind: str,
    filename: str | None,
    limits: Limits,
    depth: int,
    tz: str,
) -> ParseResult:
    if depth > limits.max_depth:
        return ParseResult(kind=kind, warnings=["nested too deeply; not read"])
    if kind == "email":
        if media_type == OUTLOOK_MEDIA_TYPE:
            return _reader("msg", "parse_msg")(data, limits)
        return _reader("email", "parse_eml")(data, limits, depth)
    if kind == "mbox":
        return _reader("mbox", "parse_mbox")(data, limits)
    if kind == "chat":
        return _reader("chat", "parse_chat")(data, limits, filename, tz)
    if kind == "image":
        return _reader("image", "parse_image")(data, limits, tz)
    if kind == "pdf":
        return _reader("pdf", "parse_pdf")(data, limits)
    if kind == "text":
        return _text(data, media_type, filename, limits, tz)
    return ParseResult(kind=kind)


def _text(
    data: bytes, media_type: str, filename: str | None, limits: Limits, tz: str
) -> ParseResult:
    """Plain text, unless it is a chat export or an HTML page."""
    if _reader("chat", "looks_like_chat")(data):
        return _reader("chat", "parse_chat")(data, limits, filename, tz)
    result: ParseResult = _reader("text", "parse_text")(data, limits)
    if media_type in ("text/html", "application/xhtml+xml"):
        html_to_text = _reader("html", "html_to_text")
        result.parsed["html"] = True
        result.text = html_to_text(result.text or "", limits.max_text_chars)
    return result


def _reader(module: str, name: str) -> Callable[..., Any]:
    found: Callable[..., Any] = getattr(
        importlib.import_module(f"caseapp.evidence.parsers.{module}"), name
    )
    return found


def _failed(kind: str, reason: str) -> ParseResult:
    reason = " ".join(reason.split()) or "unknown error"
    if len(reason) > _REASON_CHARS:
        reason = reason[: _REASON_CHARS - 3] + "..."
    return ParseResult(kind=kind, warnings=[f"could not read this file: {reason}"])
