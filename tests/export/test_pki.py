"""The instance CA: what it issues, its CRL, old instances migrated, what the verifier trusts."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caseapp.export import pki
from caseapp.export.signing import Signer, certificate_fingerprint, create_signing_identity


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _ext(cert: x509.Certificate, kind: type) -> x509.Extension:
    return cert.extensions.get_extension_for_class(kind)


def test_init_makes_a_proper_ca_that_issues_the_signer_and_the_tsa(keys_dir: Path) -> None:
    for key in ("ca.key", "signing.key", "tsa.key"):
        assert stat.S_IMODE((keys_dir / key).stat().st_mode) == 0o600
    ca = _cert(keys_dir / "ca.crt")
    constraints = _ext(ca, x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca is True
    usage = _ext(ca, x509.KeyUsage).value
    assert usage.key_cert_sign
    assert usage.crl_sign
    ski = _ext(ca, x509.SubjectKeyIdentifier).value.digest
    signing, tsa = _cert(keys_dir / "signing.crt"), _cert(keys_dir / "tsa.crt")
    for leaf in (signing, tsa):
        leaf.verify_directly_issued_by(ca)
        assert _ext(leaf, x509.AuthorityKeyIdentifier).value.key_identifier == ski
        assert _ext(leaf, x509.BasicConstraints).value.ca is False
    signing_usage = _ext(signing, x509.KeyUsage).value
    assert signing_usage.digital_signature
    assert signing_usage.content_commitment
    eku = _ext(tsa, x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_names_come_from_settings_never_from_the_folder(tmp_path: Path) -> None:
    keys = tmp_path / "my-instance-folder"
    create_signing_identity(keys, "张伟 材料签名", "维权互助会", "https://cases.example.org/")
    signing = _cert(keys / "signing.crt")
    cn = signing.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    org = signing.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert (cn, org) == ("张伟 材料签名", "维权互助会")
    assert "my-instance-folder" not in signing.subject.rfc4514_string()
    cdp = _ext(signing, x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == "https://cases.example.org/pki/crl"


def test_without_public_url_certificates_name_no_crl_address(keys_dir: Path) -> None:
    for name in ("signing.crt", "tsa.crt"):
        extensions = _cert(keys_dir / name).extensions
        assert not any(isinstance(e.value, x509.CRLDistributionPoints) for e in extensions)


def test_running_init_again_never_replaces_keys(tmp_path: Path) -> None:
    create_signing_identity(tmp_path, "instance")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert create_signing_identity(tmp_path, "another name") == []
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before


def test_a_lost_certificate_is_reissued_for_the_existing_key(tmp_path: Path) -> None:
    create_signing_identity(tmp_path)
    key_before = (tmp_path / "signing.key").read_bytes()
    public_before = _cert(tmp_path / "signing.crt").public_key().public_numbers()
    (tmp_path / "signing.crt").unlink()
    create_signing_identity(tmp_path)
    assert (tmp_path / "signing.key").read_bytes() == key_before
    assert _cert(tmp_path / "signing.crt").public_key().public_numbers() == public_before


def test_crl_is_signed_by_the_ca_and_reissued_before_it_lapses(keys_dir: Path) -> None:
    ca = _cert(keys_dir / "ca.crt")
    crl = x509.load_der_x509_crl(pki.current_crl(keys_dir))
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc is not None
    assert crl.next_update_utc - datetime.now(UTC) > timedelta(days=5)
    assert pki.current_crl(keys_dir) == pki.current_crl(keys_dir)  # fresh: not re-signed
    later = datetime.now(UTC) + timedelta(days=6)
    renewed = x509.load_der_x509_crl(pki.current_crl(keys_dir, now=later))
    assert renewed.next_update_utc is not None
    assert renewed.next_update_utc > crl.next_update_utc
    number = renewed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def _old_instance(keys: Path) -> None:
    """Keys as `caseapp init` made them before the CA: two self-signed certificates."""
    import datetime as dt

    from cryptography.hazmat.primitives import hashes

    keys.mkdir()
    for key_name, cert_name in (("signing.key", "signing.crt"), ("tsa.key", "tsa.crt")):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pki.write_new(keys / key_name, pki.private_key_pem(key), 0o600)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "caseapp instance instance")])
        now = dt.datetime.now(UTC)
        builder = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=3650))
        )
        builder = builder.add_extension(pki._key_usage(
            digital_signature=True, content_commitment=cert_name == "signing.crt"
        ), critical=True)
        if cert_name == "tsa.crt":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        (keys / cert_name).write_bytes(pki.pem(builder.sign(key, hashes.SHA256())))


def test_an_old_instance_still_signs_and_is_migrated_without_losing_its_certificates(
    tmp_path: Path, context_factory
) -> None:
    from caseapp.export.pipeline import produce_dossier
    from caseapp.export.verify import verify_file

    keys = tmp_path / "keys"
    _old_instance(keys)
    old_signing = (keys / "signing.crt").read_bytes()
    old_key = (keys / "signing.key").read_bytes()
    old_pdf = produce_dossier(context_factory("en"), Signer(keys)).pdf  # before migration
    assert [certificate_fingerprint(c) for c in pki.instance_trust_anchors(keys)] == [
        certificate_fingerprint(old_signing),
        certificate_fingerprint((keys / "tsa.crt").read_bytes()),
    ]
    done = create_signing_identity(keys)
    assert "signing.crt issued by the instance CA" in done
    assert (keys / "signing.key").read_bytes() == old_key
    kept = list((keys / "legacy").glob("signing-*.crt"))
    assert [p.read_bytes() for p in kept] == [old_signing]
    anchors = {certificate_fingerprint(c) for c in pki.instance_trust_anchors(keys)}
    assert certificate_fingerprint(old_signing) in anchors
    assert pki.ca_fingerprint(keys) in anchors
    trusted = [c.dump() for c in pki.instance_trust_anchors(keys)]
    old_report = verify_file(old_pdf, trusted)
    assert old_report.status == "intact", old_report.reasons
    assert old_report.signer_trusted is True
    new_report = verify_file(produce_dossier(context_factory("en"), Signer(keys)).pdf, trusted)
    assert new_report.status == "intact", new_report.reasons
    assert new_report.signer_trusted is True


def test_the_only_anchor_of_a_new_instance_is_its_ca(keys_dir: Path) -> None:
    (anchor,) = pki.instance_trust_anchors(keys_dir)
    assert certificate_fingerprint(anchor) == pki.ca_fingerprint(keys_dir)
