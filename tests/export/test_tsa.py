"""Time stamps from an external authority: a real `openssl ts -reply` responder over HTTP."""

from __future__ import annotations

import io
import socket
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseapp.export.bundle import check_timestamp_reply
from caseapp.export.manifest import build_manifest, manifest_bytes
from caseapp.export.pipeline import produce_dossier
from caseapp.export.signing import Signer, TimeStampFailed, certificate_fingerprint
from caseapp.export.verify import verify_file
from tests.export.authorities import Authority, running_authority


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """A real `openssl ts -reply` authority for this module."""
    with running_authority(tmp_path_factory.mktemp("tsa")) as running:
        yield running


@pytest.fixture(scope="module")
def external_signer(keys_dir: Path, authority: Authority) -> Signer:
    """The instance signer, time-stamping through the external authority."""
    return Signer(keys_dir, tsa_url=authority.url)


def test_dossier_time_stamped_by_the_external_authority_verifies(
    external_signer: Signer, authority: Authority, context_factory
) -> None:
    before = len(authority.requests)
    pdf = produce_dossier(context_factory("en", "lawyer"), external_signer).pdf
    assert len(authority.requests) > before  # pyHanko also asks once to size the signature
    report = verify_file(pdf)
    assert report.status == "unconfirmed", report.reasons  # intact; no anchor named
    assert report.details["timestamp_authority"] == certificate_fingerprint(authority.tsa_cert)


def test_external_manifest_time_stamp_passes_openssl_with_the_authority_root(
    external_signer: Signer, authority: Authority, context_factory, tmp_path: Path, make_bundle
) -> None:
    ctx = context_factory()
    dossier = produce_dossier(ctx, external_signer)
    out = io.BytesIO(make_bundle(dossier, ctx, external_signer))
    with zipfile.ZipFile(out) as archive:
        for name in ("manifest.json", "manifest.tsr", "certs/tsa.crt"):
            (tmp_path / name.replace("certs/", "")).write_bytes(archive.read(name))
    result = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "manifest.json", "-in", "manifest.tsr",
         "-CAfile", str(authority.ca_file)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert authority.tsa_cert.strip() in (tmp_path / "tsa.crt").read_bytes()
    assert verify_file(out.getvalue()).status == "unconfirmed"


def test_verify_txt_commands_run_as_written_for_an_outside_authority(
    external_signer: Signer, authority: Authority, context_factory, tmp_path: Path, make_bundle
) -> None:
    from tests.export.test_bundle_outside import _commands, _run

    ctx = context_factory()
    bundle = make_bundle(produce_dossier(ctx, external_signer), ctx, external_signer)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        archive.extractall(tmp_path)
    text = (tmp_path / "VERIFY.txt").read_text(encoding="utf-8")
    assert "use its root certificate, obtained from\nthat authority" in text
    for command in _commands(text):
        result = _run(command, tmp_path)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    # certs/tsa.crt names the authority first: its fingerprint in VERIFY.txt is the TSA's
    assert (tmp_path / "certs" / "tsa.crt").read_bytes().startswith(authority.tsa_cert.strip())


def test_external_time_stamp_is_bound_to_the_data(external_signer: Signer) -> None:
    tsr = external_signer.timestamp_bytes(b"manifest v1\n")
    assert check_timestamp_reply(tsr, b"manifest v1\n")[0] == []
    assert check_timestamp_reply(tsr, b"manifest v2\n")[0] == [
        "manifest time stamp does not match manifest.json"
    ]


def test_an_unreachable_authority_fails_the_export_clearly(keys_dir: Path, context_factory) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    signer = Signer(keys_dir, tsa_url=f"http://127.0.0.1:{port}/tsa")
    with pytest.raises(TimeStampFailed):
        signer.timestamp_bytes(b"manifest")


def test_bundle_of_an_external_dossier_names_both_certificates(
    external_signer: Signer, context_factory
) -> None:
    ctx = context_factory()
    manifest = manifest_bytes(build_manifest(ctx))
    tsr = external_signer.timestamp_bytes(manifest)
    certs = external_signer.bundle_certificates(tsr)
    assert set(certs) == {"signing.crt", "tsa.crt", "ca.crt"}
    assert certs["signing.crt"] == external_signer.signing_cert_pem
    assert certs["tsa.crt"].count(b"BEGIN CERTIFICATE") == 2  # the TSA and its root
