"""The instance's signing identity, PAdES signatures and RFC 3161 time stamps.

`caseapp init` makes two key pairs under the instance's keys folder: one that signs dossiers
(signing.key / signing.crt) and one that acts as the instance's own time stamping authority
(tsa.key / tsa.crt). Both certificates are self-signed; what makes them worth trusting is that
their fingerprints are published by the operator and printed on every dossier. With
CASEAPP_TSA_URL set, time stamps come from that external authority instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import algos, keys, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import get_nonce, handle_tsp_response
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

SIGNING_KEY = "signing.key"
SIGNING_CERT = "signing.crt"
TSA_KEY = "tsa.key"
TSA_CERT = "tsa.crt"
SIGNATURE_FIELD = "CaseappDossierSignature"
_VALIDITY = timedelta(days=3653)
_MAX_TSA_REPLY = 1024 * 1024


class SigningIdentityMissing(FileNotFoundError):
    """The instance has no signing key or certificate (run `caseapp init`)."""


class TimeStampFailed(OSError):
    """The time stamping authority did not grant a valid time stamp."""


def _write_private(path: Path, data: bytes) -> None:
    # O_EXCL: never overwrite a key; 0600 from the start, not chmod after the fact.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_public(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _load_or_make_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SigningIdentityMissing(f"{path.name} is not an RSA key")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    _write_private(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return key


def _self_signed(key: rsa.RSAPrivateKey, common_name: str, timestamping: bool) -> bytes:
    name = cx509.Name([
        cx509.NameAttribute(NameOID.COMMON_NAME, common_name),
        cx509.NameAttribute(NameOID.ORGANIZATION_NAME, "caseapp"),
    ])
    now = datetime.now(UTC)
    builder = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(cx509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            cx509.KeyUsage(
                digital_signature=True,
                content_commitment=not timestamping,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            cx509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    )
    if timestamping:
        builder = builder.add_extension(
            cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM)


def create_signing_identity(keys_dir: Path, common_name: str) -> None:
    """Make the dossier signing key and certificate and the local TSA's, if missing.

    Idempotent and never destructive: existing files are kept as they are; a missing
    certificate is made for an existing key. Keys are written with mode 0600.
    """
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True)
    for key_name, cert_name, label, timestamping in (
        (SIGNING_KEY, SIGNING_CERT, common_name, False),
        (TSA_KEY, TSA_CERT, f"{common_name} TSA", True),
    ):
        key = _load_or_make_key(keys_dir / key_name)
        if not (keys_dir / cert_name).exists():
            _write_public(keys_dir / cert_name, _self_signed(key, label, timestamping))


def certificate_fingerprint(cert: x509.Certificate | bytes) -> str:
    """The SHA-256 fingerprint of a certificate (asn1crypto object, DER or PEM), lowercase hex."""
    if isinstance(cert, bytes):
        cert = load_certificate(cert)
    return hashlib.sha256(cert.dump()).hexdigest()


def load_certificate(data: bytes) -> x509.Certificate:
    """An asn1crypto certificate from PEM or DER bytes."""
    if data.lstrip().startswith(b"-----BEGIN"):
        data = cx509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    return x509.Certificate.load(data)


class HttpTimeStamper(TimeStamper):
    """RFC 3161 over HTTP with the standard library: no redirects, bounded reply, timeout."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        super().__init__()
        if not url.startswith(("http://", "https://")):
            raise ValueError("time stamping authority URL must be http(s)")
        self.url = url
        self.timeout = timeout

    def _post(self, body: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url,
            data=body,
            headers={"Content-Type": "application/timestamp-query"},
            method="POST",
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                if reply.headers.get_content_type() != "application/timestamp-reply":
                    raise TimeStampFailed("time stamping authority sent a wrong content type")
                data = reply.read(_MAX_TSA_REPLY + 1)
        except OSError as error:
            if isinstance(error, TimeStampFailed):
                raise
            raise TimeStampFailed(f"time stamping authority unreachable: {error}") from error
        if len(data) > _MAX_TSA_REPLY:
            raise TimeStampFailed("time stamping authority reply too large")
        return data

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Send one time stamp request and parse the reply."""
        data = await asyncio.to_thread(self._post, req.dump())
        try:
            return tsp.TimeStampResp.load(data)
        except ValueError as error:
            raise TimeStampFailed("malformed time stamp reply") from error


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Signer:
    """Signs dossier PDFs (PAdES with a signature time stamp) and time-stamps manifests."""

    def __init__(self, keys_dir: Path, tsa_url: str | None = None) -> None:
        keys_dir = Path(keys_dir)
        paths = [keys_dir / name for name in (SIGNING_KEY, SIGNING_CERT)]
        if tsa_url is None:
            paths += [keys_dir / TSA_KEY, keys_dir / TSA_CERT]
        if not all(path.is_file() for path in paths):
            raise SigningIdentityMissing("no signing identity in the keys folder")
        self._signer = signers.SimpleSigner.load(
            key_file=str(keys_dir / SIGNING_KEY), cert_file=str(keys_dir / SIGNING_CERT)
        )
        self.signing_cert_pem = (keys_dir / SIGNING_CERT).read_bytes()
        self.tsa_cert_pem: bytes | None = None
        self.timestamper: TimeStamper
        if tsa_url:
            self.timestamper = HttpTimeStamper(tsa_url)
        else:
            self.tsa_cert_pem = (keys_dir / TSA_CERT).read_bytes()
            tsa_key_pem = (keys_dir / TSA_KEY).read_bytes()
            tsa_key = serialization.load_pem_private_key(tsa_key_pem, password=None)
            tsa_key_der = tsa_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            self.timestamper = DummyTimeStamper(
                tsa_cert=load_certificate(self.tsa_cert_pem),
                tsa_key=keys.PrivateKeyInfo.load(tsa_key_der),
            )

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the signing certificate, printed on each dossier."""
        return certificate_fingerprint(self.signing_cert_pem)

    def sign(self, pdf_bytes: bytes, reason: str = "caseapp dossier") -> bytes:
        """Sign a PDF: one PAdES signature over the whole file, with an RFC 3161 time stamp."""
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            use_pades_lta=False,
        )
        pdf_signer = signers.PdfSigner(meta, signer=self._signer, timestamper=self.timestamper)
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out)
        return out.getvalue()

    def timestamp_bytes(self, data: bytes) -> bytes:
        """A full RFC 3161 TimeStampResp (DER) over SHA-256 of `data`, e.g. a manifest.

        Verifiable with `openssl ts -verify -data FILE -in FILE.tsr -CAfile tsa.crt`.
        """
        nonce = get_nonce()
        request = tsp.TimeStampReq({
            "version": 1,
            "message_imprint": tsp.MessageImprint({
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": hashlib.sha256(data).digest(),
            }),
            "nonce": nonce,
            "cert_req": True,
        })
        response = asyncio.run(self.timestamper.async_request_tsa_response(request))
        try:
            handle_tsp_response(response, nonce)
        except Exception as error:
            raise TimeStampFailed(str(error)) from error
        return response.dump()

    def bundle_certificates(self, tsr: bytes) -> dict[str, bytes]:
        """The certificates a bundle carries, by file name, as PEM.

        tsa.crt is the local authority's certificate, or with an external authority the
        certificates its reply carries (the reader still needs that authority's root).
        """
        if self.tsa_cert_pem is not None:
            return {SIGNING_CERT: self.signing_cert_pem, TSA_CERT: self.tsa_cert_pem}
        signed_data = tsp.TimeStampResp.load(tsr)["time_stamp_token"]["content"]
        chain = b"".join(
            cx509.load_der_x509_certificate(choice.chosen.dump()).public_bytes(
                serialization.Encoding.PEM
            )
            for choice in signed_data["certificates"]
            if choice.name == "certificate"
        )
        return {SIGNING_CERT: self.signing_cert_pem, TSA_CERT: chain}
