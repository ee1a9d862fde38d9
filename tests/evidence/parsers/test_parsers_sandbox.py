"""The sandbox: parsing in a bounded child process, through the real fork server."""

from __future__ import annotations

import struct
import threading
import time
import zlib

from caseapp.evidence.parsers import parse
from caseapp.evidence.parsers.base import Limits
from caseapp.evidence.parsers.sandbox import parse_isolated

MiB = 1024 * 1024


def test_normal_file_comes_back_intact(samples):
    data = (samples / "images" / "iphone_hdr_YES.jpg").read_bytes()

    isolated = parse_isolated(data, "image/jpeg", "image", "photo.jpg")

    direct = parse(data, "image/jpeg", "image", "photo.jpg")
    assert isolated.parsed == direct.parsed
    assert isolated.text == direct.text
    assert isolated.warnings == direct.warnings == []
    assert [(r.role, r.media_type, r.width, r.height, r.data) for r in isolated.renditions] == [
        (r.role, r.media_type, r.width, r.height, r.data) for r in direct.renditions
    ]


def test_children_and_chinese_text_cross_the_pipe(samples):
    data = (samples / "pdf" / "attachment.pdf").read_bytes()
    multilang = (samples / "pdf" / "multilang.pdf").read_bytes()

    with_child = parse_isolated(data, "application/pdf", "pdf")
    chinese = parse_isolated(multilang, "application/pdf", "pdf")

    (child,) = with_child.children
    assert child.name == "jpeg.pdf"
    assert child.data == parse(data, "application/pdf", "pdf").children[0].data
    assert "你好世界" in chinese.text


def test_chat_transcript_crosses_the_pipe(samples):
    data = (samples / "chat" / "telegram" / "langchain_result.json").read_bytes()

    result = parse_isolated(data, "application/json", "chat", tz="Asia/Shanghai")

    assert result.kind == "chat"
    assert result.transcript[1] == {
        "at": "2023-08-24T04:13:20+08:00", "sender": "Batman & Robin",
        "text": "Hi nemesis", "media": None,
    }


def test_parser_running_too_long_is_stopped_within_the_bound():
    # About two seconds of parsing; the bound is half a second.
    export = "".join(
        f"01/01/20, 10:{i % 60:02d} - Person {i % 7}: message {i}\n" for i in range(100_000)
    ).encode()
    limits = Limits(seconds=0.5)

    started = time.monotonic()
    result = parse_isolated(export, "text/plain", "chat", limits=limits)
    elapsed = time.monotonic() - started

    assert result.kind == "chat"
    assert result.warnings == ["parsing stopped: took longer than 0.5 s"]
    assert result.transcript is None
    assert elapsed < 2.5


def test_upload_deadline_nearly_spent_stops_the_parser_with_the_usual_warning():
    # One budget per upload: a file read late gets only what is left of it.
    export = "".join(
        f"01/01/20, 10:{i % 60:02d} - Person {i % 7}: message {i}\n" for i in range(100_000)
    ).encode()

    started = time.monotonic()
    result = parse_isolated(export, "text/plain", "chat", deadline=started + 0.3)
    elapsed = time.monotonic() - started

    assert result.warnings == ["parsing stopped: took longer than 30 s"]
    assert result.transcript is None
    assert elapsed < 2.5


def test_spent_upload_deadline_starts_no_parser():
    started = time.monotonic()
    result = parse_isolated(b"hello", "text/plain", "text", deadline=started - 1)

    assert result.kind == "text"
    assert result.warnings == ["parsing stopped: took longer than 30 s"]
    assert time.monotonic() - started < 0.1


def test_deadline_later_than_the_file_bound_does_not_extend_it():
    export = "".join(
        f"01/01/20, 10:{i % 60:02d} - Person {i % 7}: message {i}\n" for i in range(100_000)
    ).encode()

    started = time.monotonic()
    result = parse_isolated(
        export, "text/plain", "chat", limits=Limits(seconds=0.5), deadline=started + 3600
    )

    assert result.warnings == ["parsing stopped: took longer than 0.5 s"]
    assert time.monotonic() - started < 2.5


def test_file_read_within_the_upload_deadline_is_read_whole(samples):
    data = (samples / "chat" / "other" / "signal_test_export.txt").read_bytes()

    result = parse_isolated(data, "text/plain", "chat", deadline=time.monotonic() + 20)

    assert result.warnings == parse(data, "text/plain", "chat").warnings
    assert result.parsed["participants"] == ["Jane Doe", "John Doe"]


def test_memory_bomb_returns_a_warning():
    # 6000 x 6000 RGB is 108 MB of pixels from a ~100 KB file; the child may use 200 MB,
    # of which the preloaded parsers take most.
    bomb = _blank_png(6_000, 6_000)
    limits = Limits(memory_bytes=200 * MiB)

    result = parse_isolated(bomb, "image/png", "image", limits=limits)

    assert result.kind == "image"
    (warning,) = result.warnings
    assert "memory" in warning, warning


def test_sandbox_serves_concurrent_request_threads(samples):
    data = (samples / "chat" / "other" / "signal_test_export.txt").read_bytes()
    results = []

    def upload() -> None:
        results.append(parse_isolated(data, "text/plain", "chat"))

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.parsed["participants"] for r in results] == [["Jane Doe", "John Doe"]] * 4


def _blank_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = bytes(1 + 3 * width)  # filter byte + black pixels
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(
        b"IEND", b""
    )
