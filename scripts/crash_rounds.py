"""Crash test: kill the server with SIGKILL at random points, then check nothing was lost.

    .venv/bin/python scripts/crash_rounds.py --rounds N [--seed S] [--keep DIR]

Makes a fresh instance in a temp folder (`caseapp init`, a user, an API token), then per
round: starts `caseapp run`, fires a random mix of concurrent work at it from threads —
multipart uploads of random sizes (random bytes, and real samples from
../shared/samples so that reading jobs run), dossier exports, and sometimes a
`caseapp vault rotate-key` process — and SIGKILLs the server (and the rotation) after a
random delay. With the server down it then checks:

- `caseapp vault verify`: every blob a row points at is there and intact;
- `caseapp custody verify`: every case's hash chain is intact;
- `caseapp vault sweep --dry-run`: no row without its blob, and no *new* stray blob
  beyond what was in flight at the kill: one per upload without an answer, the
  derivatives of one item (or one extracted file) per reading job that was running, the
  PDF and bundle per dossier build that was running. (Strays are kept by the sweep's
  one-hour grace; they are counted, not removed.)

After the last round: a final `caseapp vault rotate-key` must finish (a rotation killed
midway resumes) and leave one master key; the server is started once more and every job
must end (evidence read or failed, dossiers ready or failed); every upload and export the
server answered must exist; every ready dossier must download with its recorded SHA-256
and have exactly one `dossier.exported` custody entry.

One line per round and a summary are printed; the exit status is 1 when any check
failed, each failure printed. The checks run the real `caseapp` commands in this process
(Flask's CLI runner on a fresh app each round): a `caseapp` process spends about two
seconds importing WeasyPrint and pyHanko, which would be most of a round.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
SAMPLE_DIRS = ("email", "images", "msg", "pdf", "chat")
EMAIL = "crash@example.org"
PASSWORD = "crash test password 2024"  # noqa: S105 - a throw-away instance's user
# What one interrupted job may leave behind as stray blobs. A reading stores an item's
# derivatives (reading, text, html, transcript, thumbnail, up to 3 page previews) with
# its final state, and each extracted file's blob just before its row: at most 8 blobs
# uncommitted at once. A dossier build stores its PDF and its bundle before its row.
STRAYS_PER_READING = 8
STRAYS_PER_DOSSIER = 2
STRAYS_PER_UPLOAD = 1  # one file per upload request here


class CheckFailed(Exception):
    """A crash-test check found something lost, broken or twice."""


@dataclass
class Request:
    """One piece of work sent to the server, and what became of it."""

    kind: str  # "upload" or "dossier"
    case_id: str
    sha256: str = ""
    sent: bool = False  # the connection was accepted
    status: int | None = None  # set once the whole answer has arrived
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def in_flight(self) -> bool:
        """Reached the server but got no answer: the kill may have caught it anywhere."""
        return self.sent and self.status is None


@dataclass
class Totals:
    """What every round did, for the summary."""

    uploads: int = 0
    uploads_cut: int = 0
    dossiers: int = 0
    dossiers_cut: int = 0
    rotations: int = 0
    rotations_cut: int = 0
    strays: set[str] = field(default_factory=set)
    answered: list[Request] = field(default_factory=list)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Instance:
    """A throw-away caseapp instance, its server and its API."""

    def __init__(self, path: Path, lease_seconds: float) -> None:
        self.path = path
        self.env = {
            **os.environ,
            "CASEAPP_INSTANCE": str(path / "instance"),
            "CASEAPP_JOB_LEASE_SECONDS": str(lease_seconds),
            "CASEAPP_RATELIMIT_ENABLED": "false",
        }
        self.token = ""
        self.port = 0
        self.server: subprocess.Popen[bytes] | None = None
        self.log = path / "server.log"

    def caseapp(self, *args: str, stdin: str | None = None) -> str:
        """Run a `caseapp` command in a process of its own; its stdout."""
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "caseapp.cli", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise CheckFailed(
                f"caseapp {' '.join(args)}: exit {result.returncode}: {result.stderr}"
            )
        return result.stdout

    def create(self) -> None:
        """`caseapp init`, a user and an API token."""
        self.caseapp("init")
        with Checker(self.path / "instance") as checker:
            code, out = checker.run("user", "create", EMAIL, "--password-stdin", stdin=PASSWORD)
            if code != 0:
                raise CheckFailed(f"caseapp user create: exit {code}: {out}")
            code, out = checker.run("token", "create", EMAIL)
            if code != 0:
                raise CheckFailed(f"caseapp token create: exit {code}: {out}")
            self.token = out.strip()

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        """Start a `caseapp` command in a session of its own, so a kill reaches its children
        (the server's reading sandboxes) too."""
        with self.log.open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "caseapp.cli", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self, timeout: float = 60.0) -> None:
        """Start `caseapp run` and wait until it answers."""
        self.port = free_port()
        self.server = self.spawn("run", "--port", str(self.port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise CheckFailed(f"the server exited ({self.server.returncode}): see {self.log}")
            try:
                if self.call("GET", "/api/v1/cases", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise CheckFailed(f"the server did not answer within {timeout:g} s")

    def kill(self) -> None:
        """SIGKILL the server and everything it started."""
        if self.server is not None:
            kill_group(self.server)
            self.server = None

    def call(
        self, method: str, path: str, body: Any = None, timeout: float = 30.0
    ) -> tuple[int, Any, dict[str, str]]:
        """One JSON API call: status, decoded answer (bytes when not JSON), headers."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, data, headers)
            response = connection.getresponse()
            raw = response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()
        if answer_headers.get("content-type", "").startswith("application/json"):
            return response.status, json.loads(raw), answer_headers
        return response.status, raw, answer_headers

    def items(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paginated list."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            page_path = f"{path}?limit=100" + (f"&cursor={cursor}" if cursor else "")
            status, page, _ = self.call("GET", page_path)
            if status != 200:
                raise CheckFailed(f"GET {path}: {status}")
            found.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    def new_case(self, number: int) -> str:
        """Open a case through the API."""
        status, case, _ = self.call(
            "POST",
            "/api/v1/cases",
            {"title": f"崩溃测试 {number}", "counterparty": "星链钱包", "category": "other"},
        )
        if status != 201:
            raise CheckFailed(f"opening a case: {status} {case}")
        return str(case["id"])


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started in its own session, with its children; reap it."""
    with contextlib.suppress(ProcessLookupError):  # ended on its own, children and all
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class Checker:
    """Runs `caseapp` commands in this process, on a fresh app each time it is opened."""

    def __init__(self, instance_path: Path) -> None:
        self.instance_path = instance_path

    def __enter__(self) -> Checker:
        from caseapp import create_app

        self.app = create_app(instance_path=self.instance_path)
        self.runner = self.app.test_cli_runner()
        return self

    def __exit__(self, *exc: object) -> None:
        from caseapp.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.app.extensions["caseapp"].vault.close()  # its read-ahead threads

    def run(self, *args: str, stdin: str | None = None) -> tuple[int, str]:
        """Exit status and stdout of `caseapp ARGS`."""
        result = self.runner.invoke(args=list(args), input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            return 99, f"{result.stdout}\n{type(result.exception).__name__}: {result.exception}"
        return result.exit_code, result.stdout

    def jobs(self) -> Counter[tuple[str, str]]:
        """`caseapp jobs`: how many jobs of each (kind, state)."""
        code, out = self.run("jobs")
        if code != 0:
            raise CheckFailed(f"caseapp jobs: exit {code}: {out}")
        counts: Counter[tuple[str, str]] = Counter()
        for line in out.splitlines():
            match = re.fullmatch(r"(\S+)\s+(queued|running|done|failed)\s+(\d+)", line.strip())
            if match:
                counts[(match[1], match[2])] = int(match[3])
        return counts

    def verify_all(self) -> dict[str, Any]:
        """`vault verify`, `custody verify` and `vault sweep --dry-run`: the sweep report;
        CheckFailed naming the first that failed."""
        code, out = self.run("vault", "verify", "--json")
        if code != 0:
            raise CheckFailed(f"vault verify: exit {code}: {out.strip()[:2000]}")
        code, out = self.run("custody", "verify")
        if code != 0:
            raise CheckFailed(f"custody verify: exit {code}: {out.strip()[:2000]}")
        code, out = self.run("vault", "sweep", "--dry-run", "--json")
        if code != 0:
            raise CheckFailed(f"vault sweep --dry-run: exit {code}: {out.strip()[:2000]}")
        report: dict[str, Any] = json.loads(out)
        if report["missing"]:
            rows = "; ".join(f"{m['blob_id']} ({m['description']})" for m in report["missing"])
            raise CheckFailed(f"row(s) without a blob: {rows}")
        return report


def sample_files(max_bytes: int) -> list[Path]:
    """Real files (emails, images, .msg, PDFs, chats) whose reading does some work."""
    if not SAMPLES.is_dir():
        return []
    files = [p for d in SAMPLE_DIRS for p in sorted((SAMPLES / d).rglob("*")) if p.is_file()]
    return [p for p in files if p.stat().st_size <= max_bytes]


def upload(instance: Instance, request: Request, name: str, data: bytes, seconds: float) -> None:
    """POST one file as multipart, spread over about `seconds` so a kill can land mid-body."""
    boundary = f"crash{random.getrandbits(64):x}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'
        f"crash test\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=60)
    try:
        connection.connect()
        request.sent = True
        connection.putrequest("POST", f"/api/v1/cases/{request.case_id}/evidence")
        connection.putheader("Authorization", f"Bearer {instance.token}")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(head) + len(data) + len(tail)))
        connection.endheaders()
        connection.send(head)
        pieces = max(1, min(32, len(data) // 16384))
        step = -(-len(data) // pieces)
        for start in range(0, len(data), step):
            connection.send(data[start : start + step])
            time.sleep(seconds / pieces)
        connection.send(tail)
        response = connection.getresponse()
        answer = json.loads(response.read())
        request.answer, request.status = answer, response.status
    finally:
        connection.close()


def export(instance: Instance, request: Request) -> None:
    """Ask for a dossier of the case."""
    body = {"lang": "zh", "recipient": "consumer_association"}
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=60)
    try:
        connection.connect()
        request.sent = True
        connection.request(
            "POST",
            f"/api/v1/cases/{request.case_id}/dossiers",
            json.dumps(body).encode(),
            {"Authorization": f"Bearer {instance.token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        request.answer, request.status = answer, response.status
    finally:
        connection.close()


def fire(delay: float, work: Any, *args: Any) -> threading.Thread:
    """Run `work(*args)` on a thread after `delay` s; a connection the kill cuts is expected."""

    def run() -> None:
        time.sleep(delay)
        # Refused (never sent), reset or cut short by the kill: `Request` says which.
        with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
            work(*args)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def payload(rng: random.Random, samples: list[Path], max_bytes: int) -> tuple[str, bytes]:
    """A file to upload: a real sample (so reading runs) or random bytes of random size."""
    if samples and rng.random() < 0.5:
        path = rng.choice(samples)
        return path.name, path.read_bytes()
    size = int(2 ** rng.uniform(11, max(11.0, (max_bytes).bit_length() - 1)))
    return f"random-{size}.bin", rng.randbytes(size)


def play_round(
    number: int,
    rng: random.Random,
    instance: Instance,
    case_id: str,
    args: argparse.Namespace,
    samples: list[Path],
    totals: Totals,
) -> str:
    """Start the server, send work, kill everything at a random moment; check; one line."""
    rotation = None
    if rng.random() < args.rotate_chance:
        # Started with the server: both take a couple of seconds to import, so the
        # rotation rewraps blobs while the work below is under way.
        rotation = instance.spawn("vault", "rotate-key")
    began = time.monotonic()
    instance.start()
    start_seconds = time.monotonic() - began
    kill_after = rng.uniform(0.05, args.max_kill_delay)
    if rng.random() < args.long_round_chance:
        # Now and then the server lives long enough for a build to finish, so kills also
        # land late in builds and between builds, not only early in the first one.
        kill_after = rng.uniform(args.max_kill_delay, 3 * args.max_kill_delay)
    requests: list[Request] = []
    threads = []
    for _ in range(rng.randint(1, args.max_uploads)):
        name, data = payload(rng, samples, args.max_upload_kib * 1024)
        request = Request("upload", case_id, hashlib.sha256(data).hexdigest())
        requests.append(request)
        seconds = rng.uniform(0, 0.5)  # how long the body takes to send
        threads.append(
            fire(rng.uniform(0, kill_after), upload, instance, request, name, data, seconds)
        )
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        request = Request("dossier", case_id)
        requests.append(request)
        threads.append(fire(rng.uniform(0, kill_after), export, instance, request))
    time.sleep(kill_after)
    instance.kill()
    rotation_cut = False
    if rotation is not None:
        rotation_cut = rotation.poll() is None
        kill_group(rotation)
    for thread in threads:
        thread.join(60)
    for request in requests:
        if request.status is not None and request.status not in (201, 202):
            raise CheckFailed(f"{request.kind} answered {request.status}: {request.answer}")
    with Checker(instance.path / "instance") as checker:
        jobs = checker.jobs()
        report = checker.verify_all()
    uploads_cut = sum(r.in_flight for r in requests if r.kind == "upload")
    dossiers_cut = sum(r.in_flight for r in requests if r.kind == "dossier")
    reading = jobs[("evidence.read", "running")]
    building = jobs[("dossier.build", "running")]
    allowed = (
        uploads_cut * STRAYS_PER_UPLOAD
        + reading * STRAYS_PER_READING
        + building * STRAYS_PER_DOSSIER
    )
    strays = {s["blob_id"] for s in report["strays"]}
    new = strays - totals.strays
    if len(new) > allowed:
        raise CheckFailed(
            f"{len(new)} new stray blob(s) but at most {allowed} could be in flight "
            f"({uploads_cut} upload(s), {reading} reading(s), {building} build(s)): "
            + ", ".join(sorted(new))
        )
    totals.strays |= strays
    totals.uploads += sum(r.kind == "upload" for r in requests)
    totals.uploads_cut += uploads_cut
    totals.dossiers += sum(r.kind == "dossier" for r in requests)
    totals.dossiers_cut += dossiers_cut
    totals.rotations += rotation is not None
    totals.rotations_cut += rotation_cut
    totals.answered.extend(r for r in requests if r.status is not None)
    rotate = ""
    if rotation is not None and not rotation_cut:
        rotate = f", rotate-key exit {rotation.returncode}"
    elif rotation is not None:
        # A rotation records its target before it rewraps anything and forgets it when
        # done: if the record is there, a later rotate-key must resume it.
        midway = (instance.path / "instance" / "keys" / "master" / "rotation.json").exists()
        rotate = ", rotate-key killed" + (" (rotation unfinished)" if midway else "")
    ups = sum(r.kind == "upload" for r in requests)
    dos = sum(r.kind == "dossier" for r in requests)
    return (
        f"round {number}: up in {start_seconds:.1f} s, killed {kill_after:.2f} s later; "
        f"uploads {ups} ({uploads_cut} cut), "
        f"dossiers {dos} ({dossiers_cut} cut){rotate}; running at the kill: {reading} "
        f"reading, {building} build; {len(new)} new stray(s) (at most {allowed}); "
        f"{sum(report['in_use'].values())} blobs in use; verify, custody, sweep ok"
    )


def final_checks(instance: Instance, case_ids: list[str], totals: Totals, timeout: float) -> str:
    """Finish the rotation, let every job end, check every answered request and dossier."""
    instance.caseapp("vault", "rotate-key")  # resumes one killed midway; exit 0 = finished
    keys = instance.path / "instance" / "keys" / "master"
    master_keys = [p.name for p in keys.iterdir() if re.fullmatch(r"[0-9a-f]{8}\.key", p.name)]
    if len(master_keys) != 1 or (keys / "rotation.json").exists():
        raise CheckFailed(f"after a finished rotation the ring holds {master_keys}")
    instance.start()
    try:
        deadline = time.monotonic() + timeout
        with Checker(instance.path / "instance") as checker:
            while True:
                jobs = checker.jobs()
                busy = sum(n for (_, state), n in jobs.items() if state in ("queued", "running"))
                if not busy:
                    break
                if time.monotonic() > deadline:
                    raise CheckFailed(f"jobs still not done after {timeout:g} s: {dict(jobs)}")
                time.sleep(0.5)
        evidence = {
            e["id"]: e for c in case_ids for e in instance.items(f"/api/v1/cases/{c}/evidence")
        }
        dossiers = {
            d["id"]: d for c in case_ids for d in instance.items(f"/api/v1/cases/{c}/dossiers")
        }
        unfinished = [
            e["id"] for e in evidence.values() if e["read_state"] not in ("read", "failed")
        ]
        unfinished += [d["id"] for d in dossiers.values() if d["status"] not in ("ready", "failed")]
        if unfinished:
            raise CheckFailed(f"jobs done but not finished: {unfinished}")
        for request in totals.answered:
            found = evidence if request.kind == "upload" else dossiers
            if request.answer.get("id") not in found:
                raise CheckFailed(f"answered {request.kind} {request.answer.get('id')} is gone")
            if request.kind == "upload" and found[request.answer["id"]]["sha256"] != request.sha256:
                raise CheckFailed(f"evidence {request.answer['id']}: not the bytes sent")
        exported: Counter[str] = Counter()
        for case_id in case_ids:
            for entry in instance.items(f"/api/v1/cases/{case_id}/custody"):
                if entry["action"] == "dossier.exported":
                    exported[entry["subject"].removeprefix("dossier:")] += 1
        ready = [d for d in dossiers.values() if d["status"] == "ready"]
        for dossier in ready:
            if exported[dossier["id"]] != 1:
                raise CheckFailed(f"dossier {dossier['id']} logged {exported[dossier['id']]} times")
            status, pdf, _ = instance.call(
                "GET", f"/api/v1/dossiers/{dossier['id']}/pdf", timeout=120
            )
            if status != 200 or hashlib.sha256(pdf).hexdigest() != dossier["sha256"]:
                raise CheckFailed(
                    f"dossier {dossier['id']}: PDF {status}, not its recorded SHA-256"
                )
        stray_logs = set(exported) - {d["id"] for d in ready}
        if stray_logs:
            raise CheckFailed(f"exported entries for dossiers not ready: {sorted(stray_logs)}")
    finally:
        instance.kill()
    with Checker(instance.path / "instance") as checker:
        checker.verify_all()
    failed = len(dossiers) - len(ready)
    read = sum(e["read_state"] == "read" for e in evidence.values())
    return (
        f"final: rotation finished; {len(evidence)} evidence item(s) ({read} read), "
        f"{len(ready)} dossier(s) ready and logged once, {failed} failed; all downloads intact"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the crash test; 0 when every check passed, 1 otherwise."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument("--keep", type=Path, help="keep the instance in this (new) folder")
    parser.add_argument("--max-upload-kib", type=int, default=4096)
    parser.add_argument("--max-uploads", type=int, default=4, help="per round")
    parser.add_argument("--max-kill-delay", type=float, default=2.0, help="seconds")
    parser.add_argument("--long-round-chance", type=float, default=0.2)
    parser.add_argument("--rotate-chance", type=float, default=0.3)
    parser.add_argument("--rounds-per-case", type=int, default=5, help="dossiers stay small")
    parser.add_argument("--lease", type=float, default=3.0, help="job lease, seconds")
    parser.add_argument("--final-timeout", type=float, default=900.0, help="seconds")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)  # noqa: S311 - reproducible test choices, not secrets
    random.seed(seed)
    if args.keep:
        args.keep.mkdir(parents=True)
        work = args.keep.resolve()
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="caseapp-crash-")
        work = Path(cleanup.name)
    instance = Instance(work, args.lease)
    # A SIGTERM (a CI timeout, `kill`) goes through the `finally` below like Ctrl+C, so
    # no server is left running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    totals = Totals()
    samples = sample_files(args.max_upload_kib * 1024)
    started = time.monotonic()
    print(
        f"crash test: {args.rounds} round(s), seed {seed}, instance {work / 'instance'}", flush=True
    )
    number = 0
    try:
        instance.create()
        case_ids: list[str] = []
        for number in range(1, args.rounds + 1):
            if (number - 1) % args.rounds_per_case == 0:
                instance.start()
                case_ids.append(instance.new_case(number))
                instance.kill()
            began = time.monotonic()
            line = play_round(number, rng, instance, case_ids[-1], args, samples, totals)
            print(f"{line} ({time.monotonic() - began:.1f} s)", flush=True)
        number = 0
        began = time.monotonic()
        line = final_checks(instance, case_ids, totals, args.final_timeout)
        print(f"{line} ({time.monotonic() - began:.1f} s)", flush=True)
    except CheckFailed as exc:
        where = f"round {number}" if number else "final checks"
        print(f"FAILED in {where} (seed {seed}): {exc}", flush=True)
        print(
            f"server log: {instance.log}" if args.keep else "rerun with --keep DIR to look",
            flush=True,
        )
        return 1
    finally:
        instance.kill()
        if cleanup is not None:
            cleanup.cleanup()
    print(
        f"passed: {args.rounds} round(s) in {time.monotonic() - started:.0f} s, seed {seed}: "
        f"{totals.uploads} uploads ({totals.uploads_cut} cut by the kill), {totals.dossiers} "
        f"exports ({totals.dossiers_cut} cut), {totals.rotations} rotate-key runs "
        f"({totals.rotations_cut} killed), {len(totals.strays)} stray blob(s), all accounted for",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
