"""An instance holding a case with evidence and one built dossier, made once per session.

Building a dossier takes seconds (render, sign, time-stamp, bundle), so it is built once
and each test that needs it gets its own copy of the instance folder (`exported_copy`).
"""

from __future__ import annotations

import io
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caseapp import create_app
from caseapp.accounts import service as accounts
from caseapp.accounts import tokens
from caseapp.extensions import db
from tests.conftest import SAMPLES, TEST_SETTINGS, IsolatedClient


@dataclass(frozen=True)
class ExportedInstance:
    """The instance folder and what a test needs to reach its dossier through the API."""

    path: Path
    token: str
    case_id: str
    dossier: dict[str, Any]  # the API's body for the ready dossier

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _wait_ready(client: Any, headers: dict[str, str], dossier_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/dossiers/{dossier_id}", headers=headers).get_json()
        if body["status"] in ("ready", "failed"):
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("dossier not built in time")


@pytest.fixture(scope="session")
def exported_instance(
    instance_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> ExportedInstance:
    """A case with three pieces of evidence and a ready dossier, exported through the API."""
    path = tmp_path_factory.mktemp("exported") / "instance"
    shutil.copytree(instance_template, path)
    app = create_app(config=dict(TEST_SETTINGS), instance_path=path)
    app.test_client_class = IsolatedClient
    with app.app_context():
        owner = accounts.create_user(
            db.session, app.extensions["caseapp"].passwords,
            email="owner@example.org", password="correct horse battery",
        )
        token = tokens.create_token(db.session, owner, name="tests").secret
        db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        case_id = client.post("/api/v1/cases", headers=headers, json={
            "title": "钱包冻结", "counterparty": "星链钱包", "category": "assets_frozen",
        }).get_json()["id"]
        for name in ("email/chinese_gbk_encoding.eml", "images/exif_gps.jpg", "pdf/multilang.pdf"):
            client.post(
                f"/api/v1/cases/{case_id}/evidence", headers=headers,
                data={"file": (io.BytesIO((SAMPLES / name).read_bytes()), name.rsplit("/", 1)[-1])},
                content_type="multipart/form-data",
            )
        queued = client.post(f"/api/v1/cases/{case_id}/dossiers", headers=headers,
                             json={"lang": "zh", "recipient": "consumer_association"}).get_json()
        dossier = _wait_ready(client, headers, queued["id"])
        assert dossier["status"] == "ready", dossier.get("error")
        app.extensions["caseapp"].jobs.stop()
        db.session.remove()
        db.engine.dispose()
    app.extensions["caseapp"].vault.close()
    return ExportedInstance(path, token, case_id, dossier)


@pytest.fixture
def exported_copy(exported_instance: ExportedInstance, tmp_path: Path) -> Path:
    """This test's own copy of the exported instance folder (a module that wants it for
    every test overrides `instance_path` with it)."""
    path = tmp_path / "exported"
    shutil.copytree(exported_instance.path, path)
    return path


def age_every_file(root: Path, seconds: float) -> None:
    """Set back the modification time of every file under `root`, as hours passing would."""
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))
