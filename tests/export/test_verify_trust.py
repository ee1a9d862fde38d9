"""`caseapp verify` never vouches for a forgery: intact means signed under a named anchor.

The forger alters the case (the amount, an original) and re-signs the dossier with a
look-alike: an instance CA, signing certificate and TSA with the very same subjects.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from caseapp.export.pdf import render_pdf
from caseapp.export.pipeline import produce_dossier
from caseapp.export.signing import Signer, certificate_fingerprint, create_signing_identity
from caseapp.export.trust import TrustAnchors
from caseapp.export.verify import verify_file
from caseapp.export.verify_cli import verify_command

NOW = datetime.now(UTC)


def _verify(file: Path, *args: str, instance: Path) -> Result:
    return CliRunner().invoke(
        verify_command, [str(file), *args], env={"CASEAPP_INSTANCE": str(instance)}
    )


@pytest.fixture(scope="module")
def real_pdf(tmp_path_factory: pytest.TempPathFactory, signed_dossier: bytes) -> Path:
    path = tmp_path_factory.mktemp("real") / "dossier.pdf"
    path.write_bytes(signed_dossier)
    return path


@pytest.fixture(scope="module")
def forged_pdf(tmp_path_factory: pytest.TempPathFactory, context_factory) -> tuple[Path, str]:
    """The sample case with a smaller amount and a replaced photo, signed by a look-alike."""
    folder = tmp_path_factory.mktemp("forger")
    create_signing_identity(folder / "keys", "caseapp test instance")  # the same subject
    ctx = context_factory()
    fake = b"forged receipt: nothing owed\n"
    receipt = replace(ctx.evidence[1], size=len(fake), sha256=hashlib.sha256(fake).hexdigest(),
                      original=lambda: io.BytesIO(fake))
    ctx = replace(ctx, case=replace(ctx.case, amount="125.00"),
                  evidence=[ctx.evidence[0], receipt, *ctx.evidence[2:]])
    forger = Signer(folder / "keys")
    path = folder / "dossier.pdf"
    path.write_bytes(produce_dossier(ctx, forger).pdf)
    assert forger.ca_fingerprint is not None
    return path, forger.ca_fingerprint


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Path:
    """An initialised instance folder whose keys are the ones that signed the real dossier."""
    folder = tmp_path_factory.mktemp("instance")
    (folder / "keys").symlink_to(keys_dir)
    return folder


@pytest.fixture
def away(tmp_path: Path) -> Path:
    """A folder with no instance in it."""
    return tmp_path / "no-instance"


def test_the_forgery_away_from_the_instance_is_unconfirmed_and_shows_the_look_alike(
    forged_pdf: tuple[Path, str], away: Path
) -> None:
    path, forger_ca_fingerprint = forged_pdf
    result = _verify(path, instance=away)
    assert result.exit_code == 3, result.output
    assert result.output.startswith("INTACT BUT SIGNER UNCONFIRMED")
    assert forger_ca_fingerprint in result.output
    assert "Common Name: caseapp instance CA" in result.output
    assert "Common Name: caseapp test instance" in result.output
    assert "--fingerprint" in result.output
    assert "--trust" in result.output


def test_the_forgery_with_trust_in_the_real_anchor_is_not_intact(
    forged_pdf: tuple[Path, str], keys_dir: Path, away: Path
) -> None:
    result = _verify(forged_pdf[0], "--trust", str(keys_dir / "ca.crt"), instance=away)
    assert result.exit_code == 1, result.output
    assert "not signed by the trusted authority" in result.output


def test_the_forgery_beside_the_real_instance_is_not_intact(
    forged_pdf: tuple[Path, str], instance: Path
) -> None:
    result = _verify(forged_pdf[0], instance=instance)
    assert result.exit_code == 1, result.output
    assert "does not chain to this instance's CA" in result.output


def test_the_forgery_with_the_real_fingerprint_is_not_intact(
    forged_pdf: tuple[Path, str], signer: Signer, away: Path
) -> None:
    assert signer.ca_fingerprint is not None
    result = _verify(forged_pdf[0], "--fingerprint", signer.ca_fingerprint, instance=away)
    assert result.exit_code == 1, result.output
    assert "not signed by the trusted authority" in result.output


def test_the_real_dossier_beside_the_instance_is_intact(real_pdf: Path, instance: Path) -> None:
    result = _verify(real_pdf, instance=instance)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("INTACT:")


def test_the_real_dossier_away_with_trust_in_its_anchor_is_intact(
    real_pdf: Path, keys_dir: Path, away: Path
) -> None:
    der = x509.load_pem_x509_certificate((keys_dir / "ca.crt").read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    (away.parent / "anchor.der").write_bytes(der)
    for anchor in (keys_dir / "ca.crt", away.parent / "anchor.der"):
        result = _verify(real_pdf, "--trust", str(anchor), instance=away)
        assert result.exit_code == 0, result.output


def test_the_real_dossier_away_without_an_anchor_is_unconfirmed(
    real_pdf: Path, signer: Signer, away: Path
) -> None:
    result = _verify(real_pdf, instance=away)
    assert result.exit_code == 3, result.output
    assert signer.ca_fingerprint is not None
    assert signer.ca_fingerprint in result.output
    assert "Common Name: caseapp instance CA" in result.output


def test_the_real_dossier_with_its_anchor_fingerprint_is_intact(
    real_pdf: Path, signer: Signer, away: Path
) -> None:
    ca = signer.ca_fingerprint
    assert ca is not None
    spaced = ":".join(ca[i : i + 2] for i in range(0, 64, 2)).upper()
    for fingerprint in (ca, spaced):
        result = _verify(real_pdf, "--fingerprint", fingerprint, instance=away)
        assert result.exit_code == 0, result.output


def test_a_new_dossier_carries_the_instance_ca_in_its_dss_so_its_fingerprint_finds_it(
    signed_dossier: bytes, signer: Signer
) -> None:
    reader = PdfFileReader(io.BytesIO(signed_dossier), strict=False)
    dss = DocumentSecurityStore.read_dss(reader)
    carried = {certificate_fingerprint(c) for c in dss.load_certs()}
    assert signer.ca_fingerprint in carried
    report = verify_file(
        signed_dossier, TrustAnchors(fingerprint=signer.ca_fingerprint, source="fingerprint")
    )
    assert report.status == "intact", report.reasons
    assert report.anchor_fingerprint == signer.ca_fingerprint


def test_a_bad_trust_file_or_fingerprint_is_a_usage_error(real_pdf: Path, away: Path) -> None:
    junk = away.parent / "junk.pem"
    junk.write_text("not a certificate")
    assert _verify(real_pdf, "--trust", str(junk), instance=away).exit_code == 2
    assert _verify(real_pdf, "--fingerprint", "abc", instance=away).exit_code == 2


# A chain like the one the instance CA will issue: CA -> signing certificate, CA -> TSA.


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject: str, key: rsa.RSAPrivateKey, issuer: tuple[str, rsa.RSAPrivateKey]
    | None = None, *, ca: bool = False, tsa: bool = False,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name = (
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]) if issuer else name
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=not ca, content_commitment=not (ca or tsa), key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False), critical=True)
    )
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def _ca_signed_dossier(pdf: bytes, ca_name: str) -> tuple[bytes, x509.Certificate]:
    """Sign a dossier under a fresh CA called `ca_name`; return it and the CA certificate."""
    ca_key, signing_key, tsa_key = _key(), _key(), _key()
    ca = _cert(ca_name, ca_key, ca=True)
    signing = _cert("caseapp test instance", signing_key, (ca_name, ca_key))
    tsa = _cert("caseapp test instance TSA", tsa_key, (ca_name, ca_key), tsa=True)
    signer = signers.SimpleSigner(
        signing_cert=_asn1(signing), signing_key=_asn1_key(signing_key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(ca)]),
    )
    stamper = DummyTimeStamper(tsa_cert=_asn1(tsa), tsa_key=_asn1_key(tsa_key),
                               certs_to_embed=SimpleCertificateStore.from_certs([_asn1(ca)]))
    meta = signers.PdfSignatureMetadata(field_name="CaseappDossierSignature", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, timestamper=stamper).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), output=out
    )
    return out.getvalue(), ca


@pytest.fixture(scope="module")
def ca_dossiers(context_factory) -> dict[str, tuple[bytes, x509.Certificate]]:
    """The real dossier under the instance CA, and a forgery under a look-alike CA."""
    ctx = context_factory()
    forged_ctx = replace(ctx, case=replace(ctx.case, amount="125.00"))
    return {
        "real": _ca_signed_dossier(render_pdf(ctx), "caseapp instance CA"),
        "forged": _ca_signed_dossier(render_pdf(forged_ctx), "caseapp instance CA"),
    }


def test_a_dossier_under_a_ca_chains_to_it_by_certificate_or_fingerprint(ca_dossiers) -> None:
    pdf, ca = ca_dossiers["real"]
    pem = ca.public_bytes(serialization.Encoding.PEM)
    assert verify_file(pdf, [pem]).status == "intact"
    fingerprint = certificate_fingerprint(pem)
    by_fingerprint = verify_file(pdf, TrustAnchors(fingerprint=fingerprint, source="fingerprint"))
    assert by_fingerprint.status == "intact", by_fingerprint.reasons
    unnamed = verify_file(pdf)
    assert unnamed.status == "unconfirmed"
    assert unnamed.anchor_fingerprint == fingerprint  # the root, not the signing certificate
    assert unnamed.anchor_subject == "Common Name: caseapp instance CA"


def test_a_forgery_under_a_look_alike_ca_is_not_intact_with_the_real_ca(ca_dossiers) -> None:
    forged, look_alike = ca_dossiers["forged"]
    real_ca = ca_dossiers["real"][1]
    report = verify_file(forged, [real_ca.public_bytes(serialization.Encoding.PEM)])
    assert report.status == "not_intact"
    assert report.exit_code == 1
    unnamed = verify_file(forged)
    assert unnamed.exit_code == 3
    assert unnamed.anchor_fingerprint == certificate_fingerprint(
        look_alike.public_bytes(serialization.Encoding.DER)
    )


def test_the_caseapp_command_takes_the_anchor_options(
    real_pdf: Path, signer: Signer, away: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "caseapp.cli", "verify", str(real_pdf),
         "--fingerprint", str(signer.ca_fingerprint)],
        env={**os.environ, "CASEAPP_INSTANCE": str(away)}, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("INTACT:")
