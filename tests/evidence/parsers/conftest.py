"""Fixtures shared by the parser tests."""

from pathlib import Path

import pytest


@pytest.fixture
def samples() -> Path:
    """The shared sample corpus, checked out beside the repository."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "samples"
