"""The dossier bundle: one ZIP with the signed PDF, the originals, the manifest and its time
stamp, the certificates, and instructions for checking all of it with standard tools.

Originals are streamed from their providers into the archive one at a time, hashed on the way,
so a bundle of a large case never holds all originals in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import unicodedata
import zipfile
from collections.abc import Mapping
from typing import Any, BinaryIO

from asn1crypto import tsp
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from caseapp.export.context import DossierContext
from caseapp.export.manifest import MANIFEST_NAME, attachment_name, evidence_label
from caseapp.export.signing import certificate_fingerprint, load_certificate

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


def _verify_text(ctx: DossierContext, certs: Mapping[str, bytes]) -> str:
    fingerprints = "\n".join(
        f"  certs/{name}  SHA-256 {certificate_fingerprint(pem)}" for name, pem in certs.items()
    )
    return f"""caseapp dossier {ctx.dossier_id} / 投诉证据材料 {ctx.dossier_id}

== 中文 ==
本材料包包含：已签名并加盖时间戳的 dossier.pdf；originals/ 目录下的全部原始证据文件；
manifest.json（清单，列出每个文件的 SHA-256 和大小）；manifest.tsr（清单的 RFC 3161 时间戳）；
certs/ 目录下的签名证书和时间戳证书。

核验方法：
1. 使用 caseapp：  caseapp verify 本文件.zip   （或 caseapp verify dossier.pdf）
   退出码 0 = 完整；1 = 不完整（会说明原因）；2 = 无法读取。
2. 核对原始文件：  cd originals && sha256sum *
   每个值必须与 manifest.json 及 PDF 证据目录中的 SHA-256 一致。
3. 核对清单时间戳：
   openssl ts -verify -data manifest.json -in manifest.tsr -CAfile certs/tsa.crt
   应显示 "Verification: OK"。
4. 核对 PDF 签名：用任意 PDF 签名验证工具（Adobe Acrobat Reader、pyHanko、欧盟 DSS 等）打开
   dossier.pdf，签名须有效且覆盖整个文件；签名证书指纹须与下列一致。

== English ==
This bundle holds: dossier.pdf, signed and time-stamped; originals/, every original evidence
file; manifest.json, listing each file's SHA-256 and size; manifest.tsr, an RFC 3161 time stamp
over manifest.json; certs/, the signing and time stamping certificates.

How to check it:
1. With caseapp:  caseapp verify THIS.zip   (or caseapp verify dossier.pdf)
   Exit status 0 = intact; 1 = not intact (the reason is printed); 2 = unreadable.
2. The originals:  cd originals && sha256sum *
   Every value must equal the SHA-256 in manifest.json and in the PDF's evidence index.
3. The manifest's time stamp:
   openssl ts -verify -data manifest.json -in manifest.tsr -CAfile certs/tsa.crt
   must print "Verification: OK".
4. The PDF signature: open dossier.pdf in any PDF signature validator (Adobe Acrobat Reader,
   pyHanko, the EU DSS demo); the signature must be valid and cover the entire file, and the
   signing certificate's fingerprint must match the one below.

Certificates / 证书指纹:
{fingerprints}
"""


def write_bundle(
    out: BinaryIO,
    pdf_bytes: bytes,
    ctx: DossierContext,
    manifest_bytes: bytes,
    tsr_bytes: bytes,
    certs: Mapping[str, bytes],
) -> None:
    """Write the bundle ZIP to `out`.

    `certs` maps a file name under certs/ to PEM bytes: {"signing.crt": ..., "tsa.crt": ...}.
    Raises `BundleOriginalMismatch` if an original does not match its record.
    """
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(PDF_ENTRY), pdf_bytes, zipfile.ZIP_STORED)
        archive.writestr(MANIFEST_NAME, manifest_bytes)
        archive.writestr(TSR_ENTRY, tsr_bytes)
        for name, pem in certs.items():
            entry = CERTS_DIR + attachment_safe(name)
            archive.writestr(entry, pem)
        archive.writestr(VERIFY_ENTRY, _verify_text(ctx, certs).encode("utf-8"))
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


def _hash_entry(archive: zipfile.ZipFile, name: str, limit: int) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as source:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > limit:  # stop reading a zip bomb as soon as it is too long
                break
            digest.update(chunk)
    return digest.hexdigest(), size


def verify_bundle_parts(
    archive: zipfile.ZipFile,
    pdf_manifest: bytes | None,
    signer_fingerprint: str | None,
    details: dict[str, Any],
) -> list[str]:
    """Check everything in a bundle beside the PDF; return the reasons it is not intact."""
    reasons: list[str] = []
    names = set(archive.namelist())
    unsafe = sorted(n for n in names if not safe_entry_name(n))
    reasons += [f"unsafe entry name in the bundle: {n!r}" for n in unsafe[:5]]
    if MANIFEST_NAME not in names or TSR_ENTRY not in names:
        return [*reasons, "manifest.json or manifest.tsr missing from the bundle"]
    manifest_raw = archive.read(MANIFEST_NAME)
    if pdf_manifest is not None and manifest_raw != pdf_manifest:
        reasons.append("manifest.json differs from the manifest embedded in the PDF")
    tsr_reasons, tsr_info = check_timestamp_reply(archive.read(TSR_ENTRY), manifest_raw)
    reasons += tsr_reasons
    details.update(tsr_info)
    try:
        entries = {e["attachment"]: e for e in json.loads(manifest_raw)["evidence"]}
    except (ValueError, KeyError, TypeError):
        return [*reasons, "manifest.json in the bundle is not a valid dossier manifest"]
    originals = {n[len(ORIGINALS_DIR):] for n in names if n.startswith(ORIGINALS_DIR)}
    for name, entry in entries.items():
        if name not in originals:
            reasons.append(f"original missing from the bundle: {name}")
            continue
        expected_size = int(entry.get("size", -1))
        sha, size = _hash_entry(archive, ORIGINALS_DIR + name, expected_size)
        if size != expected_size:
            reasons.append(f"original {name}: size does not match the manifest")
        elif sha != str(entry.get("sha256", "")).lower():
            reasons.append(f"original {name}: SHA-256 does not match the manifest")
    reasons += [f"original not in the manifest: {n}" for n in sorted(originals - set(entries))]
    signing_cert = CERTS_DIR + "signing.crt"
    if signing_cert in names and signer_fingerprint is not None:
        try:
            bundled = certificate_fingerprint(load_certificate(archive.read(signing_cert)))
        except ValueError:
            bundled = None
        if bundled != signer_fingerprint:
            reasons.append("certs/signing.crt is not the certificate that signed the PDF")
    return reasons
