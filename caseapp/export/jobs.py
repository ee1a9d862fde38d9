"""Running dossier builds off the request.

The embedded default is a small thread pool inside the web process: no extra service
to run. The queue is one interface (`submit(dossier_id)`), so a Redis + RQ queue can
replace it in a deployment that outgrows one process.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from flask import Flask

from caseapp.export.models import Dossier
from caseapp.extensions import db


class ExportQueue(Protocol):
    """Where requested dossiers go to be built."""

    def submit(self, dossier_id: str) -> Any:
        """Schedule the build of a queued dossier."""


def run_build(app: Flask, dossier_id: str) -> None:
    """Build one queued dossier in its own app context; a failure is recorded on the row."""
    from caseapp.export.dossier import build

    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        if dossier is None or dossier.status not in ("queued", "building"):
            return
        try:
            build(db.session, app.extensions["caseapp"], dossier)
        except Exception as exc:  # any failure must end as a visible state, never a silent loss
            app.logger.exception("dossier %s failed", dossier_id)
            db.session.rollback()
            dossier = db.session.get(Dossier, dossier_id)
            if dossier is not None:
                dossier.status = "failed"
                dossier.error = f"{type(exc).__name__}: {exc}"[:2000]
                db.session.commit()
        finally:
            db.session.remove()


class ThreadQueue:
    """Builds dossiers on a worker thread of this process (one at a time: a build is heavy)."""

    def __init__(self, app: Flask, workers: int = 1) -> None:
        self._app = app
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dossier")

    def submit(self, dossier_id: str) -> Future[None]:
        return self._pool.submit(run_build, self._app, dossier_id)

    def shutdown(self) -> None:
        """Finish the builds already started and stop the worker."""
        self._pool.shutdown(wait=True, cancel_futures=True)
