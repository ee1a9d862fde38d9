"""`caseapp custody verify [CASE_ID]`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from caseapp.cases.models import Case
from caseapp.custody.verify import verify_chain
from caseapp.extensions import db
from caseapp.runtime import runtime


@click.group("custody")
def custody_group() -> None:
    """Check chain-of-custody logs."""


@custody_group.command("verify")
@click.argument("case_id", required=False)
@with_appcontext
def verify_command(case_id: str | None) -> None:
    """Check the hash chain of one case, or of every case. Exit 1 when any is broken."""
    if case_id is not None:
        if db.session.get(Case, case_id) is None:
            raise click.ClickException(f"no case with id {case_id}")
        case_ids = [case_id]
    else:
        case_ids = list(db.session.scalars(select(Case.id).order_by(Case.created_at)))
    broken = 0
    for cid in case_ids:
        report = verify_chain(db.session, runtime().head_key, cid)
        if report.intact:
            click.echo(f"ok      case {cid}: {report.entries} entries, head {report.head_hash}")
        else:
            broken += 1
            click.echo(f"BROKEN  case {cid}: at seq {report.broken_seq}: {report.reason}")
    click.echo(f"{len(case_ids)} case(s) checked, {broken} broken")
    if broken:
        sys.exit(1)
