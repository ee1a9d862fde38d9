"""Read PDFs with pdfium: page count, text per page, previews, embedded files.

pdfium repairs broken cross-reference tables itself; we check the `startxref` pointer
ourselves so the evidence says when the file was damaged. Encrypted PDFs are reported
as encrypted whether or not they open (an empty user password opens without asking).
"""

from __future__ import annotations

import io
import re
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from caseapp.evidence.parsers.base import Child, Limits, ParseError, ParseResult, Rendition

PREVIEW_DPI = 110
PREVIEW_MAX_SIDE = 1600  # pixels: a poster-sized page still gives a modest picture
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s*%%EOF", re.S)
_XREF_AT = re.compile(rb"\s*(xref|\d+\s+\d+\s+obj)")


def parse_pdf(data: bytes, limits: Limits) -> ParseResult:
    """Describe a PDF; a password-protected one yields `encrypted: True` and a warning."""
    result = ParseResult(kind="pdf")
    if not _xref_intact(data):
        result.warnings.append(
            "the PDF's cross-reference table is broken; it was rebuilt while reading, "
            "so some content may be missing"
        )
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            result.parsed = {"pages": None, "encrypted": True, "title": None, "author": None}
            result.warnings.append("the PDF is protected by a password; its content is not read")
            return result
        raise ParseError(f"not a readable PDF: {exc}") from exc
    try:
        _describe(doc, limits, result)
    finally:
        doc.close()
    return result


def _describe(doc: pdfium.PdfDocument, limits: Limits, result: ParseResult) -> None:
    meta = _metadata(doc)
    pages = len(doc)
    result.parsed = {
        "pages": pages,
        # -1 means no security handler; anything else is an /Encrypt dictionary.
        "encrypted": pdfium_c.FPDF_GetSecurityHandlerRevision(doc) != -1,
        "title": meta.get("Title"),
        "author": meta.get("Author"),
    }
    if result.parsed["encrypted"]:
        result.warnings.append("the PDF is encrypted (it opened without a password)")
    texts: list[str] = []
    used = 0
    has_text = False
    for index in range(pages):
        page = doc[index]
        try:
            if used < limits.max_text_chars:
                page_text = _page_text(page)
                used += len(page_text)
                has_text = has_text or bool(page_text)
                texts.append(f"--- page {index + 1} ---\n{page_text}")
            elif len(texts) == index:
                result.warnings.append(
                    f"text after page {index} was not kept "
                    f"(over {limits.max_text_chars} characters)"
                )
            if index < limits.max_pdf_preview_pages:
                result.renditions.append(_preview(page, index + 1))
            _attachments_on(page, doc, limits, result)
        except pdfium.PdfiumError as exc:
            result.warnings.append(f"page {index + 1} could not be read: {exc}")
        finally:
            page.close()
    _document_attachments(doc, limits, result)
    text = "\n".join(texts)
    result.text = text[: limits.max_text_chars]
    if pages and not has_text:
        result.warnings.append("the PDF has no text layer (scanned pages?); only previews")


def _metadata(doc: pdfium.PdfDocument) -> dict[str, str | None]:
    try:
        raw = doc.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError:
        return {}
    return {k: _clean(v) or None for k, v in raw.items()}


def _page_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        raw = textpage.get_text_bounded()
    finally:
        textpage.close()
    return _clean(raw.replace("\r\n", "\n").replace("\r", "\n"))


def _preview(page: pdfium.PdfPage, number: int) -> Rendition:
    width, height = page.get_size()  # points
    scale = PREVIEW_DPI / 72
    longest = max(width, height, 1) * scale
    if longest > PREVIEW_MAX_SIDE:
        scale *= PREVIEW_MAX_SIDE / longest
    bitmap = page.render(scale=scale, may_draw_forms=True)
    try:
        picture = bitmap.to_pil()
    finally:
        bitmap.close()
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return Rendition(
        role=f"page-{number}",
        media_type="image/png",
        data=out.getvalue(),
        width=picture.width,
        height=picture.height,
    )


def _document_attachments(doc: pdfium.PdfDocument, limits: Limits, result: ParseResult) -> None:
    for index in range(doc.count_attachments()):
        if len(result.children) >= limits.max_children:
            result.warnings.append("more embedded files than the limit; the rest were skipped")
            return
        try:
            _add_child(doc.get_attachment(index), result)
        except pdfium.PdfiumError as exc:
            result.warnings.append(f"an embedded file could not be read: {exc}")


def _attachments_on(
    page: pdfium.PdfPage, doc: pdfium.PdfDocument, limits: Limits, result: ParseResult
) -> None:
    """Files attached to the page as FileAttachment annotations (the paper-clip icon)."""
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, index)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_FILEATTACHMENT:
                continue
            if len(result.children) >= limits.max_children:
                result.warnings.append("more embedded files than the limit; the rest were skipped")
                return
            handle = pdfium_c.FPDFAnnot_GetFileAttachment(annot)
            if not handle:
                result.warnings.append("a file attachment annotation holds no file")
                continue
            try:
                _add_child(pdfium.PdfAttachment(handle, doc), result)
            except pdfium.PdfiumError as exc:
                result.warnings.append(f"an attached file could not be read: {exc}")
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)


def _add_child(attachment: pdfium.PdfAttachment, result: ParseResult) -> None:
    name = _clean(attachment.get_name()) or f"attachment-{len(result.children) + 1}"
    data = bytes(attachment.get_data())
    result.children.append(Child(name=name, data=data, description="file embedded in the PDF"))


def _xref_intact(data: bytes) -> bool:
    """True when the last `startxref` points at an xref table or an xref stream object."""
    tail = data[-2048:]
    found = list(_STARTXREF.finditer(tail))
    if not found:
        return False
    offset = int(found[-1].group(1))
    return bool(_XREF_AT.match(data, offset))


def _clean(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value).strip()
