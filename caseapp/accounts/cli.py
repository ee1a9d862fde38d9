"""`caseapp user create|2fa reset` and `caseapp token create|list|revoke`."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from caseapp.accounts import service, tokens, two_factor
from caseapp.accounts.models import ROLES, User
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.timezones import utc_iso


@click.group("user")
def user_group() -> None:
    """Manage user accounts."""


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="user", show_default=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email: str, role: str, display_name: str, password_stdin: bool) -> None:
    """Add a user with EMAIL."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(
            db.session,
            runtime().passwords,
            email=email,
            password=password,
            role=role,
            display_name=display_name,
        )
    except service.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {role} {user.email} (id {user.id})")


@user_group.group("2fa")
def two_factor_group() -> None:
    """Manage users' second factor."""


@two_factor_group.command("reset")
@click.argument("email")
@with_appcontext
def reset_two_factor_command(email: str) -> None:
    """Remove EMAIL's second factor (operator recovery) and end all their logins.

    They log in with their password alone; an account whose role requires two-factor
    authentication is asked to enrol again.
    """
    user = service.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    had = two_factor.reset(db.session, user)
    current_app.logger.warning("two-factor authentication reset by an operator for %s", user.email)
    if had:
        click.echo(f"two-factor authentication removed for {user.email}; their logins ended")
    else:
        click.echo(f"{user.email} had no two-factor authentication; their logins ended")


@click.group("token")
def token_group() -> None:
    """Manage API tokens: create, list, revoke."""


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option(
    "--expires-days",
    type=click.IntRange(1, tokens.MAX_LIFETIME_DAYS),
    default=None,
    help="Days until it stops working (default: never).",
)
@with_appcontext
def create_token_command(email: str, name: str, expires_days: int | None) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is kept)."""
    user = _user(email)
    issued = tokens.create_token(
        db.session, user, name=name, expires_at=tokens.expiry_after(expires_days)
    )
    click.echo(
        f"new API token {issued.token.id} for {user.email}; it is shown once, keep it safe",
        err=True,
    )
    click.echo(issued.secret)


@token_group.command("list")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@with_appcontext
def list_tokens_command(email: str, as_json: bool) -> None:
    """List EMAIL's API tokens, revoked and expired ones included, newest first."""
    user = _user(email)
    now = utcnow()
    rows = [
        {
            "id": token.id,
            "name": token.name,
            "created_at": utc_iso(token.created_at),
            "last_used_at": utc_iso(token.last_used_at),
            "expires_at": utc_iso(token.expires_at),
            "revoked_at": utc_iso(token.revoked_at),
            "state": token.state(now),
        }
        for token in tokens.every_token(db.session, user)
    ]
    if as_json:
        click.echo(json.dumps({"email": user.email, "tokens": rows}, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"{user.email} has no API tokens", err=True)
    for row in rows:
        last_used = row["last_used_at"] or "never"
        expires = row["expires_at"] or "never"
        click.echo(
            f"{row['id']}\t{row['state']}\tcreated {row['created_at']}\t"
            f"last used {last_used}\texpires {expires}\t{row['name']}"
        )


@token_group.command("revoke")
@click.argument("token_id")
@with_appcontext
def revoke_token_command(token_id: str) -> None:
    """End the API token TOKEN_ID at once (ids are in `caseapp token list`)."""
    try:
        token = tokens.find_token(db.session, token_id)
    except tokens.TokenNotFound as exc:
        raise click.ClickException(f"no API token with id {token_id}") from exc
    if tokens.revoke_token(db.session, token):
        click.echo(f"revoked token {token.id} ({token.name}) of {token.user.email}", err=True)
    else:
        click.echo(f"token {token.id} was already revoked", err=True)


def _user(email: str) -> User:
    user = service.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user
