"""caseapp: keep the record of a dispute with a company.

`create_app` builds one application: settings from the instance folder, extensions,
the runtime objects (password hasher, custody head key, vault), blueprints and CLI.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from werkzeug.middleware.proxy_fix import ProxyFix

from caseapp.access.panels import PanelRegistry
from caseapp.config import ConfigError, Settings, load_settings
from caseapp.custody.chain import HeadKey
from caseapp.database import SQLITE_BUSY_TIMEOUT_MS
from caseapp.extensions import babel, csrf, db, login_manager, migrate
from caseapp.request_body import BoundedRequest
from caseapp.runtime import Runtime, runtime_of
from caseapp.vault.files import touch_private
from caseapp.vault.references import ReferenceRegistry

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

__all__ = ["ConfigError", "create_app"]


def create_app(
    config: dict[str, Any] | None = None, instance_path: Path | str | None = None
) -> Flask:
    """Build the application for an initialised instance folder.

    `config` overrides settings (tests pass their own database and cheap Argon2
    parameters); ConfigError when the instance was never initialised.
    """
    settings = load_settings(instance_path, config)
    _create_sqlite_file(settings.database_url)
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=False)
    app.request_class = BoundedRequest  # chunked bodies over the limit are refused, not cut
    app.config.update(settings.flask_config)
    if settings.trusted_proxies:
        # Behind N proxies the client is the Nth address from the right of
        # X-Forwarded-For; without any, those headers are the client's own words and
        # ignored, or anyone could pick the address the throttle counts.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable in API answers

    _import_models()
    _init_extensions(app)
    app.extensions["caseapp"] = _build_runtime(settings)
    _register_blob_references(runtime_of(app).blob_references)
    _register_panels(runtime_of(app).panels)
    _init_throttle(app, settings)

    from caseapp import web
    from caseapp.cli import register_commands

    web.init_app(app)
    register_commands(app)
    _init_jobs(app, settings)
    return app


def _create_sqlite_file(database_url: str) -> None:
    # SQLite would create the database with the umask's mode (0644 as a rule, readable
    # by every account on the machine); made here first, it is 0600 from the start, and
    # SQLite gives its -wal and -shm files the same mode.
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if path.parent.is_dir():
            touch_private(path)


def _init_jobs(app: Flask, settings: Settings) -> None:
    from caseapp.evidence.reading import register_jobs as register_reading
    from caseapp.export.jobs import register_jobs as register_dossiers
    from caseapp.jobs import JobRunner

    register_reading()
    register_dossiers()
    runner = JobRunner(
        app,
        {"reading": settings.reading_threads, "dossier": settings.dossier_threads},
        lease_seconds=settings.job_lease_seconds,
        inline=settings.jobs_inline,
    )
    runtime_of(app).jobs = runner
    if settings.web_runs_jobs and not settings.jobs_inline:
        # Started by the first request rather than here: under gunicorn that is in each
        # worker after the fork, and CLI commands that build an app start no threads.
        app.before_request(runner.start)


def _init_throttle(app: Flask, settings: Settings) -> None:
    from caseapp.throttle import build_throttle

    with app.app_context():
        engine = db.engine
    app.extensions["caseapp"].throttle = build_throttle(settings, engine)


def _import_models() -> None:
    # Every model must be imported before Alembic compares metadata with the database.
    import caseapp.accounts.models
    import caseapp.cases.models
    import caseapp.custody.models
    import caseapp.evidence.models
    import caseapp.export.models
    import caseapp.jobs.models
    import caseapp.shares.models
    import caseapp.throttle.models  # noqa: F401


def _build_runtime(settings: Settings) -> Runtime:
    from caseapp.vault.setup import build_vault

    passwords = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )
    return Runtime(
        settings=settings,
        passwords=passwords,
        head_key=HeadKey.load_or_create(settings.keys_path),
        vault=build_vault(settings),
    )


def _register_blob_references(registry: ReferenceRegistry) -> None:
    # The vault knows no capability; each one that keeps blobs says which it holds, so
    # `caseapp vault sweep` removes none of them and `vault verify` checks them all.
    from caseapp.evidence import blobs as evidence_blobs
    from caseapp.export import blobs as export_blobs

    for capability in (evidence_blobs, export_blobs):
        capability.register(registry)


def _register_panels(registry: PanelRegistry) -> None:
    # The case and evidence pages import no capability that adds to them: sharing
    # (comments, reviews, the share list) puts its panels here.
    from caseapp.shares import panels as share_panels

    share_panels.register(registry)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    from caseapp.i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, connection_record: ConnectionPoolEntry) -> None:
    # WAL lets readers work while one writer commits; foreign keys are off by default
    # in SQLite; a busy timeout turns brief lock contention into a short wait.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
