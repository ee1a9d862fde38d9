"""`caseapp signing import` and `caseapp dossier renew`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from caseapp.export import renew as renewal
from caseapp.export.dossier import signer_for
from caseapp.export.keystore import ImportRefused, import_pkcs12
from caseapp.export.pki import fingerprint
from caseapp.export.signing import SigningIdentityMissing, TimeStampFailed
from caseapp.extensions import db
from caseapp.runtime import runtime


@click.group("signing")
def signing_group() -> None:
    """The certificate dossiers are signed with."""


@signing_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--password-stdin", is_flag=True, help="Read the PKCS#12 password from stdin.")
@with_appcontext
def import_command(file: Path, password_stdin: bool) -> None:
    """Sign dossiers with the key and certificate chain in FILE (PKCS#12, from a real CA)."""
    password: bytes | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n").encode()
    try:
        identity = import_pkcs12(runtime().settings.keys_path, file.read_bytes(), password)
    except ImportRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"signing certificate: {identity.cert.subject.rfc4514_string()}")
    click.echo(f"  SHA-256 {fingerprint(identity.cert)}")
    click.echo(f"  issued by {identity.cert.issuer.rfc4514_string()}")
    click.echo(f"  chain: {len(identity.chain)} certificate(s)")
    click.echo("new dossiers are signed with it; time stamps still come from the instance")


@click.group("dossier")
def dossier_group() -> None:
    """Stored dossiers."""


@dossier_group.command("renew")
@click.option("--before-days", default=90, show_default=True, type=click.IntRange(min=0),
              help="Renew dossiers whose newest time stamp's certificate expires this soon.")
@click.option("--all", "renew_all", is_flag=True, help="Renew every stored dossier.")
@with_appcontext
def renew_command(before_days: int, renew_all: bool) -> None:
    """Add a fresh document time stamp to stored dossiers before their stamps expire."""
    rt = runtime()
    try:
        signer = signer_for(rt)
    except SigningIdentityMissing as exc:
        raise click.ClickException(str(exc)) from exc
    failures = 0
    todo = renewal.due(db.session, rt, before_days, renew_all)
    for dossier, expiry in todo:
        try:
            done = renewal.renew(db.session, rt, dossier, signer, expiry)
        except (renewal.RenewFailed, TimeStampFailed) as exc:
            failures += 1
            click.echo(f"failed: {exc}", err=True)
            continue
        click.echo(f"renewed dossier {done.dossier_id}: sha256 {done.new_sha256}")
    click.echo(f"{len(todo) - failures} of {len(todo)} dossier(s) renewed")
    if failures:
        sys.exit(1)
