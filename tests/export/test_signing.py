"""The instance signing identity, PAdES signatures and RFC 3161 time stamps."""

from __future__ import annotations

import io
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from caseapp.export.signing import (
    Signer,
    SigningIdentityMissing,
    certificate_fingerprint,
    create_signing_identity,
    load_certificate,
)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_keys_are_private_and_certificates_fit_their_purpose(keys_dir: Path) -> None:
    for key in ("signing.key", "tsa.key"):
        assert stat.S_IMODE((keys_dir / key).stat().st_mode) == 0o600
    signing = _cert(keys_dir / "signing.crt")
    assert signing.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = signing.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment
    assert (signing.not_valid_after_utc - signing.not_valid_before_utc).days >= 3650
    tsa = _cert(keys_dir / "tsa.crt")
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_running_init_again_never_replaces_keys(tmp_path: Path) -> None:
    create_signing_identity(tmp_path, "instance")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    create_signing_identity(tmp_path, "another name")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_lost_certificate_is_remade_for_the_existing_key(tmp_path: Path) -> None:
    create_signing_identity(tmp_path, "instance")
    key_before = (tmp_path / "signing.key").read_bytes()
    public_before = _cert(tmp_path / "signing.crt").public_key().public_numbers()
    (tmp_path / "signing.crt").unlink()
    create_signing_identity(tmp_path, "instance")
    assert (tmp_path / "signing.key").read_bytes() == key_before
    assert _cert(tmp_path / "signing.crt").public_key().public_numbers() == public_before


def test_signer_refuses_to_start_without_an_identity(tmp_path: Path) -> None:
    with pytest.raises(SigningIdentityMissing):
        Signer(tmp_path)


def test_signed_dossier_is_a_valid_pades_signature_with_a_time_stamp(
    signed_dossier: bytes, keys_dir: Path
) -> None:
    reader = PdfFileReader(io.BytesIO(signed_dossier), strict=False)
    (signature,) = reader.embedded_regular_signatures
    assert len(reader.embedded_timestamp_signatures) == 1  # B-LTA: a document time stamp
    trust = [load_certificate((keys_dir / "ca.crt").read_bytes())]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=trust))
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact
    assert status.timestamp_validity.valid


def test_fingerprint_is_printed_on_the_dossier_it_signs(signer: Signer, keys_dir: Path) -> None:
    assert signer.fingerprint == certificate_fingerprint((keys_dir / "signing.crt").read_bytes())
    assert len(signer.fingerprint) == 64


def _openssl_verify(data: Path, tsr: Path, ca: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(data), "-in", str(tsr), "-CAfile", str(ca)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_manifest_time_stamp_passes_openssl_ts_verify(
    signer: Signer, keys_dir: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes('{"dossier_id": "dos-1", "案件": "资产冻结"}\n'.encode())
    tsr = tmp_path / "manifest.tsr"
    tsr.write_bytes(signer.timestamp_bytes(manifest.read_bytes()))
    result = _openssl_verify(manifest, tsr, keys_dir / "ca.crt")
    assert result.returncode == 0, result.stderr
    assert "Verification: OK" in result.stdout


def test_openssl_rejects_the_time_stamp_for_other_data(
    signer: Signer, keys_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "manifest.json").write_bytes(b"original\n")
    (tmp_path / "edited.json").write_bytes(b"edited\n")
    tsr = tmp_path / "manifest.tsr"
    tsr.write_bytes(signer.timestamp_bytes(b"original\n"))
    result = _openssl_verify(tmp_path / "edited.json", tsr, keys_dir / "ca.crt")
    assert result.returncode != 0
    assert "Verification: OK" not in result.stdout
