"""Who looked at what, when: the case's custody log read from the owner's side."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from caseapp.cases.models import Case
from caseapp.custody import log as custody
from caseapp.database import DbSession
from caseapp.evidence.models import Evidence
from caseapp.shares.service import case_shares


@dataclass(frozen=True)
class Look:
    """One thing someone other than the owner did with the case, from its custody log."""

    at: datetime
    who: str  # an email, or the label of a link share
    via_link: bool
    action: str
    evidence: Evidence | None
    details: dict[str, Any]


def access_history(session: DbSession, case: Case) -> list[Look]:
    """Who looked at what, when: each custody entry by someone but the owner, newest first."""
    own_prefix = f"user:{case.owner_id} "
    links = {share.id: share for share in case_shares(session, case) if share.kind == "link"}
    evidence = {
        item.id: item
        for item in session.scalars(select(Evidence).where(Evidence.case_id == case.id))
    }
    looks = []
    for entry in reversed(custody.entries(session, case.id)):
        if entry.actor.startswith(own_prefix) or entry.actor == "system":
            continue
        kind, _, rest = entry.actor.partition(":")
        if kind == "link":
            share = links.get(rest)
            who = share.label if share and share.label else rest
        else:
            who = rest.partition(" ")[2].strip("<>") or rest
        subject_kind, _, subject_id = entry.subject.partition(":")
        looks.append(
            Look(
                at=entry.at,
                who=who,
                via_link=kind == "link",
                action=entry.action,
                evidence=evidence.get(subject_id) if subject_kind == "evidence" else None,
                details=json.loads(entry.details),
            )
        )
    return looks
