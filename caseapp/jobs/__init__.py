"""Background work that outlives any process: jobs persisted in the database.

Every piece of background work (reading evidence, building dossiers, later mail) is a
`Job` row, added in the same transaction as the change that asks for it, so a request
that committed never loses its work. A runner (threads inside the web process, or
`caseapp worker`) claims a job with a lease it keeps renewing; a process that dies
stops renewing, and any other runner takes the job over once the lease has expired.
A handler's final write is fenced by the lease, so a slow runner whose job was taken
over can never store or log its result a second time.
"""

from caseapp.jobs.queue import (
    Claim,
    JobLost,
    enqueue,
    register_handler,
)
from caseapp.jobs.runner import JobRunner

__all__ = ["Claim", "JobLost", "JobRunner", "enqueue", "register_handler"]
