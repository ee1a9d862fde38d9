"""`caseapp vault verify | rotate-key | sweep`: thin wrappers over the vault's services.

Which blobs are in use comes from the reference kinds every capability registers
(`caseapp.vault.references`); the CLI knows none of them by name.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.vault.sweep import STALE_TEMP_SECONDS, SWEEP_GRACE_SECONDS, SweepReport, sweep
from caseapp.vault.vault import rotate_master_key
from caseapp.vault.verify import Failure, VerifyReport, verify_references

# `--json` prints one JSON object instead of the lines an operator reads, for scripts
# (scripts/crash_rounds.py) that must not depend on the wording of those lines.
JSON_HELP = "Print one JSON object (for scripts) instead of lines for a person."


@click.group("vault")
def vault_group() -> None:
    """Check and maintain the evidence vault."""


@vault_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@with_appcontext
def verify_command(as_json: bool) -> None:
    """Decrypt every blob a row points at and compare its SHA-256 and size. Exit 1 if any fails."""
    rt = runtime()

    def report_failure(failure: Failure) -> None:
        if not as_json:  # listed as found: a full check of a large vault takes a while
            click.echo(f"FAILED  {failure.reference.description}: {failure.problem}")

    report = verify_references(db.session, rt.vault, rt.blob_references, report_failure)
    if as_json:
        click.echo(json.dumps(verify_json(report), ensure_ascii=False))
        sys.exit(1 if report.failed else 0)
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
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@with_appcontext
def sweep_command(dry_run: bool, as_json: bool) -> None:
    """Remove blobs no row points at and stale temp files; list rows whose blob is gone."""
    rt = runtime()
    report = sweep(db.session, rt.vault, rt.blob_references, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(sweep_json(report), ensure_ascii=False))
        return
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


def verify_json(report: VerifyReport) -> dict[str, object]:
    """What `vault verify --json` prints: a tally per kind and every failure."""
    return {
        "checked": report.checked,
        "failed": report.failed,
        "kinds": [
            {"name": t.name, "checked": t.checked, "failed": t.failed} for t in report.tallies
        ],
        "failures": [
            {
                "kind": f.kind,
                "blob_id": f.reference.blob_id,
                "description": f.reference.description,
                "problem": f.problem,
            }
            for f in report.failures
        ],
    }


def sweep_json(report: SweepReport) -> dict[str, object]:
    """What `vault sweep --json` prints: blobs in use by kind, strays with their age and
    what was done with each ("kept", "removed", "would be removed"), rows without a blob."""
    return {
        "dry_run": report.dry_run,
        "in_use": report.in_use,
        "grace_seconds": SWEEP_GRACE_SECONDS,
        "strays": [
            {"blob_id": s.blob_id, "age_seconds": round(s.age_seconds, 3), "action": s.action}
            for s in report.strays
        ],
        "removed": report.removed,
        "missing": [
            {
                "blob_id": m.reference.blob_id,
                "kind": m.kind,
                "description": m.reference.description,
            }
            for m in report.missing
        ],
        "stale_temp": report.stale_temp,
    }


def _span(seconds: float) -> str:
    """A duration in words for the operator: "an hour", "a day", "90 minutes"."""
    for unit, one, name in ((86400, "a day", "days"), (3600, "an hour", "hours")):
        if seconds % unit == 0:
            return one if seconds == unit else f"{seconds // unit:g} {name}"
    return f"{seconds / 60:g} minutes"
