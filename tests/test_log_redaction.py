"""No access log holds a link-share, invitation, reset or calendar token: the development
server (`caseapp run`) and gunicorn, run for real and their output read."""

from __future__ import annotations

import http.client
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from caseapp.log_redaction import RedactingRequestHandler, redact
from tests.jobs.test_gunicorn import free_port

REPO = Path(__file__).resolve().parents[1]
LINK = "Zm9vYmFyLWxpbmstdG9rZW4tMjU2LWJpdHMtb2YtcmFuZG9t"
INVITE = "aW52aXRhdGlvbi10b2tlbi1vZi10aGUtYWR2b2NhdGU"
SECRETS = (LINK, INVITE, "calendar-secret", "query-secret", "reset-secret")
REQUESTS = [
    f"/s/{LINK}",
    f"/invite/{INVITE}",
    "/calendar/calendar-secret.ics",
    "/reset/reset-secret",
    "/cases?token=query-secret&page=2",
]


@pytest.mark.parametrize(("line", "expected"), [
    (f'"GET /s/{LINK} HTTP/1.1" 302 -', '"GET /s/[redacted] HTTP/1.1" 302 -'),
    (f"POST /invite/{INVITE}?next=/ HTTP/1.1", "POST /invite/[redacted]?next=/ HTTP/1.1"),
    ("GET /calendar/abc.ics", "GET /calendar/[redacted]"),
    ("GET /reset/abc/confirm", "GET /reset/[redacted]/confirm"),
    ("GET /x?a=1&access_token=abc&b=2", "GET /x?a=1&access_token=[redacted]&b=2"),
    ("token=abc&page=2", "token=[redacted]&page=2"),
    ("GET /cases/abc/shares HTTP/1.1", "GET /cases/abc/shares HTTP/1.1"),
])
def test_redact_replaces_tokens_and_leaves_other_addresses_alone(line, expected):
    assert redact(line) == expected


def get(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            get(port, "/login")
        except OSError:
            time.sleep(0.2)
        else:
            return
    raise AssertionError("the server never answered")


def assert_no_secret(log: str) -> None:
    for secret in SECRETS:
        assert secret not in log, secret
    assert "/s/[redacted]" in log
    assert "/invite/[redacted]" in log
    assert "token=[redacted]" in log


def test_the_werkzeug_server_logs_link_addresses_redacted(app, caplog):
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=RedactingRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for path in REQUESTS:
                get(server.server_port, path)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
    assert_no_secret(caplog.text)


def run_and_read(command: list[str], port: int, instance: Path, log: Path) -> str:
    """Start a server, send every request, stop it; its output."""
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance), "CASEAPP_WEB_RUNS_JOBS": "false"}
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            wait_until_listening(port, server)
            for path in REQUESTS:
                get(port, path, {"Referer": f"http://127.0.0.1:{port}/s/{LINK}",
                                 "Cookie": "caseapp_link_abc=signed-grant"})
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return log.read_text("utf-8", errors="replace")


def test_caseapp_run_logs_no_token(instance_path, tmp_path):
    port = free_port()
    command = [sys.executable, "-c", "from caseapp.cli import main; main()",
               "run", "--port", str(port)]
    output = run_and_read(command, port, instance_path, tmp_path / "run.log")
    assert "GET /login" in output  # the log is there, only the tokens are not
    assert_no_secret(output)


def test_gunicorn_logs_no_token_nor_cookie(instance_path, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "deploy" / "gunicorn.conf.py"),
               "-w", "1", "-b", f"127.0.0.1:{port}", "--access-logfile", "-",
               # The default format plus the cookie: what an operator might add.
               "--access-logformat", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s?%(q)s %({cookie}i)s',
               "caseapp:create_app()"]
    output = run_and_read(command, port, instance_path, tmp_path / "gunicorn.log")
    assert '"GET /login HTTP/1.1" 200' in output
    assert_no_secret(output)
    assert "signed-grant" not in output
