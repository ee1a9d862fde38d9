"""The instance's signing identity, PAdES B-LTA signatures and RFC 3161 time stamps.

`caseapp init` makes the instance CA (see pki.py), which issues two certificates: one for
the key that signs dossiers (signing.key / signing.crt) and one for the instance's own time
stamping authority (tsa.key / tsa.crt, see tsa.py). A certificate imported from a real CA
(`caseapp signing import`, see keystore.py) can take the signing role. External RFC 3161
authorities (`tsa_urls`) take the time stamping role when configured.

Each dossier is signed at PAdES B-LTA: the signature and its signature time stamp, then a
/DSS with every certificate of the chains and the revocation data (the instance CA's CRL),
then a document time stamp over all of it. That is what lets a reader validate it offline,
years later, trusting nothing but the CA certificate.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from asn1crypto import algos, crl, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from pyhanko.keys.pemder import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import get_nonce, handle_tsp_response
from pyhanko.sign.validation import add_validation_info
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from caseapp.export import pki
from caseapp.export.keystore import SigningIdentity, signing_identity
from caseapp.export.pki import (
    SIGNING_CERT,
    SIGNING_KEY,
    TSA_CERT,
    TSA_KEY,
    Names,
    create_instance_pki,
)
from caseapp.export.tsa import Authority, FirstAnswering, InstanceTimeStamper

__all__ = [
    "SIGNING_CERT", "SIGNING_KEY", "TSA_CERT", "TSA_KEY", "HttpTimeStamper", "Signer",
    "SigningIdentityMissing", "TimeStampFailed", "certificate_fingerprint",
    "create_signing_identity", "load_certificate",
]

SIGNATURE_FIELD = "CaseappDossierSignature"
_MAX_TSA_REPLY = 1024 * 1024
log = logging.getLogger(__name__)


class SigningIdentityMissing(FileNotFoundError):
    """The instance has no signing key or certificate (run `caseapp init`)."""


class TimeStampFailed(OSError):
    """The time stamping authority did not grant a valid time stamp."""


def create_signing_identity(
    keys_dir: Path,
    signer_name: str = pki.DEFAULT_SIGNER_NAME,
    organisation: str = pki.DEFAULT_ORGANISATION,
    public_url: str | None = None,
) -> list[str]:
    """Make the instance CA, the signing and time stamp keys and certificates, if missing.

    Never destructive (see `pki.create_instance_pki`); returns what it created.
    """
    return create_instance_pki(Path(keys_dir), Names(signer_name, organisation, public_url))


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


def _asn1(cert: cx509.Certificate) -> x509.Certificate:
    return x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


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




def _tsr_certificates(tsr: tsp.TimeStampResp) -> list[x509.Certificate]:
    """The certificates a time stamp reply carries, the authority's own first (replies may
    list the CA first; certs/tsa.crt and its fingerprint in VERIFY.txt must name the TSA)."""
    signed_data = tsr["time_stamp_token"]["content"]
    certs = [c.chosen for c in signed_data["certificates"] or () if c.name == "certificate"]
    infos = signed_data["signer_infos"]
    if not infos:
        return certs
    sid = infos[0]["sid"]

    def signed_it(cert: x509.Certificate) -> bool:
        if sid.name == "subject_key_identifier":
            return bool(cert.key_identifier == sid.chosen.native)
        return bool(
            cert.serial_number == sid.chosen["serial_number"].native
            and cert.issuer == sid.chosen["issuer"]
        )

    return sorted(certs, key=lambda cert: not signed_it(cert))


class Signer:
    """Signs dossier PDFs at PAdES B-LTA and time-stamps manifests.

    `tsa_urls` are external RFC 3161 authorities, asked in order: the first that answers
    gives the signature time stamp, and every other one that answers adds a document time
    stamp of its own (so a dossier can carry, say, an accredited authority's stamp and a
    second one as a fallback). Without `tsa_urls` the instance's own authority stamps.
    `accredited` lists the URLs the operator declares accredited. `tsa_url` is the old
    one-authority form, kept as an alias.
    """

    def __init__(
        self,
        keys_dir: Path,
        tsa_url: str | None = None,
        *,
        tsa_urls: Sequence[str] = (),
        accredited: Iterable[str] = (),
        policy_oid: str | None = None,
        organisation: str = pki.DEFAULT_ORGANISATION,
    ) -> None:
        keys_dir = Path(keys_dir)
        self.keys_dir = keys_dir
        urls = list(tsa_urls) or ([tsa_url] if tsa_url else [])
        identity = signing_identity(keys_dir)
        own_tsa = (keys_dir / TSA_KEY).is_file() and (keys_dir / TSA_CERT).is_file()
        if identity is None or not (urls or own_tsa):
            raise SigningIdentityMissing("no signing identity in the keys folder")
        self.identity: SigningIdentity = identity
        self._signer = signers.SimpleSigner(
            signing_cert=_asn1(identity.cert),
            signing_key=load_private_key_from_pemder_data(
                identity.key_path.read_bytes(), passphrase=None
            ),
            cert_registry=SimpleCertificateStore.from_certs(
                [_asn1(c) for c in identity.chain]
            ),
        )
        self.signing_cert_pem = pki.pem(identity.cert)
        self.ca_cert_pem = (
            pki.ca_certificate_pem(keys_dir) if (keys_dir / pki.CA_CERT).is_file() else None
        )
        self.instance_tsa: InstanceTimeStamper | None = None
        self.tsa_cert_pem: bytes | None = None
        if own_tsa:
            tsa_cert = pki.load_cert(keys_dir / TSA_CERT)
            chain = [] if pki.is_self_signed(tsa_cert) or self.ca_cert_pem is None else [
                load_certificate(self.ca_cert_pem)
            ]
            self.instance_tsa = InstanceTimeStamper(
                _asn1(tsa_cert),
                (keys_dir / TSA_KEY).read_bytes(),
                pki.tsa_policy_oid(keys_dir, policy_oid),
                chain,
            )
            if not urls:
                self.tsa_cert_pem = pki.pem(tsa_cert) + b"".join(_pem(c) for c in chain)
        accredited_urls = set(accredited)
        self.authorities: list[Authority] = (
            [Authority(url, HttpTimeStamper(url), url in accredited_urls) for url in urls]
            if urls
            else [Authority(f"{organisation} time stamping", self.instance_tsa, own=True)]  # type: ignore[arg-type]
        )

    # --- what the dossier says about its time stamps -------------------------------------

    @property
    def timestamp_authority_name(self) -> str:
        """The authority that is asked first for the signature time stamp (URL or name)."""
        return self.authorities[0].name

    @property
    def accredited(self) -> bool:
        """True only if every authority that may stamp is declared accredited: the dossier's
        wording is written before we know which one answers."""
        return all(a.accredited for a in self.authorities)

    @property
    def own_timestamps(self) -> bool:
        """True when the instance's own authority makes the time stamps."""
        return self.authorities[0].own

    @property
    def timestamper(self) -> TimeStamper:
        """A time stamper asking the authorities in order (a fresh one each time)."""
        return FirstAnswering(self.authorities)

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the signing certificate, printed on each dossier."""
        return certificate_fingerprint(self.signing_cert_pem)

    @property
    def ca_fingerprint(self) -> str | None:
        """SHA-256 fingerprint of the instance CA certificate (None for an old instance)."""
        return certificate_fingerprint(self.ca_cert_pem) if self.ca_cert_pem else None

    # --- validation data ------------------------------------------------------------------

    def trust_roots(self) -> list[x509.Certificate]:
        """What the signer's own validation (to fill the DSS) starts from: the instance's
        anchors, the imported chain's root, and for external authorities the roots their
        replies carried (for collecting validation data only, never a verdict)."""
        roots = pki.instance_trust_anchors(self.keys_dir)
        roots += [_asn1(c) for c in self.identity.chain if pki.is_self_signed(c)]
        return roots

    def crls(self) -> list[crl.CertificateList]:
        """The instance CA's current CRL, for the DSS (none for an old instance)."""
        if self.ca_cert_pem is None:
            return []
        return [crl.CertificateList.load(pki.current_crl(self.keys_dir))]

    def validation_context(
        self, extra_roots: Iterable[x509.Certificate] = ()
    ) -> ValidationContext:
        """Trust the instance (and an imported chain's root), with the CA's CRL at hand.

        Fetching is allowed only for an imported identity: its real CA's CRL or OCSP is
        what the DSS should carry; the instance's own CRL is read from the keys folder.
        """
        return ValidationContext(
            trust_roots=[*self.trust_roots(), *extra_roots],
            other_certs=[_asn1(c) for c in self.identity.chain],
            crls=self.crls(),
            allow_fetching=self.identity.imported,
            revocation_mode="soft-fail",
        )

    # --- signing --------------------------------------------------------------------------

    def sign(self, pdf_bytes: bytes, reason: str = "caseapp dossier") -> bytes:
        """Sign a PDF at PAdES B-LTA: signature + signature time stamp, DSS, document time
        stamp; then one more document time stamp from each other authority that answers."""
        primary = FirstAnswering(self.authorities)
        extra_roots = self._probe_roots(primary)
        context = self.validation_context(extra_roots)
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            embed_validation_info=True,
            use_pades_lta=True,
            validation_context=context,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        out = io.BytesIO()
        signers.PdfSigner(meta, signer=self._signer, timestamper=primary).sign_pdf(
            writer, output=out
        )
        data = out.getvalue()
        for authority in self.authorities:
            if authority is primary.answered:
                continue
            try:
                data = self.add_document_timestamp(data, authority.timestamper, extra_roots)
            except Exception as error:  # noqa: BLE001 - a missing extra stamp is not fatal
                log.warning("no document time stamp from %s: %s", authority.name, error)
        return data

    def _probe_roots(self, stamper: FirstAnswering) -> list[x509.Certificate]:
        """Self-signed certificates external authorities send with their replies.

        pyHanko validates every time stamp it embeds validation data for; an external
        authority's root is not ours to trust, so it is offered for that purpose only.
        """
        if all(a.own for a in self.authorities):
            return []
        roots: list[x509.Certificate] = []
        for authority in self.authorities:
            if authority.own:
                continue
            try:
                reply = self._request(authority.timestamper, b"caseapp probe")
            except TimeStampFailed:
                continue
            roots += [c for c in _tsr_certificates(reply) if c.self_signed == "maybe"]
        return roots

    def add_document_timestamp(
        self,
        pdf_bytes: bytes,
        timestamper: TimeStamper | None = None,
        extra_roots: Iterable[x509.Certificate] = (),
    ) -> bytes:
        """Append DSS updates and a document time stamp (by default from the first
        authority that answers): what `caseapp dossier renew` does to a stored dossier."""
        stamper = timestamper or FirstAnswering(self.authorities)
        roots = list(extra_roots) or self._probe_roots(FirstAnswering(self.authorities))
        context = self.validation_context(roots)
        out = io.BytesIO()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        signers.PdfTimeStamper(stamper).timestamp_pdf(
            writer, "sha256", validation_context=context, output=out
        )
        return out.getvalue()

    def renew(self, pdf_bytes: bytes) -> bytes:
        """Extend a dossier's archive time stamp chain: validation data for its newest time
        stamp (fresh CRL, certificates) into the DSS, then a new document time stamp over
        everything. A dossier signed before B-LTA (no document time stamp) first gets the
        validation data of its signature."""
        stamper = FirstAnswering(self.authorities)
        roots = self._probe_roots(stamper)
        context = self.validation_context(roots)
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        if not reader.embedded_timestamp_signatures:
            signature = reader.embedded_regular_signatures[0]
            out = add_validation_info(signature, context, in_place=False, output=io.BytesIO())
            return self.add_document_timestamp(out.getvalue(), stamper, roots)
        out = io.BytesIO()
        signers.PdfTimeStamper(stamper).update_archival_timestamp_chain(
            reader, context, in_place=False, output=out
        )
        return out.getvalue()

    # --- manifests and bundles ------------------------------------------------------------

    def _request(self, timestamper: TimeStamper, data: bytes) -> tsp.TimeStampResp:
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
        try:
            response = asyncio.run(timestamper.async_request_tsa_response(request))
            handle_tsp_response(response, nonce)
        except TimeStampFailed:
            raise
        except Exception as error:
            raise TimeStampFailed(str(error)) from error
        return response

    def timestamp_bytes(self, data: bytes) -> bytes:
        """A full RFC 3161 TimeStampResp (DER) over SHA-256 of `data`, e.g. a manifest.

        Verifiable with `openssl ts -verify -data FILE -in FILE.tsr -CAfile tsa.crt`.
        """
        return self._request(FirstAnswering(self.authorities), data).dump()

    def bundle_certificates(self, tsr: bytes) -> dict[str, bytes]:
        """The certificates a bundle carries, by file name, as PEM.

        signing.crt is the signing certificate; tsa.crt the certificate of the authority
        that stamped the manifest followed by the chain its reply carries (so `openssl ts
        -verify -CAfile certs/tsa.crt` finds the root); ca.crt the instance CA, whose
        fingerprint is the one to confirm out of band.
        """
        certs = _tsr_certificates(tsp.TimeStampResp.load(tsr))
        result = {
            SIGNING_CERT: self.signing_cert_pem,
            TSA_CERT: b"".join(_pem(c) for c in certs) or (self.tsa_cert_pem or b""),
        }
        if self.ca_cert_pem is not None:
            result[pki.CA_CERT] = self.ca_cert_pem
        return result


def _pem(cert: x509.Certificate) -> bytes:
    return cx509.load_der_x509_certificate(cert.dump()).public_bytes(serialization.Encoding.PEM)


def signature_timestamp_certificate(signature: Any) -> x509.Certificate | None:
    """The certificate of the authority that time-stamped an embedded PDF signature (the
    RFC 3161 token in its unsigned attributes), or None when it carries no token."""
    for attr in signature.signer_info["unsigned_attrs"] or ():
        if attr["type"].native != "signature_time_stamp_token":
            continue
        token = attr["values"][0]["content"]
        sid = token["signer_infos"][0]["sid"].chosen
        for choice in token["certificates"] or ():
            cert = choice.chosen
            if (
                choice.name == "certificate"
                and cert.serial_number == sid["serial_number"].native
                and cert.issuer == sid["issuer"]
            ):
                return cert
    return None
