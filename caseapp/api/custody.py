"""A case's chain-of-custody log over JSON."""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify

from caseapp.access.policy import CaseAccess, case_access, custody_details
from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.custody import log as custody
from caseapp.custody.models import CustodyEntry
from caseapp.extensions import db
from caseapp.timezones import utc_iso


def custody_json(entry: CustodyEntry, access: CaseAccess | None = None) -> dict[str, Any]:
    """One log entry as the API shows it (to `access`, when given: see custody_details)."""
    details = json.loads(entry.details)
    return {
        "seq": entry.seq,
        "at": utc_iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "details": custody_details(access, entry.subject, details) if access else details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


@bp.get("/cases/<case_id>/custody")
def case_custody(case_id: str):  # type: ignore[no-untyped-def]
    access = case_access(db.session, case_id, user=api_user())
    case = access.case
    head = custody.head_of(db.session, case.id)
    return jsonify(
        {
            "items": [custody_json(e, access) for e in custody.entries(db.session, case.id)],
            "next_cursor": None,
            "head": {"seq": head.seq, "hash": head.hash, "signature": head.signature}
            if head
            else None,
        }
    )
