"""The `caseapp` command line, run as a user runs it: a real process on a real instance."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

CASEAPP = [sys.executable, "-c", "from caseapp.cli import main; main()"]


def caseapp(
    instance: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance)}
    return subprocess.run([*CASEAPP, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    instance = tmp_path_factory.mktemp("cli") / "instance"
    result = caseapp(instance, "init")
    assert result.returncode == 0, result.stderr
    return instance


def _key_files(instance: Path) -> dict[str, bytes]:
    files = [instance / "secret_key", *sorted((instance / "keys").rglob("*.key"))]
    return {str(p.relative_to(instance)): p.read_bytes() for p in files}


def test_init_writes_keys_0600_and_a_second_init_changes_none(initialised):
    keys = _key_files(initialised)
    assert any(name.startswith("keys/master/") for name in keys), keys.keys()
    assert {"keys/signing.key", "keys/tsa.key", "keys/custody-head.key"} <= set(keys)
    for name in keys:
        assert stat.S_IMODE((initialised / name).stat().st_mode) == 0o600, name
    again = caseapp(initialised, "init")
    assert again.returncode == 0
    assert "already initialised" in again.stdout
    assert _key_files(initialised) == keys


def test_command_without_instance_says_so_in_one_line(tmp_path):
    result = caseapp(tmp_path / "missing", "user", "create", "a@example.org", "--password-stdin",
                     stdin="x" * 12)
    assert result.returncode != 0
    assert "caseapp init" in result.stderr
    assert "Traceback" not in result.stderr


def test_user_create_then_token_create_gives_a_working_token(initialised):
    created = caseapp(initialised, "user", "create", "cli@example.org", "--role", "advocate",
                      "--password-stdin", stdin="a long cli password\n")
    assert created.returncode == 0, created.stderr
    duplicate = caseapp(initialised, "user", "create", "cli@example.org", "--password-stdin",
                        stdin="a long cli password\n")
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    assert "Traceback" not in duplicate.stderr
    token = caseapp(initialised, "token", "create", "cli@example.org")
    assert token.returncode == 0
    value = token.stdout.strip()
    assert value.startswith("cat_")
    assert "\n" not in value
    assert "shown once" in token.stderr

    from caseapp import create_app

    app = create_app(config={"testing": True}, instance_path=initialised)
    response = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {value}"})
    assert response.status_code == 200


def test_token_for_unknown_user_fails_cleanly(initialised):
    result = caseapp(initialised, "token", "create", "nobody@example.org")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no user" in result.stderr


def test_weak_password_is_refused(initialised):
    result = caseapp(initialised, "user", "create", "weak@example.org", "--password-stdin",
                     stdin="short\n")
    assert result.returncode == 1
    assert "at least 10" in result.stderr


def test_demo_loads_once_and_custody_verifies(initialised):
    first = caseapp(initialised, "demo")
    assert first.returncode == 0, first.stderr
    assert "demo@caseapp.test" in first.stdout
    assert "advocate@caseapp.test" in first.stdout
    second = caseapp(initialised, "demo")
    assert second.returncode == 0
    assert "already present" in second.stdout
    verified = caseapp(initialised, "custody", "verify")
    assert verified.returncode == 0, verified.stdout
    assert "0 broken" in verified.stdout


def test_custody_verify_unknown_case_is_a_clean_error(initialised):
    result = caseapp(initialised, "custody", "verify", "nosuchcase")
    assert result.returncode == 1
    assert "no case" in result.stderr
    assert "Traceback" not in result.stderr


def test_flask_cli_works_too(initialised):
    env = {**os.environ, "CASEAPP_INSTANCE": str(initialised)}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "caseapp", "custody", "verify"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_help_without_an_instance_says_how_to_start_not_a_traceback(tmp_path):
    result = caseapp(tmp_path / "missing", "--help")
    assert result.returncode == 0
    assert "caseapp init" in result.stderr
    assert "Traceback" not in result.stderr
    assert "init" in result.stdout
    assert "verify" in result.stdout
