"""Finding and removing what no row needs (`caseapp vault sweep`), and stale temp files.

A *stray* blob is one in the store that no registered reference kind lists: what a crash
between a blob's commit and its row's commit leaves behind, or what a deleted row used.
Two things that look stray are not:

- A blob still being written. Writers write to the store's temp area (`tmp/*.part` in
  the local store), which `list()` never shows, so an upload in progress, however long,
  is invisible here until it is complete.
- A blob committed moments ago whose row is not committed yet. Writers commit the blob
  first and the row after it (so a crash never leaves a row without its blob); in that
  gap the blob is referenced by nothing. Blobs younger than `SWEEP_GRACE_SECONDS` are
  therefore kept. The gap is short — the longest is a dossier's PDF, which waits for its
  bundle to be written — so an hour is ample; it need not cover an upload's duration.

Temp files are removed only once older than `STALE_TEMP_SECONDS`, longer than any upload
can take: a temp file that old belongs to a writer that crashed or was killed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from caseapp.database import DbSession
from caseapp.vault.references import BlobReference, ReferenceRegistry
from caseapp.vault.stores.base import BlobNotFound
from caseapp.vault.vault import Vault

# A committed blob younger than this may be waiting for its row to commit (seconds after
# the blob, minutes for a dossier PDF while its bundle is written), so it is never swept.
SWEEP_GRACE_SECONDS = 3600
# A temp file is a blob being written. One untouched for this long cannot be an upload
# in progress (the largest upload allowed, over a slow link, takes far less), so its
# writer is gone and the file is only taking space.
STALE_TEMP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class StrayBlob:
    """A blob no row points at, and what the sweep did with it."""

    blob_id: str
    age_seconds: float
    action: str  # "kept" (younger than the grace), "removed", "would be removed"


@dataclass(frozen=True)
class MissingBlob:
    """A blob a row points at that the store does not have."""

    kind: str
    reference: BlobReference


@dataclass
class SweepReport:
    """The outcome of one `sweep`."""

    dry_run: bool
    in_use: dict[str, int] = field(default_factory=dict)  # kind name -> blobs it references
    strays: list[StrayBlob] = field(default_factory=list)
    missing: list[MissingBlob] = field(default_factory=list)
    stale_temp: int = 0  # temp files removed (or, in a dry run, that would be)

    @property
    def removed(self) -> int:
        """Stray blobs actually removed."""
        return sum(1 for stray in self.strays if stray.action == "removed")


def sweep(
    session: DbSession,
    vault: Vault,
    registry: ReferenceRegistry,
    *,
    dry_run: bool = False,
    grace_seconds: float = SWEEP_GRACE_SECONDS,
    stale_temp_seconds: float = STALE_TEMP_SECONDS,
    clock: Callable[[], float] = time.time,
) -> SweepReport:
    """Remove stray blobs older than the grace and stale temp files; list rows whose blob
    is gone. With `dry_run`, nothing is removed and the report says what would be."""
    report = SweepReport(dry_run=dry_run)
    # References are read before the store is listed: a blob committed after this point
    # is young, so the grace keeps it even though its row was not seen.
    referenced = registry.referenced(session)
    for kind in registry.kinds:
        report.in_use[kind.name] = 0
    for kind, _ in referenced.values():
        report.in_use[kind.name] += 1
    stored = set(vault.store.list())
    now = clock()
    for blob_id in sorted(stored - referenced.keys()):
        try:
            age = now - vault.store.modified_at(blob_id)
        except BlobNotFound:
            continue  # removed meanwhile (an aborted upload cleaning up after itself)
        if age < grace_seconds:
            action = "kept"
        elif dry_run:
            action = "would be removed"
        else:
            vault.delete(blob_id)
            action = "removed"
        report.strays.append(StrayBlob(blob_id, age, action))
    for blob_id in sorted(referenced.keys() - stored):
        kind, reference = referenced[blob_id]
        report.missing.append(MissingBlob(kind.name, reference))
    report.stale_temp = remove_stale_temp(vault, stale_temp_seconds, dry_run=dry_run)
    return report


def remove_stale_temp(
    vault: Vault, older_than_seconds: float = STALE_TEMP_SECONDS, *, dry_run: bool = False
) -> int:
    """Remove the temp files of writers that died (older than `older_than_seconds`);
    returns how many were removed, or with `dry_run` how many would be.

    Safe while the app serves: a live writer writes to its temp file at least every few
    MiB it receives, so its file's age is minutes at worst, never the default day.
    """
    return vault.store.remove_stale_temp(older_than_seconds, dry_run=dry_run)
