"""Check a dossier PDF or bundle ZIP: signature, time stamps, manifest, every original's SHA-256.

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
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from caseapp.export.bundle import verify_bundle_parts
from caseapp.export.manifest import MANIFEST_FORMAT, MANIFEST_NAME
from caseapp.export.signing import certificate_fingerprint, load_certificate

Status = Literal["intact", "not_intact", "unreadable"]
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
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 intact, 1 not intact, 2 unreadable — the `caseapp verify` exit status."""
        return {"intact": 0, "not_intact": 1, "unreadable": 2}[self.status]


@dataclass
class PdfFindings:
    """What checking the PDF found, before it becomes a report."""

    reasons: list[str] = field(default_factory=list)
    manifest_bytes: bytes | None = None
    manifest: dict[str, Any] | None = None
    signer_cert: x509.Certificate | None = None
    signer_trusted: bool | None = None
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


def _certificates(trusted_certs: Iterable[bytes | x509.Certificate] | None) -> list[Any]:
    return [c if isinstance(c, x509.Certificate) else load_certificate(c)
            for c in (trusted_certs or [])]


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


def _check_signature(reader: PdfFileReader, size: int, trusted: list[Any],
                     findings: PdfFindings) -> None:
    signatures = reader.embedded_regular_signatures
    if not signatures:
        findings.reasons.append("the PDF is not signed")
        return
    if len(signatures) > 1:
        findings.reasons.append(f"the PDF carries {len(signatures)} signatures; a dossier has one")
    sig = signatures[0]
    findings.signer_cert = sig.signer_cert
    # Never the operating system's trust list: only what the instance gives us counts.
    context = ValidationContext(trust_roots=list(trusted), allow_fetching=False)
    archival = reader.embedded_timestamp_signatures
    try:
        # Diff analysis only when B-LTA updates follow the signature (see _check_archival).
        status = validate_pdf_signature(sig, context, skip_diff=not archival)
    except Exception as error:  # pyHanko raises many types on hostile input
        findings.reasons.append(f"signature cannot be validated: {type(error).__name__}")
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
    fingerprint = certificate_fingerprint(sig.signer_cert)
    if trusted:
        # Trusted: the signer is an anchor itself (instances before the CA), or its chain
        # leads to one (the instance CA, an imported chain's root).
        findings.signer_trusted = bool(status.trusted) or fingerprint in {
            certificate_fingerprint(c) for c in trusted
        }
        if not findings.signer_trusted:
            findings.reasons.append(
                f"signed by a certificate this instance does not trust (SHA-256 {fingerprint})"
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
        except Exception as error:  # pyHanko raises many types on hostile input
            findings.reasons.append(
                f"document time stamp cannot be validated: {type(error).__name__}"
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


def check_pdf(data: bytes, trusted: list[Any]) -> PdfFindings:
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
        raise UnreadableDossier(f"not a readable PDF: {type(error).__name__}") from error
    findings = PdfFindings()
    try:
        _check_signature(reader, len(data), trusted, findings)
    except (generic.PdfError, KeyError, TypeError, ValueError) as error:
        findings.reasons.append(f"signature cannot be read: {type(error).__name__}")
    _check_manifest(files, findings)
    return findings


def _report(findings: PdfFindings, reasons: list[str]) -> VerifyReport:
    cert = findings.signer_cert
    return VerifyReport(
        status="not_intact" if reasons else "intact",
        reasons=reasons,
        signer_fingerprint=certificate_fingerprint(cert) if cert is not None else None,
        signer_subject=cert.subject.human_friendly if cert is not None else None,
        signer_trusted=findings.signer_trusted,
        signed_at=findings.signed_at,
        timestamp_at=findings.timestamp_at,
        details=findings.details,
    )


def _verify_zip(data: bytes, trusted: list[Any]) -> VerifyReport:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        archive.getinfo("dossier.pdf")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableDossier("not a readable dossier bundle") from error
    with archive:
        try:
            pdf_data = archive.read("dossier.pdf")
            findings = check_pdf(pdf_data, trusted)
        except UnreadableDossier:
            return VerifyReport("not_intact", ["dossier.pdf in the bundle cannot be read"])
        except (zipfile.BadZipFile, OSError, ValueError):
            return VerifyReport("not_intact", ["dossier.pdf in the bundle is damaged"])
        reasons = [f"dossier.pdf: {reason}" for reason in findings.reasons]
        signer = certificate_fingerprint(findings.signer_cert) if findings.signer_cert else None
        reasons += verify_bundle_parts(archive, findings.manifest_bytes, signer, findings.details)
    findings.details["bundle"] = True
    return _report(findings, reasons)


def verify_file(
    source: Path | str | bytes | BinaryIO,
    trusted_certs: Iterable[bytes | x509.Certificate] | None = None,
) -> VerifyReport:
    """Check a dossier PDF or bundle ZIP and say whether it is intact, and if not, why.

    `trusted_certs` are the instance's certificates (signing.crt, tsa.crt as PEM/DER bytes)
    when run beside the instance: the signer must then be one of them. Without them the report
    carries the signer's SHA-256 fingerprint for the reader to compare with the published one.
    Never raises for bad input: an unparseable file gives status "unreadable".
    """
    try:
        data = _read_source(source)
        trusted = _certificates(trusted_certs)
    except (OSError, ValueError) as error:
        return VerifyReport("unreadable", [f"cannot read the file: {error}"])
    try:
        if data.startswith(b"PK\x03\x04"):
            return _verify_zip(data, trusted)
        if b"%PDF-" not in data[:1024]:
            return VerifyReport("unreadable", ["neither a PDF nor a ZIP bundle"])
        findings = check_pdf(data, trusted)
    except UnreadableDossier as error:
        return VerifyReport("unreadable", [str(error)])
    except RecursionError:
        return VerifyReport("unreadable", ["the file's structure is nested too deeply"])
    return _report(findings, list(findings.reasons))
