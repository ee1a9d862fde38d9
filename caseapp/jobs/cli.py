"""`caseapp worker` and `caseapp jobs`: run background jobs apart from the web process."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from caseapp.extensions import db
from caseapp.jobs.models import Job
from caseapp.runtime import runtime


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run background jobs (evidence reading, dossier builds) until stopped (SIGTERM)."""
    runner = runtime().jobs
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    click.echo(f"caseapp worker running jobs for {runtime().settings.instance_path}")
    stopped.wait()
    click.echo("stopping: finishing the jobs under way")
    runner.stop()


@click.command("jobs")
@with_appcontext
def jobs_command() -> None:
    """How many background jobs are queued, running, done and failed, by kind."""
    rows = db.session.execute(
        select(Job.kind, Job.state, func.count(Job.id)).group_by(Job.kind, Job.state)
    ).all()
    if not rows:
        click.echo("no jobs")
    for kind, state, count in sorted(rows):
        click.echo(f"{kind:16} {state:8} {count}")
    for job in db.session.scalars(
        select(Job).where(Job.state == "failed").order_by(Job.finished_at.desc()).limit(10)
    ):
        click.echo(f"FAILED  {job.kind} {job.subject}: {job.error}")
