"""The dossier as HTML: a standalone Jinja2 environment over templates/dossier/.

Autoescape is on, so user text is always escaped; the only markup inserted as-is is an email's
HTML body, which the ingest step has already sanitised, and it goes inside its own container.
The view data is prepared here (truncation, labels, image URLs), so templates hold no logic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from caseapp.export.context import DossierContext, EvidenceInfo
from caseapp.export.exhibits import slice_count
from caseapp.export.i18n import Catalogue
from caseapp.export.manifest import attachment_name, evidence_label
from caseapp.export.narrative import custody_lines
from caseapp.export.wording import TimestampWording
from caseapp.timezones import wall_time, zone_assumed

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "dossier"
EVIDENCE_SCHEME = "caseapp-evidence"
STATIC_SCHEME = "caseapp-static"

# Bounds that keep a 200-item dossier readable and fast to lay out; the full content is
# always in the embedded original.
MAX_TRANSCRIPT_LINES = 80
MAX_TEXT_CHARS = 12_000
MAX_HTML_CHARS = 60_000
MAX_IMAGES_PER_ITEM = 4


@dataclass
class EvidenceView:
    """What the template shows for one evidence item."""

    item: EvidenceInfo
    label: str
    kind_label: str
    attachment: str
    parent_label: str | None
    header_rows: list[tuple[str, str]] = field(default_factory=list)
    body_html: Markup | None = None
    body_text: str | None = None
    text_note: str | None = None
    transcript: list[dict[str, str]] = field(default_factory=list)
    transcript_note: str | None = None
    images: list[tuple[str, str]] = field(default_factory=list)  # (url, caption)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"UTC{text[:3]}:{text[3:]}" if text else "UTC"


def _filesize(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    return str(value)


def _parse_moment(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return text


class _Formatter:
    """Date and time formatting in one dossier's local time zone."""

    def __init__(self, tz_name: str) -> None:
        self.zone = _zone(tz_name)

    def local(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        value = _as_aware(moment).astimezone(self.zone)
        return f"{value:%Y-%m-%d %H:%M} ({_offset(value)})"

    def moment(self, value: Any) -> str:
        """A parser's time (datetime, ISO 8601 or RFC 2822 text) in local time, else as given."""
        if isinstance(value, str):
            value = _parse_moment(value)
        return self.local(value) if isinstance(value, datetime) else _as_text(value)

    def utc(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return f"{_as_aware(moment).astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"

    def date(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return f"{_as_aware(moment).astimezone(self.zone):%Y-%m-%d}"


_HEADER_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "email": (("subject", "subject"), ("from", "from"), ("to", "to"), ("cc", "cc"),
              ("date", "date"), ("attachments", "attachments")),
    "mbox": (("messages", "message_count"),),
    "chat": (("platform", "platform"), ("participants", "participants"),
             ("messages", "message_count")),
    "image": (("dimensions", "_dimensions"), ("taken_at", "taken_at"), ("camera", "camera")),
    "pdf": (("pages", "pages"),),
    "text": (("encoding", "encoding"),),
}


def _header_rows(item: EvidenceInfo, t: Catalogue, fmt: _Formatter) -> list[tuple[str, str]]:
    parsed = dict(item.parsed)
    if parsed.get("width") and parsed.get("height"):
        parsed["_dimensions"] = f"{parsed['width']} × {parsed['height']} px"
    rows = []
    for label_key, field_key in _HEADER_KEYS.get(item.kind, ()):
        raw = parsed.get(field_key)
        if field_key == "taken_at" and raw:
            value = _taken_at(parsed, t, fmt)
        elif field_key == "date" and isinstance(raw, str):
            value = fmt.moment(raw)
        elif field_key == "attachments" and isinstance(raw, list):
            value = "; ".join(_attachment_text(a) for a in raw)
        else:
            value = _as_text(raw)
        if value:
            rows.append((t(label_key), value))
    return rows


def _taken_at(parsed: dict[str, Any], t: Catalogue, fmt: _Formatter) -> str:
    """When a photo was taken: in the dossier's zone when its zone is known; otherwise
    the camera's own clock, labelled, since converting a guess would present it as fact."""
    value = str(parsed["taken_at"])
    if zone_assumed(parsed):
        return f"{wall_time(value)} ({t('zone_assumed')})"
    source = parsed.get("taken_at_zone")
    note = f" ({t('zone_' + source)})" if source in ("exif", "gps") else ""
    return fmt.moment(value) + note


def _attachment_text(attachment: Any) -> str:
    if not isinstance(attachment, dict):
        return _as_text(attachment)
    extras = [_as_text(attachment.get("media_type"))]
    if isinstance(attachment.get("size"), int):
        extras.append(_filesize(attachment["size"]))
    details = ", ".join(e for e in extras if e)
    name = _as_text(attachment.get("name"))
    return f"{name} ({details})" if details else name


_PDF_PAGE_MARK = re.compile(r"^--- page (\d+) ---$", re.MULTILINE)
_EMAIL_HEADER = re.compile(r"^(Subject|From|To|Cc|Date|Attachments): ")


def _readable_text(item: EvidenceInfo, t: Catalogue) -> str | None:
    """The item's extracted text with the parsers' English scaffolding put in the
    dossier's language: page marks of a PDF, the header block of an email (its
    headers are already in the facts table). An image's text only repeats its facts."""
    text = item.text
    if not text or item.kind == "image":
        return None
    if item.kind == "pdf":
        return _PDF_PAGE_MARK.sub(lambda m: t("page_heading", page=m.group(1)), text)
    if item.kind == "email" and _EMAIL_HEADER.match(text):
        head, _, body = text.partition("\n\n")
        if all(_EMAIL_HEADER.match(line) for line in head.splitlines()):
            return body
    return text


def _image_views(item: EvidenceInfo, t: Catalogue) -> list[tuple[str, str]]:
    views = []
    for index, image in enumerate(item.images[:MAX_IMAGES_PER_ITEM]):
        url = f"{EVIDENCE_SCHEME}:{item.number}/{index}"
        if image.page is not None:
            views.append((f"{url}/0", t("page_preview", page=image.page)))
            continue
        total = slice_count(image)
        for part in range(total):
            caption = t("image_part", part=part + 1, total=total) if total > 1 else ""
            views.append((f"{url}/{part}", " · ".join(c for c in (image.caption, caption) if c)))
    return views


def _evidence_view(item: EvidenceInfo, t: Catalogue, fmt: _Formatter) -> EvidenceView:
    view = EvidenceView(
        item=item,
        label=evidence_label(item.number),
        kind_label=t.kind(item.kind),
        attachment=attachment_name(item),
        parent_label=(
            t("part_of", parent=evidence_label(item.parent_number))
            if item.parent_number is not None
            else None
        ),
        header_rows=_header_rows(item, t, fmt),
    )
    if item.transcript:
        total = len(item.transcript)
        for entry in item.transcript[:MAX_TRANSCRIPT_LINES]:
            view.transcript.append({
                "at": fmt.moment(entry.get("at")),
                "sender": _as_text(entry.get("sender")),
                "text": _message_text(entry, t),
            })
        if total > MAX_TRANSCRIPT_LINES:
            view.transcript_note = t("transcript_cut", shown=MAX_TRANSCRIPT_LINES, total=total)
    elif item.html and len(item.html) <= MAX_HTML_CHARS:
        # Sanitised by the ingest step (nh3); the fetcher still refuses any remote load in it.
        view.body_html = Markup(item.html)  # noqa: S704
    elif text := _readable_text(item, t):
        view.body_text = text[:MAX_TEXT_CHARS]
        if len(text) > MAX_TEXT_CHARS:
            view.text_note = t("text_cut", shown=MAX_TEXT_CHARS)
    view.images = _image_views(item, t)
    return view


def _message_text(entry: dict[str, Any], t: Catalogue) -> str:
    text = _as_text(entry.get("text"))
    media = _as_text(entry.get("media"))
    if media:
        note = t("media_attached", name=media)
        return f"{text} {note}" if text else note
    return text


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(
    ctx: DossierContext,
    signer_fingerprint: str | None = None,
    timestamp: TimestampWording | None = None,
) -> str:
    """Render the dossier's HTML in its own language, ready for WeasyPrint."""
    timestamp = timestamp or TimestampWording()
    t = Catalogue(ctx.lang)
    fmt = _Formatter(ctx.timezone)
    env = _environment()
    env.filters["local"] = fmt.local
    env.filters["utc"] = fmt.utc
    env.filters["date"] = fmt.date
    env.filters["filesize"] = _filesize
    evidence = sorted(ctx.evidence, key=lambda e: e.number)
    template = env.get_template("dossier.html")
    return template.render(
        ctx=ctx,
        case=ctx.case,
        t=t,
        lang=ctx.lang,
        tz_name=fmt.zone.key,
        evidence=[_evidence_view(item, t, fmt) for item in evidence],
        events=sorted(ctx.events, key=lambda e: _as_aware(e.occurred_at)),
        custody=custody_lines(ctx, t, fmt.local, fmt.utc),
        letter_template=f"letters/{ctx.recipient}.{ctx.lang}.html",
        verify_template=f"verify.{ctx.lang}.html",
        signer_fingerprint=signer_fingerprint,
        timestamp_term=timestamp.term(ctx.lang),
        timestamp_note=timestamp.note(ctx.lang),
        evidence_label=evidence_label,
    )
