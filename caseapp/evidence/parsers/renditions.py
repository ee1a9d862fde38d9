"""Check the pictures the parser sandbox returns before the web process stores them.

Thumbnails and page previews are made in the child from hostile bytes. A subverted
child could label anything as a picture: an SVG or HTML file stored as a "thumbnail"
and later served inline would run script in the evidence viewer's origin. So the web
process accepts only the kinds the parsers actually make (PNG and JPEG, see image.py and
pdf.py), under the roles they use, and only when the bytes start as that kind does.
"""

from __future__ import annotations

import re

from caseapp.evidence.parsers.base import Rendition

# What image.py and pdf.py write, by the magic number that opens each.
_SIGNATURES = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
_ROLE = re.compile(r"(?:thumbnail|page-[1-9][0-9]{0,3})\Z")


def check_rendition(rendition: Rendition) -> str | None:
    """Why `rendition` must not be stored, or None when it may be.

    It may when its role is "thumbnail" or "page-N", its media type is image/png or
    image/jpeg, and its bytes carry that type's signature. The reason is short text for
    a warning, e.g. "media type image/svg+xml is not allowed".
    """
    if not isinstance(rendition.role, str) or not _ROLE.match(rendition.role):
        return f"unexpected role {str(rendition.role)[:40]!r}"
    signature = _SIGNATURES.get(rendition.media_type)
    if signature is None:
        return f"media type {str(rendition.media_type)[:60]} is not allowed"
    if not isinstance(rendition.data, bytes) or not rendition.data.startswith(signature):
        return f"its bytes are not {rendition.media_type.removeprefix('image/').upper()}"
    return None
