"""`caseapp user create` and `caseapp token create`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from caseapp.accounts import service
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
