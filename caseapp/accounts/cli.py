"""`caseapp user create`, `caseapp user 2fa reset` and `caseapp token create`."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from caseapp.accounts import service, two_factor
from caseapp.accounts.models import ROLES
from caseapp.extensions import db
from caseapp.runtime import runtime


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
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
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
    """Manage API tokens."""


@token_group.command("create")
@click.argument("email")
@click.option("--label", default="cli", show_default=True)
@with_appcontext
def create_token_command(email: str, label: str) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is kept)."""
    user = service.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    token = service.create_token(db.session, user, label=label)
    db.session.commit()
    click.echo(f"new API token for {user.email}; it is shown once, keep it safe", err=True)
    click.echo(token)
