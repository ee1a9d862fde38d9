"""PDF/A-3b structure for the dossier: what WeasyPrint's pdf/a-3b variant leaves for us to settle.

WeasyPrint's variant writes the XMP identification (pdfaid:part 3, conformance B), the sRGB
OutputIntent, embedded fonts, the print flag on link annotations and a first /AF array. The
finisher here runs on WeasyPrint's object tree right before it is serialised (never on a
signed file) and makes the rest hold, whatever the templates or a future WeasyPrint do:

- every embedded file is an associated file of the document: `/AFRelationship` from our own
  records (`/Source` for an original, `/Data` for the manifest), its MIME type as
  `/Subtype`, `/UF` as a text string (UTF-16BE for Chinese names), `/F` as a plain ASCII
  fallback (WeasyPrint writes raw UTF-8 bytes there), and the catalog's `/AF` lists each
  file spec once (WeasyPrint lists them twice);
- the EmbeddedFiles name tree is sorted, as name trees must be;
- no image asks viewers to interpolate (ISO 19005-3 6.2.8: `/Interpolate` shall be false);
- every annotation is printed and none is hidden (6.3.2);
- the Info dictionary carries no `/Producer` and no `/ModDate`: pyHanko rewrites XMP's
  pdf:Producer and xmp:ModifyDate on each incremental update (signature, DSS, document time
  stamp) and would otherwise append its name to Info's producer and stamp Info's date from a
  second clock reading, so Info and XMP would disagree (6.6.2.3.1). Left out, pyHanko writes
  the same producer to both and the modification date to XMP only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import pydyf
from weasyprint.css import ColorProfile

PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "--srgb"

# What veraPDF accepts for ISO 19005-3 6.8 (RFC 2046 allows a few more characters).
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9_.+-]*/[a-z0-9][a-z0-9_.+-]*$")
_MAX_NAME_BYTES = 127  # ISO 19005-3 6.1.13: the longest name a conforming file may hold
_FALLBACK_MEDIA_TYPE = "application/octet-stream"
# Annotation flags (ISO 32000-1 12.5.3).
_INVISIBLE, _HIDDEN, _PRINT, _NOVIEW, _TOGGLE_NOVIEW = 1, 2, 4, 32, 256


@dataclass(frozen=True)
class AssociatedFile:
    """A file the dossier embeds, as PDF/A-3 wants it described."""

    name: str
    media_type: str
    relationship: str  # "Source" for an original, "Data" for the manifest


def media_type_name(media_type: str) -> str:
    """A MIME type as the PDF name an embedded file's /Subtype holds: /application#2fpdf.

    Parameters are dropped; anything that is not a plain type/subtype (or would make a name
    longer than PDF/A allows) becomes application/octet-stream.
    """
    bare = media_type.split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.match(bare):
        bare = _FALLBACK_MEDIA_TYPE
    encoded = pydyf.name(bare)
    if len(encoded) - 1 > _MAX_NAME_BYTES:
        encoded = pydyf.name(_FALLBACK_MEDIA_TYPE)
    return encoded.decode("ascii")


def ascii_file_name(name: str) -> str:
    """The /F fallback of a file spec: accents folded, other non-ASCII characters as "_"."""
    folded = []
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(char):
            continue
        folded.append(char if " " <= char <= "~" and char not in "/\\" else "_")
    return "".join(folded) or "attachment"


def pdf_text_bytes(text: str) -> bytes:
    """The bytes pydyf writes for a text string: ASCII as is, otherwise UTF-16BE with BOM."""
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        return b"\xfe\xff" + text.encode("utf-16-be")


def xmp_date(moment: datetime) -> str:
    """A W3C date-time in UTC ("2025-03-14T06:30:00Z"), as WeasyPrint's metadata takes it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def output_intent_profiles() -> dict[str, ColorProfile]:
    """The sRGB profile of the OutputIntent, keyed by `OUTPUT_INTENT`, read and closed here.

    Left to itself, WeasyPrint's PDF/A variant opens its sRGB2014.icc for each document and
    never closes it; naming our own copy as the output intent (render and write_pdf's
    `output_intent`) gives the same OutputIntent without the leaked file.
    """
    with (files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as handle:
        profile = ColorProfile(
            handle, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
        )
    return {OUTPUT_INTENT: profile}


def set_document_dates(document: Any, created: datetime) -> None:
    """Date the rendered document: Info /CreationDate and XMP xmp:CreateDate, equal.

    No modification date: pyHanko writes xmp:ModifyDate when it signs (see the module doc).
    """
    document.metadata.created = xmp_date(created)
    document.metadata.modified = None


class PdfA3Finisher:
    """A WeasyPrint `finisher`: completes the PDF/A-3b structure of the object tree."""

    def __init__(self, files: Iterable[AssociatedFile]) -> None:
        self._files = {file.name: file for file in files}

    def __call__(self, document: Any, pdf: pydyf.PDF) -> None:
        """Fix up `pdf` in place, before WeasyPrint writes it."""
        pdf.info.pop("Producer", None)
        pdf.info.pop("ModDate", None)
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Stream):
                if obj.extra.get("Subtype") == "/Image":
                    obj.extra.pop("Interpolate", None)
            elif isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Annot":
                flags = int(obj.get("F", 0))
                flags &= ~(_INVISIBLE | _HIDDEN | _NOVIEW | _TOGGLE_NOVIEW)
                obj["F"] = flags | _PRINT
        self._associate_files(pdf)

    def _associate_files(self, pdf: pydyf.PDF) -> None:
        specs: list[tuple[str, pydyf.Dictionary]] = []
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Filespec":
                name = _spec_name(obj)
                self._describe(pdf, obj, name)
                specs.append((name, obj))
        if not specs:
            return
        names = pdf.catalog.get("Names")
        tree_ref = names.get("EmbeddedFiles") if names is not None else None
        if tree_ref is not None:
            tree = pdf.objects[_number(tree_ref)]
            in_tree = {_number(ref) for ref in tree["Names"][1::2]}
            leaves = sorted(
                ((name, spec) for name, spec in specs if spec.number in in_tree),
                key=lambda leaf: pdf_text_bytes(leaf[0]),
            )
            tree["Names"] = pydyf.Array()
            for name, spec in leaves:
                tree["Names"].extend([pydyf.String(name), spec.reference])
        # Each file spec once, in the name tree's order (annotation attachments among them).
        order = {spec.number: pdf_text_bytes(name) for name, spec in specs}
        pdf.catalog["AF"] = pydyf.Array(
            spec.reference for spec in sorted((s for _, s in specs), key=lambda s: order[s.number])
        )

    def _describe(self, pdf: pydyf.PDF, spec: pydyf.Dictionary, name: str) -> None:
        spec["F"] = pydyf.String(ascii_file_name(name))
        spec["UF"] = pydyf.String(name)
        spec.setdefault("Desc", pydyf.String(name))
        stream = pdf.objects[_number(spec["EF"]["F"])]
        known = self._files.get(name)
        if known is not None:
            spec["AFRelationship"] = "/" + known.relationship
            stream.extra["Subtype"] = media_type_name(known.media_type)
        else:
            spec.setdefault("AFRelationship", "/Unspecified")
            stream.extra.setdefault("Subtype", media_type_name(_FALLBACK_MEDIA_TYPE))


def _spec_name(spec: pydyf.Dictionary) -> str:
    for key in ("UF", "F"):
        value = spec.get(key)
        if isinstance(value, pydyf.String):
            text = value.string
            return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return "attachment"


def _number(reference: bytes | str) -> int:
    raw = reference.decode("ascii") if isinstance(reference, bytes) else reference
    return int(raw.split()[0])
