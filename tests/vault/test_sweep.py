"""`caseapp vault sweep` removes only what no registered kind references, and stale temp
files; a built dossier survives it however old its blobs are."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from click.testing import CliRunner

from caseapp.cli import cli
from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.vault.references import BlobReference, ReferenceRegistry
from caseapp.vault.sweep import STALE_TEMP_SECONDS, SWEEP_GRACE_SECONDS, sweep
from tests.vault.conftest import age_every_file

HOURS = 3600


@pytest.fixture
def instance_path(exported_copy):
    """Every test here runs on a copy of the instance with a built dossier."""
    return exported_copy


def run(app, *args):
    return CliRunner().invoke(app.cli, list(args), catch_exceptions=False)


def download(client, exported_instance, which):
    dossier_id = exported_instance.dossier["id"]
    path = f"/api/v1/dossiers/{dossier_id}/{which}"
    response = client.get(path, headers=exported_instance.headers)
    assert response.status_code == 200, response.status_code
    return response.data


def temp_file(vault, name, age_seconds):
    path = vault.store.root / "tmp" / f"{name}.part"
    path.write_bytes(b"half an upload")
    past = time.time() - age_seconds
    os.utime(path, (past, past))
    return path


def test_a_ready_dossier_survives_a_sweep_hours_later_and_downloads_unchanged(
    app, client, exported_instance
):
    vault = app.extensions["caseapp"].vault
    pdf_before = download(client, exported_instance, "pdf")
    bundle_before = download(client, exported_instance, "bundle")
    age_every_file(vault.store.root, 2 * HOURS)
    result = run(app, "vault", "sweep")
    assert result.exit_code == 0, result.output
    assert "dossier PDF 1, dossier bundle 1" in result.output
    assert "0 stray blob(s), 0 removed; 0 row(s) without a blob" in result.output
    pdf = download(client, exported_instance, "pdf")
    bundle = download(client, exported_instance, "bundle")
    assert pdf == pdf_before
    assert bundle == bundle_before
    assert hashlib.sha256(pdf).hexdigest() == exported_instance.dossier["sha256"]
    assert hashlib.sha256(bundle).hexdigest() == exported_instance.dossier["bundle_sha256"]


def test_the_blobs_of_a_deleted_dossier_are_swept_once_old(app):
    vault = app.extensions["caseapp"].vault
    dossier = db.session.scalars(db.select(Dossier)).one()
    blobs = [dossier.pdf_blob_id, dossier.bundle_blob_id]
    db.session.delete(dossier)
    db.session.commit()
    assert "0 removed" in run(app, "vault", "sweep").output  # young: kept
    age_every_file(vault.store.root, 2 * HOURS)
    result = run(app, "vault", "sweep")
    for blob_id in blobs:
        assert f"stray blob {blob_id} removed" in result.output
        assert not vault.store.exists(blob_id)
    assert run(app, "vault", "verify").exit_code == 0


def test_a_dry_run_removes_nothing_and_says_what_it_would(app):
    vault = app.extensions["caseapp"].vault
    vault.put_bytes("strayblob0000000000000", b"orphan")
    old_temp = temp_file(vault, "crashed", STALE_TEMP_SECONDS + HOURS)
    age_every_file(vault.store.root, 2 * HOURS)
    result = run(app, "vault", "sweep", "--dry-run")
    assert "stray blob strayblob0000000000000 (would be removed)" in result.output
    assert "stale temp file(s): 1 would be removed" in result.output
    assert vault.store.exists("strayblob0000000000000")
    assert old_temp.exists()


def test_sweep_removes_stale_temp_files_and_keeps_recent_ones(app):
    vault = app.extensions["caseapp"].vault
    crashed = temp_file(vault, "crashed", STALE_TEMP_SECONDS + HOURS)
    # Older than the blob grace but younger than a day: may still be a slow upload.
    slow = temp_file(vault, "slow", 3 * HOURS)
    fresh = temp_file(vault, "fresh", 0)
    result = run(app, "vault", "sweep")
    assert "stale temp file(s): 1 removed (untouched for over a day)" in result.output
    assert not crashed.exists()
    assert slow.exists()
    assert fresh.exists()


def test_the_server_removes_stale_temp_files_when_it_starts(app, instance_path, monkeypatch):
    vault = app.extensions["caseapp"].vault
    crashed = temp_file(vault, "crashed", STALE_TEMP_SECONDS + HOURS)
    fresh = temp_file(vault, "fresh", 60)
    served = []
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *args, **kw: served.append(args[2]))
    result = CliRunner().invoke(
        cli, ["run"], env={"CASEAPP_INSTANCE": str(instance_path)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "removed 1 stale temp file(s)" in result.output
    assert not crashed.exists()
    assert fresh.exists()
    (started,) = served
    with started.app_context():
        db.engine.dispose()
    started.extensions["caseapp"].vault.close()


def test_a_blob_any_registered_kind_references_is_kept(app):
    vault = app.extensions["caseapp"].vault
    vault.put_bytes("otherkindblob000000000", b"held by a capability the vault never heard of")
    registry = ReferenceRegistry()
    registry.register(
        "other", lambda session: [BlobReference("otherkindblob000000000", "other thing")]
    )
    later = time.time() + 2 * SWEEP_GRACE_SECONDS
    report = sweep(db.session, vault, registry, dry_run=True, clock=lambda: later)
    assert report.in_use == {"other": 1}
    strays = {stray.blob_id: stray.action for stray in report.strays}
    assert "otherkindblob000000000" not in strays
    # The evidence and dossier blobs are stray to this registry, which lacks their kinds:
    # only what is registered is protected.
    assert strays
    assert set(strays.values()) == {"would be removed"}
