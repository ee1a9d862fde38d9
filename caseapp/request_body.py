"""How much of a request body the app reads: `max_body_bytes`, or an upload's own limit.

Flask's MAX_CONTENT_LENGTH (set from `max_body_bytes`) is enforced by Werkzeug where the
body is first read: a larger Content-Length is refused at once, and a chunked body (no
Content-Length; the server sets ``wsgi.input_terminated``) is wrapped in a stream that
stops at the limit. Evidence uploads stream into the vault instead of being buffered,
so they take `upload_stream()` with their own, larger bound.
"""

from __future__ import annotations

from typing import IO, cast

from flask import Request, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


class BoundedBody(LimitedStream):
    """A body stream that refuses, rather than cuts, a body longer than its limit.

    Werkzeug's LimitedStream raises 413 when a read is attempted past the limit, but its
    `readall` (what `get_data`, `get_json` and the url-encoded form parser call) stops at
    the limit and returns what it has: a chunked body one byte too long would be parsed
    cut short, not refused. Here `readall` looks one byte past the limit.
    """

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._source.read(1):
            raise RequestEntityTooLarge()
        return data


class BoundedRequest(Request):
    """Flask's request, whose body stream refuses a chunked body over the limit."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, read at most up to `max_content_length` (413 past it)."""
        limit = self.max_content_length
        if limit is None or "wsgi.input_terminated" not in self.environ:
            # No limit, or a server that does not terminate the stream: Werkzeug reads
            # exactly Content-Length bytes, or nothing at all without one.
            return get_input_stream(self.environ, max_content_length=limit)
        if self.content_length is not None and self.content_length > limit:
            raise RequestEntityTooLarge()
        return cast(IO[bytes], BoundedBody(self.environ["wsgi.input"], limit))


def upload_stream() -> IO[bytes]:
    """The body of an evidence upload, to stream into the vault with `receive_upload`.

    Every other route reads at most `max_body_bytes`: its body is buffered whole for JSON
    or form parsing. An upload is never buffered, so it gets its own bound instead:
    `max_upload_bytes` plus room for the form, the same total `receive_upload` counts as it
    reads. Werkzeug applies the limit when the stream is first taken, so call this before
    anything reads the body; a Content-Length over the limit is UploadTooLarge at once,
    like every other refusal of an upload.
    """
    from caseapp.evidence.upload import UploadTooLarge, request_limit
    from caseapp.runtime import runtime

    max_bytes = runtime().settings.max_upload_bytes
    request.max_content_length = request_limit(max_bytes)
    try:
        return request.stream
    except RequestEntityTooLarge as exc:
        raise UploadTooLarge(f"uploads are limited to {max_bytes} bytes") from exc
