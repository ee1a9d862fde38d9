"""What every evidence parser returns.

Parsers read the plaintext of one piece of evidence (already in memory, bounded in
size by the caller) and describe it. They never touch the database, the vault or the
disk; `caseapp.evidence.ingest` stores what they return, encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ParseError(Exception):
    """The file could not be read as the kind it claims to be."""


@dataclass(frozen=True)
class Limits:
    """Bounds every parser honours, so a hostile file cannot exhaust the server."""

    max_depth: int = 5  # nested messages / attachments
    max_children: int = 200  # attachments per upload, all levels together
    max_parts: int = 1000  # MIME parts walked per message
    max_text_chars: int = 5_000_000  # extracted text kept
    max_image_pixels: int = 64_000_000  # decompression-bomb bound
    max_pdf_preview_pages: int = 3
    max_messages: int = 200_000  # chat messages
    # Elements open at once in an email's HTML: html5ever's time grows with depth.
    max_html_depth: int = 100
    seconds: float = 30.0  # wall-clock time per file (enforced by the sandbox)
    memory_bytes: int = 1_536 * 1024 * 1024  # address space of the sandbox process


@dataclass
class Child:
    """A file found inside another one (an email attachment, a message in an mbox)."""

    name: str
    data: bytes
    media_type: str | None = None
    description: str | None = None


@dataclass
class Rendition:
    """A derived picture: a thumbnail of an image, a preview of a PDF page."""

    role: str  # "thumbnail" or "page-1", "page-2", ...
    media_type: str  # "image/png" or "image/jpeg"
    data: bytes
    width: int = 0
    height: int = 0


@dataclass
class ParseResult:
    """Everything read out of one file.

    `parsed` is the per-kind summary documented in CONTRACT.md ("Evidence metadata"):
    email: subject, from, to, cc, date, attachments
    chat: platform, participants, message_count, first_at, last_at
    image: width, height, taken_at, camera, gps, orientation, format
    pdf: pages, encrypted
    text: encoding
    Times are ISO 8601 strings with their offset.
    """

    kind: str  # "email", "mbox", "chat", "image", "pdf", "text", "other"
    parsed: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # everything readable, as plain UTF-8 text
    html: str | None = None  # sanitised HTML body of an email, safe to show
    transcript: list[dict[str, Any]] | None = None  # chat: [{at, sender, text, media}]
    warnings: list[str] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    renditions: list[Rendition] = field(default_factory=list)
