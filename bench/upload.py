"""Memory of the server while a large file is uploaded over HTTP.

Starts a real `caseapp run` server on a fresh instance, uploads a file of --size-mib
(default 1024) through the API as one multipart request, streamed from a generator,
and samples the server's resident memory every 20 ms. Prints, last:

    FIGURE upload_rss_growth <MiB> MiB      peak RSS during the upload minus RSS before it
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1024 * 1024


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def caseapp(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "caseapp.cli", *args], env=env, input=stdin,
                            capture_output=True, text=True, check=True)
    return result.stdout


def body(boundary: str, size: int) -> tuple[Iterator[bytes], int]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = os.urandom(CHUNK)

    def chunks() -> Iterator[bytes]:
        yield head
        sent = 0
        while sent < size:
            piece = block[: min(CHUNK, size - sent)]
            sent += len(piece)
            yield piece
        yield tail

    return chunks(), len(head) + size + len(tail)


def upload(port: int, token: str, case_id: str, size: int) -> dict[str, object]:
    boundary = "caseappbench"
    chunks, length = body(boundary, size)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    connection.putrequest("POST", f"/api/v1/cases/{case_id}/evidence")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    for chunk in chunks:
        connection.send(chunk)
    response = connection.getresponse()
    payload = json.loads(response.read())
    if response.status != 201:
        raise RuntimeError(f"upload failed: {response.status} {payload}")
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CASEAPP_INSTANCE": str(Path(tmp) / "instance"),
               "CASEAPP_MAX_UPLOAD_BYTES": str(size + 1024 * 1024)}
        caseapp(env, "init")
        caseapp(env, "user", "create", "bench@example.org", "--password-stdin", stdin="bench password 123\n")
        token = caseapp(env, "token", "create", "bench@example.org").strip()
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "caseapp.cli", "run", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            connection = http.client.HTTPConnection("127.0.0.1", port)
            connection.request("POST", "/api/v1/cases", json.dumps(
                {"title": "bench", "counterparty": "bench", "category": "other"}),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            case_id = json.loads(connection.getresponse().read())["id"]
            upload(port, token, case_id, 4 * CHUNK)  # warm up: imports, first blob, parser pool
            baseline = rss_mib(server.pid)
            peak = baseline
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, rss_mib(server.pid))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            result = upload(port, token, case_id, size)
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"uploaded {args.size_mib} MiB in {elapsed:.1f} s ({args.size_mib / elapsed:.0f} MiB/s), "
          f"sha256 {result['sha256']}")
    print(f"server RSS before {baseline:.1f} MiB, peak during upload {peak:.1f} MiB")
    print(f"FIGURE upload_rss_growth {peak - baseline:.1f} MiB")


if __name__ == "__main__":
    main()
