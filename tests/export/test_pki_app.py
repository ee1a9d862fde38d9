"""The instance's PKI as the app shows it: public CA and CRL, `caseapp signing import`,
`caseapp dossier renew`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader

from caseapp.export import pki
from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.vault import BlobNotFound
from tests.export.test_lta import _chain


def caseapp(
    instance: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance)}
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "caseapp.cli", *args], input=stdin, capture_output=True,
        text=True, env=env, timeout=300, check=False,
    )


def test_ca_and_crl_are_public(client, instance_path: Path) -> None:
    keys = instance_path / "keys"
    ca = client.get("/pki/ca.pem")
    assert ca.status_code == 200
    assert ca.data == (keys / "ca.crt").read_bytes()
    crl = client.get("/pki/crl")
    assert crl.status_code == 200
    assert crl.mimetype == "application/pkix-crl"
    parsed = x509.load_der_x509_crl(crl.data)
    assert parsed.is_signature_valid(pki.load_cert(keys / "ca.crt").public_key())  # type: ignore[arg-type]
    summary = client.get("/pki/").get_data(as_text=True)
    assert pki.ca_fingerprint(keys) in summary
    assert "http://localhost/pki/crl" in summary  # no public_url: the request's host


def test_init_is_idempotent_and_names_certificates_from_settings(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "caseapp.toml").write_text(
        'signer_name = "消费者维权材料签名"\norganisation = "某某维权站"\n'
    )
    first = caseapp(instance, "init")
    assert first.returncode == 0, first.stderr
    assert "instance CA certificate" in first.stdout
    cert = pki.load_cert(instance / "keys" / "signing.crt")
    assert cert.subject.rfc4514_string() == "O=某某维权站,CN=消费者维权材料签名"
    before = {p.name: p.read_bytes() for p in (instance / "keys").iterdir() if p.is_file()}
    again = caseapp(instance, "init")
    assert again.returncode == 0, again.stderr
    after = {p.name: p.read_bytes() for p in (instance / "keys").iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k != "ca.crl"} == {
        k: v for k, v in before.items() if k != "ca.crl"
    }


def test_signing_import_takes_a_p12_from_stdin_password(
    instance_path: Path, tmp_path: Path
) -> None:
    key, (leaf, mid, root) = _chain()
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, leaf, [mid, root], BestAvailableEncryption(b"pw")
    ))
    wrong = caseapp(instance_path, "signing", "import", str(p12), "--password-stdin", stdin="no\n")
    assert wrong.returncode == 1
    assert "Traceback" not in wrong.stderr
    done = caseapp(instance_path, "signing", "import", str(p12), "--password-stdin", stdin="pw\n")
    assert done.returncode == 0, done.stderr
    assert pki.fingerprint(leaf) in done.stdout
    assert (instance_path / "keys" / "imported.key").stat().st_mode & 0o777 == 0o600


def _wait_ready(api, dossier_id: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/dossiers/{dossier_id}").get_json()
        if body["status"] in ("ready", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError("dossier not built in time")


def test_renew_adds_a_document_time_stamp_and_logs_it(api, app, instance_path: Path) -> None:
    case_id = api.post("/api/v1/cases", json={
        "title": "钱包冻结", "counterparty": "星链钱包", "category": "assets_frozen",
    }).get_json()["id"]
    made = api.post(f"/api/v1/cases/{case_id}/dossiers", json={"lang": "zh", "recipient": "lawyer"})
    body = _wait_ready(api, made.get_json()["id"])
    assert body["status"] == "ready", body
    dossier = db.session.get(Dossier, body["id"])
    assert dossier is not None
    old_blob, old_sha = dossier.pdf_blob_id, dossier.sha256
    none_due = caseapp(instance_path, "dossier", "renew", "--before-days", "30")
    assert none_due.returncode == 0, none_due.stderr
    assert "0 of 0" in none_due.stdout
    renewed = caseapp(instance_path, "dossier", "renew", "--all")
    assert renewed.returncode == 0, renewed.stderr
    assert "1 of 1" in renewed.stdout
    db.session.expire_all()
    dossier = db.session.get(Dossier, body["id"])
    assert dossier is not None
    assert dossier.sha256 != old_sha
    assert dossier.pdf_blob_id != old_blob
    with pytest.raises(BlobNotFound):
        app.extensions["caseapp"].vault.read_bytes(old_blob, 1 << 30)
    pdf = api.get(f"/api/v1/dossiers/{dossier.id}/pdf").data
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    assert len(reader.embedded_timestamp_signatures) == 2
    custody = api.get(f"/api/v1/cases/{case_id}/custody").get_json()["items"]
    (entry,) = [e for e in custody if e["action"] == "dossier.renewed"]
    assert entry["details"]["old_sha256"] == old_sha
    assert entry["details"]["sha256"] == dossier.sha256
    out = instance_path.parent / "renewed.pdf"
    out.write_bytes(pdf)
    check = caseapp(instance_path, "verify", str(out))
    assert check.returncode == 0, check.stdout
