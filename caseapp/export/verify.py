"""Check a dossier PDF or bundle ZIP: signature, time stamps, manifest, every original's SHA-256,
and whether the signer chains to a trust anchor someone named.

A verifier must never vouch for a forgery: anyone can make a certificate with our subject
and re-sign an altered dossier with it, so a file that is merely consistent with itself is
"unconfirmed" (exit 3), not "intact". It is intact (exit 0) only when its signer chains, by
real path validation, to an anchor named outside the file: the instance's CA when run
beside the instance, or the certificate / fingerprint given on the command line. A signer
that does not chain to the named anchor makes the file "not intact": it is not the file that
anchor's holder issued.

"Intact" is strict on purpose. pyHanko calls a signature followed by an incremental update
"valid with later revisions"; a dossier is a finished document, so any byte after the signed
range (the shadow attacks and incremental-update tricks of pdf-insecurity.org) is "not intact"
here. Every failure becomes a reason in the report; nothing raises on hostile input.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from caseapp.export.bundle import PDF_ENTRY
from caseapp.export.bundle_check import BundleIndex, bundled_certificates, verify_bundle_parts
from caseapp.export.manifest import MANIFEST_FORMAT, MANIFEST_NAME
from caseapp.export.signing import certificate_fingerprint
from caseapp.export.trust import (
    TrustAnchors,
    UnreadableCertificate,
    chain_top,
    is_self_signed,
    load_certificates,
)

Status = Literal["intact", "not_intact", "unreadable", "unconfirmed"]
_MAX_NAME_TREE_DEPTH = 16
_MAX_EMBEDDED_FILES = 10_000
# The file must end where its last revision ends: "startxref <offset> %%EOF" and an EOL.
_FINAL_TRAILER = re.compile(rb"startxref\s+\d+\s+%%EOF\r?\n?")
_SIGNED_MARK = re.compile(rb"/ByteRange\s*\[\s*0\s+\d+\s+\d+\s+\d+\s*\]")

# pyHanko logs each untrusted self-signed certificate with a traceback; without a handler,
# Python's last-resort handler would print those to the CLI's stderr.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


@dataclass
class VerifyReport:
    """The outcome of checking one dossier file."""

    status: Status
    reasons: list[str] = field(default_factory=list)
    signer_fingerprint: str | None = None
    signer_subject: str | None = None
    signer_trusted: bool | None = None
    signed_at: datetime | None = None
    timestamp_at: datetime | None = None
    anchor_fingerprint: str | None = None
    anchor_subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """The `caseapp verify` exit status: 0 intact and signer trusted, 1 not intact (or not
        signed under the anchor named), 2 unreadable, 3 intact but nobody named an anchor."""
        return {"intact": 0, "not_intact": 1, "unreadable": 2, "unconfirmed": 3}[self.status]


@dataclass
class PdfFindings:
    """What checking the PDF found, before it becomes a report."""

    reasons: list[str] = field(default_factory=list)
    manifest_bytes: bytes | None = None
    manifest: dict[str, Any] | None = None
    signer_cert: x509.Certificate | None = None
    signer_trusted: bool | None = None
    anchor_cert: x509.Certificate | None = None
    signed_at: datetime | None = None
    timestamp_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


class UnreadableDossier(ValueError):
    """The file is neither a readable PDF nor a readable ZIP bundle."""


def _read_source(source: Path | str | bytes | BinaryIO) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def _anchors(trusted: TrustAnchors | Iterable[bytes | x509.Certificate] | None) -> TrustAnchors:
    if isinstance(trusted, TrustAnchors):
        return trusted
    certs: list[x509.Certificate] = []
    for item in trusted or []:
        certs += [item] if isinstance(item, x509.Certificate) else load_certificates(item)
    return TrustAnchors(certs, source="given" if certs else "none")


def _carried_certificates(reader: PdfFileReader, sig: Any) -> list[x509.Certificate]:
    """The certificates the PDF itself carries: the signature's CMS, and the DSS if any."""
    certs = [c.chosen for c in sig.signed_data["certificates"] if c.name == "certificate"]
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except (KeyError, ValueError, TypeError, generic.PdfError, NoDSSFoundError):
        return certs
    return certs + list(dss.load_certs())


def _name_tree_leaves(node: Any, depth: int = 0) -> Iterable[tuple[str, Any]]:
    if depth > _MAX_NAME_TREE_DEPTH:
        raise UnreadableDossier("embedded file name tree too deep")
    names = node.get("/Names")
    if names is not None:
        for index in range(0, len(names) - 1, 2):
            yield str(names[index]), names[index + 1]
    for kid in node.get("/Kids", ()):
        yield from _name_tree_leaves(kid.get_object(), depth + 1)


def embedded_files(reader: PdfFileReader) -> dict[str, bytes | None]:
    """Every file embedded in the PDF's EmbeddedFiles name tree, by its file name.

    A file whose stream cannot be decoded maps to None, so a damaged attachment is reported
    as such instead of making the whole PDF unreadable.
    """
    names = reader.root.get("/Names")
    tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
    files: dict[str, bytes | None] = {}
    if tree is None:
        return files
    for key, spec_ref in _name_tree_leaves(tree.get_object()):
        if len(files) >= _MAX_EMBEDDED_FILES:
            raise UnreadableDossier("too many embedded files")
        spec = spec_ref.get_object()
        name = str(spec.get("/UF") or spec.get("/F") or key)
        if name in files:
            name = f"{name} (duplicate {len(files)})"
        try:
            files[name] = spec["/EF"]["/F"].get_object().data
        except Exception:  # a corrupt stream (bad zlib data, wrong length) is "damaged"
            files[name] = None
    return files


def _check_signature(
    reader: PdfFileReader,
    size: int,
    anchors: TrustAnchors,
    bundled: list[x509.Certificate],
    findings: PdfFindings,
) -> None:
    # Regular signatures only: the document time stamps of B-LTA are checked in
    # _check_archival.
    signatures = reader.embedded_regular_signatures
    if not signatures:
        findings.reasons.append("the PDF is not signed")
        return
    if len(signatures) > 1:
        findings.reasons.append(f"the PDF carries {len(signatures)} signatures; a dossier has one")
    sig = signatures[0]
    findings.signer_cert = sig.signer_cert
    pool = _carried_certificates(reader, sig) + bundled
    # Never the operating system's trust list: only an anchor a person named counts. With none
    # named, the file's own roots stand in, only to learn where the signer claims to come from.
    roots = anchors.resolve(pool) if anchors.named else [c for c in pool if is_self_signed(c)]
    context = ValidationContext(trust_roots=roots, other_certs=pool, allow_fetching=False)
    archival = reader.embedded_timestamp_signatures
    try:
        # Diff analysis only when B-LTA updates follow the signature (see _check_archival).
        status = validate_pdf_signature(sig, context, skip_diff=not archival)
    except Exception:  # pyHanko raises many types on hostile input
        findings.reasons.append("the signature cannot be checked: its data is damaged")
        return
    findings.signed_at = status.signer_reported_dt
    findings.details["coverage"] = status.coverage.name if status.coverage else None
    if not status.intact:
        findings.reasons.append("signature broken: the signed bytes were changed")
    elif not status.valid:
        findings.reasons.append("signature invalid: it does not match the signer's key")
    byte_range = list(sig.sig_object.get("/ByteRange", []))
    end = byte_range[2] + byte_range[3] if len(byte_range) == 4 else -1
    if archival and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        _check_archival(archival, status, size, context, findings)
    elif status.coverage == SignatureCoverageLevel.ENTIRE_REVISION or (
        status.coverage == SignatureCoverageLevel.ENTIRE_FILE and end != size
    ):
        findings.reasons.append(
            f"{size - end} bytes after the signed range (an incremental update appended "
            "after signing)"
        )
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        findings.reasons.append(
            "the signature's byte range does not cover the whole document (signature wrapping)"
        )
    ts = status.timestamp_validity
    if ts is None:
        findings.reasons.append("time stamp missing: the signature carries no RFC 3161 token")
    else:
        findings.timestamp_at = ts.timestamp
        findings.details["timestamp_authority"] = certificate_fingerprint(ts.signing_cert)
        findings.details["timestamp_trusted"] = bool(ts.trusted)
        if not (ts.intact and ts.valid):
            findings.reasons.append("time stamp invalid: the token does not match the signature")
    path_root = getattr(status.validation_path.trust_anchor, "certificate", None) if (
        status.trusted and status.validation_path is not None
    ) else None
    findings.anchor_cert = path_root or chain_top(sig.signer_cert, pool)
    if anchors.named:
        # Trusted: its chain leads to a named anchor by path validation, or the signer's
        # certificate is that anchor itself (a dossier signed before the instance had a CA,
        # by the self-signed certificate now kept in keys/legacy/).
        root_prints = {certificate_fingerprint(c) for c in roots}
        findings.signer_trusted = bool(status.trusted) or (
            certificate_fingerprint(sig.signer_cert) in root_prints
        )


def _check_archival(
    timestamps: list[Any], status: Any, size: int, context: ValidationContext,
    findings: PdfFindings,
) -> None:
    """PAdES B-LTA: after the signed revision only validation data (/DSS) and document time
    stamps may follow, and after the newest document time stamp at most the one revision
    that adds its own validation data.

    pyHanko's difference analysis says which kind of change each later revision makes;
    anything beyond LTA updates (an annotation, a replaced stream, a shadowed object) is
    "not intact".
    """
    level = status.modification_level
    if level is None or level > ModificationLevel.LTA_UPDATES or not status.docmdp_ok:
        findings.reasons.append(
            "an incremental update after the signed range changes the document (it is "
            "neither validation data nor a document time stamp)"
        )
        return
    newest = timestamps[-1]
    byte_range = list(newest.sig_object.get("/ByteRange", []))
    end = byte_range[2] + byte_range[3] if len(byte_range) == 4 else -1
    later = newest.reader.xrefs.total_revisions - 1 - newest.signed_revision
    stream = newest.reader.stream
    stream.seek(max(end, 0))
    rest = stream.read(size - end) if 0 <= end < size else b""
    last = rest.rfind(b"startxref")
    if end != size and (later != 1 or last < 0 or not _FINAL_TRAILER.fullmatch(rest[last:])):
        findings.reasons.append(
            "bytes after the signed range: more than validation data was appended after the "
            "last document time stamp"
        )
    findings.details["document_timestamps"] = []
    for stamp in timestamps:
        try:
            stamp_status = validate_pdf_timestamp(stamp, context)
        except Exception:  # pyHanko raises many types on hostile input
            findings.reasons.append(
                "a document time stamp cannot be checked: its data is damaged"
            )
            continue
        if not (stamp_status.intact and stamp_status.valid):
            findings.reasons.append("document time stamp invalid: it does not match the document")
        findings.details["document_timestamps"].append({
            "at": stamp_status.timestamp.isoformat(),
            "authority": certificate_fingerprint(stamp_status.signing_cert),
            "trusted": bool(stamp_status.trusted),
        })


def _check_manifest(files: dict[str, bytes | None], findings: PdfFindings) -> None:
    if MANIFEST_NAME not in files:
        findings.reasons.append("manifest.json is not embedded")
        return
    raw = files.pop(MANIFEST_NAME) or b""
    try:
        manifest = json.loads(raw)
        if manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError("not a dossier manifest")
        entries = {e["attachment"]: e for e in manifest["evidence"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        findings.reasons.append("manifest.json is not a valid dossier manifest")
        return
    findings.manifest_bytes, findings.manifest = raw, manifest
    for name, entry in entries.items():
        if name not in files:
            findings.reasons.append(f"embedded file missing: {name}")
            continue
        data = files.pop(name)
        if data is None:
            findings.reasons.append(f"embedded file {name} is damaged and cannot be read")
        elif hashlib.sha256(data).hexdigest() != str(entry.get("sha256", "")).lower():
            findings.reasons.append(f"embedded file {name}: SHA-256 does not match the manifest")
        elif len(data) != entry.get("size"):
            findings.reasons.append(f"embedded file {name}: size does not match the manifest")
    for extra in sorted(files):
        findings.reasons.append(f"embedded file not in the manifest: {extra}")
    findings.details["evidence_count"] = len(entries)


def check_pdf(
    data: bytes, anchors: TrustAnchors, bundled: list[x509.Certificate] | None = None
) -> PdfFindings:
    """Check a dossier PDF; raises `UnreadableDossier` if it cannot be parsed at all."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        files = embedded_files(reader)
    except UnreadableDossier:
        raise
    except Exception as error:  # any parser failure: damaged if it was signed, else unreadable
        if _SIGNED_MARK.search(data):
            return PdfFindings(reasons=[
                "the signed PDF's structure is damaged: it was changed after signing "
                "(signature wrapping, truncation or edited cross-references)"
            ])
        raise UnreadableDossier("not a readable PDF: its structure is damaged") from error
    findings = PdfFindings()
    try:
        _check_signature(reader, len(data), anchors, bundled or [], findings)
    except (generic.PdfError, KeyError, TypeError, ValueError):
        findings.reasons.append("the signature cannot be read: its dictionary is damaged")
    _check_manifest(files, findings)
    return findings


def _report(findings: PdfFindings, reasons: list[str], anchors: TrustAnchors) -> VerifyReport:
    cert, anchor = findings.signer_cert, findings.anchor_cert
    status: Status = "not_intact" if reasons else "intact"
    if not reasons and cert is not None and anchors.named and not findings.signer_trusted:
        reasons.append(
            f"not signed by the trusted authority: the signer's certificate does not chain "
            f"to {anchors.describe()}"
        )
        status = "not_intact"
    elif not reasons and not anchors.named:
        status = "unconfirmed"
    return VerifyReport(
        status=status,
        reasons=reasons,
        signer_fingerprint=certificate_fingerprint(cert) if cert is not None else None,
        signer_subject=cert.subject.human_friendly if cert is not None else None,
        signer_trusted=findings.signer_trusted,
        signed_at=findings.signed_at,
        timestamp_at=findings.timestamp_at,
        anchor_fingerprint=certificate_fingerprint(anchor) if anchor is not None else None,
        anchor_subject=anchor.subject.human_friendly if anchor is not None else None,
        details=findings.details,
    )


def _verify_zip(data: bytes, anchors: TrustAnchors) -> VerifyReport:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        index = BundleIndex.of(archive)
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UnreadableDossier("not a readable dossier bundle") from error
    if PDF_ENTRY not in index.files:
        raise UnreadableDossier("not a dossier bundle: it holds no dossier.pdf")
    with archive:
        try:
            bundled: list[x509.Certificate] = []
            for raw in bundled_certificates(archive, index):
                try:
                    bundled += load_certificates(raw)
                except UnreadableCertificate:
                    continue  # a damaged extra certificate: material for nothing
            findings = check_pdf(index.read(archive, PDF_ENTRY), anchors, bundled)
        except UnreadableDossier:
            return VerifyReport("not_intact", ["dossier.pdf in the bundle cannot be read"])
        except (zipfile.BadZipFile, OSError, ValueError):
            return VerifyReport("not_intact", ["dossier.pdf in the bundle is damaged"])
        reasons = [f"dossier.pdf: {reason}" for reason in findings.reasons]
        try:
            reasons += verify_bundle_parts(
                archive, index, findings.manifest_bytes, findings.details
            )
        except (zipfile.BadZipFile, OSError, ValueError):
            reasons.append("a file in the bundle is damaged and cannot be read")
    findings.details["bundle"] = True
    return _report(findings, reasons, anchors)


def verify_file(
    source: Path | str | bytes | BinaryIO,
    trusted: TrustAnchors | Iterable[bytes | x509.Certificate] | None = None,
) -> VerifyReport:
    """Check a dossier PDF or bundle ZIP and say whether it is intact, and if not, why.

    `trusted` is what the signer must chain to: a `TrustAnchors`, or anchor certificates
    (PEM/DER bytes or parsed). Without any, an intact file is "unconfirmed" and the report
    carries the fingerprint and subject of the root its signer claims, for the reader to
    confirm out of band. Never raises for bad input: an unparseable file gives "unreadable".
    """
    try:
        data = _read_source(source)
    except OSError as error:
        return VerifyReport("unreadable", [f"cannot read the file: {error.strerror or error}"])
    anchors = _anchors(trusted)
    try:
        if data.startswith(b"PK\x03\x04"):
            return _verify_zip(data, anchors)
        if b"%PDF-" not in data[:1024]:
            return VerifyReport("unreadable", ["neither a PDF nor a ZIP bundle"])
        findings = check_pdf(data, anchors)
    except UnreadableDossier as error:
        return VerifyReport("unreadable", [str(error)])
    except RecursionError:
        return VerifyReport("unreadable", ["the file's structure is nested too deeply"])
    return _report(findings, list(findings.reasons), anchors)
