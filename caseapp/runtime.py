"""The objects one application instance works with, kept on the app.

Built once in `create_app` and stored on ``app.extensions["caseapp"]`` so tests get
their own per app instead of patching module globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from flask import Flask, current_app

from caseapp.access.panels import PanelRegistry
from caseapp.config import Settings
from caseapp.custody.chain import HeadKey
from caseapp.vault import Vault
from caseapp.vault.references import ReferenceRegistry

if TYPE_CHECKING:
    from caseapp.jobs.runner import JobRunner
    from caseapp.throttle import Throttle


@dataclass
class Runtime:
    """Settings plus the long-lived helpers built from them."""

    settings: Settings
    passwords: PasswordHasher
    head_key: HeadKey
    vault: Vault
    # Every capability that keeps blobs in the vault registers them here (create_app).
    blob_references: ReferenceRegistry = field(default_factory=ReferenceRegistry)
    # What capabilities add to a case's pages (shares: comments, reviews), by create_app.
    panels: PanelRegistry = field(default_factory=PanelRegistry)
    jobs: JobRunner = field(init=False)  # set by create_app: it needs the app
    throttle: Throttle = field(init=False)  # set by create_app: it needs the database


class NoRuntime(RuntimeError):
    """The current app was not built by `create_app`, so it carries no runtime."""


def runtime_of(app: Flask) -> Runtime:
    """The runtime `create_app` built for `app`."""
    found = app.extensions.get("caseapp")
    if not isinstance(found, Runtime):
        raise NoRuntime(app.name)
    return found


def runtime() -> Runtime:
    """The runtime of the application handling the current request or command."""
    return runtime_of(current_app)
