"""Time stamps from an external authority: a real `openssl ts -reply` responder over HTTP."""

from __future__ import annotations

import io
import socket
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caseapp.export.bundle import check_timestamp_reply
from caseapp.export.manifest import build_manifest, manifest_bytes
from caseapp.export.pipeline import produce_dossier
from caseapp.export.signing import Signer, TimeStampFailed, certificate_fingerprint
from caseapp.export.verify import verify_file

OPENSSL_TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/ca.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class Authority:
    """A running external time stamping authority."""

    url: str
    folder: Path
    requests: list[int]

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def tsa_cert(self) -> bytes:
        return (self.folder / "tsa.crt").read_bytes()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _make_authority_keys(folder: Path) -> None:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root CA"))
        .issuer_name(_name("Test Root CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test External TSA"))
        .issuer_name(ca_cert.subject)
        .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.crt").write_bytes(ca_cert.public_bytes(pem))
    (folder / "tsa.crt").write_bytes(tsa_cert.public_bytes(pem))
    (folder / "tsa.key").write_bytes(tsa_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(OPENSSL_TSA_CONFIG.format(dir=folder))


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """`openssl ts -reply` behind a tiny HTTP handler on 127.0.0.1, on a random port."""
    folder = tmp_path_factory.mktemp("tsa")
    _make_authority_keys(folder)
    requests: list[int] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:  # openssl updates its serial file; one reply at a time
                requests.append(len(query))
                (folder / "request.tsq").write_bytes(query)
                subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(folder / "tsa.cnf"),
                     "-queryfile", str(folder / "request.tsq"), "-out", str(folder / "reply.tsr")],
                    check=True, capture_output=True,
                )
                reply = (folder / "reply.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Authority(f"http://127.0.0.1:{server.server_address[1]}/tsa", folder, requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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
    assert set(certs) == {"signing.crt", "tsa.crt"}
    assert certs["signing.crt"] == external_signer.signing_cert_pem
    assert certs["tsa.crt"].count(b"BEGIN CERTIFICATE") == 2  # the TSA and its root
