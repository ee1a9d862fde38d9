"""How the app stores the random secrets it hands out: login sessions, API tokens, link
and invitation tokens, recovery codes.

Each carries enough random bits (256 for tokens and sessions, about 79 for a recovery
code, whose guessing the throttle bounds) that a plain SHA-256 makes a leaked table
useless, without the cost of a password KDF on every request.
"""

from __future__ import annotations

import hashlib


def secret_digest(secret: str) -> str:
    """The SHA-256 (hex) under which `secret` is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
