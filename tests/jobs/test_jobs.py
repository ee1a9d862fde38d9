"""Jobs outlive the request and the process that started them, and run once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.jobs import JobLost, JobRunner, enqueue, register_handler
from caseapp.jobs.models import Job
from caseapp.jobs.queue import claim_next

LANE = "test-lane"
ran: Counter[str] = Counter()
ran_lock = threading.Lock()


def _record(claim):
    with ran_lock:
        ran[claim.subject] += 1
    if claim.payload.get("sleep"):
        time.sleep(claim.payload["sleep"])


def _explode(claim):
    raise RuntimeError(f"cannot do {claim.subject}")


gave_up: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def _handlers():
    register_handler("test.record", _record, lane=LANE)
    register_handler(
        "test.explode", _explode, lane=LANE, max_attempts=2,
        on_give_up=lambda app, subject, error: gave_up.append((subject, error)),
    )
    ran.clear()
    gave_up.clear()


def _job(subject):
    return db.session.scalars(select(Job).where(Job.subject == subject)).one()


def test_a_job_runs_only_once_its_transaction_commits(app):
    runner = JobRunner(app, {LANE: 1})
    enqueue(db.session, "test.record", "uncommitted")
    db.session.rollback()
    assert runner.drain([LANE]) == 0
    enqueue(db.session, "test.record", "committed")
    db.session.commit()
    assert runner.drain([LANE]) == 1
    assert ran == {"committed": 1}
    assert _job("committed").state == "done"


def test_committing_a_job_wakes_the_runner_threads_of_this_process(app):
    runner = JobRunner(app, {LANE: 1}, poll_seconds=60)
    runner.start()
    try:
        enqueue(db.session, "test.record", "woken")
        db.session.commit()
        deadline = time.monotonic() + 10
        while not ran and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        runner.stop()
    assert ran == {"woken": 1}, "a 60 s poll would not have found it this soon"


def test_two_runners_draining_together_run_each_job_once(app):
    for n in range(40):
        enqueue(db.session, "test.record", f"job-{n}")
    db.session.commit()
    first, second = JobRunner(app, {LANE: 1}), JobRunner(app, {LANE: 1})
    threads = [threading.Thread(target=r.drain, args=([LANE],)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(ran) == {f"job-{n}" for n in range(40)}
    assert set(ran.values()) == {1}


def test_a_job_whose_runner_died_is_taken_over_and_the_late_result_is_dropped(app):
    enqueue(db.session, "test.record", "orphan")
    db.session.commit()
    engine = db.engine
    dead = claim_next(app, engine, ["test.record"], lease_seconds=0.2)
    assert dead is not None
    assert claim_next(app, engine, ["test.record"], lease_seconds=60) is None, "lease still held"
    time.sleep(0.3)
    assert JobRunner(app, {LANE: 1}).drain([LANE]) == 1
    assert ran == {"orphan": 1}
    job = _job("orphan")
    assert job.state == "done"
    assert job.attempts == 2
    with pytest.raises(JobLost):
        dead.finish(db.session)
    db.session.rollback()


def test_a_live_runner_keeps_its_lease_past_the_lease_time(app):
    enqueue(db.session, "test.record", "long", {"sleep": 1.5})
    db.session.commit()
    runner = JobRunner(app, {LANE: 1}, lease_seconds=0.6, poll_seconds=0.05)
    runner.start()
    try:
        time.sleep(0.5)  # it is running now
        other = JobRunner(app, {LANE: 1})
        taken = 0
        while _job("long").state != "done":
            taken += other.drain([LANE])
            db.session.expire_all()
            time.sleep(0.05)
    finally:
        runner.stop()
    assert taken == 0
    assert ran == {"long": 1}


def test_a_failing_job_is_retried_with_backoff_then_given_up_visibly(app):
    enqueue(db.session, "test.explode", "doomed")
    db.session.commit()
    runner = JobRunner(app, {LANE: 1}, retry_base_seconds=0)
    runner.drain([LANE])
    job = _job("doomed")
    assert job.state == "failed"
    assert job.attempts == 2
    assert "cannot do doomed" in job.error
    assert gave_up == [("doomed", "RuntimeError: cannot do doomed")]


def test_a_retry_waits_for_its_backoff(app):
    enqueue(db.session, "test.explode", "later")
    db.session.commit()
    runner = JobRunner(app, {LANE: 1}, retry_base_seconds=3600)
    assert runner.drain([LANE]) == 1
    job = _job("later")
    assert job.state == "queued"
    assert job.available_at > utcnow() + timedelta(minutes=59)
    assert runner.drain([LANE]) == 0


def test_a_job_stopped_too_often_is_given_up_without_running_again(app):
    enqueue(db.session, "test.explode", "crashy")
    db.session.commit()
    job = _job("crashy")
    # Two processes died holding it (attempts are counted at each claim).
    job.state, job.attempts = "running", 2
    job.lease_owner, job.lease_expires_at = "dead", utcnow() - timedelta(seconds=1)
    db.session.commit()
    JobRunner(app, {LANE: 1}).drain([LANE])
    db.session.expire_all()
    assert _job("crashy").state == "failed"
    assert gave_up[0][0] == "crashy"


def test_finished_jobs_are_pruned_after_their_keeping_time(app):
    from caseapp.jobs.queue import prune_finished

    for subject, state, age in [("old-done", "done", 8), ("new-done", "done", 1),
                                ("old-failed", "failed", 8), ("queued", "queued", 30)]:
        job = enqueue(db.session, "test.record", subject)
        job.state, job.finished_at = state, utcnow() - timedelta(days=age)
    db.session.commit()
    removed = prune_finished(db.engine, done_after=timedelta(days=7),
                             failed_after=timedelta(days=30))
    assert removed == 1
    left = set(db.session.scalars(select(Job.subject)))
    assert left == {"new-done", "old-failed", "queued"}


def test_the_job_lease_comes_from_the_settings_and_the_environment(instance_path, monkeypatch):
    from caseapp import create_app

    leases = []
    for env in (None, "2.5"):
        if env is not None:
            monkeypatch.setenv("CASEAPP_JOB_LEASE_SECONDS", env)
        app = create_app(instance_path=instance_path)
        leases.append(app.extensions["caseapp"].jobs.lease_seconds)
        app.extensions["caseapp"].vault.close()
    assert leases == [60, 2.5]


def test_a_give_up_cut_short_leaves_the_job_to_give_up_again(app):
    calls = []

    def dies_first_time(app, subject, error):
        calls.append(subject)
        if len(calls) == 1:  # as if the process died before its commit
            raise RuntimeError("killed")

    register_handler("test.crash", _explode, lane=LANE, max_attempts=1, on_give_up=dies_first_time)
    enqueue(db.session, "test.crash", "stuck")
    db.session.commit()
    job = _job("stuck")
    job.state, job.attempts = "running", 1
    job.lease_owner, job.lease_expires_at = "dead", utcnow() - timedelta(seconds=1)
    db.session.commit()
    runner = JobRunner(app, {LANE: 1}, lease_seconds=0.5)
    runner.drain([LANE])
    db.session.expire_all()
    assert _job("stuck").state == "running"  # not failed while its subject is not
    time.sleep(0.6)  # the lease of the give-up that died runs out
    runner.drain([LANE])
    db.session.expire_all()
    assert _job("stuck").state == "failed"
    assert calls == ["stuck", "stuck"]
