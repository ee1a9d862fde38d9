"""PAdES B-LTA, judged by pyHanko's own validator trusting nothing but the instance CA;
the instance's RFC 3161 authority; several external authorities; renewal; imported chains."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from caseapp.export import pki
from caseapp.export.keystore import ImportRefused, import_pkcs12
from caseapp.export.pipeline import produce_dossier
from caseapp.export.signing import (
    Signer,
    certificate_fingerprint,
    load_certificate,
    signature_timestamp_certificate,
)
from caseapp.export.tsa import ACCURACY_SECONDS
from caseapp.export.verify import verify_file
from tests.export.authorities import Authority, running_authority

PYHANKO = Path(sys.executable).with_name("pyhanko")


def lta_result(pdf: bytes, root: bytes):  # noqa: ANN201 - pyHanko's result type
    """pyHanko's AdES LTA validation, trusting only `root`, revocation data required."""
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[load_certificate(root)]),
        revinfo_policy=CertRevTrustPolicy(
            REQUIRE_REVINFO, freshness=None,
            freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
        ),
    )
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(cert_validation_policy=policy))
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (signature,) = reader.embedded_regular_signatures
    return asyncio.run(ades_lta_validation(signature, spec))


def test_pyhanko_finds_the_dossier_valid_at_b_lta_trusting_only_the_ca(
    signed_dossier: bytes, keys_dir: Path
) -> None:
    result = lta_result(signed_dossier, (keys_dir / "ca.crt").read_bytes())
    assert result.ades_subindic == AdESPassed.OK, result.failure_msg
    status = result.api_status
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.trusted
    assert result.signature_timestamp_status is not None
    assert result.signature_timestamp_status.ades_subindic == AdESPassed.OK
    assert result.oldest_evidence_record_timestamp is not None  # the document time stamp
    reader = PdfFileReader(io.BytesIO(signed_dossier), strict=False)
    dss = DocumentSecurityStore.read_dss(reader)
    in_dss = {certificate_fingerprint(c) for c in dss.load_certs()}
    for name in ("ca.crt", "signing.crt", "tsa.crt"):
        assert certificate_fingerprint((keys_dir / name).read_bytes()) in in_dss
    assert len(dss.crls) == 1


def test_pyhanko_cli_says_the_signature_is_valid_and_trusted(
    signed_dossier: bytes, keys_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "dossier.pdf").write_bytes(signed_dossier)
    result = subprocess.run(  # noqa: S603 - our own venv's pyhanko
        [str(PYHANKO), "sign", "validate", "--trust", str(keys_dir / "ca.crt"),
         "--trust-replace", "--pretty-print", "dossier.pdf"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The signer's certificate is trusted." in result.stdout
    assert "The TSA certificate is trusted." in result.stdout
    assert "The signature is judged VALID." in result.stdout


def test_pyhanko_trusting_another_ca_does_not_trust_the_dossier(
    signed_dossier: bytes, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    pki.create_instance_pki(other)
    result = lta_result(signed_dossier, (other / "ca.crt").read_bytes())
    assert result.ades_subindic != AdESPassed.OK


def _token_info(tsr: bytes) -> tuple[tsp.TSTInfo, cms.SignerInfo]:
    token = tsp.TimeStampResp.load(tsr)["time_stamp_token"]["content"]
    info = token["encap_content_info"]["content"].parsed
    return info, token["signer_infos"][0]


def test_the_instance_authority_is_a_real_one(signer: Signer, keys_dir: Path) -> None:
    first, signer_info = _token_info(signer.timestamp_bytes(b"manifest one"))
    second, _ = _token_info(signer.timestamp_bytes(b"manifest two"))
    policy = (keys_dir / "tsa-policy-oid").read_text().strip()
    assert policy.startswith("2.25.")
    assert first["policy"].dotted == policy
    assert first["policy"].dotted != "1.3.6.1.4.1.4146.2.2"
    assert first["accuracy"]["seconds"].native == ACCURACY_SECONDS
    assert first["serial_number"].native != second["serial_number"].native
    assert first["serial_number"].native.bit_length() > 100
    assert first["nonce"].native is not None
    attrs = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    ess = attrs["signing_certificate_v2"]["certs"][0]
    tsa_der = load_certificate((keys_dir / "tsa.crt").read_bytes()).dump()
    import hashlib

    assert ess["cert_hash"].native == hashlib.sha256(tsa_der).digest()


def test_openssl_reads_the_instance_token(signer: Signer, tmp_path: Path) -> None:
    (tmp_path / "reply.tsr").write_bytes(signer.timestamp_bytes(b"data"))
    text = subprocess.run(
        ["openssl", "ts", "-reply", "-in", "reply.tsr", "-text"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout
    assert "Status: Granted." in text
    assert "Accuracy: 0x01 seconds" in text
    assert "Nonce: 0x" in text


@pytest.fixture(scope="module")
def two_authorities(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Authority, Authority]]:
    """Two independent `openssl ts -reply` authorities with their own roots."""
    with running_authority(tmp_path_factory.mktemp("tsa-a"), "Authority A") as a, \
            running_authority(tmp_path_factory.mktemp("tsa-b"), "Authority B") as b:
        yield a, b


def test_first_authority_stamps_the_signature_and_the_second_adds_a_document_stamp(
    keys_dir: Path, two_authorities: tuple[Authority, Authority], context_factory
) -> None:
    a, b = two_authorities
    signer = Signer(keys_dir, tsa_urls=[a.url, b.url], accredited=[a.url])
    assert signer.timestamp_authority_name == a.url
    assert signer.accredited is False  # B may stamp too and is not accredited
    pdf = produce_dossier(context_factory("en", "lawyer"), signer).pdf
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (signature,) = reader.embedded_regular_signatures
    stamp = signature_timestamp_certificate(signature)
    assert stamp is not None
    assert "Authority A" in stamp.subject.human_friendly
    stamps = reader.embedded_timestamp_signatures
    stamp_names = [s.signer_cert.subject.human_friendly for s in stamps]
    assert any("Authority B" in name for name in stamp_names)
    assert verify_file(pdf).status == "unconfirmed"  # intact, but nobody named an anchor
    report = verify_file(pdf, [(keys_dir / "ca.crt").read_bytes()])
    assert report.status == "intact", report.reasons


def test_an_unreachable_first_authority_falls_over_to_the_next(
    keys_dir: Path, two_authorities: tuple[Authority, Authority]
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/tsa"
    _, b = two_authorities
    info, _ = _token_info(Signer(keys_dir, tsa_urls=[dead, b.url]).timestamp_bytes(b"x"))
    assert info["policy"].dotted == "1.3.6.1.4.1.99999.1"  # the openssl authority's


def test_wording_is_trusted_only_when_every_authority_is_accredited(
    keys_dir: Path, two_authorities: tuple[Authority, Authority]
) -> None:
    from caseapp.export.wording import TimestampWording

    a, _ = two_authorities
    own = Signer(keys_dir)
    assert (own.accredited, own.own_timestamps) == (False, True)
    accredited = Signer(keys_dir, tsa_urls=[a.url], accredited=[a.url])
    assert accredited.accredited is True
    assert TimestampWording(True, False, a.url).term("zh") == "可信时间戳"
    own_term = TimestampWording(False, True, "").term("zh")
    assert "可信" not in own_term
    assert "本实例" in own_term


def test_zh_letter_says_trusted_time_stamp_only_when_accredited(context_factory) -> None:
    from caseapp.export.html import render_html
    from caseapp.export.wording import TimestampWording

    ctx = context_factory("zh", "consumer_association")
    own = render_html(ctx, "f" * 64, TimestampWording(False, True, ""))
    assert "可信时间戳" not in own
    assert "时间戳（由本实例的时间戳服务签发）" in own
    assert "不证明文件内容本身属实" in own
    assert "可信时间戳" in render_html(ctx, "f" * 64, TimestampWording(True, False, "x"))


# --- an imported chain: test root -> intermediate -> leaf in a PKCS#12 -------------------------


def _chain() -> tuple[ec.EllipticCurvePrivateKey, list[x509.Certificate]]:
    now = datetime.now(UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject_key, cn, issuer_key, issuer_cn, ca: bool) -> x509.Certificate:  # noqa: ANN001
        builder = (
            x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(issuer_cn))
            .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=60))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(pki._key_usage(
                key_cert_sign=ca, crl_sign=ca, digital_signature=not ca, content_commitment=not ca
            ), critical=True)
        )
        return builder.sign(issuer_key, hashes.SHA256())

    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = cert(root_key, "Test Root", root_key, "Test Root", True)
    mid = cert(mid_key, "Test Intermediate", root_key, "Test Root", True)
    leaf = cert(leaf_key, "张伟 (signing)", mid_key, "Test Intermediate", False)
    return leaf_key, [leaf, mid, root]


def test_an_imported_chain_signs_dossiers_and_the_instance_still_stamps(
    tmp_path: Path, context_factory
) -> None:
    keys = tmp_path / "keys"
    pki.create_instance_pki(keys)
    key, (leaf, mid, root) = _chain()
    p12 = pkcs12.serialize_key_and_certificates(
        b"signer", key, leaf, [root, mid], BestAvailableEncryption(b"s3cret")
    )
    with pytest.raises(ImportRefused):
        import_pkcs12(keys, p12, b"wrong")
    identity = import_pkcs12(keys, p12, b"s3cret")
    assert [c.subject for c in identity.chain] == [mid.subject, root.subject]
    assert oct((keys / "imported.key").stat().st_mode & 0o777) == "0o600"
    signer = Signer(keys)
    assert signer.fingerprint == pki.fingerprint(leaf)
    pdf = produce_dossier(context_factory("en", "lawyer"), signer).pdf
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (signature,) = reader.embedded_regular_signatures
    assert signature.signer_cert.subject.human_friendly.endswith("张伟 (signing)")
    stamp = signature_timestamp_certificate(signature)
    assert stamp is not None
    assert certificate_fingerprint(stamp) == certificate_fingerprint(
        (keys / "tsa.crt").read_bytes()
    )
    root_pem = pki.pem(root)
    trusted = [root_pem, (keys / "ca.crt").read_bytes()]
    report = verify_file(pdf, trusted)
    assert report.status == "intact", report.reasons
    assert report.signer_trusted is True
