"""The `caseapp` command line: instance set-up, serving, and every capability's commands.

`init` works before an instance exists; every other command builds the app for
``$CASEAPP_INSTANCE`` (or ./instance). Expected failures end with one line on stderr
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from caseapp.config import CONFIG_FILE, SECRET_KEY_FILE, ConfigError, instance_path_from_env
from caseapp.export.verify_cli import verify_command
from caseapp.vault.files import make_dir, restrict_tree, write_new_file

DEFAULT_CONFIG = """\
# caseapp instance settings. Environment variables CASEAPP_<NAME> override these.
# database_url = "postgresql+psycopg://caseapp@localhost/caseapp"
# max_upload_bytes = 536870912
# public_url = "https://cases.example.org"   # also the CRL address in new certificates
# https = true                                # HSTS, Secure cookies; default: public_url is https
# signer_name = "caseapp dossier signing"     # names in the instance's certificates
# organisation = "caseapp"
# tsa_urls = ["https://tsa.example.org/tsr"]  # external RFC 3161 authorities, in order
# tsa_accredited = []                         # those of tsa_urls that are accredited
# trusted_proxies = 1                         # behind one proxy (nginx): believe its X-Forwarded-*
# throttle_storage = "redis"                  # login throttle counters in Redis, not the database
# redis_url = "redis://127.0.0.1:6379/0"
"""


def _create_app() -> Flask:
    from caseapp import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def initialise_instance(instance: Path) -> list[str]:
    """Create what an instance needs and bring its database to the latest migration.

    Never overwrites a key; safe to run again. Every file it leaves is 0600 and every
    folder 0700, whatever the umask (see caseapp/vault/files.py). Returns what was created.
    """
    from flask_migrate import upgrade

    from caseapp import create_app
    from caseapp.config import load_settings
    from caseapp.custody.chain import HEAD_KEY_FILE, HeadKey
    from caseapp.export.signing import create_signing_identity
    from caseapp.vault.setup import create_key_ring

    created: list[str] = []
    make_dir(instance)
    for name, content, label in (
        (SECRET_KEY_FILE, secrets.token_urlsafe(48), "secret key"),
        (CONFIG_FILE, DEFAULT_CONFIG, CONFIG_FILE),
    ):
        try:
            write_new_file(instance / name, content.encode("utf-8"))
        except FileExistsError:
            continue
        created.append(label)
    keys = instance / "keys"
    make_dir(keys)
    if create_key_ring(keys):
        created.append("master key")
    if not (keys / HEAD_KEY_FILE).exists():
        HeadKey.load_or_create(keys)
        created.append("custody head key")
    settings = load_settings(instance)
    created += create_signing_identity(
        keys, settings.signer_name, settings.organisation, settings.public_url
    )
    make_dir(instance / "vault")
    app = create_app(instance_path=instance)
    with app.app_context():
        upgrade()
    # Also brings an instance made before modes were set explicitly down to 0600/0700.
    restrict_tree(instance)
    return created


class CaseappGroup(FlaskGroup):
    """Flask's command group, minus the traceback it prints for --help without an instance."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(click.Group.list_commands(self, ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except click.ClickException as exc:
            note = f"Note: {exc.format_message()}; more commands appear once it exists."
            click.echo(note, err=True)
        return sorted(names)


@click.group(
    cls=CaseappGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def cli() -> None:
    """caseapp: keep the record of a dispute with a company."""


@cli.command("init", with_appcontext=False)
def init_command() -> None:
    """Create the instance folder: config, keys, database at the latest migration."""
    instance = instance_path_from_env()
    try:
        created = initialise_instance(instance)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"instance: {instance}")
    click.echo("created: " + (", ".join(created) if created else "nothing (already initialised)"))
    click.echo("database: at the latest migration")


@cli.command("run", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run_command(host: str, port: int) -> None:
    """Serve the app with the development server (production: gunicorn 'caseapp:create_app()')."""
    from werkzeug.serving import run_simple

    from caseapp.log_redaction import RedactingRequestHandler
    from caseapp.runtime import runtime_of
    from caseapp.vault.sweep import remove_stale_temp

    app = _create_app()
    rt = runtime_of(app)
    # Uploads a previous run was killed in the middle of left temp files behind; only
    # ones older than any upload can take are removed, so a second server is unharmed.
    stale = remove_stale_temp(rt.vault)
    if stale:
        click.echo(f"removed {stale} stale temp file(s) from the vault")
    # Start the job threads now rather than at the first request, so work a previous
    # run was stopped in the middle of (readings, dossier builds) resumes at once.
    if rt.settings.web_runs_jobs:
        rt.jobs.start()
    click.echo(f"caseapp is running at http://{host}:{port}/  (Ctrl+C to stop)")
    # run_simple rather than app.run, which refuses to start under the `flask` CLI; its
    # request log leaves out the tokens of link-share and invitation addresses.
    run_simple(
        host,
        port,
        app,
        use_reloader=False,
        threaded=True,
        request_handler=RedactingRequestHandler,
    )


# No app is needed: a dossier can be checked anywhere (see caseapp/export/verify_cli.py).
cli.add_command(verify_command)


@cli.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
def backup_command(destination: Path) -> None:
    """Copy the database, vault, keys and config into DESTINATION (new or empty)."""
    from caseapp.backup import BackupError, backup
    from caseapp.runtime import runtime

    try:
        files = backup(runtime().settings, destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup of {len(files)} files written to {destination}")
    click.echo("it holds the master key: keep it as safe as the instance itself")


@cli.command("restore", with_appcontext=False)
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing instance.")
def restore_command(source: Path, force: bool) -> None:
    """Check a backup against its manifest and restore it into the instance folder."""
    from caseapp.backup import BackupError, restore

    instance = instance_path_from_env()
    try:
        count = restore(source, instance, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {count} files into {instance}")


def register_commands(app: Flask) -> None:
    """Attach every capability's command group to the app's CLI."""
    from caseapp.accounts.cli import token_group, user_group
    from caseapp.custody.cli import custody_group
    from caseapp.demo import demo_command
    from caseapp.export.cli import export_command
    from caseapp.export.pki_cli import dossier_group, signing_group
    from caseapp.jobs.cli import jobs_command, worker_command
    from caseapp.vault.cli import vault_group

    for command in (
        user_group,
        token_group,
        custody_group,
        vault_group,
        export_command,
        signing_group,
        dossier_group,
        demo_command,
        worker_command,
        jobs_command,
    ):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the `caseapp` console script."""
    try:
        cli.main(prog_name="caseapp")
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
