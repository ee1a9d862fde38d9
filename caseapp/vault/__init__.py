"""The vault: every blob the app keeps (evidence, what was read out of it, dossiers),
hashed and encrypted in the format of docs/vault-format.md, in a blob store.

The vault serves every capability. Each capability that stores blobs registers how to
list the blob ids it references (`references.register`), so `caseapp vault sweep` and
`vault verify` know every blob in use, whoever wrote it.
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
