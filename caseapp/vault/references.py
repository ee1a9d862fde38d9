"""Which blobs are in use, whoever stored them.

The vault serves every capability but knows none of them: dependencies point toward the
vault, never out of it. So each capability that keeps blobs registers a *reference
kind* — a name and a function that lists the blobs its rows point at — in the
application's `ReferenceRegistry` (``app.extensions["caseapp"].blob_references``, filled
in `create_app`). `caseapp vault sweep` removes only blobs no kind lists, and
`caseapp vault verify` checks every blob each kind lists against what its row recorded.

A capability adds a kind like this (see `caseapp/evidence/blobs.py`)::

    def register(registry: ReferenceRegistry) -> None:
        registry.register("dossier PDF", _dossier_pdfs)

    def _dossier_pdfs(session: DbSession) -> Iterator[BlobReference]:
        for row in session.execute(select(Dossier.id, Dossier.pdf_blob_id, ...)):
            yield BlobReference(row.pdf_blob_id, f"PDF of dossier {row.id}", ...)

A kind that forgets a blob gets it swept an hour after it is written: every column
that holds a blob id must be listed by some kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from caseapp.database import DbSession


@dataclass(frozen=True)
class BlobReference:
    """One blob a row points at, with what its row recorded about the plaintext.

    `sha256` and `size` are of the plaintext (as `Vault.verify` recomputes them); None
    when the row does not record one, and then it is not checked. `description` tells an
    operator which row this is ("evidence X (case Y, #3 receipt.pdf)"): ids and display
    names only, never content.
    """

    blob_id: str
    description: str
    sha256: str | None = None
    size: int | None = None


ListReferences = Callable[[DbSession], Iterable[BlobReference]]


@dataclass(frozen=True)
class ReferenceKind:
    """A named kind of blob reference and the function that lists them from the database."""

    name: str
    list_references: ListReferences


class KindAlreadyRegistered(ValueError):
    """Another function is already registered under this reference kind's name."""


class ReferenceRegistry:
    """The reference kinds of one application, in the order they were registered."""

    def __init__(self) -> None:
        self._kinds: dict[str, ReferenceKind] = {}

    def register(self, name: str, list_references: ListReferences) -> ReferenceKind:
        """Add a kind; registering the same name with the same function again changes nothing.

        Registration is idempotent so that a capability's `register` may run more than
        once for one registry. The same name with a *different* function raises
        KindAlreadyRegistered: two capabilities claiming one name is a bug, and
        silently keeping either would leave the other's blobs unprotected.
        """
        existing = self._kinds.get(name)
        if existing is not None:
            if existing.list_references != list_references:
                raise KindAlreadyRegistered(name)
            return existing
        kind = ReferenceKind(name, list_references)
        self._kinds[name] = kind
        return kind

    @property
    def kinds(self) -> tuple[ReferenceKind, ...]:
        """Every registered kind, in registration order."""
        return tuple(self._kinds.values())

    def referenced(self, session: DbSession) -> dict[str, tuple[ReferenceKind, BlobReference]]:
        """Every blob id some row points at, with the kind and reference that name it."""
        found: dict[str, tuple[ReferenceKind, BlobReference]] = {}
        for kind in self._kinds.values():
            for reference in kind.list_references(session):
                found.setdefault(reference.blob_id, (kind, reference))
        return found
