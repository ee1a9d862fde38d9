"""The dossier bundle: one ZIP with the signed PDF, the originals, the manifest and its time
stamp, the custody log, the certificates, a SHA256SUMS list of all of it, and instructions for
checking all of it with standard tools (VERIFY.txt, see verify_text.py).

Originals are streamed from their providers into the archive one at a time, hashed on the way,
so a bundle of a large case never holds all originals in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
import zipfile
from collections.abc import Mapping
from typing import Any, BinaryIO

from asn1crypto import tsp
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from caseapp.export.context import DossierContext
from caseapp.export.manifest import MANIFEST_NAME, attachment_name, evidence_label
from caseapp.export.signing import certificate_fingerprint
from caseapp.export.verify_text import CUSTODY_ENTRY, SUMS_ENTRY, verify_text

PDF_ENTRY = "dossier.pdf"
TSR_ENTRY = "manifest.tsr"
VERIFY_ENTRY = "VERIFY.txt"
ORIGINALS_DIR = "originals/"
CERTS_DIR = "certs/"
_CHUNK = 1024 * 1024
_STORED_TYPES = ("image/", "video/", "audio/", "application/pdf", "application/zip")


class BundleOriginalMismatch(RuntimeError):
    """An original streamed into the bundle does not match its SHA-256 or size on record."""


def safe_entry_name(name: str) -> bool:
    """Whether a zip entry name is safe to extract: relative, no "..", no control characters."""
    if not name or name != unicodedata.normalize("NFC", name):
        return False
    if name.startswith(("/", "\\")) or "\\" in name or ":" in name.split("/")[0]:
        return False
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in name):
        return False
    return all(part not in ("", ".", "..") for part in name.rstrip("/").split("/"))


def write_bundle(
    out: BinaryIO,
    pdf_bytes: bytes,
    ctx: DossierContext,
    manifest_bytes: bytes,
    tsr_bytes: bytes,
    certs: Mapping[str, bytes],
    custody: bytes | None = None,
) -> None:
    """Write the bundle ZIP to `out`.

    `certs` maps a file name under certs/ to PEM bytes: {"signing.crt": ..., "tsa.crt": ...}.
    `custody` is the case's custody.json (see caseapp.custody.document). SHA256SUMS, written
    last, lists every other file so `sha256sum -c SHA256SUMS` checks the whole bundle.
    Raises `BundleOriginalMismatch` if an original does not match its record.
    """
    sums: dict[str, str] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: bytes, compress: int = zipfile.ZIP_DEFLATED) -> None:
            archive.writestr(zipfile.ZipInfo(name), data, compress)
            sums[name] = hashlib.sha256(data).hexdigest()

        put(PDF_ENTRY, pdf_bytes, zipfile.ZIP_STORED)
        put(MANIFEST_NAME, manifest_bytes)
        put(TSR_ENTRY, tsr_bytes)
        if custody is not None:
            put(CUSTODY_ENTRY, custody)
        for name, pem in certs.items():
            put(CERTS_DIR + attachment_safe(name), pem)
        put(VERIFY_ENTRY, verify_text(ctx.dossier_id, certs).encode("utf-8"))
        for item in sorted(ctx.evidence, key=lambda e: e.number):
            stored = item.media_type.startswith(_STORED_TYPES)
            info = zipfile.ZipInfo(ORIGINALS_DIR + attachment_name(item))
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            digest, size = hashlib.sha256(), 0
            with item.original() as source, archive.open(
                info, "w", force_zip64=item.size > 0x7FFF0000
            ) as target:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
            if digest.hexdigest() != item.sha256.lower() or size != item.size:
                raise BundleOriginalMismatch(
                    f"original of {evidence_label(item.number)} does not match its record"
                )
            sums[info.filename] = digest.hexdigest()
        listing = "".join(f"{sha}  {name}\n" for name, sha in sorted(sums.items()))
        archive.writestr(zipfile.ZipInfo(SUMS_ENTRY), listing.encode("utf-8"), zipfile.ZIP_DEFLATED)


def attachment_safe(name: str) -> str:
    """A certificate file name reduced to its last path component."""
    return name.replace("\\", "/").rsplit("/", 1)[-1] or "certificate.crt"


def check_timestamp_reply(tsr: bytes, data: bytes) -> tuple[list[str], dict[str, Any]]:
    """Check an RFC 3161 reply against `data`: granted, token signature sound, imprint equal."""
    try:
        response = tsp.TimeStampResp.load(tsr)
        if response["status"]["status"].native not in ("granted", "granted_with_mods"):
            return ["manifest time stamp: the authority did not grant it"], {}
        signed_data = response["time_stamp_token"]["content"]
        signer_cert = next(
            (c.chosen for c in signed_data["certificates"] if c.name == "certificate"), None
        )

        def imprint(algorithm: str) -> bytes:
            return hashlib.new(algorithm, data).digest()

        context = ValidationContext(trust_roots=[], allow_fetching=False)
        status = asyncio.run(validate_tst_signed_data(signed_data, context, imprint))
    except Exception:  # asn1crypto and pyHanko raise many types on malformed tokens
        return ["manifest time stamp: the token cannot be read"], {}
    info: dict[str, Any] = {"manifest_timestamp_at": status.get("timestamp")}
    if signer_cert is not None:
        info["manifest_timestamp_authority"] = certificate_fingerprint(signer_cert)
    if not status.get("intact"):
        return ["manifest time stamp does not match manifest.json"], info
    if not status.get("valid"):
        return ["manifest time stamp: the token's signature is invalid"], info
    return [], info
