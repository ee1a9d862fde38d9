"""The bundle ZIP: contents, checks with standard tools, and tampering caught by verify."""

from __future__ import annotations

import hashlib
import io
import subprocess
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from caseapp.export.bundle import BundleOriginalMismatch, safe_entry_name, write_bundle
from caseapp.export.context import DossierContext
from caseapp.export.manifest import build_manifest, manifest_bytes, sanitise_file_name
from caseapp.export.pipeline import SignedDossier
from caseapp.export.signing import Signer
from caseapp.export.verify import verify_file


@pytest.fixture(scope="module")
def bundle(signed_dossier: bytes, signer: Signer, context_factory, make_bundle) -> bytes:
    """The sample dossier's bundle, with its manifest time-stamped by the local authority."""
    ctx = context_factory()
    dossier = SignedDossier(
        pdf=signed_dossier,
        manifest=manifest_bytes(build_manifest(ctx)),
        sha256=hashlib.sha256(signed_dossier).hexdigest(),
    )
    return make_bundle(dossier, ctx, signer)


def _rewrite(data: bytes, change: Callable[[str, bytes], tuple[str, bytes] | None],
             extra: dict[str, bytes] | None = None) -> bytes:
    """Copy a bundle, letting `change` edit, rename or drop (None) each entry."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            changed = change(name, source.read(name))
            if changed is not None:
                target.writestr(zipfile.ZipInfo(changed[0]), changed[1])
        for name, content in (extra or {}).items():
            target.writestr(zipfile.ZipInfo(name), content)
    return out.getvalue()


def _extract(data: bytes, folder: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert safe_entry_name(name)
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))


def test_bundle_is_intact(bundle: bytes, trusted_certs: list[bytes]) -> None:
    report = verify_file(bundle, trusted_certs)
    assert report.status == "intact", report.reasons
    assert report.details["bundle"] is True
    assert report.details["manifest_timestamp_at"] is not None


def test_bundle_holds_pdf_originals_manifest_stamp_certs_and_instructions(
    bundle: bytes, zh_context: DossierContext, signer: Signer
) -> None:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        names = set(archive.namelist())
        assert {"dossier.pdf", "manifest.json", "manifest.tsr", "VERIFY.txt",
                "certs/signing.crt", "certs/tsa.crt"} <= names
        for item in zh_context.evidence:
            name = f"originals/{item.number:03d}-{item.name}"
            assert archive.read(name) == item.original().read()
        instructions = archive.read("VERIFY.txt").decode("utf-8")
    assert "核验方法" in instructions
    assert "How to check it" in instructions
    assert "openssl ts -verify -data manifest.json -in manifest.tsr -CAfile certs/tsa.crt" in (
        instructions
    )
    assert signer.fingerprint in instructions


def test_openssl_verifies_the_bundled_manifest_time_stamp(bundle: bytes, tmp_path: Path) -> None:
    _extract(bundle, tmp_path)
    result = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "manifest.json", "-in", "manifest.tsr",
         "-CAfile", "certs/tsa.crt"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification: OK" in result.stdout


def test_sha256sum_of_the_originals_matches_the_manifest(
    bundle: bytes, tmp_path: Path, zh_context: DossierContext
) -> None:
    _extract(bundle, tmp_path)
    listing = subprocess.run(
        ["sha256sum", *sorted(p.name for p in (tmp_path / "originals").iterdir())],
        cwd=tmp_path / "originals", capture_output=True, text=True, check=True,
    ).stdout
    sums = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in listing.splitlines()}
    assert sums == {f"{e.number:03d}-{e.name}": e.sha256 for e in zh_context.evidence}


def test_a_replaced_original_in_the_bundle_is_not_intact(bundle: bytes) -> None:
    name = "originals/003-冻结截图.jpg"
    tampered = _rewrite(bundle, lambda n, d: (n, b"forged" if n == name else d))
    report = verify_file(tampered)
    assert report.status == "not_intact"
    assert "original 003-冻结截图.jpg: size does not match the manifest" in report.reasons


def test_an_edited_manifest_fails_against_the_pdf_and_its_time_stamp(bundle: bytes) -> None:
    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        return name, data.replace(b"12,500.00", b"125.00") if name == "manifest.json" else data

    report = verify_file(_rewrite(bundle, edit))
    assert report.status == "not_intact"
    assert "manifest.json differs from the manifest embedded in the PDF" in report.reasons
    assert "manifest time stamp does not match manifest.json" in report.reasons


def test_missing_and_extra_originals_are_reported(bundle: bytes) -> None:
    def drop(name: str, data: bytes) -> tuple[str, bytes] | None:
        return None if name.startswith("originals/001-") else (name, data)

    report = verify_file(_rewrite(bundle, drop, {"originals/005-extra.txt": b"x"}))
    assert report.status == "not_intact"
    assert "original missing from the bundle: 001-客服回复邮件.eml" in report.reasons
    assert "original not in the manifest: 005-extra.txt" in report.reasons


def test_a_path_traversal_entry_makes_the_bundle_not_intact(bundle: bytes) -> None:
    report = verify_file(_rewrite(bundle, lambda n, d: (n, d), {"../../evil.sh": b"rm -rf ~"}))
    assert report.status == "not_intact"
    assert any("unsafe entry name" in reason for reason in report.reasons)


def test_a_bundle_whose_pdf_was_changed_is_not_intact(bundle: bytes) -> None:
    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        return name, data + b"\n% appended\n" if name == "dossier.pdf" else data

    report = verify_file(_rewrite(bundle, edit))
    assert report.status == "not_intact"
    assert any(reason.startswith("dossier.pdf: ") for reason in report.reasons)


def test_an_original_that_changed_in_the_vault_stops_the_bundle(zh_context: DossierContext) -> None:
    broken = replace(zh_context.evidence[0], original=lambda: io.BytesIO(b"changed"))
    ctx = replace(zh_context, evidence=[broken])
    with pytest.raises(BundleOriginalMismatch):
        write_bundle(io.BytesIO(), b"%PDF-", ctx, b"{}", b"", {})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("C:\\Windows\\evil.exe", "C__Windows_evil.exe"),
        ("bell\x07\x1b[31m.txt", "bell__[31m.txt"),
        ("", "evidence"),
        ("...", "evidence"),
        (unicodedata.normalize("NFD", "截图é.png"), "截图é.png"),
    ],
)
def test_file_names_are_made_safe(name: str, expected: str) -> None:
    assert sanitise_file_name(name) == expected
    assert safe_entry_name("originals/001-" + sanitise_file_name(name))


def test_long_file_names_keep_their_extension() -> None:
    name = sanitise_file_name("聊" * 300 + ".txt")
    assert len(name) <= 100
    assert name.endswith(".txt")


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../x", "originals/../../x", "a\\b", "C:/x", "a\x00b", "./a", ""]
)
def test_unsafe_entry_names_are_recognised(name: str) -> None:
    assert not safe_entry_name(name)
