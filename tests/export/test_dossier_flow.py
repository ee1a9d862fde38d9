"""A complainant exports a dossier of a real case and anyone can check it."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
import zipfile

import pypdfium2
import pytest

from caseapp.export.verify import embedded_files  # noqa: F401  (import proves the module loads)


@pytest.fixture
def case_with_evidence(api, samples):
    case_id = api.post("/api/v1/cases", json={
        "title": "钱包冻结", "counterparty": "星链钱包（StarLink）", "category": "assets_frozen",
        "amount": "5000", "currency": "USDT"}).get_json()["id"]
    api.post(f"/api/v1/cases/{case_id}/events", json={
        "occurred_at": "2024-03-05T09:12:00+08:00", "channel": "hotline", "reference": "SLW-0042",
        "summary": "客服承诺三个工作日内解冻资产"})
    hashes = []
    for name in ("email/chinese_gbk_encoding.eml", "images/hopper_orientation_6.jpg",
                 "pdf/multilang.pdf"):
        upload = (io.BytesIO((samples / name).read_bytes()), name.rsplit("/", 1)[-1])
        body = api.post(f"/api/v1/cases/{case_id}/evidence", content_type="multipart/form-data",
                        data={"file": upload}).get_json()
        hashes.append(body["sha256"])
    return case_id, hashes


def wait_ready(api, dossier_id, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/dossiers/{dossier_id}").get_json()
        if body["status"] in ("ready", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError("dossier not built in time")


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_api_export_builds_off_the_request_and_serves_what_it_reports(api, case_with_evidence):
    case_id, hashes = case_with_evidence
    response = api.post(f"/api/v1/cases/{case_id}/dossiers", json={
        "lang": "zh", "recipient": "consumer_association",
    })
    assert response.status_code == 202
    assert response.get_json()["status"] in ("queued", "building", "ready")
    done = wait_ready(api, response.get_json()["id"])
    assert done["status"] == "ready", done["error"]
    pdf = api.get(f"/api/v1/dossiers/{done['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf.content_type == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == done["sha256"] == pdf.headers["X-Content-SHA256"]
    text = pdf_text(pdf.data)
    assert "星链钱包" in text
    assert "客服承诺三个工作日内解冻资产" in text
    compact = text.replace("\n", "").replace(" ", "")
    for sha in hashes:
        assert sha in compact
    bundle = api.get(f"/api/v1/dossiers/{done['id']}/bundle")
    assert hashlib.sha256(bundle.data).hexdigest() == done["bundle_sha256"]
    names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    assert "manifest.json" in names
    assert any(n.startswith("originals/") for n in names)
    actions = [e["action"] for e in api.get(f"/api/v1/cases/{case_id}/custody").get_json()["items"]]
    assert "dossier.exported" in actions
    assert actions[-2:] == ["dossier.downloaded", "dossier.downloaded"]


def test_bad_language_or_recipient_is_422(api, case_with_evidence):
    case_id, _ = case_with_evidence
    response = api.post(f"/api/v1/cases/{case_id}/dossiers",
                        json={"lang": "fr", "recipient": "pope"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"lang", "recipient"}


def test_someone_elses_dossier_is_404(api, api_for, make_user, case_with_evidence):
    case_id, _ = case_with_evidence
    dossier_id = api.post(f"/api/v1/cases/{case_id}/dossiers", json={}).get_json()["id"]
    wait_ready(api, dossier_id)
    stranger = api_for(make_user("stranger@example.org"))
    for path in (f"/api/v1/dossiers/{dossier_id}", f"/api/v1/dossiers/{dossier_id}/pdf",
                 f"/api/v1/dossiers/{dossier_id}/bundle", f"/api/v1/cases/{case_id}/dossiers"):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/api/v1/cases/{case_id}/dossiers", json={}).status_code == 404


def caseapp(instance, *args):
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance)}
    return subprocess.run([sys.executable, "-m", "caseapp.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_cli_export_and_verify_catch_tampering(case_with_evidence, instance_path, tmp_path):
    case_id, hashes = case_with_evidence
    pdf, bundle = tmp_path / "dossier.pdf", tmp_path / "dossier.zip"
    exported = caseapp(instance_path, "export", case_id, "-o", str(pdf), "--bundle", str(bundle),
                       "--lang", "en", "--recipient", "financial_regulator")
    assert exported.returncode == 0, exported.stderr
    assert caseapp(instance_path, "verify", str(pdf)).returncode == 0
    good = caseapp(instance_path, "verify", str(bundle))
    assert good.returncode == 0, good.stdout
    assert good.stdout.startswith("INTACT:")
    assert "trusted anchor" in good.stdout
    assert "custody log: " in good.stdout

    data = pdf.read_bytes()
    flipped = tmp_path / "flipped.pdf"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:])
    assert caseapp(instance_path, "verify", str(flipped)).returncode == 1

    appended = tmp_path / "appended.pdf"
    appended.write_bytes(data + b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    result = caseapp(instance_path, "verify", str(appended))
    assert result.returncode == 1
    assert "NOT INTACT" in result.stdout

    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a dossier")
    assert caseapp(instance_path, "verify", str(garbage)).returncode == 2
    assert caseapp(instance_path, "verify", str(tmp_path / "missing.pdf")).returncode == 2


def test_cli_export_of_unknown_case_fails_cleanly(instance_path, tmp_path, app):
    result = caseapp(instance_path, "export", "nosuchcase", "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 1
    assert "no case" in result.stderr
    assert "Traceback" not in result.stderr


def test_web_export_page_builds_downloads_and_verifies_in_place(
    client, auth, user, api, case_with_evidence
):
    case_id, _ = case_with_evidence
    auth.login()
    page = client.get(f"/cases/{case_id}/dossiers")
    assert page.status_code == 200
    response = auth.post(f"/cases/{case_id}/dossiers", {"lang": "zh", "recipient": "lawyer"})
    assert response.status_code == 302
    dossier_id = api.get(f"/api/v1/cases/{case_id}/dossiers").get_json()["items"][0]["id"]
    wait_ready(api, dossier_id)
    listing = client.get(f"/cases/{case_id}/dossiers").get_data(as_text=True)
    assert f"/dossiers/{dossier_id}/pdf" in listing
    download = client.get(f"/cases/{case_id}/dossiers/{dossier_id}/pdf")
    assert download.data.startswith(b"%PDF")
    verified = auth.post(f"/cases/{case_id}/dossiers/{dossier_id}/verify", {},
                         form_page=f"/cases/{case_id}/dossiers")
    assert verified.status_code == 200
    assert "✓" in verified.get_data(as_text=True)


def test_a_build_cut_short_by_a_restart_is_finished_when_the_server_starts_again(
    case_with_evidence, instance_path
):
    import socket
    from datetime import timedelta

    from caseapp.database import utcnow
    from caseapp.export.models import Dossier
    from caseapp.extensions import db
    from caseapp.jobs.models import Job

    case_id, _ = case_with_evidence
    dossier = Dossier(case_id=case_id, lang="en", recipient="lawyer", status="building")
    db.session.add(dossier)
    db.session.flush()
    # What a process killed mid-build leaves: the job still running, its lease run out.
    db.session.add(Job(kind="dossier.build", subject=dossier.id, state="running", attempts=1,
                       lease_owner="a-dead-process", lease_expires_at=utcnow() - timedelta(1)))
    db.session.commit()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance_path)}
    server = subprocess.Popen([sys.executable, "-m", "caseapp.cli", "run", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        status = "building"
        while time.monotonic() < deadline and status == "building":
            time.sleep(0.5)
            db.session.expire_all()
            status = db.session.get(Dossier, dossier.id).status
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert status == "ready"


def test_context_shows_image_originals_and_names_custody_actors_by_role(
    app, api, user, samples, case_with_evidence
):
    from caseapp.cases.models import Case
    from caseapp.export.dossier import build_context
    from caseapp.export.models import Dossier
    from caseapp.extensions import db
    from caseapp.runtime import runtime

    case_id, _ = case_with_evidence
    case = db.session.get(Case, case_id)
    ctx = build_context(db.session, runtime(), case, Dossier(id="d-1", case_id=case_id,
                                                             lang="zh", recipient="lawyer"))
    (photo,) = [item for item in ctx.evidence if item.kind == "image"]
    (picture,) = photo.images
    original = (samples / "images" / "hopper_orientation_6.jpg").read_bytes()
    assert picture.read() == original  # the original, decrypted in memory: not a thumbnail
    assert (picture.width, picture.height) == (photo.parsed["height"], photo.parsed["width"])
    (pdf,) = [item for item in ctx.evidence if item.kind == "pdf"]
    assert [ref.page for ref in pdf.images] == list(range(1, len(pdf.images) + 1))
    assert {entry.actor_role for entry in ctx.custody} == {"complainant"}
    assert {entry.actor_name for entry in ctx.custody} == {user.display_name or user.email}
