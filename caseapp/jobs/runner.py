"""Running jobs: a few threads per lane in this process, each claiming one job at a time.

Lanes cap how much heavy work one process does at once (a dossier build takes most of a
core and hundreds of MiB, so its lane has one thread by default). A heartbeat renews
the leases of the jobs this process holds; when the process dies the leases run out
and another process's runner takes the jobs over.

`inline` runs jobs on the thread that committed them, right after the commit: the mode
tests use so that an upload answers with its reading done. The claim, lease and fencing
are the same code either way.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from datetime import timedelta

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from caseapp.extensions import db
from caseapp.jobs.queue import (
    JOBS_ADDED,
    Claim,
    JobLost,
    claim_next,
    complete,
    handler_for,
    kinds_in_lane,
    prune_finished,
    release,
    renew,
)

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 5.0
# Finished jobs are history, not state: done ones go after a week, failed ones (which
# the operator may want to look at) after a month; checked about once an hour.
KEEP_DONE = timedelta(days=7)
KEEP_FAILED = timedelta(days=30)
PRUNE_EVERY_SECONDS = 3600.0

_runners: weakref.WeakSet[JobRunner] = weakref.WeakSet()
_draining = threading.local()


class JobRunner:
    """The job threads of one application in one process."""

    def __init__(
        self,
        app: Flask,
        lanes: dict[str, int],
        *,
        lease_seconds: float = 60.0,
        poll_seconds: float = 2.0,
        retry_base_seconds: float = RETRY_BASE_SECONDS,
        inline: bool = False,
    ) -> None:
        self.app = app
        self.lanes = dict(lanes)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.retry_base_seconds = retry_base_seconds
        self.inline = inline
        self._lock = threading.Lock()
        self._wakeup = threading.Condition()
        self._wakeups = 0  # counted, so a wake-up between a claim and a wait is not lost
        self._held: dict[str, Claim] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._pid: int | None = None
        self._engine: Engine | None = None
        _runners.add(self)

    @property
    def engine(self) -> Engine:
        """The database engine of this runner's application."""
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    @property
    def running(self) -> bool:
        """Whether this process's job threads are started."""
        return self._pid == os.getpid() and bool(self._threads)

    def start(self) -> None:
        """Start the lanes' threads and the heartbeat (once per process; safe after fork)."""
        if self.inline or self.running:
            return
        with self._lock:
            if self.running:
                return
            # After a fork the parent's threads do not exist here: start afresh.
            self._held = {}
            self._threads = []
            self._stopping = threading.Event()
            engine = self.engine
            for lane, count in self.lanes.items():
                for index in range(count):
                    thread = threading.Thread(
                        target=self._lane_loop,
                        args=(engine, lane),
                        name=f"jobs-{lane}-{index}",
                        daemon=True,
                    )
                    self._threads.append(thread)
            self._threads.append(
                threading.Thread(
                    target=self._heartbeat, args=(engine,), name="jobs-heartbeat", daemon=True
                )
            )
            for thread in self._threads:
                thread.start()
            self._pid = os.getpid()

    def stop(self, timeout: float = 30.0) -> None:
        """Let each thread finish its current job, then stop them."""
        self._stopping.set()
        with self._wakeup:
            self._wakeup.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self._pid = None

    def wake(self) -> None:
        """Jobs were committed: run them now (inline) or wake an idle thread."""
        if self.inline:
            self.drain()
            return
        with self._wakeup:
            self._wakeups += 1
            self._wakeup.notify_all()

    def drain(self, lanes: list[str] | None = None, max_jobs: int = 10_000) -> int:
        """Run every due job of these lanes on this thread until none is left.

        A job committing further jobs (children to read) does not recurse: the loop
        here picks them up. Returns how many jobs were run.
        """
        if getattr(_draining, "active", False):
            return 0
        _draining.active = True
        try:
            engine = self.engine
            kinds = [k for lane in (lanes or list(self.lanes)) for k in kinds_in_lane(lane)]
            ran = 0
            while ran < max_jobs:
                claim = claim_next(self.app, engine, kinds, self.lease_seconds)
                if claim is None:
                    return ran
                self._execute(engine, claim)
                ran += 1
            return ran
        finally:
            _draining.active = False

    def _lane_loop(self, engine: Engine, lane: str) -> None:
        while not self._stopping.is_set():
            seen = self._wakeups
            try:
                claim = claim_next(self.app, engine, kinds_in_lane(lane), self.lease_seconds)
            except Exception:  # a database hiccup must not end the thread
                log.exception("claiming a job failed")
                claim = None
            if claim is None:
                with self._wakeup:
                    if self._wakeups == seen:
                        self._wakeup.wait(self.poll_seconds)
                continue
            self._held[claim.job_id] = claim
            try:
                self._execute(engine, claim)
            finally:
                self._held.pop(claim.job_id, None)

    def _heartbeat(self, engine: Engine) -> None:
        next_prune = time.monotonic()
        while not self._stopping.wait(self.lease_seconds / 3):
            try:
                renew(engine, list(self._held.values()))
                if time.monotonic() >= next_prune:
                    prune_finished(engine, done_after=KEEP_DONE, failed_after=KEEP_FAILED)
                    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            except Exception:  # the next beat tries again, well before the lease ends
                log.exception("renewing job leases failed")

    def _execute(self, engine: Engine, claim: Claim) -> None:
        handler = handler_for(claim.kind)
        if handler is None:
            release(engine, claim, f"no handler for {claim.kind}", retry_in=None)
            return
        if claim.attempt > handler.max_attempts:
            self._give_up(engine, claim, f"stopped {handler.max_attempts} times before finishing")
            return
        try:
            with self.app.app_context():
                try:
                    handler.run(claim)
                finally:
                    db.session.remove()
            if not claim.finished:
                complete(engine, claim)
        except JobLost:
            log.info("job %s was taken over by another runner: result dropped", claim.job_id)
        except Exception as exc:  # recorded on the job; retried, then given up visibly
            log.exception("job %s (%s %s) failed", claim.job_id, claim.kind, claim.subject)
            error = f"{type(exc).__name__}: {exc}"
            if claim.attempt >= handler.max_attempts:
                self._give_up(engine, claim, error)
            else:
                retry_in = self.retry_base_seconds * 2 ** (claim.attempt - 1)
                release(engine, claim, error, retry_in=retry_in)

    def _give_up(self, engine: Engine, claim: Claim, error: str) -> None:
        # What giving up means for the subject (an item marked failed) commits *before*
        # the job is marked failed. A process that dies between the two leaves the job
        # claimable, so whoever takes it over gives up again (`on_give_up` must be
        # idempotent). The other order left the subject waiting for ever behind a failed
        # job: evidence `reading` for good (found by scripts/crash_rounds.py).
        handler = handler_for(claim.kind)
        if handler is not None and handler.on_give_up is not None:
            try:
                with self.app.app_context():
                    try:
                        handler.on_give_up(self.app, claim.subject, error)
                    finally:
                        db.session.remove()
            except Exception:  # the lease runs out and the give-up is tried again
                log.exception(
                    "giving up job %s (%s %s) failed", claim.job_id, claim.kind, claim.subject
                )
                return
        release(engine, claim, error, retry_in=None)


@event.listens_for(Session, "after_commit")
def _wake_runners(session: Session) -> None:
    """Wake this process's runner of the database a session just committed jobs to."""
    if not session.info.pop(JOBS_ADDED, False):
        return
    try:
        bind = session.get_bind()
    except Exception:  # no app context, no bind: the runners' next poll finds the jobs
        return
    for runner in list(_runners):
        if runner.engine is bind:
            runner.wake()
