"""Who looked at what: the custody entries for reading a case, an item or a dossier.

Every capability that shows something of a case to a viewer logs the look here, so
the owner can always tell who opened which share, read or downloaded which item, and
which dossier left. These are the writes a GET makes: each function a page or a
download calls is a unit of work of its own (committed when it returns), called once
what it serves is ready, so nothing is logged for a page that failed to render and a
download's entry is kept even when its stream is cut off later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from caseapp.access.policy import CaseAccess
from caseapp.custody import log as custody
from caseapp.custody.chain import HeadKey
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.evidence.models import Evidence
from caseapp.export.models import Dossier
from caseapp.shares.models import Share

# A share page viewed again within this window is the same visit: one "share.opened".
VISIT_WINDOW = timedelta(minutes=30)


@unit_of_work
def note_visit(
    session: DbSession, head_key: HeadKey, access: CaseAccess, *, now: datetime | None = None
) -> None:
    """Log that a share's case page was opened, once per visit (see VISIT_WINDOW).

    The case page's one unit of work, its owner's visits included (they log nothing):
    what the page's panels marked as read (caseapp.shares.panels) is kept with it.
    """
    share = access.share
    if share is None:
        return
    now = now or utcnow()
    if share.last_opened_at is None or now - share.last_opened_at >= VISIT_WINDOW:
        log_open(session, head_key, share, access.actor(), now)


def log_open(
    session: DbSession, head_key: HeadKey, share: Share, actor: str, now: datetime
) -> None:
    """Log that `actor` opened the case through `share` (a link followed, a visit begun).

    Part of the caller's unit of work (note_visit, caseapp.shares.service.open_link).
    """
    share.last_opened_at = now
    share.last_activity_at = now
    custody.record(
        session,
        head_key,
        case_id=share.case_id,
        actor=actor,
        action="share.opened",
        subject=f"share:{share.id}",
        details={"kind": share.kind},
    )


def look_fields(access: CaseAccess, evidence: Evidence) -> dict[str, Any]:
    """The custody fields of a look at an item (case, actor, subject, details), as plain
    values that stay valid after the request's objects are gone."""
    details: dict[str, Any] = {"number": evidence.number, "sha256": evidence.sha256}
    if access.share is not None:
        details["via"] = f"share:{access.share.id}"
    return {
        "case_id": evidence.case_id,
        "actor": access.actor(),
        "subject": f"evidence:{evidence.id}",
        "details": details,
    }


@unit_of_work
def record_look(
    session: DbSession,
    head_key: HeadKey,
    fields: dict[str, Any],
    action: str,
    **extra: Any,
) -> None:
    """Log that the viewer read (`evidence.viewed`), downloaded, or found not intact
    (`evidence.integrity_failed`) an item, and via which share; `fields` from look_fields."""
    details = {**fields["details"], **extra}
    custody.record(session, head_key, action=action, **{**fields, "details": details})


@unit_of_work
def record_dossier_download(
    session: DbSession, head_key: HeadKey, access: CaseAccess, dossier: Dossier, which: str
) -> None:
    """Log that the viewer took a dossier's PDF or bundle away, and via which share."""
    details: dict[str, Any] = {
        "file": which,
        "sha256": dossier.sha256 if which == "pdf" else dossier.bundle_sha256,
    }
    if access.share is not None:
        details["via"] = f"share:{access.share.id}"
    custody.record(
        session,
        head_key,
        case_id=dossier.case_id,
        actor=access.actor(),
        action="dossier.downloaded",
        subject=f"dossier:{dossier.id}",
        details=details,
    )
