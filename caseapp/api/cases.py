"""Cases and their contacts (timeline events) over JSON."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from caseapp.access.policy import CaseAccess, case_access, owned_case
from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.api.errors import BadRequestBody, json_body
from caseapp.cases import service
from caseapp.cases.models import Case, Event
from caseapp.custody.looks import note_visit
from caseapp.evidence import management
from caseapp.extensions import db
from caseapp.pagination import Page, clamp_limit
from caseapp.runtime import runtime
from caseapp.timezones import default_zone_for, utc_iso


def case_json(case: Case) -> dict[str, Any]:
    """A case as the API shows it."""
    return {
        "id": case.id,
        "title": case.title,
        "counterparty": case.counterparty,
        "category": case.category,
        "amount": case.amount,
        "currency": case.currency,
        "incident_at": utc_iso(case.incident_at),
        "desired_outcome": case.desired_outcome,
        "description": case.description,
        "status": case.status,
        "created_at": utc_iso(case.created_at),
        "updated_at": utc_iso(case.updated_at),
    }


def event_json(event: Event, evidence_ids: list[str] | None = None) -> dict[str, Any]:
    """A contact as the API shows it, with the ids of the evidence linked to it."""
    return {
        "id": event.id,
        "case_id": event.case_id,
        "occurred_at": utc_iso(event.occurred_at),
        "channel": event.channel,
        "direction": event.direction,
        "reference": event.reference,
        "representative": event.representative,
        "summary": event.summary,
        "outcome": event.outcome,
        "follow_up_at": utc_iso(event.follow_up_at),
        "follow_up_done": event.follow_up_done,
        "created_at": utc_iso(event.created_at),
        "evidence_ids": evidence_ids or [],
    }


def events_json(events: list[Event], access: CaseAccess | None = None) -> list[dict[str, Any]]:
    """Contacts as the API shows them, each with the linked evidence the caller may see
    (all of it without `access`: the owner's own changes)."""
    linked = management.linked_evidence(db.session, [event.id for event in events])
    return [
        event_json(
            event,
            [
                item.id
                for item in linked.get(event.id, [])
                if access is None or access.sees(item)
            ],
        )
        for event in events
    ]


def page_json(page: Page[Any], render: Any) -> dict[str, Any]:
    """The list shape every API list answers with."""
    return {"items": [render(item) for item in page.items], "next_cursor": page.next_cursor}


def page_args() -> tuple[int, str | None]:
    """limit and cursor from the query string; BadRequestBody when limit is not a number."""
    try:
        limit = clamp_limit(request.args.get("limit"))
    except ValueError as exc:
        raise BadRequestBody("limit must be a positive whole number") from exc
    return limit, request.args.get("cursor") or None


def user_zone() -> str:
    """Times given without an offset are read in the user's zone."""
    user = api_user()
    return user.timezone or default_zone_for(user.locale)


@bp.get("/cases")
def list_cases() -> ResponseReturnValue:
    limit, cursor = page_args()
    page = service.list_cases(
        db.session,
        api_user(),
        query=request.args.get("q", ""),
        status=request.args.get("status", ""),
        limit=limit,
        cursor=cursor,
    )
    return jsonify(page_json(page, case_json))


@bp.post("/cases")
def open_case() -> ResponseReturnValue:
    case = service.open_case(db.session, runtime().head_key, api_user(), json_body(), user_zone())
    response = jsonify(case_json(case))
    response.headers["Location"] = url_for("api.get_case", case_id=case.id)
    return response, 201


@bp.get("/cases/<case_id>")
def get_case(case_id: str) -> ResponseReturnValue:
    access = case_access(db.session, case_id, user=api_user())
    note_visit(db.session, runtime().head_key, access)
    return jsonify(case_json(access.case))


@bp.patch("/cases/<case_id>")
def change_case(case_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    service.change_case(db.session, runtime().head_key, api_user(), case, json_body(), user_zone())
    return jsonify(case_json(case))


@bp.get("/cases/<case_id>/events")
def list_events(case_id: str) -> ResponseReturnValue:
    access = case_access(db.session, case_id, user=api_user())
    limit, cursor = page_args()
    page = service.list_contacts(db.session, access.case, limit=limit, cursor=cursor)
    return jsonify({"items": events_json(page.items, access), "next_cursor": page.next_cursor})


@bp.post("/cases/<case_id>/events")
def log_event(case_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    event = service.log_contact(
        db.session, runtime().head_key, api_user(), case, json_body(), user_zone()
    )
    return jsonify(events_json([event])[0]), 201


@bp.get("/cases/<case_id>/events/<event_id>")
def get_event(case_id: str, event_id: str) -> ResponseReturnValue:
    access = case_access(db.session, case_id, user=api_user())
    event = service.get_event(db.session, access.case, event_id)
    return jsonify(events_json([event], access)[0])


@bp.patch("/cases/<case_id>/events/<event_id>")
def change_event(case_id: str, event_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    event = service.get_event(db.session, case, event_id)
    service.change_contact(
        db.session, runtime().head_key, api_user(), event, json_body(), user_zone()
    )
    return jsonify(events_json([event])[0])


@bp.delete("/cases/<case_id>/events/<event_id>")
def delete_event(case_id: str, event_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    event = service.get_event(db.session, case, event_id)
    service.delete_contact(db.session, runtime().head_key, api_user(), event)
    return "", 204
