"""Render a dossier to PDF with WeasyPrint, originals and manifest embedded as attachments.

WeasyPrint only ever sees `DossierFetcher`: it serves the app's static files and the dossier's
own images and originals by private schemes, and refuses everything else — no file://, no
http(s), no data:, hence no redirects — so nothing in an email body can make the renderer read
a local file or call out to the network while it builds a document we then sign.
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from weasyprint import CSS, HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from caseapp.export.context import DossierContext, ImageRef
from caseapp.export.exhibits import ImageRefused, Rendition, render
from caseapp.export.html import (
    EVIDENCE_SCHEME,
    MAX_IMAGES_PER_ITEM,
    STATIC_SCHEME,
    TEMPLATE_DIR,
    render_html,
)
from caseapp.export.manifest import (
    MANIFEST_NAME,
    attachment_name,
    build_manifest,
    manifest_bytes,
)
from caseapp.export.memory import release_large_buffers
from caseapp.export.pdfa import (
    OUTPUT_INTENT,
    PDF_VARIANT,
    AssociatedFile,
    PdfA3Finisher,
    output_intent_profiles,
    set_document_dates,
)
from caseapp.export.wording import TimestampWording

ORIGINAL_SCHEME = "caseapp-original"
MANIFEST_URL = "caseapp-manifest:manifest.json"
_READ_CHUNK = 1024 * 1024
_IMAGE_WORKERS = min(4, os.cpu_count() or 1)
_IMAGES_AHEAD = 2 * _IMAGE_WORKERS

log = logging.getLogger(__name__)


class FetchRefused(ValueError):
    """The dossier renderer asked for a URL outside the app's static files and the dossier."""


class OriginalMismatch(RuntimeError):
    """An original read for embedding does not match the SHA-256 or size on record."""


class DossierFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only the app's static files and this dossier."""

    def __init__(self, ctx: DossierContext, static_dir: Path | None, manifest: bytes) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self._ctx = ctx
        self._static_root = Path(static_dir).resolve() if static_dir is not None else None
        self._manifest = manifest
        self.refused: list[str] = []
        self.original_errors: list[str] = []
        self.embedded: set[int] = set()
        self._images: dict[str, Future[list[Rendition]]] = {}
        self._served: dict[str, set[int]] = {}
        self._queue: deque[tuple[str, ImageRef]] = deque()
        self._pool: ThreadPoolExecutor | None = None
        self._done: set[str] = set()

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        """Answer one URL WeasyPrint asks for, or raise `FetchRefused`."""
        scheme, _, rest = url.partition(":")
        if scheme == STATIC_SCHEME:
            return self._static(url, rest)
        if scheme == EVIDENCE_SCHEME:
            return self._image(url, rest)
        if scheme == ORIGINAL_SCHEME:
            return self._original(url, rest)
        if url == MANIFEST_URL:
            return URLFetcherResponse(url, self._manifest, {"Content-Type": "application/json"})
        self.refused.append(url[:200])
        raise FetchRefused(f"refused to fetch {url[:200]!r}")

    def _static(self, url: str, rest: str) -> URLFetcherResponse:
        if self._static_root is None:
            raise FetchRefused("no static folder configured")
        # Resolve and check containment, so "../" or symlinks cannot leave the static folder.
        target = (self._static_root / rest.lstrip("/")).resolve()
        if not target.is_relative_to(self._static_root) or not target.is_file():
            self.refused.append(url[:200])
            raise FetchRefused(f"no such static file {rest[:200]!r}")
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": media_type})

    def prefetch_images(self, pool: ThreadPoolExecutor) -> None:
        """Prepare the dossier's images on `pool`, in document order, a few ahead of layout.

        Pillow releases the GIL while decoding and scaling, so this overlaps with WeasyPrint
        parsing and laying out the document on another core. At most `_IMAGES_AHEAD`
        pictures are being made or waiting at once: a case of hundreds of full-resolution
        photos never holds them all in memory.
        """
        self._pool = pool
        self._queue.extend(
            (f"{item.number}/{index}", image)
            for item in sorted(self._ctx.evidence, key=lambda e: e.number)
            for index, image in enumerate(item.images[:MAX_IMAGES_PER_ITEM])
        )
        self._fill()

    def _fill(self) -> None:
        while self._pool is not None and self._queue and len(self._images) < _IMAGES_AHEAD:
            key, image = self._queue.popleft()
            if key not in self._images and key not in self._done:
                self._images[key] = self._pool.submit(_render_ref, image)

    def _image(self, url: str, rest: str) -> URLFetcherResponse:
        # rest is "<evidence number>/<image index>/<slice index>"; a picture's slices are
        # made together and each is handed out once, then forgotten.
        key, _, part = rest.rpartition("/")
        pending = self._images.get(key)
        if pending is None:
            number, _, index = key.partition("/")
            item = self._ctx.evidence_by_number(int(number))
            if item is None:
                raise FetchRefused(f"no evidence {number!r}")
            pending = Future()
            self._images[key] = pending
            try:
                pending.set_result(_render_ref(item.images[int(index)]))
            except FetchRefused as exc:
                pending.set_exception(exc)
        try:
            renditions = pending.result()
        except FetchRefused:
            self._forget(key)
            raise
        served = self._served.setdefault(key, set())
        served.add(int(part))
        if len(served) >= len(renditions):
            self._forget(key)
        rendition = renditions[int(part)]
        return URLFetcherResponse(url, rendition.data, {"Content-Type": rendition.media_type})

    def _forget(self, key: str) -> None:
        self._images.pop(key, None)
        self._served.pop(key, None)
        self._done.add(key)
        self._fill()

    def _original(self, url: str, rest: str) -> URLFetcherResponse:
        item = self._ctx.evidence_by_number(int(rest))
        if item is None:
            raise FetchRefused(f"no evidence {rest!r}")
        digest = hashlib.sha256()
        buffer = io.BytesIO()
        with item.original() as stream:
            while chunk := stream.read(_READ_CHUNK):
                digest.update(chunk)
                buffer.write(chunk)
        if digest.hexdigest() != item.sha256.lower() or buffer.tell() != item.size:
            self.original_errors.append(attachment_name(item))
            raise OriginalMismatch(f"original of evidence {item.number} does not match its record")
        self.embedded.add(item.number)
        return URLFetcherResponse(url, buffer.getvalue(), {"Content-Type": item.media_type})


def _render_ref(image: ImageRef) -> list[Rendition]:
    try:
        return render(image.read(), image.media_type)
    except ImageRefused as exc:
        raise FetchRefused(str(exc)) from exc


def _pdf_date(moment: datetime) -> datetime:
    # WeasyPrint formats attachment dates as UTC ("...Z") from naive values.
    return moment.astimezone(UTC).replace(tzinfo=None)


def render_pdf(
    ctx: DossierContext,
    static_dir: Path | None = None,
    signer_fingerprint: str | None = None,
    timestamp: TimestampWording | None = None,
) -> bytes:
    """Render the unsigned dossier as PDF/A-3b, every original and manifest.json associated.

    Post-processing happens here, on WeasyPrint's object tree (`PdfA3Finisher`), never on
    the bytes: the signature that follows covers exactly what this returns.

    Raises `OriginalMismatch` if an original read from its provider does not match the
    SHA-256 and size on record: a dossier must never attach bytes its index does not describe.
    """
    release_large_buffers()
    manifest = manifest_bytes(build_manifest(ctx))
    fetcher = DossierFetcher(ctx, static_dir, manifest)
    when = _pdf_date(ctx.generated_at)
    attachments = [
        Attachment(
            url=MANIFEST_URL,
            url_fetcher=fetcher,
            name=MANIFEST_NAME,
            description="Dossier manifest (caseapp-dossier-manifest v1)",
            created=when,
            modified=when,
            relationship="Data",
        )
    ]
    associated = [AssociatedFile(MANIFEST_NAME, "application/json", "Data")]
    for item in sorted(ctx.evidence, key=lambda e: e.number):
        received = _pdf_date(item.received_at)
        attachments.append(
            Attachment(
                url=f"{ORIGINAL_SCHEME}:{item.number}",
                url_fetcher=fetcher,
                name=attachment_name(item),
                description=f"E-{item.number:03d} {item.name} sha256:{item.sha256}",
                created=received,
                modified=received,
                relationship="Source",
            )
        )
        associated.append(AssociatedFile(attachment_name(item), item.media_type, "Source"))
    with ThreadPoolExecutor(max_workers=_IMAGE_WORKERS) as pool:
        fetcher.prefetch_images(pool)
        html = HTML(
            string=render_html(ctx, signer_fingerprint, timestamp),
            url_fetcher=fetcher,
            base_url=None,
        )
        stylesheet = CSS(filename=str(TEMPLATE_DIR / "dossier.css"), url_fetcher=fetcher)
        document = html.render(
            stylesheets=[stylesheet],
            color_profiles=output_intent_profiles(),
            output_intent=OUTPUT_INTENT,
        )
        set_document_dates(document, ctx.generated_at)
        pdf = document.write_pdf(
            pdf_variant=PDF_VARIANT,
            # No file ID here: pydyf would hash a second serialisation of the whole file
            # for it (a full extra copy in memory, every stream compressed again). The
            # signature's incremental update writes the trailer /ID PDF/A asks for.
            pdf_identifier=False,
            output_intent=OUTPUT_INTENT,
            attachments=attachments,
            finisher=PdfA3Finisher(associated),
        )
    if fetcher.original_errors:
        raise OriginalMismatch(
            "originals do not match their records: " + ", ".join(fetcher.original_errors)
        )
    missing = {item.number for item in ctx.evidence} - fetcher.embedded
    if missing:
        raise OriginalMismatch(f"originals not embedded: {sorted(missing)}")
    if fetcher.refused:
        log.info("dossier %s: refused %d URL(s)", ctx.dossier_id, len(fetcher.refused))
    return bytes(pdf)
