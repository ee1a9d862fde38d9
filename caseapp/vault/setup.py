"""Building the vault an application instance uses, from its settings."""

from __future__ import annotations

from pathlib import Path

from caseapp.config import Settings
from caseapp.vault.keys import KeyRing
from caseapp.vault.stores.local import LocalStore
from caseapp.vault.vault import Vault

# Master keys live in their own folder so no other key file can be mistaken for one.
MASTER_KEYS_DIR = "master"


def master_keys_path(keys_path: Path) -> Path:
    """Where the vault's master key ring lives inside the instance's key folder."""
    return keys_path / MASTER_KEYS_DIR


def create_key_ring(keys_path: Path) -> bool:
    """Create the master key ring unless it exists; True when a key was made."""
    existed = any(master_keys_path(keys_path).glob("*.key"))
    KeyRing.create(master_keys_path(keys_path))
    return not existed


def build_vault(settings: Settings) -> Vault:
    """The vault over the instance's key ring and its local blob store."""
    return Vault(
        LocalStore(settings.vault_path), KeyRing.load(master_keys_path(settings.keys_path))
    )
