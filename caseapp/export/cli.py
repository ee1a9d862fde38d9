"""`caseapp export` (`caseapp verify` is in verify_cli.py: it needs no app)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from caseapp.cases.models import Case
from caseapp.export.context import LANGS, RECIPIENT_KINDS
from caseapp.export.dossier import build
from caseapp.export.models import Dossier
from caseapp.export.signing import SigningIdentityMissing, TimeStampFailed
from caseapp.extensions import db
from caseapp.runtime import runtime


@click.command("export")
@click.argument("case_id")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the signed PDF.",
)
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the ZIP bundle (PDF, originals, manifest, time stamp, certificates).",
)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
@click.option(
    "--recipient",
    type=click.Choice(RECIPIENT_KINDS),
    default="consumer_association",
    show_default=True,
)
@with_appcontext
def export_command(
    case_id: str, output: Path, bundle: Path | None, lang: str, recipient: str
) -> None:
    """Write a signed, time-stamped dossier of CASE_ID."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise click.ClickException(f"no case with id {case_id}")
    rt = runtime()
    dossier = Dossier(case_id=case.id, requested_by_id=None, lang=lang, recipient=recipient)
    db.session.add(dossier)
    db.session.commit()
    try:
        build(db.session, rt, dossier)
    except (SigningIdentityMissing, TimeStampFailed) as exc:
        db.session.rollback()
        dossier.status, dossier.error = "failed", str(exc)
        db.session.commit()
        raise click.ClickException(str(exc)) from exc
    _copy_blob(dossier.pdf_blob_id, output)
    click.echo(f"dossier {dossier.id}: {output} ({dossier.size} bytes, sha256 {dossier.sha256})")
    if bundle is not None:
        _copy_blob(dossier.bundle_blob_id, bundle)
        click.echo(
            f"bundle: {bundle} ({dossier.bundle_size} bytes, sha256 {dossier.bundle_sha256})"
        )


def _copy_blob(blob_id: str | None, target: Path) -> None:
    assert blob_id is not None
    try:
        with target.open("wb") as handle:
            for chunk in runtime().vault.open(blob_id):
                handle.write(chunk)
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc.strerror}") from exc
