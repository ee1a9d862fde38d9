"""Cases and contacts: the rules for opening, changing and listing them.

Input arrives as plain values (from a form or JSON); this module validates and
converts it once, so the web pages and the API share one definition of a valid case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from caseapp.accounts.models import User
from caseapp.cases.models import Case, Event
from caseapp.cases.vocabulary import CATEGORY_BY_CODE, CHANNELS, DIRECTIONS, STATUSES
from caseapp.custody import log as custody
from caseapp.custody.chain import HeadKey
from caseapp.custody.models import CustodyEntry
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.evidence import management
from caseapp.fields import FieldSpec, InvalidFields, read_fields
from caseapp.pagination import Page, paginate


class CaseNotFound(Exception):
    """No such case, or not one this user may see."""


class EventNotFound(Exception):
    """No such contact on this case."""


CASE_FIELDS: dict[str, FieldSpec] = {
    "title": FieldSpec("text", required=True, max_length=200),
    "counterparty": FieldSpec("text", required=True, max_length=200),
    "category": FieldSpec("choice", required=True, choices=tuple(CATEGORY_BY_CODE)),
    "amount": FieldSpec("amount"),
    "currency": FieldSpec("currency"),
    "incident_at": FieldSpec("time", past=True),
    "desired_outcome": FieldSpec("text", max_length=5000),
    "description": FieldSpec("text", max_length=20000),
    "status": FieldSpec("choice", choices=tuple(STATUSES)),
}

EVENT_FIELDS: dict[str, FieldSpec] = {
    "occurred_at": FieldSpec("time", required=True, past=True),
    "channel": FieldSpec("choice", required=True, choices=tuple(CHANNELS)),
    "direction": FieldSpec("choice", choices=tuple(DIRECTIONS)),
    "reference": FieldSpec("text", max_length=120),
    "representative": FieldSpec("text", max_length=120),
    "summary": FieldSpec("text", required=True, max_length=20000),
    "outcome": FieldSpec("text", max_length=20000),
    "follow_up_at": FieldSpec("time"),
    "follow_up_done": FieldSpec("bool"),
}

# -- cases -----------------------------------------------------------------


@unit_of_work
def open_case(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    data: dict[str, Any],
    tz_name: str,
    *,
    now: datetime | None = None,
) -> Case:
    """Open a new case for `user` and start its custody log.

    InvalidFields for a missing or invalid field, an incident in the future among them.
    """
    values = read_fields(CASE_FIELDS, data, tz_name, partial=False, now=now)
    values["status"] = values.get("status") or "open"
    case = Case(owner_id=user.id, **values)
    session.add(case)
    session.flush()
    custody.record(
        session,
        head_key,
        case_id=case.id,
        actor=custody.actor_label(user),
        action="case.created",
        subject=f"case:{case.id}",
        details={"title": case.title, "counterparty": case.counterparty},
    )
    return case


@unit_of_work
def change_case(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    case: Case,
    data: dict[str, Any],
    tz_name: str,
    *,
    now: datetime | None = None,
) -> Case:
    """Change some fields of a case; a status change is logged with old and new value.

    The status alone is what the case page's one-step status form sends.
    """
    values = read_fields(CASE_FIELDS, data, tz_name, partial=True, now=now)
    changed = {k: v for k, v in values.items() if getattr(case, k) != v}
    if "status" in changed and changed["status"] is None:
        raise InvalidFields({"status": _l("cannot be empty")})
    if not changed:
        return case
    details: dict[str, Any] = {"fields": sorted(changed)}
    if "status" in changed:
        details["status"] = {"from": case.status, "to": changed["status"]}
    for name, value in changed.items():
        setattr(case, name, value)
    case.updated_at = utcnow()
    custody.record(
        session,
        head_key,
        case_id=case.id,
        actor=custody.actor_label(user),
        action="case.changed",
        subject=f"case:{case.id}",
        details=details,
    )
    return case


def list_cases(
    session: DbSession,
    user: User,
    *,
    query: str = "",
    status: str = "",
    limit: int,
    cursor: str | None,
) -> Page[Case]:
    """The user's cases, newest first, optionally searched and filtered by status."""
    stmt = select(Case).where(Case.owner_id == user.id)
    if status:
        stmt = stmt.where(Case.status == status)
    if query.strip():
        pattern = f"%{_escape_like(query.strip())}%"
        stmt = stmt.where(
            or_(
                Case.title.ilike(pattern, escape="\\"),
                Case.counterparty.ilike(pattern, escape="\\"),
                Case.description.ilike(pattern, escape="\\"),
            )
        )
    return paginate(
        session,
        stmt,
        sort_column=Case.created_at,
        id_column=Case.id,
        descending=True,
        limit=limit,
        cursor=cursor,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- contacts ----------------------------------------------------------------


def get_event(session: DbSession, case: Case, event_id: str) -> Event:
    """The contact if it belongs to this case; EventNotFound otherwise."""
    event = session.get(Event, event_id) if isinstance(event_id, str) else None
    if event is None or event.case_id != case.id:
        raise EventNotFound(event_id)
    return event


def _split_evidence_ids(data: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The contact's own fields, and the evidence it links (None: leave the links as
    they are), which caseapp.evidence.management keeps."""
    fields = {k: v for k, v in data.items() if k != "evidence_ids"}
    return fields, data.get("evidence_ids")


@unit_of_work
def log_contact(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    case: Case,
    data: dict[str, Any],
    tz_name: str,
    *,
    now: datetime | None = None,
) -> Event:
    """Add a contact to the case's timeline (with `evidence_ids`, the items it links).

    InvalidFields for a missing or invalid field, a contact in the future or a
    follow-up set before the contact among them.
    """
    data, evidence_ids = _split_evidence_ids(data)
    values = read_fields(EVENT_FIELDS, data, tz_name, partial=False, now=now)
    _check_follow_up(values["occurred_at"], values.get("follow_up_at"))
    values["direction"] = values.get("direction") or "outbound"
    event = Event(case_id=case.id, **values)
    session.add(event)
    session.flush()
    case.updated_at = utcnow()
    custody.record(
        session,
        head_key,
        case_id=case.id,
        actor=custody.actor_label(user),
        action="contact.logged",
        subject=f"contact:{event.id}",
        details={
            "channel": event.channel,
            "occurred_at": event.occurred_at.isoformat(),
            "reference": event.reference,
        },
    )
    if evidence_ids is not None:
        management.set_contact_evidence(session, head_key, user, event, evidence_ids)
    return event


@unit_of_work
def change_contact(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    event: Event,
    data: dict[str, Any],
    tz_name: str,
    *,
    now: datetime | None = None,
) -> Event:
    """Change a logged contact (with `evidence_ids`, the items it links); the log keeps
    which fields changed."""
    data, evidence_ids = _split_evidence_ids(data)
    values = read_fields(EVENT_FIELDS, data, tz_name, partial=True, now=now)
    changed = {k: v for k, v in values.items() if getattr(event, k) != v}
    for field in ("occurred_at", "channel", "summary"):
        if field in changed and changed[field] in (None, ""):
            raise InvalidFields({field: _l("is required")})
    if "occurred_at" in changed or "follow_up_at" in changed:
        # Only when one of the two moves: an older contact's dates are not re-judged
        # by an edit of its summary.
        _check_follow_up(
            changed.get("occurred_at", event.occurred_at),
            changed.get("follow_up_at", event.follow_up_at),
        )
    if evidence_ids is not None:
        management.set_contact_evidence(session, head_key, user, event, evidence_ids)
    if not changed:
        return event
    for name, value in changed.items():
        setattr(event, name, value)
    event.updated_at = utcnow()
    custody.record(
        session,
        head_key,
        case_id=event.case_id,
        actor=custody.actor_label(user),
        action="contact.changed",
        subject=f"contact:{event.id}",
        details={"fields": sorted(changed)},
    )
    return event


def _check_follow_up(occurred_at: datetime | None, follow_up_at: datetime | None) -> None:
    if occurred_at is not None and follow_up_at is not None and follow_up_at < occurred_at:
        raise InvalidFields({"follow_up_at": _l("cannot be before the contact")})


@unit_of_work
def delete_contact(session: DbSession, head_key: HeadKey, user: User, event: Event) -> None:
    """Remove a contact logged by mistake; the custody log keeps that it existed."""
    custody.record(
        session,
        head_key,
        case_id=event.case_id,
        actor=custody.actor_label(user),
        action="contact.deleted",
        subject=f"contact:{event.id}",
        details={"channel": event.channel, "occurred_at": event.occurred_at.isoformat()},
    )
    session.delete(event)


def list_contacts(session: DbSession, case: Case, *, limit: int, cursor: str | None) -> Page[Event]:
    """The case's timeline, oldest first."""
    stmt = select(Event).where(Event.case_id == case.id)
    return paginate(
        session,
        stmt,
        sort_column=Event.occurred_at,
        id_column=Event.id,
        descending=False,
        limit=limit,
        cursor=cursor,
    )


@dataclass(frozen=True)
class FollowUps:
    """Follow-ups the user promised themselves: overdue and due within a week."""

    overdue: list[Event]
    upcoming: list[Event]


def follow_ups(session: DbSession, user: User, now: datetime | None = None) -> FollowUps:
    """Open follow-ups across the user's cases, soonest first."""
    now = now or utcnow()
    rows = session.scalars(
        select(Event)
        .join(Case, Case.id == Event.case_id)
        .where(
            Case.owner_id == user.id,
            Event.follow_up_at.is_not(None),
            Event.follow_up_done.is_(False),
            Case.status.not_in(("resolved", "closed")),
        )
        .where(Event.follow_up_at <= now + timedelta(days=7))
        .order_by(Event.follow_up_at)
        .limit(100)
    )
    overdue: list[Event] = []
    upcoming: list[Event] = []
    for event in rows:
        assert event.follow_up_at is not None
        (overdue if event.follow_up_at < now else upcoming).append(event)
    return FollowUps(overdue, upcoming)


# -- the timeline: contacts and status changes ---------------------------------


@dataclass(frozen=True)
class StatusChange:
    """A change of the case's status, as its custody log recorded it."""

    at: datetime
    old: str
    new: str


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a case's timeline: a contact, or a change of the case's status."""

    at: datetime
    event: Event | None = None
    status: StatusChange | None = None


def status_changes(session: DbSession, case: Case) -> list[StatusChange]:
    """Every status change of the case, oldest first.

    Read from the custody log's `case.changed` entries (change_case writes the old and
    new status there), so the history is as trustworthy as the log and needs no table.
    """
    rows = session.scalars(
        select(CustodyEntry)
        .where(CustodyEntry.case_id == case.id, CustodyEntry.action == "case.changed")
        .order_by(CustodyEntry.seq)
    )
    changes = []
    for entry in rows:
        status = json.loads(entry.details).get("status")
        if isinstance(status, dict):
            changes.append(StatusChange(entry.at, str(status["from"]), str(status["to"])))
    return changes


def timeline(session: DbSession, case: Case) -> list[TimelineEntry]:
    """The case's contacts and status changes in one chronology, oldest first."""
    entries = [TimelineEntry(event.occurred_at, event=event) for event in case.events]
    entries += [TimelineEntry(change.at, status=change) for change in status_changes(session, case)]
    return sorted(entries, key=lambda entry: entry.at)
