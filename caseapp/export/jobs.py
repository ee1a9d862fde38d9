"""Dossier builds as background jobs (see caseapp/jobs): queued with the request,
built by whichever process's runner claims them, at most one build at a time per
process by default (the "dossier" lane)."""

from __future__ import annotations

from flask import Flask

from caseapp.database import DbSession
from caseapp.export.dossier import DossierTaken, build
from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.jobs import Claim, JobLost, enqueue, register_handler
from caseapp.runtime import runtime_of

BUILD_JOB = "dossier.build"
MAX_ERROR_CHARS = 2000


def register_jobs() -> None:
    """Declare the dossier build job to the job runners."""
    register_handler(BUILD_JOB, run_build, lane="dossier", max_attempts=3, on_give_up=_gave_up)


def queue_build(session: DbSession, dossier: Dossier) -> None:
    """Ask for the dossier to be built once the caller's transaction commits."""
    enqueue(session, BUILD_JOB, dossier.id)


def run_build(claim: Claim) -> None:
    """Build one queued dossier; a failure of the build itself ends as `failed` on the row."""
    session = db.session
    dossier = session.get(Dossier, claim.subject)
    if dossier is None or dossier.status not in ("queued", "building"):
        return
    try:
        build(session, runtime_of(claim.app), dossier, claim)
    except DossierTaken:
        return  # finished or taken meanwhile: nothing left to do
    except JobLost:
        raise
    except Exception as exc:  # any failure must end as a visible state, never a silent loss
        claim.app.logger.exception("dossier %s failed", claim.subject)
        session.rollback()
        _mark_failed(session, claim.subject, f"{type(exc).__name__}: {exc}", claim)


def _mark_failed(session: DbSession, dossier_id: str, error: str, claim: Claim | None) -> None:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or dossier.status == "ready":
        return
    dossier.status = "failed"
    dossier.error = error[:MAX_ERROR_CHARS]
    if claim is not None:
        claim.finish(session)
    session.commit()


def _gave_up(app: Flask, dossier_id: str, error: str) -> None:
    # The build was interrupted again and again (a worker killed each time): say so.
    _mark_failed(db.session, dossier_id, f"the build did not finish: {error}", None)
