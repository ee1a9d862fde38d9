"""Certificates a verifier works with: anchors a person named, and the ones a file carries.

Certificates inside a dossier or bundle are only material for building a chain; they never
make anything trusted. Trust comes from an anchor named outside the file: the instance's CA
beside the instance, a CA certificate given with `--trust`, or a fingerprint given with
`--fingerprint` that the person confirmed through another channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from asn1crypto import pem, x509

from caseapp.export.signing import certificate_fingerprint

_MAX_CHAIN = 10


class UnreadableCertificate(ValueError):
    """The bytes hold no certificate that can be read (PEM or DER)."""


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in PEM (one or several) or DER bytes."""
    try:
        if pem.detect(data):
            certs = [
                x509.Certificate.load(der)
                for kind, _headers, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        else:
            certs = [x509.Certificate.load(data)]
        for cert in certs:
            cert.native  # noqa: B018 - parse fully now, so damage shows here, not later
    except (ValueError, TypeError) as error:
        raise UnreadableCertificate("no readable certificate") from error
    if not certs:
        raise UnreadableCertificate("no certificate in the file")
    return certs


def is_self_signed(cert: x509.Certificate) -> bool:
    """Whether the certificate names itself as its issuer (a root, or a lone certificate)."""
    return bool(cert.subject == cert.issuer)


def chain_top(cert: x509.Certificate, pool: Iterable[x509.Certificate]) -> x509.Certificate:
    """Follow issuer names through `pool` as far as they go: where a chain claims to start.

    Display only: it says where the signer claims to come from; validation is done elsewhere.
    """
    by_subject = {c.subject.dump(): c for c in pool}
    seen = {certificate_fingerprint(cert)}
    for _ in range(_MAX_CHAIN):
        if is_self_signed(cert):
            break
        issuer = by_subject.get(cert.issuer.dump())
        if issuer is None or certificate_fingerprint(issuer) in seen:
            break
        seen.add(certificate_fingerprint(issuer))
        cert = issuer
    return cert


@dataclass
class TrustAnchors:
    """What the signer must chain to, and where that requirement came from.

    `certs` are anchors named outright (the instance's, or `--trust`); `fingerprint` names one
    that must be found among the certificates the file carries. With neither, nobody named an
    anchor: the file can be found intact, but its signer only "unconfirmed".
    """

    certs: list[x509.Certificate] = field(default_factory=list)
    fingerprint: str | None = None
    source: str = "none"  # "instance", "given", "fingerprint" or "none"

    @property
    def named(self) -> bool:
        """Whether anyone named an anchor at all."""
        return bool(self.certs) or self.fingerprint is not None

    def resolve(self, pool: Iterable[x509.Certificate]) -> list[x509.Certificate]:
        """The anchor certificates: the named ones, or the fingerprint's match in `pool`."""
        if self.fingerprint is None:
            return list(self.certs)
        wanted = self.fingerprint.lower().replace(":", "").strip()
        return [c for c in pool if certificate_fingerprint(c) == wanted][:1]

    def describe(self) -> str:
        """The anchor in a person's words, for "not signed by ..." messages."""
        if self.source == "instance":
            return "this instance's CA"
        if self.source == "fingerprint":
            return f"the CA with SHA-256 {self.fingerprint}"
        return "the CA certificate you gave"
