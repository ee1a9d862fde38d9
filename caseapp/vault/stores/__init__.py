"""Blob stores: where the vault's ciphertext lives (a local folder by default)."""
