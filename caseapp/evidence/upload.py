"""Reading a multipart upload straight into the vault.

Werkzeug's form parser would spool every file over 500 KB to a temporary file: plaintext
evidence on disk. Instead the request body is decoded here as it arrives (Werkzeug's
sans-IO multipart decoder) and each file part is hashed and encrypted segment by segment
into a vault blob. Memory stays flat whatever the size, and nothing but ciphertext is
ever written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from caseapp.database import new_id
from caseapp.evidence.sniff import HEAD_BYTES
from caseapp.vault import BlobInfo, BlobWriter, Vault

READ_CHUNK = 256 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 64
# Room for multipart boundaries and the small text fields around the files.
FORM_OVERHEAD = 1024 * 1024


def request_limit(max_bytes: int) -> int:
    """The most one upload request may carry in all: the per-file limit plus the form."""
    return max_bytes + FORM_OVERHEAD


class UploadError(Exception):
    """Base of the reasons an upload is refused; `status` is the HTTP answer."""

    status = 400
    code = "bad_request"


class NotMultipart(UploadError):
    """The request is not multipart/form-data."""

    status = 415
    code = "unsupported_media_type"


class MalformedUpload(UploadError):
    """The multipart body is broken or cut short."""


class UnsupportedField(UploadError):
    """The form has a field this upload does not take."""


class UploadTooLarge(UploadError):
    """A file, or the whole request, is larger than the instance accepts."""

    status = 413
    code = "too_large"


class EmptyFile(UploadError):
    """A file part has no bytes."""

    status = 422
    code = "invalid_fields"


class NoFile(UploadError):
    """No file part was sent."""

    status = 422
    code = "invalid_fields"


class CsrfRequired(UploadError):
    """A browser upload without a valid CSRF token before its first file."""

    code = "csrf"


@dataclass
class ReceivedFile:
    """One uploaded file, already encrypted in the vault."""

    blob: BlobInfo
    filename: str
    declared_type: str | None
    head: bytes  # the first bytes, kept to tell the media type


@dataclass
class ReceivedUpload:
    """Every file and text field of one upload request."""

    files: list[ReceivedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def receive_upload(
    stream: IO[bytes],
    content_type: str | None,
    content_length: int | None,
    vault: Vault,
    *,
    max_bytes: int,
    text_fields: frozenset[str],
    file_field: str = "file",
    csrf_check: Callable[[str], bool] | None = None,
) -> ReceivedUpload:
    """Decode a multipart body, putting each `file_field` part into the vault.

    With `csrf_check`, a ``csrf_token`` field that passes it must come before the first
    file, so nothing is stored for a forged request. Each file is bounded by `max_bytes`
    and the whole body by `request_limit(max_bytes)`, counted as it is read: a chunked
    body has no Content-Length to check up front. On any failure every blob this request
    wrote is deleted again.
    """
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary:
        raise NotMultipart("send the file as multipart/form-data")
    if content_length is not None and content_length > request_limit(max_bytes):
        raise UploadTooLarge(f"uploads are limited to {max_bytes} bytes")
    reader = _UploadReader(vault, max_bytes, text_fields, file_field, csrf_check)
    try:
        # Field sizes are bounded in _UploadReader; the decoder's own limit would cap file chunks.
        reader.run(stream, MultipartDecoder(boundary.encode("latin-1"), None, max_parts=MAX_PARTS))
    except BaseException:
        reader.discard()
        raise
    if not reader.upload.files:
        raise NoFile(f"no file was sent in the '{file_field}' field")
    return reader.upload


class _UploadReader:
    """State of one upload being decoded: the open blob writer, the text field being read."""

    def __init__(
        self,
        vault: Vault,
        max_bytes: int,
        text_fields: frozenset[str],
        file_field: str,
        csrf_check: Callable[[str], bool] | None,
    ) -> None:
        self.vault = vault
        self.max_bytes = max_bytes
        self.text_fields = text_fields
        self.file_field = file_field
        self.csrf_check = csrf_check
        self.csrf_ok = csrf_check is None
        self.upload = ReceivedUpload()
        self.writer: BlobWriter | None = None
        self.file_meta: tuple[str, str | None] = ("", None)
        self.head = bytearray()
        self.size = 0
        self.field_name: str | None = None
        self.field_value = bytearray()
        self.received = 0  # bytes of the body read so far, boundaries and fields included

    def run(self, stream: IO[bytes], decoder: MultipartDecoder) -> None:
        finished = False
        while not finished:
            chunk = self._read(stream)
            decoder.receive_data(chunk or None)
            finished = self._drain(decoder)
            if not chunk and not finished:
                raise MalformedUpload("the upload ended before its closing boundary")

    def _read(self, stream: IO[bytes]) -> bytes:
        # Counted here rather than trusted to a header: a chunked body declares no length,
        # and each file's own limit alone would let many files add up past any bound.
        try:
            chunk = stream.read(READ_CHUNK)
        except RequestEntityTooLarge as exc:
            # Werkzeug guarding the same bound (request.max_content_length) got there first.
            raise UploadTooLarge(f"uploads are limited to {self.max_bytes} bytes") from exc
        self.received += len(chunk)
        if self.received > request_limit(self.max_bytes):
            raise UploadTooLarge(f"uploads are limited to {self.max_bytes} bytes")
        return chunk

    def _drain(self, decoder: MultipartDecoder) -> bool:
        while True:
            try:
                event = decoder.next_event()
            except ValueError as exc:
                raise MalformedUpload(f"malformed multipart body: {exc}") from exc
            except RequestEntityTooLarge as exc:
                raise MalformedUpload(f"more than {MAX_PARTS} parts in one upload") from exc
            if isinstance(event, NeedData):
                return False
            if isinstance(event, Epilogue):
                return True
            if isinstance(event, File):
                self._start_file(event)
            elif isinstance(event, Field):
                self._start_field(event)
            elif isinstance(event, Data):
                self._data(event)

    def _start_file(self, event: File) -> None:
        if event.name != self.file_field:
            raise UnsupportedField(f"unsupported file field '{event.name}'")
        if not self.csrf_ok:
            raise CsrfRequired("missing or invalid CSRF token")
        blob_id = new_id()
        self.writer = self.vault.writer(blob_id)
        self.file_meta = (event.filename or "", event.headers.get("content-type"))
        self.head = bytearray()
        self.size = 0

    def _start_field(self, event: Field) -> None:
        if event.name != "csrf_token" and event.name not in self.text_fields:
            raise UnsupportedField(f"unsupported field '{event.name}'")
        self.field_name = event.name
        self.field_value = bytearray()

    def _data(self, event: Data) -> None:
        if self.writer is not None:
            self.size += len(event.data)
            if self.size > self.max_bytes:
                raise UploadTooLarge(f"files are limited to {self.max_bytes} bytes")
            if len(self.head) < HEAD_BYTES:
                self.head += event.data[: HEAD_BYTES - len(self.head)]
            self.writer.write(event.data)
            if not event.more_data:
                self._finish_file()
            return
        self.field_value += event.data
        if len(self.field_value) > MAX_FIELD_BYTES:
            raise UploadTooLarge(f"field '{self.field_name}' is too long")
        if not event.more_data and self.field_name is not None:
            self._finish_field()

    def _finish_file(self) -> None:
        assert self.writer is not None
        writer, self.writer = self.writer, None
        if self.size == 0:
            writer.abort()
            raise EmptyFile("the file is empty")
        info = writer.close()
        filename, declared = self.file_meta
        self.upload.files.append(ReceivedFile(info, filename, declared, bytes(self.head)))

    def _finish_field(self) -> None:
        name, self.field_name = self.field_name, None
        try:
            value = self.field_value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedUpload(f"field '{name}' is not UTF-8") from exc
        if name == "csrf_token":
            self.csrf_ok = self.csrf_check is None or self.csrf_check(value)
            return
        assert name is not None
        self.upload.fields[name] = value

    def discard(self) -> None:
        """Undo everything this request stored: it will have no database row."""
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
        for received in self.upload.files:
            self.vault.delete(received.blob.blob_id)
