"""Checking every blob in use against what its row recorded (`caseapp vault verify`).

Each registered reference kind lists its blobs; each blob is decrypted whole (every
segment's tag checked) and its plaintext SHA-256 and size compared with the row's.
Blobs no kind lists are not checked here: they are `caseapp vault sweep`'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from caseapp.database import DbSession
from caseapp.vault.references import BlobReference, ReferenceRegistry
from caseapp.vault.stores.base import BlobNotFound
from caseapp.vault.vault import BlobCorrupt, Vault


@dataclass(frozen=True)
class Failure:
    """One blob that is missing, not intact, or not what its row recorded."""

    kind: str
    reference: BlobReference
    problem: str


@dataclass
class KindTally:
    """How many blobs of one kind were checked, and how many failed."""

    name: str
    checked: int = 0
    failed: int = 0


@dataclass
class VerifyReport:
    """The outcome of `verify_references`: a tally per kind and every failure."""

    tallies: list[KindTally] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def checked(self) -> int:
        """Blobs checked, over every kind."""
        return sum(tally.checked for tally in self.tallies)

    @property
    def failed(self) -> int:
        """Blobs that failed, over every kind."""
        return sum(tally.failed for tally in self.tallies)


def check_blob(vault: Vault, reference: BlobReference) -> str | None:
    """What is wrong with a referenced blob, in words, or None when it is intact and as recorded."""
    try:
        info = vault.verify(reference.blob_id)
    except BlobNotFound:
        return "blob missing from the store"
    except BlobCorrupt:
        return "not intact (altered, truncated or swapped)"
    if reference.sha256 is not None and info.sha256 != reference.sha256:
        return f"SHA-256 {info.sha256} differs from the recorded {reference.sha256}"
    if reference.size is not None and info.size != reference.size:
        return f"size {info.size} differs from the recorded {reference.size}"
    return None


def verify_references(
    session: DbSession,
    vault: Vault,
    registry: ReferenceRegistry,
    on_failure: Callable[[Failure], None] | None = None,
) -> VerifyReport:
    """Check every blob every registered kind lists; `on_failure` hears of each failure
    as it is found (a full check of a large vault takes a while)."""
    report = VerifyReport()
    for kind in registry.kinds:
        tally = KindTally(kind.name)
        report.tallies.append(tally)
        # Read the rows first: decrypting can take minutes, and an open cursor would hold
        # a read transaction (and, on SQLite, the WAL checkpoint) for all that time.
        for reference in list(kind.list_references(session)):
            tally.checked += 1
            problem = check_blob(vault, reference)
            if problem is None:
                continue
            tally.failed += 1
            failure = Failure(kind.name, reference, problem)
            report.failures.append(failure)
            if on_failure is not None:
                on_failure(failure)
    return report
