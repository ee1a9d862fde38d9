"""The vault: every blob the app keeps (evidence, what was read out of it, dossiers),
hashed and encrypted in the format of docs/vault-format.md, in a blob store.

The vault serves every capability and imports none of them. Each capability that stores
blobs registers a reference kind — how to list the blobs its rows point at — in the app's
`ReferenceRegistry` (``app.extensions["caseapp"].blob_references.register(name, lister)``,
see `caseapp.vault.references`), so `caseapp vault sweep` and `vault verify` know every
blob in use, whoever wrote it.
"""

from caseapp.vault.format import BlobCorrupt, BlobInfo, BlobTooLarge, WriterClosed
from caseapp.vault.stores.base import BlobNotFound, BlobStore
from caseapp.vault.vault import BlobExists, BlobReader, BlobWriter, Vault

__all__ = [
    "BlobCorrupt",
    "BlobExists",
    "BlobInfo",
    "BlobNotFound",
    "BlobReader",
    "BlobStore",
    "BlobTooLarge",
    "BlobWriter",
    "Vault",
    "WriterClosed",
]
