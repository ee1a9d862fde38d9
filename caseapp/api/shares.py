"""Shares over JSON: the owner shares and revokes; the advocate lists, answers offers, reviews."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue

from caseapp.access.policy import ReadOnlyAccess, case_access, owned_case
from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.api.cases import user_zone
from caseapp.api.errors import json_body, json_error
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.shares import comments, offers, service
from caseapp.shares.models import Share
from caseapp.timezones import utc_iso


def share_json(share: Share) -> dict[str, Any]:
    """A share as its owner sees it (never its token)."""
    return {
        "id": share.id,
        "case_id": share.case_id,
        "kind": share.kind,
        "advocate_email": share.advocate_email,
        "label": share.label,
        "allow_originals": share.allow_originals,
        "evidence_ids": None
        if share.all_evidence
        else sorted(item.evidence_id for item in share.items),
        "include_later": share.include_later,
        "review_state": share.review_state,
        "state": share.state(utcnow()),
        "created_at": utc_iso(share.created_at),
        "expires_at": utc_iso(share.expires_at),
        "revoked_at": utc_iso(share.revoked_at),
        # The same for an email with or without an account: see create_share.
        "offer_state": share.offer_state,
    }


def shared_json(share: Share) -> dict[str, Any]:
    """A share as the advocate it is for sees it on their list.

    An offer shows who sends it, the case title and until when, nothing else of the
    case: no counterparty, no activity, until it is accepted.
    """
    case = share.case
    offered = share.accepted_at is None
    return {
        "id": share.id,
        "case_id": case.id,
        "case_title": case.title,
        "counterparty": None if offered else case.counterparty,
        "complainant": case.owner.name,
        "offered_by": {"name": case.owner.name, "email": case.owner.email},
        "state": "offered" if offered else "accepted",
        "expires_at": utc_iso(share.expires_at),
        "review_state": share.review_state,
        "allow_originals": share.allow_originals,
        "last_activity_at": utc_iso(
            share.created_at if offered else max(share.last_activity_at, case.updated_at)
        ),
    }


@bp.post("/cases/<case_id>/shares")
def create_share(case_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    created = service.create_share(
        db.session, runtime().head_key, api_user(), case, json_body(), user_zone()
    )
    body = share_json(created.share)
    if created.link_token:
        body["url"] = url_for("shares.open_link", token=created.link_token, _external=True)
    if created.invite_token:
        body["invite_url"] = url_for("shares.invite", token=created.invite_token, _external=True)
    return jsonify(body), 201


@bp.get("/cases/<case_id>/shares")
def list_shares(case_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    return jsonify(
        {
            "items": [share_json(s) for s in service.case_shares(db.session, case)],
            "next_cursor": None,
        }
    )


@bp.delete("/shares/<share_id>")
def revoke_share(share_id: str) -> ResponseReturnValue:
    share, part = service.find_share(db.session, api_user(), share_id)
    if part != "owner":
        raise ReadOnlyAccess(share.case_id)
    service.revoke_share(db.session, runtime().head_key, api_user(), share)
    return "", 204


@bp.patch("/shares/<share_id>")
def review_share(share_id: str) -> ResponseReturnValue:
    share, _part = service.find_share(db.session, api_user(), share_id)
    data = json_body()
    unknown = sorted(set(data) - {"review_state"})
    if unknown or "review_state" not in data:
        return json_error(
            422,
            "invalid_fields",
            "some fields are missing or invalid",
            fields={name: "is not a field you can change" for name in unknown}
            or {"review_state": "is required"},
        )
    service.set_review_state(
        db.session, runtime().head_key, api_user(), share, data["review_state"]
    )
    return jsonify(shared_json(share))


@bp.get("/shared")
def shared_with_me() -> ResponseReturnValue:
    items = [
        {**shared_json(share), "unread_comments": 0}
        for share in offers.offers_for(db.session, api_user())
    ]
    for share in service.advocate_shares(db.session, api_user()):
        body = shared_json(share)
        body["unread_comments"] = comments.unread_count(
            db.session, case_access(db.session, share.case_id, user=api_user())
        )
        items.append(body)
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/shares/<share_id>/accept")
def accept_share(share_id: str) -> ResponseReturnValue:
    share = offers.find_offer(db.session, api_user(), share_id)
    offers.accept_offer(db.session, runtime().head_key, api_user(), share)
    return jsonify(shared_json(share))


@bp.post("/shares/<share_id>/decline")
def decline_share(share_id: str) -> ResponseReturnValue:
    share = offers.find_offer(db.session, api_user(), share_id)
    offers.decline_offer(db.session, runtime().head_key, api_user(), share)
    return "", 204
