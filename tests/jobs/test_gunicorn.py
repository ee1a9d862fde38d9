"""Under gunicorn, a worker killed in the middle of dossier builds loses none of them and
logs none twice: its jobs are taken over once their leases run out."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseapp.extensions import db
from caseapp.jobs.models import Job

REPO = Path(__file__).resolve().parents[2]
# Short, so the killed worker's build is taken over within seconds; long enough that a
# busy CI machine does not let a live worker's lease lapse.
LEASE_SECONDS = 5
EXPORTS = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # The command name may hold spaces and parentheses: fields follow the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class Http:
    """A bearer-token JSON client over a real socket."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = None if body is None else json.dumps(body).encode()
            connection.request(method, path, data, self.headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body: object = None) -> object:
        status, data = self.call(method, path, body)
        assert status in (200, 201, 202), (status, data)
        return json.loads(data)


@pytest.fixture
def gunicorn(app, instance_path, tmp_path):
    """gunicorn with deploy/gunicorn.conf.py, 2 workers, a short job lease; its port."""
    port = free_port()
    env = {
        **os.environ,
        "CASEAPP_INSTANCE": str(instance_path),
        "CASEAPP_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "CASEAPP_RATELIMIT_ENABLED": "false",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    master = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(REPO / "deploy" / "gunicorn.conf.py"),
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "--timeout",
            "60",
            "-b",
            f"127.0.0.1:{port}",
            "caseapp:create_app()",
        ],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield master, port
    finally:
        os.killpg(master.pid, signal.SIGKILL)
        master.wait()
        log.close()


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


def running_builds() -> int:
    db.session.expire_all()
    return db.session.query(Job).filter_by(kind="dossier.build", state="running").count()


@pytest.mark.slow
def test_a_worker_killed_during_exports_leaves_every_dossier_built_once(
    app, api, case, samples, gunicorn
):
    master, port = gunicorn
    for name in ("email/chinese_gbk_encoding.eml", "images/exif_gps.jpg", "pdf/multilang.pdf"):
        api.post(
            f"/api/v1/cases/{case.id}/evidence",
            data={"file": (io.BytesIO((samples / name).read_bytes()), name)},
            content_type="multipart/form-data",
        )
    client = Http(port, api.headers["Authorization"].removeprefix("Bearer "))

    def answers():
        try:
            return client.call("GET", "/api/v1/cases")[0] == 200
        except OSError:
            return False

    wait_for(answers, 60, "gunicorn to answer")
    wait_for(lambda: len(children_of(master.pid)) == 2, 30, "two workers")
    body = {"lang": "zh", "recipient": "consumer_association"}
    ids = [
        client.json("POST", f"/api/v1/cases/{case.id}/dossiers", body)["id"] for _ in range(EXPORTS)
    ]
    # Both workers run jobs from their start (post_worker_init), one build each at a time.
    wait_for(lambda: running_builds() == 2, 60, "a build in each worker")
    victim = children_of(master.pid)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(set(children_of(master.pid)) - {victim}) == 2, 30, "a new worker")

    def all_ready():
        return all(
            client.json("GET", f"/api/v1/dossiers/{i}")["status"] in ("ready", "failed")
            for i in ids
        )

    wait_for(all_ready, 240, "every dossier to be built")
    dossiers = [client.json("GET", f"/api/v1/dossiers/{i}") for i in ids]
    assert [d["status"] for d in dossiers] == ["ready"] * EXPORTS, [d["error"] for d in dossiers]
    db.session.expire_all()
    attempts = [job.attempts for job in db.session.query(Job).filter_by(kind="dossier.build")]
    assert max(attempts) >= 2  # the killed worker's build was taken over
    custody = client.json("GET", f"/api/v1/cases/{case.id}/custody")["items"]
    exported = Counter(e["subject"] for e in custody if e["action"] == "dossier.exported")
    assert exported == Counter({f"dossier:{i}": 1 for i in ids})
    for dossier in dossiers:
        status, pdf = client.call("GET", f"/api/v1/dossiers/{dossier['id']}/pdf")
        assert status == 200
        assert hashlib.sha256(pdf).hexdigest() == dossier["sha256"]
    for command in (["custody", "verify"], ["vault", "verify"]):
        result = CliRunner().invoke(app.cli, command, catch_exceptions=False)
        assert result.exit_code == 0, result.output
