"""Typed, frozen settings read from the instance folder and the environment.

The instance folder (``$CASEAPP_INSTANCE`` or ``./instance``) holds everything that
belongs to one installation: ``caseapp.toml``, the secret key, the key ring, the
SQLite database and the vault. Settings come from, in order of precedence: the
``config`` mapping given to ``create_app`` (tests), ``CASEAPP_*`` environment
variables, ``caseapp.toml``, defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

CONFIG_FILE = "caseapp.toml"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name


class ConfigError(Exception):
    """The instance is missing or its settings are invalid."""


def instance_path_from_env() -> Path:
    """The instance folder this process acts on, absolute."""
    return Path(os.environ.get("CASEAPP_INSTANCE", "instance")).resolve()


@dataclass(frozen=True)
class Settings:
    """Everything the application reads from its configuration."""

    instance_path: Path
    secret_key: str
    database_url: str
    vault_path: Path
    keys_path: Path
    max_upload_bytes: int = 512 * 1024 * 1024
    # Every body but an evidence upload's is read into memory (JSON, forms): bound it.
    max_body_bytes: int = 1024 * 1024
    parse_max_bytes: int = 64 * 1024 * 1024
    tsa_url: str | None = None  # the old one-authority form of `tsa_urls`
    # External RFC 3161 authorities, asked in order (see docs/dossier.md); empty: the
    # instance's own authority. `tsa_accredited`: those the operator declares accredited.
    tsa_urls: tuple[str, ...] = ()
    tsa_accredited: tuple[str, ...] = ()
    tsa_policy_oid: str | None = None  # default: keys/tsa-policy-oid, made by `caseapp init`
    # Names in the instance's certificates (never the folder name).
    signer_name: str = "caseapp dossier signing"
    organisation: str = "caseapp"
    # The instance's public address (https://cases.example.org): links in mail and shares,
    # and the CRL distribution point in the certificates the instance CA issues.
    public_url: str | None = None
    # Throttling of logins, registrations and other guessable steps (caseapp.throttle),
    # counted in the database or, with "redis", in Redis at `redis_url`.
    ratelimit_enabled: bool = True
    throttle_storage: str = "database"
    redis_url: str | None = None
    # How many reverse proxies stand in front of the app: their X-Forwarded-For, -Proto
    # and -Host are believed, so many. 0: those headers are ignored (anyone can send them).
    trusted_proxies: int = 0
    password_change_revokes_tokens: bool = True
    # Whether browsers reach the instance over HTTPS (directly or through a proxy). Unset:
    # on when `public_url` is an https:// address. On: Strict-Transport-Security is sent
    # and every cookie is Secure. `session_cookie_secure` overrides the cookie part alone.
    https: bool | None = None
    hsts_max_age: int = 365 * 86400
    hsts_include_subdomains: bool = True
    session_cookie_secure: bool | None = None
    # Roles that call for two-factor authentication (docs/accounts.md): their accounts are
    # reminded on every page until they enrol, and cannot turn it off once on (only the
    # operator's `caseapp user 2fa reset`). With `two_factor_enforce_enrolment`, they can
    # use nothing before enrolling. An empty tuple leaves it to each user.
    two_factor_required_roles: tuple[str, ...] = ("advocate", "admin")
    two_factor_enforce_enrolment: bool = False
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 64 * 1024
    argon2_parallelism: int = 2
    testing: bool = False
    # Background jobs (evidence reading, dossier builds): threads per lane in each
    # process that runs jobs; web workers run them unless `web_runs_jobs` is off
    # (then `caseapp worker` does). `jobs_inline` runs each job right after the
    # commit that added it, on the same thread: for tests.
    web_runs_jobs: bool = True
    reading_threads: int = 2
    dossier_threads: int = 1
    jobs_inline: bool = False
    # How long a job stays claimed without a heartbeat: a job whose process died is
    # taken over this long after its last renewal. The heartbeat renews every third of
    # it, so short leases (the crash test uses a few seconds) only cost more renewals.
    job_lease_seconds: float = 60.0
    # One reading budget per uploaded file, the files found inside it included.
    read_budget_seconds: float = 120.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def engine_options(self) -> dict[str, Any]:
        """SQLAlchemy engine options: a roomier pool for SQLite, whose connections are
        cheap, so a burst of requests plus the job threads never waits for one."""
        options: dict[str, Any] = {"pool_pre_ping": True}
        if self.database_url.startswith("sqlite"):
            options |= {"pool_size": 10, "max_overflow": 40}
        return options

    @property
    def serves_https(self) -> bool:
        """Whether the instance is reached over HTTPS: the `https` setting, else whether
        `public_url` starts with https://."""
        if self.https is not None:
            return self.https
        return bool(self.public_url and self.public_url.startswith("https://"))

    @property
    def cookies_secure(self) -> bool:
        """Whether every cookie the app sets carries the Secure attribute."""
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.serves_https

    @property
    def strict_transport_security(self) -> str | None:
        """The Strict-Transport-Security header value, or None when not on HTTPS."""
        if not self.serves_https:
            return None
        value = f"max-age={self.hsts_max_age}"
        return value + "; includeSubDomains" if self.hsts_include_subdomains else value

    @property
    def flask_config(self) -> dict[str, Any]:
        """The subset Flask and its extensions read from ``app.config``."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options,
            # Werkzeug stops reading past this, with or without a Content-Length (413). The
            # evidence uploads stream into the vault and raise it to their own limit.
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.cookies_secure,
            "SESSION_COOKIE_NAME": "caseapp_session",
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SECURE": self.cookies_secure,
            "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
            "BABEL_DEFAULT_LOCALE": "en",
            "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
            "TESTING": self.testing,
            **self.extra,
        }


_ENV_FIELDS = {
    "database_url": str,
    "max_upload_bytes": int,
    "max_body_bytes": int,
    "tsa_url": str,
    "tsa_urls": list,
    "tsa_accredited": list,
    "tsa_policy_oid": str,
    "signer_name": str,
    "organisation": str,
    "public_url": str,
    "https": bool,
    "hsts_max_age": int,
    "hsts_include_subdomains": bool,
    "session_cookie_secure": bool,
    "ratelimit_enabled": bool,
    "two_factor_required_roles": list,
    "two_factor_enforce_enrolment": bool,
    "throttle_storage": str,
    "redis_url": str,
    "trusted_proxies": int,
    "password_change_revokes_tokens": bool,
    "web_runs_jobs": bool,
    "reading_threads": int,
    "dossier_threads": int,
    "job_lease_seconds": float,
    "read_budget_seconds": float,
}


def _parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _url_list(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(url, str) and url.startswith(("http://", "https://")) for url in value
    ):
        raise ConfigError(f"{name} must be a list of http(s) URLs")
    return tuple(value)


def _roles(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    known = ("user", "advocate", "admin")
    if not isinstance(value, list | tuple) or not all(role in known for role in value):
        raise ConfigError(f"two_factor_required_roles must be a list of {', '.join(known)}")
    return tuple(value)


THROTTLE_STORAGES = ("database", "redis")


def _check_throttle_settings(values: dict[str, Any]) -> None:
    storage = values.get("throttle_storage", "database")
    if storage not in THROTTLE_STORAGES:
        raise ConfigError(f"throttle_storage must be one of {', '.join(THROTTLE_STORAGES)}")
    if storage == "redis" and not values.get("redis_url"):
        raise ConfigError('throttle_storage = "redis" needs redis_url')
    proxies = values.get("trusted_proxies", 0)
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        raise ConfigError("trusted_proxies must be a whole number, 0 or more")


def load_settings(
    instance_path: Path | str | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Read settings for the instance; raise ConfigError when it was never initialised."""
    instance = Path(instance_path).resolve() if instance_path else instance_path_from_env()
    values: dict[str, Any] = {}
    config_file = instance / CONFIG_FILE
    if config_file.exists():
        try:
            values.update(tomllib.loads(config_file.read_text("utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file} is not valid TOML: {exc}") from exc
    for name, kind in _ENV_FIELDS.items():
        raw = os.environ.get(f"CASEAPP_{name.upper()}")
        if raw is not None:
            if kind is bool:
                values[name] = _parse_bool(raw)
            elif kind is list:
                values[name] = raw.replace(",", " ").split()
            else:
                values[name] = kind(raw)
    values.update(overrides or {})
    for name in ("tsa_urls", "tsa_accredited"):
        if name in values:
            values[name] = _url_list(name, values[name])
    if "two_factor_required_roles" in values:
        values["two_factor_required_roles"] = _roles(values["two_factor_required_roles"])
    if values.get("tsa_url") and not values.get("tsa_urls"):
        values["tsa_urls"] = (values["tsa_url"],)

    _check_throttle_settings(values)

    secret_file = instance / SECRET_KEY_FILE
    if "secret_key" not in values:
        if not secret_file.exists():
            raise ConfigError(f"no instance at {instance}: run `caseapp init` first")
        values["secret_key"] = secret_file.read_text("ascii").strip()
    values.setdefault("database_url", f"sqlite:///{instance / 'caseapp.db'}")
    values.setdefault("vault_path", instance / "vault")
    values.setdefault("keys_path", instance / "keys")
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown settings in {config_file}: {', '.join(unknown)}")
    return Settings(instance_path=instance, **{k: v for k, v in values.items() if k in known})
