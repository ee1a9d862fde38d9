"""gunicorn settings for caseapp.

    CASEAPP_INSTANCE=/srv/caseapp/instance \
        gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:8000 'caseapp:create_app()'

Options given on the command line override these.
"""

from __future__ import annotations

import os
from typing import Any

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread: requests run on threads while the worker's main thread keeps telling the
# master it is alive. With the default sync worker the request *is* the main thread, so
# an upload of a few hundred MiB over a slow link would outlast `timeout` and the
# master would kill the worker mid-upload; here `timeout` only catches a hung worker.
worker_class = "gthread"
threads = 4
timeout = 60
# A worker killed or hung is replaced; the jobs it held (readings, dossier builds) are
# taken over by any worker once their lease runs out (job_lease_seconds, 60 s default).

# Access and error lines with the tokens of /s/, /invite/, /reset/ and /calendar/
# addresses (and token= query values) replaced by [redacted]: see caseapp/log_redaction.py.
logger_class = "caseapp.log_redaction.GunicornLogger"


def post_worker_init(worker: Any) -> None:
    """Start this worker's job threads now, not at its first request.

    Without this a worker runs jobs only once it has served a request, so a worker
    respawned after a crash, or one the load balancer never picks, would leave the
    jobs to the others (or, with one worker, to nobody until a request comes).
    """
    from caseapp.runtime import runtime_of

    runtime = runtime_of(worker.wsgi)
    if runtime.settings.web_runs_jobs:
        runtime.jobs.start()
