"""What the readers said about a file, as codes, severities and sentences in the
reader's language.

The parsers (caseapp/evidence/parsers/) write their warnings as short English
sentences, and every reading stored so far keeps them that way; the API serves them
unchanged. This catalogue recognises each sentence once, at display time, so old
readings and new ones are shown alike: a `code` (stable, for programs), a `severity`
and a translated sentence with the sentence's own numbers and names put back in.

Severities: ``unreadable`` — part of the file could not be read (a damaged part, a
password, a crash); ``note`` — the file was read, and this is how (a charset guessed,
a time zone assumed, a limit reached). A sentence no entry knows is ``unreadable``
under the code ``other``, and its English text is kept as a detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

UNREADABLE = "unreadable"
NOTE = "note"
SEVERITIES = (UNREADABLE, NOTE)


@dataclass(frozen=True)
class _Entry:
    code: str
    severity: str
    pattern: re.Pattern[str]
    sentence: Any  # a lazy gettext string; the pattern's named groups fill it in


def _entry(code: str, severity: str, pattern: str, sentence: Any) -> _Entry:
    return _Entry(code, severity, re.compile(f"(?:{pattern})\\Z", re.S), sentence)


# fmt: off
_CATALOGUE: tuple[_Entry, ...] = (
    # the whole file
    _entry("parse_failed", UNREADABLE, r"could not read this file: (?P<detail>.*)",
           _l("This file could not be read.")),
    _entry("parse_timeout", UNREADABLE, r"parsing stopped: took longer than (?P<seconds>[\d.]+) s",
           _l("Reading stopped: it took longer than %(seconds)s seconds.")),
    _entry("parse_memory", UNREADABLE,
           r"parsing stopped: ran out of memory \(limit (?P<mib>\d+) MiB\)",
           _l("Reading stopped: it needed more than %(mib)s MiB of memory.")),
    _entry("parse_crashed", UNREADABLE, r"parsing stopped: (?P<detail>.*)",
           _l("Reading stopped: the reader failed on this file.")),
    _entry("read_timeout", UNREADABLE,
           r"not read: the reading time for this upload \((?P<seconds>[\d.]+) s\) ran out",
           _l("Not read: the time for reading this upload (%(seconds)s seconds) ran out.")),
    _entry("too_large_to_read", NOTE,
           r"larger than (?P<mib>\d+) MiB: kept and hashed, but not read",
           _l("Larger than %(mib)s MiB: kept and hashed, but not read.")),
    _entry("nested_too_deep", UNREADABLE,
           r"nested too deep(?:ly)?(?:; not read|: kept and hashed, but not read)",
           _l("Found too many levels deep inside other files: kept and hashed, but not read.")),
    _entry("children_capped", NOTE,
           r"more than (?P<count>\d+) files inside: the rest were not extracted",
           _l("More than %(count)s files inside: the rest were not extracted.")),
    _entry("preview_dropped", NOTE, r"a preview was dropped: (?P<detail>.*)",
           _l("A preview picture was left out.")),
    # PDF
    _entry("pdf_password", UNREADABLE,
           r"the PDF is protected by a password; its content is not read",
           _l("The PDF is protected by a password: its pages and text could not be read.")),
    _entry("pdf_encrypted", NOTE, r"the PDF is encrypted \(it opened without a password\)",
           _l("The PDF is encrypted, but it opened without a password.")),
    _entry("pdf_xref_rebuilt", UNREADABLE, r"the PDF's cross-reference table is broken; .*",
           _l("The PDF's internal index is damaged; it was rebuilt while reading, "
              "so some content may be missing.")),
    _entry("pdf_page_unreadable", UNREADABLE,
           r"page (?P<page>\d+) could not be read: (?P<detail>.*)",
           _l("Page %(page)s could not be read.")),
    _entry("pdf_no_text", NOTE, r"the PDF has no text layer \(scanned pages\?\); only previews",
           _l("The PDF has no text layer (scanned pages?): only page pictures are shown.")),
    _entry("pdf_text_capped", NOTE,
           r"text after page (?P<page>\d+) was not kept \(over (?P<count>\d+) characters\)",
           _l("Text after page %(page)s was not kept (over %(count)s characters).")),
    _entry("pdf_attachments_capped", NOTE,
           r"more embedded files than the limit; the rest were skipped",
           _l("More files are embedded than the limit: the rest were skipped.")),
    _entry("pdf_attachment_unreadable", UNREADABLE,
           r"an embedded file could not be read: (?P<detail>.*)",
           _l("A file embedded in the PDF could not be read.")),
    # images
    _entry("exif_unreadable", UNREADABLE, r"EXIF metadata could not be read: (?P<detail>.*)",
           _l("The photo's metadata (EXIF) could not be read.")),
    _entry("exif_invalid", UNREADABLE, r"the file has an EXIF block but it is not valid EXIF",
           _l("The photo's metadata (EXIF) is damaged.")),
    _entry("taken_at_invalid", UNREADABLE,
           r"the date the photo was taken is not a valid date: (?P<detail>.*)",
           _l("The date the photo was taken is not a valid date.")),
    _entry("gps_unreadable", UNREADABLE,
           r"the photo has a GPS block but its position could not be read",
           _l("The photo has a GPS position, but it could not be read.")),
    _entry("image_undecodable", UNREADABLE, r"the picture could not be decoded: (?P<detail>.*)",
           _l("The picture could not be decoded.")),
    _entry("image_truncated", UNREADABLE,
           r"the image data is truncated; the thumbnail shows only what is there",
           _l("The picture is cut short: the preview shows only what is there.")),
    _entry("orientation_failed", NOTE, r"the orientation could not be applied: (?P<detail>.*)",
           _l("The picture could not be turned upright; it is shown as stored.")),
    # chats
    _entry("chat_not_recognised", NOTE, r"no chat messages were recognised; kept as plain text",
           _l("No chat messages were recognised: shown as plain text.")),
    _entry("chat_messages_capped", NOTE,
           r"only the first (?P<count>\d+)(?: of (?P<total>\d+))? messages were kept",
           _l("Only the first %(count)s messages were kept.")),
    _entry("chat_text_capped", NOTE,
           r"the transcript text was cut at (?P<count>\d+) characters",
           _l("The transcript's text was cut at %(count)s characters.")),
    _entry("chat_zone_assumed", NOTE,
           r"(?:some times in the export give no time zone; they were read as"
           r"|the export gives no time zone; times were read as) (?P<zone>.+)",
           _l("The export gives no time zone: its times were read as %(zone)s.")),
    _entry("chat_lines_skipped", NOTE,
           r"(?P<count>\d+) lines before the first message were not part of any message",
           _l("%(count)s lines before the first message were not part of any message.")),
    _entry("chat_bad_dates", UNREADABLE,
           r"(?P<count>\d+) messages have a date that could not be read",
           _l("%(count)s messages have a date that could not be read.")),
    _entry("chat_date_order", NOTE,
           r"the date order is ambiguous \(day/month and month/day both fit\); "
           r"read as (?P<order>month/day/year|day/month/year)",
           _l("Dates could be day/month or month/day: they were read as %(order)s.")),
    _entry("chat_nesting_capped", UNREADABLE,
           r"the page nests too deeply; only the messages before that were read",
           _l("The page nests too deeply: only the messages before that point were read.")),
    # emails and mailboxes
    _entry("mime_parts_capped", NOTE, r"only the first (?P<count>\d+) MIME parts were read",
           _l("Only the first %(count)s parts of the message were read.")),
    _entry("part_unreadable", UNREADABLE,
           r"an? (?P<type>[\w.+-]+/[\w.+-]+) part could not be read \((?P<detail>.*)\)",
           _l("A part of type %(type)s could not be read.")),
    _entry("epilogue_kept", NOTE, r"text after the last MIME boundary was kept as body text",
           _l("Text after the message's last part was kept as body text.")),
    _entry("attachments_not_extracted", NOTE,
           r"nested too deeply: attachments listed but not extracted",
           _l("Nested too deeply: attachments are listed but not extracted.")),
    _entry("attachments_capped", NOTE,
           r"only the first (?P<count>\d+) attachments were extracted",
           _l("Only the first %(count)s attachments were extracted.")),
    _entry("malformed_mime", UNREADABLE, r"malformed MIME: (?P<detail>.*)",
           _l("The message's structure is malformed; what could be read is shown.")),
    _entry("malformed_lines_skipped", UNREADABLE,
           r"(?P<count>\d+) malformed line\(s\) before the headers were skipped",
           _l("%(count)s malformed lines before the headers were skipped.")),
    _entry("date_header_unreadable", UNREADABLE, r"unreadable Date header: (?P<detail>.*)",
           _l("The Date header could not be read.")),
    _entry("text_capped", NOTE,
           r"(?:text|index) cut at (?P<count>\d+) characters"
           r"|only the first (?P<count2>\d+) characters were kept",
           _l("The text was cut at %(count)s characters.")),
    _entry("html_flattened", NOTE,
           r"HTML body nested deeper than (?P<count>\d+) levels: the deeper part was flattened",
           _l("The HTML body nests deeper than %(count)s levels: the deeper part was flattened.")),
    _entry("embedded_message_unwritable", UNREADABLE,
           r"an embedded message could not be written out \((?P<detail>.*)\)",
           _l("A message embedded in this one could not be extracted.")),
    _entry("html_body_unreadable", UNREADABLE, r"HTML body could not be read \((?P<detail>.*)\)",
           _l("The HTML body could not be read.")),
    _entry("attachment_unreadable", UNREADABLE,
           r"attachment (?P<index>\d+) could not be read \((?P<detail>.*)\)",
           _l("Attachment %(index)s could not be read.")),
    _entry("attachment_empty", NOTE,
           r"attachment (?P<index>\d+) holds no data that could be extracted",
           _l("Attachment %(index)s holds no data that could be extracted.")),
    _entry("mbox_preamble", NOTE, r"text before the first message was not kept",
           _l("Text before the first message was not kept.")),
    _entry("mbox_capped", NOTE,
           r"(?P<total>\d+) messages; only the first (?P<count>\d+) were kept",
           _l("%(total)s messages: only the first %(count)s were kept.")),
    # transfer encodings and charsets
    _entry("base64_invalid_chars", NOTE, r"base64 contained invalid characters; they were skipped",
           _l("The encoded data held invalid characters; they were skipped.")),
    _entry("base64_truncated", UNREADABLE, r"base64 was cut short; the last byte was lost",
           _l("The encoded data was cut short; its last byte was lost.")),
    _entry("base64_undecodable", UNREADABLE, r"base64 could not be decoded",
           _l("The encoded data could not be decoded.")),
    _entry("charset_mojibake_repaired", NOTE,
           r"text was (?P<charset>\S+) mis-saved as latin-1 in utf-8; repaired",
           _l("The text had been saved in the wrong encoding (%(charset)s as Latin-1); "
              "it was repaired.")),
    _entry("charset_declared_wrong", NOTE,
           r"declared charset (?P<declared>\S+) (?:looked wrong|did not fit); "
           r"(?:decoded as|detected) (?P<charset>\S+)",
           _l("The text said it was %(declared)s, but it reads as %(charset)s.")),
    _entry("charset_detected", NOTE, r"no charset declared; detected (?P<charset>\S+)",
           _l("The text names no character set; it was recognised as %(charset)s.")),
    _entry("charset_unknown", UNREADABLE, r"could not tell the charset; read as (?P<charset>\S+)",
           _l("The character set could not be told; the text was read as %(charset)s "
              "and some characters may be wrong.")),
    _entry("bytes_replaced", UNREADABLE,
           r"some bytes were not valid (?P<charset>\S+) and were replaced",
           _l("Some bytes were not valid %(charset)s and were replaced.")),
)

# Where in the file a note applies, before the note itself ("text/html body: …").
_PLACES: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"(?P<type>[\w.+-]+/[\w.+-]+) body: "), _l("%(type)s body")),
    (re.compile(r"(?P<name>[A-Za-z][\w-]*) header: "), _l("%(name)s header")),
    (re.compile(r"text after the last boundary: "), _l("text after the last part")),
    (re.compile(r"ANSI \.msg strings: "), _l("the Outlook message's text")),
    (re.compile(r"HTML body: "), _l("HTML body")),
    (re.compile(r"(?P<type>[\w.+-]+/[\w.+-]+): (?=base64)"), _l("%(type)s part")),
    (re.compile(r"(?P<name>[^:]{1,120}): (?=base64)"), _l("attachment %(name)s")),
)
# fmt: on


@dataclass(frozen=True)
class ReaderNote:
    """One warning of a reading: its code, its severity, and the reader's sentence."""

    code: str
    severity: str
    message: str  # as the parser wrote it (English): what the API serves
    params: dict[str, str] = field(default_factory=dict)
    sentence: Any = None
    place: Any = None
    place_params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The note in the current language."""
        if self.sentence is None:
            return _("Something in this file could not be read.")
        sentence = str(self.sentence) % self.params if self.params else str(self.sentence)
        if self.place is None:
            return sentence
        where = str(self.place) % self.place_params if self.place_params else str(self.place)
        return _("%(place)s: %(note)s", place=where, note=sentence)

    @property
    def detail(self) -> str | None:
        """Technical detail kept as written (an exception's words), or None."""
        if self.sentence is None:
            return self.message
        return self.params.get("detail")


def classify(message: str) -> ReaderNote:
    """The code, severity and sentence of one warning as a parser wrote it."""
    place, place_params, rest = None, {}, message
    for pattern, label in _PLACES:
        match = pattern.match(rest)
        if match is not None and _find(rest[match.end() :]) is not None:
            place, place_params = label, match.groupdict()
            rest = rest[match.end() :]
            break
    found = _find(rest)
    if found is None:
        return ReaderNote("other", UNREADABLE, message)
    entry, params = found
    return ReaderNote(
        entry.code, entry.severity, message, params, entry.sentence, place, place_params
    )


def _find(message: str) -> tuple[_Entry, dict[str, str]] | None:
    for entry in _CATALOGUE:
        match = entry.pattern.match(message)
        if match is not None:
            params = {k: v for k, v in match.groupdict().items() if v is not None}
            if "count2" in params:
                params["count"] = params.pop("count2")
            return entry, params
    return None


def classify_all(messages: list[str]) -> list[ReaderNote]:
    """Every warning of a reading, in the order written."""
    return [classify(message) for message in messages]


def by_severity(notes: list[ReaderNote]) -> dict[str, list[ReaderNote]]:
    """The notes grouped for display: what could not be read first, then the notes."""
    return {
        severity: [note for note in notes if note.severity == severity]
        for severity in SEVERITIES
    }
