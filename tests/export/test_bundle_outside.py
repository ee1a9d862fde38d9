"""The bundle checked away from caseapp: VERIFY.txt followed literally, re-zipped bundles, and
the custody log it carries."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest

from caseapp.export.manifest import build_manifest, manifest_bytes
from caseapp.export.pipeline import SignedDossier
from caseapp.export.signing import Signer
from caseapp.export.verify import verify_file
from caseapp.export.verify_text import COMMAND_PREFIX

VENV_BIN = str(Path(sys.executable).parent)  # where pip put the pyhanko command


@pytest.fixture(scope="module")
def bundle(signed_dossier: bytes, signer: Signer, context_factory, make_bundle) -> bytes:
    ctx = context_factory()
    dossier = SignedDossier(
        pdf=signed_dossier,
        manifest=manifest_bytes(build_manifest(ctx)),
        sha256=hashlib.sha256(signed_dossier).hexdigest(),
    )
    return make_bundle(dossier, ctx, signer)


@pytest.fixture
def unzipped(bundle: bytes, tmp_path: Path) -> Path:
    """The bundle unzipped by Info-ZIP's unzip, as a reader would."""
    (tmp_path / "dossier.zip").write_bytes(bundle)
    root = tmp_path / "bundle"
    subprocess.run(["unzip", "-q", str(tmp_path / "dossier.zip"), "-d", str(root)], check=True)
    return root


def _commands(text: str) -> list[str]:
    return [line[len(COMMAND_PREFIX):] for line in text.splitlines()
            if line.startswith(COMMAND_PREFIX)]


def _run(command: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}", "LC_ALL": "C.UTF-8"}
    return subprocess.run(["bash", "-c", command], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_every_command_in_verify_txt_succeeds_from_the_bundle_root(unzipped: Path) -> None:
    text = (unzipped / "VERIFY.txt").read_text(encoding="utf-8")
    chinese, english = text.split("== English ==")
    assert _commands(chinese) == _commands(english)
    commands = _commands(english)
    assert any(c.startswith("sha256sum -c SHA256SUMS") for c in commands)
    assert any(c.startswith("openssl ts -verify") for c in commands)
    assert any(c.startswith("pyhanko sign validate") for c in commands)
    assert not any(c.startswith("cd ") or " cd " in c for c in commands)
    # One trust root, the instance CA; never the leaf signing certificate. openssl gets the
    # TSA's chain, which for the instance's own TSA ends in that CA.
    assert "pyhanko sign validate --trust-replace --trust certs/ca.crt dossier.pdf" in commands
    assert not any("signing.crt" in c for c in commands)
    assert any(c.endswith("-CAfile certs/tsa.crt") for c in commands)
    tsa_chain = (unzipped / "certs" / "tsa.crt").read_bytes()
    assert tsa_chain.endswith((unzipped / "certs" / "ca.crt").read_bytes())
    for command in commands:
        result = _run(command, unzipped)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    assert "prove only that its files agree" in english
    assert "GET /pki/ca.pem" in english
    assert "Open dossier.pdf in a PDF reader" in english


def test_one_changed_byte_in_an_original_fails_sha256sum(unzipped: Path) -> None:
    original = unzipped / "originals" / "002-在线客服聊天记录.txt"
    data = bytearray(original.read_bytes())
    data[10] ^= 0x01
    original.write_bytes(bytes(data))
    result = _run("sha256sum -c SHA256SUMS", unzipped)
    assert result.returncode != 0
    assert "002-在线客服聊天记录.txt: FAILED" in result.stdout


def test_the_custody_command_catches_an_edited_entry(unzipped: Path) -> None:
    text = (unzipped / "VERIFY.txt").read_text(encoding="utf-8")
    custody_check = next(c for c in _commands(text) if "custody.json" in c)
    log = json.loads((unzipped / "custody.json").read_text(encoding="utf-8"))
    log["entries"][1]["actor"] = "客服小李"
    (unzipped / "custody.json").write_text(json.dumps(log, ensure_ascii=False), encoding="utf-8")
    result = _run(custody_check, unzipped)
    assert result.returncode == 1
    assert "FAILED at entry 2" in result.stdout


def _edit_custody(bundle: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "custody.json":
                log = json.loads(data)
                edit(log)
                data = json.dumps(log, ensure_ascii=False).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def test_caseapp_verify_catches_an_edited_custody_entry_by_its_number(
    bundle: bytes, trusted_certs: list[bytes]
) -> None:
    def edit(log: dict) -> None:  # type: ignore[type-arg]
        log["entries"][2]["subject"] = "ev0009"

    report = verify_file(_edit_custody(bundle, edit), trusted_certs)
    assert report.status == "not_intact"
    assert "custody log broken at entry 3: entry altered (hash mismatch)" in report.reasons


def test_caseapp_verify_catches_a_custody_log_cut_short(
    bundle: bytes, trusted_certs: list[bytes]
) -> None:
    def cut(log: dict) -> None:  # type: ignore[type-arg]
        log["entries"] = log["entries"][:-1]

    report = verify_file(_edit_custody(bundle, cut), trusted_certs)
    assert report.status == "not_intact"
    assert any(r.startswith("custody log broken at entry 4") for r in report.reasons)


def test_the_custody_log_checks_out_in_an_untouched_bundle(
    bundle: bytes, trusted_certs: list[bytes]
) -> None:
    report = verify_file(bundle, trusted_certs)
    assert report.status == "intact", report.reasons
    assert report.details["custody_entries"] == 4


@pytest.mark.parametrize("flags", [[], ["-UN=UTF8"]], ids=["plain", "utf8-flag"])
def test_a_bundle_re_zipped_by_info_zip_still_verifies(
    unzipped: Path, trusted_certs: list[bytes], flags: list[str]
) -> None:
    assert shutil.which("zip"), "Info-ZIP zip is missing: WITH_TEST_TOOLS=1 ./scripts/install.sh"
    rezipped = unzipped.parent / "rezipped.zip"
    subprocess.run(["zip", "-q", "-r", *flags, str(rezipped), "."], cwd=unzipped, check=True)
    with zipfile.ZipFile(rezipped) as archive:
        assert any(info.is_dir() for info in archive.infolist())  # folder entries present
    report = verify_file(rezipped, trusted_certs)
    assert report.status == "intact", report.reasons
    assert verify_file(rezipped).status == "unconfirmed"


def test_a_bundle_re_zipped_in_another_order_with_decomposed_names_still_verifies(
    bundle: bytes, trusted_certs: list[bytes]
) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        target.writestr("originals/", b"")
        target.writestr("certs/", b"")
        for info in reversed(source.infolist()):
            target.writestr(unicodedata.normalize("NFD", info.filename), source.read(info))
        target.writestr("__MACOSX/._dossier.pdf", b"resource fork")
    report = verify_file(out.getvalue(), trusted_certs)
    assert report.status == "intact", report.reasons
    assert report.details["ignored_entries"] == ["__MACOSX/._dossier.pdf"]


def test_a_second_copy_of_an_original_under_the_same_normalised_name_is_not_intact(
    bundle: bytes, trusted_certs: list[bytes]
) -> None:
    name = "originals/005-reçu café.txt"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        target.writestr(name, b"one receipt")
        target.writestr(unicodedata.normalize("NFD", name), b"another receipt")
    report = verify_file(out.getvalue(), trusted_certs)
    assert report.status == "not_intact"
    assert f"the bundle holds two files named {name}" in report.reasons
