"""Run the parser dispatcher in a throw-away child process, bounded in time and memory.

pdfium, libheif, libjpeg and zlib are C code reading hostile bytes. A hang, a memory
blow-up or a segfault in them must cost one upload a warning, not a web worker. So every
file is parsed in a fresh child process:

- the child comes from a multiprocessing *fork server* whose only state is the parser
  modules (preloaded once, so a child starts in milliseconds). It is never a copy of the
  web worker: the master key, sessions and database handles are not in its memory;
- in the child, RLIMIT_AS bounds memory, RLIMIT_CPU bounds CPU time, RLIMIT_FSIZE=0 makes
  any attempt to write a file fail (evidence plaintext never touches disk) and RLIMIT_CORE=0
  prevents a crash from dumping plaintext into a core file;
- the parent waits `Limits.seconds` of wall-clock time, or until the caller's `deadline`
  when that comes first, then kills the child;
- the evidence goes to the child, and the result comes back, over pipes. The result comes
  back as JSON plus raw byte strings, never as a pickle: a child subverted by a hostile
  file cannot make the web worker execute anything.

The fork server is a process-wide resource (multiprocessing keeps one per process), so the
context here is module-level too; `set_forkserver_preload` applies to that one server.
It starts lazily on the first call, in whichever process makes it: under gunicorn that is
each worker after it was forked, which is what we want. Do not call `parse_isolated` in a
gunicorn master before it forks workers (with `--preload`, no evidence is parsed at import).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from caseapp.evidence.parsers import PARSER_MODULES, parse
from caseapp.evidence.parsers.base import Child, Limits, ParseResult, Rendition

_KINDS = {"email", "mbox", "chat", "image", "pdf", "text", "other"}
_OUT_OF_MEMORY_EXIT = 3
_REAP_SECONDS = 2.0

_context_lock = threading.Lock()
_context: Any = None


def parse_isolated(
    data: bytes,
    media_type: str,
    kind: str,
    filename: str | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
    depth: int = 0,
    tz: str = "UTC",
    *,
    deadline: float | None = None,
) -> ParseResult:
    """`parsers.parse` in a bounded child process; never raises, never hangs past the bound.

    A timeout, a crash or memory exhaustion returns an empty result of `kind` whose
    warning says what stopped the parsing.

    `deadline` (a `time.monotonic()` value) lets one budget cover a whole upload, the
    files found inside it included: the caller sets it once, to the upload's start plus
    `limits.seconds`, and passes it for every file. The child then gets whatever is left
    of it (never more than `limits.seconds`); when nothing is left, no child is started.
    Either way, running out gives "parsing stopped: took longer than `limits.seconds` s".
    """
    try:
        now = time.monotonic()
        own = now + limits.seconds
        if deadline is None or deadline > own:
            deadline = own
        if deadline <= now:
            return _stopped(kind, f"took longer than {limits.seconds:g} s")
        return _run(data, media_type, kind, filename, limits, depth, tz, deadline)
    except Exception as exc:  # the sandbox itself failing must not fail the upload
        return _stopped(kind, f"the parser could not be started ({type(exc).__name__})")


def _forkserver() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["caseapp.evidence.parsers", *PARSER_MODULES])
            _context = context
        return _context


def _run(
    data: bytes,
    media_type: str,
    kind: str,
    filename: str | None,
    limits: Limits,
    depth: int,
    tz: str,
    deadline: float,
) -> ParseResult:
    context = _forkserver()
    # The child bounds its CPU time by what is left; messages still name the whole budget.
    child_limits = replace(limits, seconds=max(deadline - time.monotonic(), 0.001))
    data_out, data_in = context.Pipe(duplex=False)  # parent -> child: the evidence
    result_out, result_in = context.Pipe(duplex=False)  # child -> parent: the result
    process = context.Process(
        target=_child_main,
        args=(data_out, result_in, media_type, kind, filename, child_limits, depth, tz),
        daemon=True,
    )
    feeder: threading.Thread | None = None
    try:
        process.start()
        data_out.close()
        result_in.close()
        # A separate thread feeds the pipe, so a child that never reads cannot block us
        # past the deadline.
        feeder = threading.Thread(target=_feed, args=(data_in, data), daemon=True)
        feeder.start()
        result = _receive(result_out, deadline, limits)
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            return _stopped(kind, f"took longer than {limits.seconds:g} s")
        process.join(_REAP_SECONDS)
        return _stopped(kind, _exit_reason(process.exitcode, limits))
    finally:
        _reap(process)
        if feeder is None:
            data_in.close()
        for connection in (result_out, data_out, result_in):
            connection.close()


def _feed(connection: Connection, data: bytes) -> None:
    try:
        connection.send_bytes(data)
    except OSError:
        pass  # the child died or was killed before reading; its exit code tells why
    finally:
        connection.close()


def _receive(connection: Connection, deadline: float, limits: Limits) -> ParseResult | None:
    """The child's result, or None when it did not come before the deadline or at all."""
    parts: list[bytes] = []
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not connection.poll(remaining):
                return None
            part = connection.recv_bytes(limits.memory_bytes)
            if not parts:
                header = json.loads(part)
                expected = 1 + len(header.get("children", [])) + len(header.get("renditions", []))
            parts.append(part)
            if len(parts) == expected:
                return _decode(header, parts[1:])
    except (EOFError, OSError, ValueError, TypeError, AttributeError):
        return None


def _reap(process: Any) -> None:
    if process.pid is None:
        return
    if process.exitcode is None:
        process.join(0.2)
    if process.exitcode is None:
        process.kill()
        process.join(_REAP_SECONDS)
    process.close()


def _exit_reason(exitcode: int | None, limits: Limits) -> str:
    if exitcode == _OUT_OF_MEMORY_EXIT:
        return f"ran out of memory (limit {limits.memory_bytes // (1024 * 1024)} MiB)"
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"took longer than {limits.seconds:g} s"
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        return f"the parser crashed ({name})"
    return "the parser crashed"


def _stopped(kind: str, reason: str) -> ParseResult:
    return ParseResult(kind=kind, warnings=[f"parsing stopped: {reason}"])


# ---- in the child -----------------------------------------------------------------------


def _child_main(
    data_out: Connection,
    result_in: Connection,
    media_type: str,
    kind: str,
    filename: str | None,
    limits: Limits,
    depth: int,
    tz: str,
) -> None:
    """Entry point of the child: limit itself, read the evidence, parse, send the result."""
    try:
        _limit_self(limits)
        data = data_out.recv_bytes()
        data_out.close()
        result = parse(data, media_type, kind, filename, limits, depth, tz)
        del data
        _send(result_in, result)
    except MemoryError:
        os._exit(_OUT_OF_MEMORY_EXIT)
    finally:
        result_in.close()


def _limit_self(limits: Limits) -> None:
    cpu = max(1, math.ceil(limits.seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _send(connection: Connection, result: ParseResult) -> None:
    header = {
        "kind": result.kind,
        "parsed": result.parsed,
        "text": result.text,
        "html": result.html,
        "transcript": result.transcript,
        "warnings": result.warnings,
        "children": [
            {"name": c.name, "media_type": c.media_type, "description": c.description}
            for c in result.children
        ],
        "renditions": [
            {"role": r.role, "media_type": r.media_type, "width": r.width, "height": r.height}
            for r in result.renditions
        ],
    }
    connection.send_bytes(json.dumps(header, ensure_ascii=False, default=str).encode("utf-8"))
    for child in result.children:
        connection.send_bytes(child.data)
    for rendition in result.renditions:
        connection.send_bytes(rendition.data)


# ---- back in the parent -----------------------------------------------------------------


def _decode(header: dict[str, Any], blobs: list[bytes]) -> ParseResult:
    """Rebuild the result from the child's JSON, trusting its shape no more than its bytes."""
    children_meta = header.get("children") or []
    renditions_meta = header.get("renditions") or []
    children = [
        Child(
            name=str(meta.get("name") or "attachment"),
            data=blob,
            media_type=_optional_str(meta.get("media_type")),
            description=_optional_str(meta.get("description")),
        )
        for meta, blob in zip(children_meta, blobs, strict=False)
    ]
    renditions = [
        Rendition(
            role=str(meta.get("role")),
            media_type=str(meta.get("media_type")),
            data=blob,
            width=int(meta.get("width") or 0),
            height=int(meta.get("height") or 0),
        )
        for meta, blob in zip(renditions_meta, blobs[len(children_meta) :], strict=False)
    ]
    kind = header.get("kind")
    parsed = header.get("parsed")
    transcript = header.get("transcript")
    return ParseResult(
        kind=kind if kind in _KINDS else "other",
        parsed=parsed if isinstance(parsed, dict) else {},
        text=_optional_str(header.get("text")),
        html=_optional_str(header.get("html")),
        transcript=transcript if isinstance(transcript, list) else None,
        warnings=[str(w) for w in header.get("warnings") or []],
        children=children,
        renditions=renditions,
    )


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
