"""`caseapp vault verify | rotate-key | sweep`."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from caseapp.evidence.models import Derivative, Evidence
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.vault.stores.base import BlobNotFound
from caseapp.vault.vault import BlobCorrupt, Vault, rotate_master_key

# A blob younger than this may belong to an upload whose row is not committed yet.
SWEEP_GRACE_SECONDS = 3600


@click.group("vault")
def vault_group() -> None:
    """Check and maintain the evidence vault."""


@vault_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """Decrypt every blob and recompute its SHA-256. Exit 1 if any fails."""
    vault = runtime().vault
    failures = checked = 0
    for item in db.session.scalars(select(Evidence).order_by(Evidence.case_id, Evidence.number)):
        checked += 1
        problem = _check(vault, item.blob_id, item.sha256, item.size)
        if problem:
            failures += 1
            where = f"case {item.case_id}, #{item.number} {item.name}"
            click.echo(f"FAILED  evidence {item.id} ({where}): {problem}")
    for derivative in db.session.scalars(select(Derivative)):
        checked += 1
        problem = _check(vault, derivative.blob_id, None, derivative.size)
        if problem:
            failures += 1
            click.echo(f"FAILED  {derivative.role} of evidence {derivative.evidence_id}: {problem}")
    click.echo(f"{checked} blob(s) checked, {failures} failed")
    if failures:
        sys.exit(1)


def _check(vault: Vault, blob_id: str, sha256: str | None, size: int) -> str | None:
    try:
        info = vault.verify(blob_id)
    except BlobNotFound:
        return "blob missing from the store"
    except BlobCorrupt:
        return "not intact (altered, truncated or swapped)"
    if sha256 is not None and info.sha256 != sha256:
        return f"SHA-256 {info.sha256} differs from the recorded {sha256}"
    if info.size != size:
        return f"size {info.size} differs from the recorded {size}"
    return None


@vault_group.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """New master key, every data key rewrapped; safe to re-run after an interruption."""
    report = rotate_master_key(runtime().vault)
    click.echo(f"new master key: {report.target_key_id}")
    click.echo(f"rewrapped: {report.rewrapped}, already on the new key: {report.already_current}")
    if report.retired:
        click.echo(f"retired keys: {', '.join(report.retired)}")
    for blob_id in report.failed:
        click.echo(f"FAILED  blob {blob_id}: not intact or missing; it keeps its old key", err=True)
    if not report.finished:
        click.echo(
            "rotation not finished: fix the failures above and run this command again", err=True
        )
        sys.exit(1)
    click.echo("rotation finished")


@vault_group.command("sweep")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@with_appcontext
def sweep_command(dry_run: bool) -> None:
    """Find blobs no row points at (and remove them), and rows whose blob is gone."""
    vault = runtime().vault
    referenced = set(db.session.scalars(select(Evidence.blob_id)))
    referenced |= set(db.session.scalars(select(Derivative.blob_id)))
    stored = set(vault.store.list())
    now = time.time()
    strays = sorted(stored - referenced)
    removed = 0
    for blob_id in strays:
        young = now - vault.store.modified_at(blob_id) < SWEEP_GRACE_SECONDS
        if young:
            click.echo(
                f"stray blob {blob_id} (kept: under an hour old, may be an upload in progress)"
            )
        elif dry_run:
            click.echo(f"stray blob {blob_id} (would be removed)")
        else:
            vault.delete(blob_id)
            removed += 1
            click.echo(f"stray blob {blob_id} removed")
    missing = sorted(referenced - stored)
    for blob_id in missing:
        click.echo(f"MISSING blob {blob_id}: a row points at it but the store has no such blob")
    click.echo(
        f"{len(strays)} stray blob(s), {removed} removed; {len(missing)} row(s) without a blob"
    )
