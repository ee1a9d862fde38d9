"""QR codes for addresses a person carries from one screen to a phone.

The 2FA enrolment page shows the authenticator's otpauth:// address this way, and the
one-time share page the link it just made. Both are drawn here as SVG data: URIs: the
pages' Content-Security-Policy allows data: images, and nothing leaves the server.
"""

from __future__ import annotations

import segno


def qr_code_data_uri(text: str) -> str:
    """The QR code of `text` as an SVG data: URI, for an <img src>.

    Error correction level M (15 %) survives a smudged or glaring phone screen
    while keeping a 256-bit share link small enough to scan from a printout.
    """
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))
