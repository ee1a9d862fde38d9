"""A case's chain-of-custody log over JSON: every entry for the owner, need-to-know for
anyone else (see caseapp.custody.redaction)."""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from caseapp.access.policy import case_access
from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.custody import log as custody
from caseapp.custody.models import CustodyEntry
from caseapp.custody.redaction import SeenEntry, need_to_know
from caseapp.extensions import db
from caseapp.timezones import utc_iso


def custody_json(entry: CustodyEntry | SeenEntry) -> dict[str, Any]:
    """One log entry as the API shows it: as written, or as a non-owner may see it."""
    details = json.loads(entry.details) if isinstance(entry, CustodyEntry) else entry.details
    return {
        "seq": entry.seq,
        "at": utc_iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "details": details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


@bp.get("/cases/<case_id>/custody")
def case_custody(case_id: str) -> ResponseReturnValue:
    access = case_access(db.session, case_id, user=api_user())
    case = access.case
    head = custody.head_of(db.session, case.id)
    entries: list[CustodyEntry] | list[SeenEntry] = custody.entries(db.session, case.id)
    if not access.is_owner:
        entries = need_to_know(access, custody.entries(db.session, case.id))
    return jsonify(
        {
            "items": [custody_json(e) for e in entries],
            "next_cursor": None,
            "head": {"seq": head.seq, "hash": head.hash, "signature": head.signature}
            if head
            else None,
        }
    )
