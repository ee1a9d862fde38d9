"""Adding, claiming, renewing and finishing jobs.

Each state change is one short transaction of its own whose first statement is the
write, so on SQLite it waits for the writer lock (busy timeout) instead of failing on
a stale snapshot, and on PostgreSQL the row lock of the UPDATE decides races. A claim
is a compare-and-set: only one runner's UPDATE can move a job to `running` under its
fresh lease token.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from caseapp.database import DbSession, utcnow
from caseapp.jobs.models import Job

# Set on a session that added a job, so the runners of this process are woken when it
# commits rather than at their next poll.
JOBS_ADDED = "caseapp.jobs_added"


class JobLost(Exception):
    """The job's lease expired and another runner took it over: drop this result."""


@dataclass(frozen=True)
class Handler:
    """How a kind of job is run, by which lane of threads, and what giving up means."""

    kind: str
    run: Callable[[Claim], None]
    lane: str
    max_attempts: int = 3
    on_give_up: Callable[[Flask, str, str], None] | None = None


_HANDLERS: dict[str, Handler] = {}


def register_handler(
    kind: str,
    run: Callable[[Claim], None],
    *,
    lane: str,
    max_attempts: int = 3,
    on_give_up: Callable[[Flask, str, str], None] | None = None,
) -> None:
    """Declare how jobs of `kind` run (idempotent: the last registration wins).

    `run(claim)` does the work in an app context; it ends its final transaction with
    `claim.finish(session)` so the result commits only while the lease is held.
    `on_give_up(app, subject, error)` records a visible failure once no attempt is left.
    """
    _HANDLERS[kind] = Handler(kind, run, lane, max_attempts, on_give_up)


def handler_for(kind: str) -> Handler | None:
    """The registered handler of a kind of job."""
    return _HANDLERS.get(kind)


def kinds_in_lane(lane: str) -> list[str]:
    """The kinds of job one lane of threads runs."""
    return sorted(h.kind for h in _HANDLERS.values() if h.lane == lane)


def enqueue(
    session: DbSession, kind: str, subject: str, payload: dict[str, Any] | None = None
) -> Job:
    """Add a job in the caller's unit of work: it exists exactly when that commits."""
    job = Job(kind=kind, subject=subject, payload=json.dumps(payload or {}))
    session.add(job)
    session.info[JOBS_ADDED] = True
    return job


@dataclass
class Claim:
    """One runner's hold on one job, valid while its lease token is on the row."""

    app: Flask
    job_id: str
    kind: str
    subject: str
    payload: dict[str, Any]
    token: str
    attempt: int
    lease_seconds: float
    finished: bool = field(default=False)

    def check(self, session: DbSession) -> None:
        """Raise JobLost unless this claim still holds the job's lease.

        For handlers that commit in steps: called before each step's commit, so a runner
        whose lease lapsed stops before writing what the new holder writes too.
        """
        owner = session.scalar(
            select(Job.lease_owner).where(Job.id == self.job_id, Job.state == "running")
        )
        if owner != self.token:
            raise JobLost(self.job_id)

    def finish(self, session: DbSession) -> None:
        """Mark the job done inside the handler's final transaction (before its commit).

        Raises JobLost when the lease is no longer ours: the caller rolls back, so a
        result is stored and logged by one runner only.
        """
        result = session.execute(
            update(Job)
            .where(Job.id == self.job_id, Job.lease_owner == self.token, Job.state == "running")
            .values(state="done", finished_at=utcnow(), lease_expires_at=None)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise JobLost(self.job_id)
        self.finished = True


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.state == "queued", Job.available_at <= now),
        and_(Job.state == "running", Job.lease_expires_at < now),
    )


def claim_next(
    app: Flask, engine: Engine, kinds: list[str], lease_seconds: float
) -> Claim | None:
    """Take the oldest job of these kinds that is due or whose lease expired, or None."""
    if not kinds:
        return None
    now = utcnow()
    with Session(engine) as session:
        candidates = list(
            session.scalars(
                select(Job.id)
                .where(Job.kind.in_(kinds), _claimable(now))
                .order_by(Job.available_at)
                .limit(8)
            )
        )
    for job_id in candidates:
        token = secrets.token_hex(16)
        with Session(engine) as session:
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, _claimable(now))
                .values(
                    state="running",
                    lease_owner=token,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    attempts=Job.attempts + 1,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                continue  # another runner was quicker
            job = session.get(Job, job_id)
            assert job is not None
            claim = Claim(
                app,
                job.id,
                job.kind,
                job.subject,
                json.loads(job.payload or "{}"),
                token,
                job.attempts,
                lease_seconds,
            )
            session.commit()
            return claim
    return None


def renew(engine: Engine, claims: list[Claim]) -> None:
    """Push the leases of the jobs this runner holds forward (one short transaction)."""
    if not claims:
        return
    with Session(engine) as session:
        for claim in claims:
            session.execute(
                update(Job)
                .where(
                    Job.id == claim.job_id, Job.lease_owner == claim.token, Job.state == "running"
                )
                .values(lease_expires_at=utcnow() + timedelta(seconds=claim.lease_seconds))
            )
        session.commit()


def release(engine: Engine, claim: Claim, error: str, *, retry_in: float | None) -> bool:
    """End a claim that did not finish: back to the queue after `retry_in` s, or failed.

    Returns False when the lease was already lost (someone else holds the job).
    """
    values: dict[str, Any] = {"error": error[:2000], "lease_expires_at": None}
    if retry_in is None:
        values |= {"state": "failed", "finished_at": utcnow()}
    else:
        values |= {"state": "queued", "available_at": utcnow() + timedelta(seconds=retry_in)}
    with Session(engine) as session:
        result = session.execute(
            update(Job)
            .where(Job.id == claim.job_id, Job.lease_owner == claim.token, Job.state == "running")
            .values(**values)
        )
        session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def complete(engine: Engine, claim: Claim) -> None:
    """Mark a claim done when its handler had nothing to commit with it."""
    with Session(engine) as session:
        claim.finish(session)
        session.commit()


def prune_finished(engine: Engine, *, done_after: timedelta, failed_after: timedelta) -> int:
    """Delete done jobs older than `done_after` and failed ones older than `failed_after`.

    Failed jobs are kept longer: `caseapp jobs` shows them to the operator.
    """
    now = utcnow()
    with Session(engine) as session:
        result = session.execute(
            delete(Job).where(
                or_(
                    and_(Job.state == "done", Job.finished_at < now - done_after),
                    and_(Job.state == "failed", Job.finished_at < now - failed_after),
                )
            )
        )
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
