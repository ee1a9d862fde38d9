"""`caseapp vault verify | rotate-key | sweep`: thin wrappers over the vault's services.

Which blobs are in use comes from the reference kinds every capability registers
(`caseapp.vault.references`); the CLI knows none of them by name.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.vault.sweep import STALE_TEMP_SECONDS, SWEEP_GRACE_SECONDS, sweep
from caseapp.vault.vault import rotate_master_key
from caseapp.vault.verify import Failure, verify_references


@click.group("vault")
def vault_group() -> None:
    """Check and maintain the evidence vault."""


@vault_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """Decrypt every blob a row points at and compare its SHA-256 and size. Exit 1 if any fails."""
    rt = runtime()

    def report_failure(failure: Failure) -> None:
        click.echo(f"FAILED  {failure.reference.description}: {failure.problem}")

    report = verify_references(db.session, rt.vault, rt.blob_references, report_failure)
    for tally in report.tallies:
        click.echo(f"{tally.name}: {tally.checked} checked, {tally.failed} failed")
    click.echo(f"{report.checked} blob(s) checked, {report.failed} failed")
    if report.failed:
        sys.exit(1)


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
    """Remove blobs no row points at and stale temp files; list rows whose blob is gone."""
    rt = runtime()
    report = sweep(db.session, rt.vault, rt.blob_references, dry_run=dry_run)
    in_use = ", ".join(f"{name} {count}" for name, count in report.in_use.items())
    click.echo(f"blobs in use: {sum(report.in_use.values())} ({in_use})")
    for stray in report.strays:
        if stray.action == "kept":
            click.echo(
                f"stray blob {stray.blob_id} (kept: under {_span(SWEEP_GRACE_SECONDS)} old, "
                "its row may not be committed yet)"
            )
        elif stray.action == "removed":
            click.echo(f"stray blob {stray.blob_id} removed")
        else:
            click.echo(f"stray blob {stray.blob_id} ({stray.action})")
    for missing in report.missing:
        click.echo(
            f"MISSING blob {missing.reference.blob_id}: a row points at it but the store has "
            f"no such blob ({missing.kind}: {missing.reference.description})"
        )
    verb = "would be removed" if dry_run else "removed"
    stale_after = _span(STALE_TEMP_SECONDS)
    click.echo(f"stale temp file(s): {report.stale_temp} {verb} (untouched for over {stale_after})")
    click.echo(
        f"{len(report.strays)} stray blob(s), {report.removed} removed; "
        f"{len(report.missing)} row(s) without a blob"
    )


def _span(seconds: float) -> str:
    """A duration in words for the operator: "an hour", "a day", "90 minutes"."""
    for unit, one, name in ((86400, "a day", "days"), (3600, "an hour", "hours")):
        if seconds % unit == 0:
            return one if seconds == unit else f"{seconds // unit:g} {name}"
    return f"{seconds / 60:g} minutes"
