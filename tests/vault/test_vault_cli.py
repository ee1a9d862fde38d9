"""`caseapp vault verify | rotate-key | sweep` on a real instance, as an operator runs them."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from caseapp.evidence.models import Evidence
from caseapp.extensions import db


@pytest.fixture
def stored(api, samples):
    case_id = api.post(
        "/api/v1/cases", json={"title": "t", "counterparty": "c", "category": "other"}
    ).get_json()["id"]
    for name in ("email/chinese_gbk_encoding.eml", "images/exif_gps.jpg", "pdf/multilang.pdf"):
        api.post(
            f"/api/v1/cases/{case_id}/evidence",
            data={"file": (io.BytesIO((samples / name).read_bytes()), name)},
            content_type="multipart/form-data",
        )
    return case_id


def run(app, *args):
    return CliRunner().invoke(app.cli, list(args), catch_exceptions=False)


def test_untouched_vault_verifies(app, stored):
    result = run(app, "vault", "verify")
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_a_flipped_byte_in_every_blob_is_reported_and_never_served(app, api, stored):
    store = app.extensions["caseapp"].vault.store
    for blob_id in store.list():
        path = store._path(blob_id)
        data = bytearray(path.read_bytes())
        data[-20] ^= 0x40
        path.write_bytes(bytes(data))
    result = run(app, "vault", "verify")
    assert result.exit_code == 1
    items = db.session.query(Evidence).all()
    assert result.output.count("FAILED") >= len(items)
    for item in items:
        assert api.get(f"/api/v1/evidence/{item.id}/content").status_code == 409


def test_rotation_rewraps_every_blob_and_content_stays_readable(app, api, stored):
    vault = app.extensions["caseapp"].vault
    before = {blob_id: vault.key_id_of(blob_id) for blob_id in vault.store.list()}
    result = run(app, "vault", "rotate-key")
    assert result.exit_code == 0, result.output
    assert "rotation finished" in result.output
    after = {blob_id: vault.key_id_of(blob_id) for blob_id in vault.store.list()}
    assert len(set(after.values())) == 1
    assert set(after.values()).isdisjoint(before.values())
    assert run(app, "vault", "verify").exit_code == 0
    item = db.session.query(Evidence).first()
    assert api.get(f"/api/v1/evidence/{item.id}/content").status_code == 200


def test_sweep_lists_stray_blobs_and_rows_without_blobs(app, stored):
    vault = app.extensions["caseapp"].vault
    vault.put_bytes("strayblob0000000000000", b"orphan")
    gone = db.session.query(Evidence).first()
    vault.store.delete(gone.blob_id)
    result = run(app, "vault", "sweep", "--dry-run")
    assert result.exit_code == 0
    assert "strayblob0000000000000" in result.output
    assert "under an hour old" in result.output
    assert f"MISSING blob {gone.blob_id}" in result.output
    assert vault.store.exists("strayblob0000000000000")


def test_sweep_removes_old_stray_blobs(app, stored):
    vault = app.extensions["caseapp"].vault
    vault.put_bytes("strayblob0000000000000", b"orphan")
    path = vault.store._path("strayblob0000000000000")
    os.utime(path, (path.stat().st_atime - 7200, path.stat().st_mtime - 7200))
    result = run(app, "vault", "sweep")
    assert "strayblob0000000000000 removed" in result.output
    assert not vault.store.exists("strayblob0000000000000")
    assert run(app, "vault", "verify").exit_code == 0


KILLED_UPLOAD = textwrap.dedent("""
    import io, os, signal, sys
    from caseapp import create_app
    from caseapp.accounts import service as accounts
    from caseapp.cases.models import Case
    from caseapp.evidence import ingest
    from caseapp.extensions import db

    class Dying(io.RawIOBase):
        # A request body that kills the server process part-way through.
        def __init__(self, body, die_after):
            self.body, self.sent, self.die_after = body, 0, die_after
        def readable(self):
            return True
        def readinto(self, buffer):
            if self.sent >= self.die_after:
                os.kill(os.getpid(), signal.SIGKILL)
            chunk = self.body[self.sent:self.sent + min(len(buffer), 65536)]
            buffer[:len(chunk)] = chunk
            self.sent += len(chunk)
            return len(chunk)

    if __name__ == "__main__":
        app = create_app(config={"testing": True}, instance_path=sys.argv[1])
        with app.app_context():
            case = db.session.get(Case, sys.argv[2])
            boundary = "XyZ"
            payload = os.urandom(3_000_000)
            head = (f"--{boundary}\\r\\nContent-Disposition: form-data; name=\\"file\\"; "
                    f"filename=\\"big.bin\\"\\r\\n\\r\\n").encode()
            body = head + payload + f"\\r\\n--{boundary}--\\r\\n".encode()
            ingest.take_upload(db.session, app.extensions["caseapp"], case, case.owner,
                               io.BufferedReader(Dying(body, int(sys.argv[3]))),
                               f"multipart/form-data; boundary={boundary}", len(body), "UTC")
""")


def test_a_server_killed_mid_upload_leaves_no_row_without_its_blob(
    app, stored, instance_path, tmp_path
):
    script = tmp_path / "killed_upload.py"
    script.write_text(KILLED_UPLOAD)
    before = db.session.query(Evidence).count()
    process = subprocess.run(
        [sys.executable, str(script), str(instance_path), stored, "1500000"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()
    db.session.expire_all()
    assert db.session.query(Evidence).count() == before
    result = run(app, "vault", "verify")
    assert result.exit_code == 0, result.output
    sweep = run(app, "vault", "sweep", "--dry-run")
    assert "0 row(s) without a blob" in sweep.output


def test_verify_json_tallies_every_kind_and_names_each_failure(app, stored):
    clean = run(app, "vault", "verify", "--json")
    assert clean.exit_code == 0
    report = json.loads(clean.output)
    assert report["failed"] == 0
    assert report["checked"] >= 3
    assert {kind["name"] for kind in report["kinds"]} >= {"evidence original", "dossier PDF"}
    item = db.session.query(Evidence).first()
    app.extensions["caseapp"].vault.store.delete(item.blob_id)
    broken = run(app, "vault", "verify", "--json")
    assert broken.exit_code == 1
    [failure] = json.loads(broken.output)["failures"]
    assert failure["blob_id"] == item.blob_id
    assert failure["kind"] == "evidence original"
    assert failure["problem"] == "blob missing from the store"


def test_sweep_json_lists_strays_with_their_action_and_rows_without_blobs(app, stored):
    vault = app.extensions["caseapp"].vault
    vault.put_bytes("strayblob0000000000000", b"orphan")
    gone = db.session.query(Evidence).first()
    vault.store.delete(gone.blob_id)
    result = run(app, "vault", "sweep", "--dry-run", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["dry_run"] is True
    assert [(s["blob_id"], s["action"]) for s in report["strays"]] == [
        ("strayblob0000000000000", "kept")
    ]
    assert [m["blob_id"] for m in report["missing"]] == [gone.blob_id]
    assert report["in_use"]["evidence original"] >= 3
    assert vault.store.exists("strayblob0000000000000")
