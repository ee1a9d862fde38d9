"""Which key signs dossiers: the instance's own (issued by its CA) or one imported from a
real certificate authority with `caseapp signing import FILE.p12`.

An imported identity lives beside the instance's own, never in its place: keys/imported.key
(0600), keys/imported.crt and keys/imported-chain.pem (intermediates and root as the PKCS#12
carried them). The instance CA keeps running the time stamping authority either way. A
second import moves the previous one to keys/legacy/, so dossiers it signed still verify.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from caseapp.export.pki import (
    CA_CERT,
    LEGACY_DIR,
    SIGNING_CERT,
    SIGNING_KEY,
    fingerprint,
    is_self_signed,
    load_cert,
    pem,
    private_key_pem,
    write_new,
)

IMPORTED_KEY = "imported.key"
IMPORTED_CERT = "imported.crt"
IMPORTED_CHAIN = "imported-chain.pem"


class ImportRefused(ValueError):
    """The PKCS#12 file cannot be used to sign dossiers (the reason is the message)."""


@dataclass(frozen=True)
class SigningIdentity:
    """The key that signs dossiers, its certificate and the chain up to its root."""

    key_path: Path
    cert: x509.Certificate
    chain: list[x509.Certificate]
    imported: bool


def signing_identity(keys_dir: Path) -> SigningIdentity | None:
    """The identity dossiers are signed with now: the imported one if any, else the
    instance's own; None before `caseapp init`."""
    keys_dir = Path(keys_dir)
    if (keys_dir / IMPORTED_KEY).is_file() and (keys_dir / IMPORTED_CERT).is_file():
        chain_file = keys_dir / IMPORTED_CHAIN
        chain = (
            x509.load_pem_x509_certificates(chain_file.read_bytes()) if chain_file.is_file() else []
        )
        cert = load_cert(keys_dir / IMPORTED_CERT)
        return SigningIdentity(keys_dir / IMPORTED_KEY, cert, chain, True)
    if not ((keys_dir / SIGNING_KEY).is_file() and (keys_dir / SIGNING_CERT).is_file()):
        return None
    cert = load_cert(keys_dir / SIGNING_CERT)
    chain = [] if is_self_signed(cert) or not (keys_dir / CA_CERT).is_file() else [
        load_cert(keys_dir / CA_CERT)
    ]
    return SigningIdentity(keys_dir / SIGNING_KEY, cert, chain, False)


def _check_leaf(key: object, cert: x509.Certificate, now: datetime) -> None:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ImportRefused("the key is neither RSA nor EC")
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise ImportRefused("the key does not belong to the certificate")
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise ImportRefused("the certificate is not valid now")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise ImportRefused("the certificate may not sign documents (key usage)")


def _order_chain(leaf: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    """Intermediates then root, following issuer names from the leaf; unrelated ones dropped."""
    ordered: list[x509.Certificate] = []
    current = leaf
    pool = list(others)
    while not is_self_signed(current):
        parent = next((c for c in pool if c.subject == current.issuer), None)
        if parent is None:
            break
        pool.remove(parent)
        ordered.append(parent)
        current = parent
    return ordered


def _archive_import(keys_dir: Path) -> None:
    legacy = keys_dir / LEGACY_DIR
    legacy.mkdir(mode=0o700, exist_ok=True)
    tag = fingerprint(load_cert(keys_dir / IMPORTED_CERT))[:16]
    for name in (IMPORTED_KEY, IMPORTED_CERT, IMPORTED_CHAIN):
        path = keys_dir / name
        if path.exists():
            os.replace(path, legacy / f"{tag}-{name}")


def import_pkcs12(keys_dir: Path, data: bytes, password: bytes | None) -> SigningIdentity:
    """Store the key, certificate and chain of a PKCS#12 file as the dossier signing identity.

    Refuses (ImportRefused) a file that cannot be opened, has no key, whose certificate is
    expired or may not sign. The key is written unencrypted with mode 0600, like the
    instance's own keys: the keys folder is the secret, as for the vault's master key.
    """
    keys_dir = Path(keys_dir)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError) as error:
        raise ImportRefused(f"cannot open the PKCS#12 file (wrong password?): {error}") from error
    if key is None or cert is None:
        raise ImportRefused("the PKCS#12 file holds no key and certificate")
    _check_leaf(key, cert, datetime.now(UTC))
    chain = _order_chain(cert, list(extra or []))
    if (keys_dir / IMPORTED_CERT).exists():
        _archive_import(keys_dir)
    write_new(keys_dir / IMPORTED_KEY, private_key_pem(key), 0o600)  # type: ignore[arg-type]
    write_new(keys_dir / IMPORTED_CERT, pem(cert), 0o600)
    write_new(keys_dir / IMPORTED_CHAIN, b"".join(pem(c) for c in chain), 0o600)
    return SigningIdentity(keys_dir / IMPORTED_KEY, cert, chain, True)
