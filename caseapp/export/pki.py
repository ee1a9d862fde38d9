"""The instance's certificate authority: its key, the certificates it issues, its CRL.

Why a CA and not two self-signed certificates: a recipient then has one thing to trust —
the CA certificate, confirmed out of band by its SHA-256 fingerprint — and everything the
instance signs chains to it. The CA's key signs only certificates and CRLs; it never signs a
dossier, so the signing key can be replaced (or a real CA's certificate imported) without
changing what recipients trust.

`caseapp init` calls `create_instance_pki`. It never overwrites a key. An instance made
before the CA existed (self-signed signing.crt and tsa.crt) is migrated on the next `init`:
the CA is created, the old certificates are moved to keys/legacy/ (still trust anchors for
the dossiers they signed) and new certificates for the *same* keys are issued under the CA.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_KEY = "ca.key"
CA_CERT = "ca.crt"
CRL_FILE = "ca.crl"
SIGNING_KEY = "signing.key"
SIGNING_CERT = "signing.crt"
TSA_KEY = "tsa.key"
TSA_CERT = "tsa.crt"
TSA_POLICY_FILE = "tsa-policy-oid"
LEGACY_DIR = "legacy"
CRL_PATH = "/pki/crl"
CA_PATH = "/pki/ca.pem"

DEFAULT_SIGNER_NAME = "caseapp dossier signing"
DEFAULT_ORGANISATION = "caseapp"
CA_VALIDITY = timedelta(days=20 * 365 + 5)
LEAF_VALIDITY = timedelta(days=3653)
CRL_VALIDITY = timedelta(days=7)
# A CRL is re-issued once less than this is left: a relying party fetching it always gets
# days of validity, and a dossier's DSS never carries a CRL about to lapse.
CRL_REFRESH = timedelta(days=4)


class PkiError(Exception):
    """The instance's keys folder holds something the CA cannot work with."""


@dataclass(frozen=True)
class Names:
    """What the instance's certificates say about who issued them (settings, never paths)."""

    signer_name: str = DEFAULT_SIGNER_NAME
    organisation: str = DEFAULT_ORGANISATION
    public_url: str | None = None

    def subject(self, common_name: str) -> x509.Name:
        """An X.509 name: this common name in the operator's organisation."""
        return x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation),
        ])

    @property
    def crl_url(self) -> str | None:
        """Where the CRL is published, when the instance has a public address."""
        return self.public_url.rstrip("/") + CRL_PATH if self.public_url else None


# --- files ---------------------------------------------------------------------------------


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create a file with `mode` from the start; FileExistsError rather than overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _replace(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    write_new(tmp, data, mode)
    os.replace(tmp, path)


@contextmanager
def _locked(keys_dir: Path, name: str) -> Iterator[None]:
    # One process at a time re-issues the CRL or migrates certificates (gunicorn workers,
    # a CLI next to the server).
    fd = os.open(keys_dir / f".{name}.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def private_key_pem(key: CertificateIssuerPrivateKeyTypes) -> bytes:
    """A private key as unencrypted PKCS#8 PEM (the file itself is 0600)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_or_make_key(path: Path) -> CertificateIssuerPrivateKeyTypes:
    """The key in `path`, or a new RSA-3072 key written there with mode 0600."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise PkiError(f"{path.name} is neither an RSA nor an EC key")
        return key
    new = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    write_new(path, private_key_pem(new), 0o600)
    return new


def load_cert(path: Path) -> x509.Certificate:
    """A certificate from a PEM file."""
    return x509.load_pem_x509_certificate(path.read_bytes())


def pem(cert: x509.Certificate) -> bytes:
    """A certificate as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 over the certificate's DER, lowercase hex (what `openssl x509 -fingerprint
    -sha256` prints, without the colons)."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def is_self_signed(cert: x509.Certificate) -> bool:
    """Issued by itself: subject equals issuer and its own key verifies its signature."""
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, Exception):  # InvalidSignature and unsupported key types
        return False
    return True


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except Exception:  # InvalidSignature, name mismatch, unsupported algorithm
        return False
    return True


# --- the CA and what it issues -------------------------------------------------------------


def _key_usage(**on: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
         "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"),
        False,
    )
    flags.update(on)
    return x509.KeyUsage(**flags)


def _make_ca(key: CertificateIssuerPrivateKeyTypes, names: Names) -> x509.Certificate:
    now = datetime.now(UTC)
    subject = names.subject(f"{names.organisation} instance CA")
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def issue(
    ca_key: CertificateIssuerPrivateKeyTypes,
    ca_cert: x509.Certificate,
    key: CertificateIssuerPrivateKeyTypes,
    names: Names,
    purpose: str,
    validity: timedelta = LEAF_VALIDITY,
) -> x509.Certificate:
    """A leaf certificate for `key` from the instance CA; purpose "signing" or "tsa".

    The signer gets digitalSignature + nonRepudiation (PAdES); the TSA gets the critical
    timeStamping extended key usage RFC 3161 § 2.3 requires. Both carry the CA's key id and,
    when the instance has a public address, where its CRL lives.
    """
    now = datetime.now(UTC)
    common_name = (
        names.signer_name if purpose == "signing" else f"{names.organisation} time stamping"
    )
    not_after = min(now + validity, ca_cert.not_valid_after_utc)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(names.subject(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
    )
    if purpose == "signing":
        builder = builder.add_extension(
            _key_usage(digital_signature=True, content_commitment=True), critical=True
        )
    else:
        builder = builder.add_extension(
            _key_usage(digital_signature=True), critical=True
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    if names.crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints([
                x509.DistributionPoint(
                    full_name=[x509.UniformResourceIdentifier(names.crl_url)],
                    relative_name=None, reasons=None, crl_issuer=None,
                )
            ]),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256())


def _archive(keys_dir: Path, path: Path) -> str:
    """Move a certificate to keys/legacy/ under a name no later move can take."""
    legacy = keys_dir / LEGACY_DIR
    legacy.mkdir(mode=0o700, exist_ok=True)
    cert = load_cert(path)
    target = legacy / f"{path.stem}-{fingerprint(cert)[:16]}.crt"
    if target.exists():
        path.unlink()
    else:
        os.replace(path, target)
    return target.name


def create_instance_pki(keys_dir: Path, names: Names | None = None) -> list[str]:
    """Make the CA, the signing and time stamp keys and their certificates, if missing.

    Idempotent and never destructive: no key is ever overwritten; a missing certificate is
    issued for the existing key; a certificate not issued by this CA (the self-signed ones
    of instances made before the CA) is moved to keys/legacy/ — where it stays a trust
    anchor for the dossiers it signed — and replaced by one from the CA for the same key.
    Returns what was created or migrated, for `caseapp init` to print.
    """
    names = names or Names()
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    done: list[str] = []
    with _locked(keys_dir, "pki"):
        had_ca_key = (keys_dir / CA_KEY).exists()
        ca_key = load_or_make_key(keys_dir / CA_KEY)
        if not had_ca_key:
            done.append("instance CA key")
        if (keys_dir / CA_CERT).exists():
            ca_cert = load_cert(keys_dir / CA_CERT)
        else:
            ca_cert = _make_ca(ca_key, names)
            write_new(keys_dir / CA_CERT, pem(ca_cert), 0o600)
            done.append("instance CA certificate")
        for key_name, cert_name, purpose in (
            (SIGNING_KEY, SIGNING_CERT, "signing"),
            (TSA_KEY, TSA_CERT, "tsa"),
        ):
            had_key = (keys_dir / key_name).exists()
            key = load_or_make_key(keys_dir / key_name)
            if not had_key:
                done.append(f"{purpose} key")
            cert_path = keys_dir / cert_name
            if cert_path.exists():
                if _issued_by(load_cert(cert_path), ca_cert):
                    continue
                done.append(f"{cert_name} moved to {LEGACY_DIR}/{_archive(keys_dir, cert_path)}")
            write_new(cert_path, pem(issue(ca_key, ca_cert, key, names, purpose)), 0o600)
            done.append(f"{cert_name} issued by the instance CA")
        if not (keys_dir / TSA_POLICY_FILE).exists():
            write_new(keys_dir / TSA_POLICY_FILE, new_policy_oid().encode() + b"\n", 0o600)
            done.append("time stamp policy OID")
    current_crl(keys_dir)
    return done


def new_policy_oid() -> str:
    """A policy OID nobody else uses: 2.25 + a random UUID as an integer (ITU-T X.667)."""
    return f"2.25.{uuid.uuid4().int}"


def tsa_policy_oid(keys_dir: Path, configured: str | None = None) -> str:
    """The instance TSA's policy OID: the `tsa_policy_oid` setting, else the one made at init."""
    if configured:
        return configured
    path = Path(keys_dir) / TSA_POLICY_FILE
    if path.is_file():
        return path.read_text("ascii").strip()
    tsa_cert = Path(keys_dir) / TSA_CERT
    if tsa_cert.is_file():
        # An instance from before the policy file, not yet re-initialised: an OID derived
        # from its TSA certificate, stable as long as that certificate is.
        return f"2.25.{int.from_bytes(bytes.fromhex(fingerprint(load_cert(tsa_cert))[:32]))}"
    raise PkiError("no time stamp policy OID: run `caseapp init`")


# --- the CRL -------------------------------------------------------------------------------


def _crl_fresh(crl: x509.CertificateRevocationList, ca: x509.Certificate, now: datetime) -> bool:
    next_update = crl.next_update_utc
    return (
        next_update is not None
        and next_update - now > CRL_REFRESH
        and crl.issuer == ca.subject
        and crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    )


def current_crl(keys_dir: Path, now: datetime | None = None) -> bytes:
    """The CA's CRL (DER), re-issued when missing, about to lapse or not from this CA.

    Revoked serials already on the stored CRL are carried over; nextUpdate is a week ahead.
    """
    keys_dir = Path(keys_dir)
    now = now or datetime.now(UTC)
    path = keys_dir / CRL_FILE
    ca_cert = load_cert(keys_dir / CA_CERT)
    if path.exists():
        crl = x509.load_der_x509_crl(path.read_bytes())
        if _crl_fresh(crl, ca_cert, now):
            return path.read_bytes()
    with _locked(keys_dir, "crl"):
        old = x509.load_der_x509_crl(path.read_bytes()) if path.exists() else None
        if old is not None and _crl_fresh(old, ca_cert, now):
            return path.read_bytes()
        number = 1
        revoked: list[x509.RevokedCertificate] = []
        if old is not None and old.issuer == ca_cert.subject:
            revoked = list(old)
            with suppress(x509.ExtensionNotFound):
                number = old.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
        ca_key = serialization.load_pem_private_key((keys_dir / CA_KEY).read_bytes(), None)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - timedelta(minutes=5))
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                    ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
                ),
                critical=False,
            )
        )
        for entry in revoked:
            builder = builder.add_revoked_certificate(entry)
        data = builder.sign(ca_key, hashes.SHA256()).public_bytes(  # type: ignore[arg-type]
            serialization.Encoding.DER
        )
        _replace(path, data)
        return data


# --- what recipients and the verifier trust ------------------------------------------------


def ca_certificate_pem(keys_dir: Path) -> bytes:
    """The instance CA certificate as PEM (FileNotFoundError before `caseapp init`)."""
    return (Path(keys_dir) / CA_CERT).read_bytes()


def ca_fingerprint(keys_path: Path) -> str:
    """SHA-256 of the instance CA certificate: what an operator publishes and a recipient
    compares out of band before trusting dossiers from this instance."""
    return fingerprint(load_cert(Path(keys_path) / CA_CERT))


def instance_trust_anchors(keys_path: Path) -> list[ax509.Certificate]:
    """The certificates a dossier from this instance must chain to (asn1crypto objects).

    The CA certificate; and, for dossiers signed before the instance had a CA, the old
    self-signed signing and time stamp certificates (still in place, or kept in
    keys/legacy/ by the migration). An imported signing chain's root is included too.
    """
    keys_path = Path(keys_path)
    paths = [keys_path / CA_CERT]
    paths += [keys_path / name for name in (SIGNING_CERT, TSA_CERT)]
    legacy = keys_path / LEGACY_DIR
    if legacy.is_dir():
        paths += sorted(legacy.glob("*.crt"))
    from caseapp.export.keystore import IMPORTED_CHAIN

    anchors: list[ax509.Certificate] = []
    seen: set[str] = set()
    for path in paths:
        if not path.is_file():
            continue
        cert = load_cert(path)
        if path.name != CA_CERT and not is_self_signed(cert):
            continue
        if fingerprint(cert) not in seen:
            seen.add(fingerprint(cert))
            anchors.append(ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    chain = keys_path / IMPORTED_CHAIN
    if chain.is_file():
        for cert in x509.load_pem_x509_certificates(chain.read_bytes()):
            if is_self_signed(cert) and fingerprint(cert) not in seen:
                seen.add(fingerprint(cert))
                anchors.append(ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    return anchors
