"""The objects one application instance works with, kept on the app.

Built once in `create_app` and stored on ``app.extensions["caseapp"]`` so tests get
their own per app instead of patching module globals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from flask import current_app

from caseapp.config import Settings
from caseapp.custody.chain import HeadKey


@dataclass
class Runtime:
    """Settings plus the long-lived helpers built from them."""

    settings: Settings
    passwords: PasswordHasher
    head_key: HeadKey
    vault: Any = None
    exporter: Any = None


def runtime() -> Runtime:
    """The runtime of the application handling the current request or command."""
    return current_app.extensions["caseapp"]  # type: ignore[no-any-return]
