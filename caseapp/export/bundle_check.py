"""Checking a bundle ZIP beside its PDF: originals, manifest and its time stamp, SHA256SUMS and
the custody log.

A bundle may come back re-zipped by another tool (Info-ZIP `zip -r`, a desktop archiver):
folder entries appear, the order changes, and Chinese names arrive without the UTF-8 flag,
in Info-ZIP's Unicode Path field, or decomposed (NFD) from a Mac. Names are therefore decoded
the way the tool meant them and compared after NFC normalisation; folder entries are ignored.
What counts is the bundle's own file list (the manifest for originals, SHA256SUMS for the
rest): anything else in the ZIP is reported as ignored and used for nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from caseapp.custody.document import CustodyDocumentInvalid, check_custody_document
from caseapp.export.bundle import (
    CERTS_DIR,
    ORIGINALS_DIR,
    PDF_ENTRY,
    TSR_ENTRY,
    VERIFY_ENTRY,
    check_timestamp_reply,
    safe_entry_name,
)
from caseapp.export.manifest import MANIFEST_NAME
from caseapp.export.verify_text import CUSTODY_ENTRY, SUMS_ENTRY

_CHUNK = 1024 * 1024
_UTF8_FLAG = 0x800
_UNICODE_PATH_FIELD = 0x7075
_MAX_SUMS_BYTES = 16 * 1024 * 1024
_KNOWN = {PDF_ENTRY, MANIFEST_NAME, TSR_ENTRY, CUSTODY_ENTRY, VERIFY_ENTRY}


def _unicode_path(info: zipfile.ZipInfo, raw: bytes) -> str | None:
    """Info-ZIP's Unicode Path extra field, if present and made for this very header name."""
    extra, offset = info.extra, 0
    while offset + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4 : offset + 4 + size]
        offset += 4 + size
        if (
            tag == _UNICODE_PATH_FIELD
            and len(body) >= 5
            and body[0] == 1
            and struct.unpack_from("<I", body, 1)[0] == zlib.crc32(raw)
        ):
            with contextlib.suppress(UnicodeDecodeError):
                return body[5:].decode("utf-8")
    return None


def entry_name(info: zipfile.ZipInfo) -> str:
    """The name an entry was given, NFC-normalised, whichever way the tool encoded it."""
    name = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        # Without the flag Python decoded the raw bytes as CP437, which maps every byte.
        raw = info.orig_filename.encode("cp437", errors="replace")
        name = _unicode_path(info, raw) or name
        if name == info.filename:
            with contextlib.suppress(UnicodeDecodeError):
                name = raw.decode("utf-8")
    return unicodedata.normalize("NFC", name)


@dataclass
class BundleIndex:
    """The files of a bundle ZIP by their normalised names (folder entries left out)."""

    files: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, archive: zipfile.ZipFile) -> BundleIndex:
        """Index an archive; unsafe or duplicated names become reasons."""
        index = cls()
        unsafe: list[str] = []
        for info in archive.infolist():
            name = entry_name(info)
            if name.endswith("/"):
                continue  # a folder entry: carries nothing to check
            if not safe_entry_name(name):
                unsafe.append(name)
                continue
            if name in index.files:
                index.reasons.append(f"the bundle holds two files named {name}")
                continue
            index.files[name] = info
        index.reasons += [f"unsafe entry name in the bundle: {n!r}" for n in sorted(unsafe)[:5]]
        return index

    def read(self, archive: zipfile.ZipFile, name: str) -> bytes:
        """The bytes of one file (KeyError if the bundle has no such file)."""
        return archive.read(self.files[name])


def _hash_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > limit:  # stop reading a zip bomb as soon as it is too long
                break
            digest.update(chunk)
    return digest.hexdigest(), size


def _parse_sums(raw: bytes) -> dict[str, str] | None:
    """SHA256SUMS as {name: sha256}; None if it is not in `sha256sum`'s format."""
    sums: dict[str, str] = {}
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    for line in lines:
        digest, sep, name = line[:64], line[64:66], line[66:]
        if len(digest) != 64 or sep not in ("  ", " *") or not name:
            return None
        try:
            int(digest, 16)
        except ValueError:
            return None
        sums[unicodedata.normalize("NFC", name)] = digest.lower()
    return sums


@dataclass
class _Check:
    archive: zipfile.ZipFile
    index: BundleIndex
    details: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    hashed: dict[str, tuple[str, int]] = field(default_factory=dict)

    def hash_of(self, name: str, limit: int) -> tuple[str, int]:
        if name not in self.hashed:
            self.hashed[name] = _hash_entry(self.archive, self.index.files[name], limit)
        return self.hashed[name]

    def originals(self, manifest_raw: bytes) -> dict[str, Any] | None:
        try:
            manifest = json.loads(manifest_raw)
            entries = {e["attachment"]: e for e in manifest["evidence"]}
        except (ValueError, KeyError, TypeError):
            self.reasons.append("manifest.json in the bundle is not a valid dossier manifest")
            return None
        names = self.index.files
        originals = {n[len(ORIGINALS_DIR) :] for n in names if n.startswith(ORIGINALS_DIR)}
        for name, entry in entries.items():
            if name not in originals:
                self.reasons.append(f"original missing from the bundle: {name}")
                continue
            expected_size = int(entry.get("size", -1))
            sha, size = self.hash_of(ORIGINALS_DIR + name, expected_size)
            if size != expected_size:
                self.reasons.append(f"original {name}: size does not match the manifest")
            elif sha != str(entry.get("sha256", "")).lower():
                self.reasons.append(f"original {name}: SHA-256 does not match the manifest")
        self.reasons += [
            f"original not in the manifest: {n}" for n in sorted(originals - set(entries))
        ]
        return manifest if isinstance(manifest, dict) else None

    def sums(self) -> None:
        if SUMS_ENTRY not in self.index.files:
            self.reasons.append("SHA256SUMS is missing from the bundle")
            return
        info = self.index.files[SUMS_ENTRY]
        sums = _parse_sums(self.index.read(self.archive, SUMS_ENTRY)) if (
            info.file_size <= _MAX_SUMS_BYTES
        ) else None
        if sums is None:
            self.reasons.append("SHA256SUMS cannot be read")
            return
        for name, expected in sorted(sums.items()):
            if name not in self.index.files:
                self.reasons.append(f"{name} is listed in SHA256SUMS but missing from the bundle")
                continue
            sha, _size = self.hash_of(name, self.index.files[name].file_size)
            if sha != expected:
                self.reasons.append(f"{name}: SHA-256 does not match SHA256SUMS")
        ours = {
            n for n in self.index.files
            if n in _KNOWN or n.startswith((ORIGINALS_DIR, CERTS_DIR))
        }
        self.reasons += [f"{n} is not listed in SHA256SUMS" for n in sorted(ours - set(sums))]
        ignored = sorted(set(self.index.files) - ours - set(sums) - {SUMS_ENTRY})
        if ignored:
            self.details["ignored_entries"] = ignored

    def custody(self, manifest: dict[str, Any] | None) -> None:
        if CUSTODY_ENTRY not in self.index.files:
            self.reasons.append("custody.json (the custody log) is missing from the bundle")
            return
        try:
            report = check_custody_document(self.index.read(self.archive, CUSTODY_ENTRY))
        except CustodyDocumentInvalid:
            self.reasons.append("custody.json cannot be read as a custody log")
            return
        self.details["custody_entries"] = report.entries
        if not report.intact:
            self.reasons.append(
                f"custody log broken at entry {report.broken_seq}: {report.reason}"
            )
            return
        self.details["custody_head"] = report.head_hash
        recorded = (manifest or {}).get("custody") or {}
        case = (manifest or {}).get("case") or {}
        if (report.head_hash or "") != (recorded.get("head_hash") or ""):
            self.reasons.append("the custody log's head is not the one manifest.json records")
        elif report.entries != recorded.get("entries"):
            self.reasons.append("the custody log's length is not the one manifest.json records")
        if report.case_id != case.get("id"):
            self.reasons.append("custody.json belongs to another case")


def verify_bundle_parts(
    archive: zipfile.ZipFile,
    index: BundleIndex,
    pdf_manifest: bytes | None,
    details: dict[str, Any],
) -> list[str]:
    """Check everything in a bundle beside the PDF; return the reasons it is not intact."""
    check = _Check(archive, index, details, reasons=list(index.reasons))
    if MANIFEST_NAME not in index.files or TSR_ENTRY not in index.files:
        return [*check.reasons, "manifest.json or manifest.tsr missing from the bundle"]
    manifest_raw = index.read(archive, MANIFEST_NAME)
    if pdf_manifest is not None and manifest_raw != pdf_manifest:
        check.reasons.append("manifest.json differs from the manifest embedded in the PDF")
    tsr_reasons, tsr_info = check_timestamp_reply(index.read(archive, TSR_ENTRY), manifest_raw)
    check.reasons += tsr_reasons
    details.update(tsr_info)
    manifest = check.originals(manifest_raw)
    check.sums()
    check.custody(manifest)
    return check.reasons


def bundled_certificates(archive: zipfile.ZipFile, index: BundleIndex) -> list[bytes]:
    """The certificate files under certs/ (PEM or DER, possibly several in one file)."""
    return [
        index.read(archive, name)
        for name, info in sorted(index.files.items())
        if name.startswith(CERTS_DIR) and info.file_size <= 1024 * 1024
    ]
