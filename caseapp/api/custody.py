"""A case's chain-of-custody log over JSON."""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify

from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.cases import service
from caseapp.custody import log as custody
from caseapp.custody.models import CustodyEntry
from caseapp.extensions import db
from caseapp.timezones import utc_iso


def custody_json(entry: CustodyEntry) -> dict[str, Any]:
    """One log entry as the API shows it."""
    return {
        "seq": entry.seq,
        "at": utc_iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "details": json.loads(entry.details),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


@bp.get("/cases/<case_id>/custody")
def case_custody(case_id: str):  # type: ignore[no-untyped-def]
    case = service.get_case(db.session, api_user(), case_id)
    head = custody.head_of(db.session, case.id)
    return jsonify({
        "items": [custody_json(e) for e in custody.entries(db.session, case.id)],
        "next_cursor": None,
        "head": {"seq": head.seq, "hash": head.hash, "signature": head.signature} if head else None,
    })
