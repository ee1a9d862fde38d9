"""Managing evidence once stored: its details, the contacts it belongs to, withdrawal.

None of this touches the original: the blob, its hash and the custody trail stay as
they were. Each change is a custody entry of its own (`evidence.changed` naming the
fields, `evidence.linked` / `evidence.unlinked` per contact, `evidence.withdrawn` /
`evidence.restored`), so the log says what the owner said about an item and when.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.cases.models import Case, Event
from caseapp.custody import log as custody
from caseapp.custody.chain import HeadKey
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.evidence.models import Evidence, evidence_contact
from caseapp.fields import FieldSpec, InvalidFields, read_fields

DETAIL_FIELDS: dict[str, FieldSpec] = {
    "description": FieldSpec("text", max_length=5000),
    "captured_at": FieldSpec("time"),
    "source": FieldSpec("text", max_length=255),
}
MAX_REASON = 2000
MAX_LINKS = 500


class AlreadyWithdrawn(Exception):
    """The item is withdrawn already; restore it first."""


class NotWithdrawn(Exception):
    """The item is not withdrawn: there is nothing to restore."""


def _id_list(raw: Any, field: str) -> list[str]:
    """A list of ids from JSON or a form: a list of strings, each once, order kept."""
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise InvalidFields({field: _("must be a list of ids")})
    if len(raw) > MAX_LINKS:
        raise InvalidFields({field: _("must hold at most %(count)d ids", count=MAX_LINKS)})
    return list(dict.fromkeys(raw))


def _record(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    item: Evidence,
    action: str,
    details: dict[str, Any],
) -> None:
    custody.record(
        session,
        head_key,
        case_id=item.case_id,
        actor=custody.actor_label(user),
        action=action,
        subject=f"evidence:{item.id}",
        details={"number": item.number, **details},
    )


@unit_of_work
def change_evidence(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    item: Evidence,
    data: dict[str, Any],
    tz_name: str,
) -> Evidence:
    """Change an item's description, source or capture time, and (with `contact_ids`)
    the contacts it belongs to. InvalidFields when a value is refused: nothing changes.
    """
    details = {k: v for k, v in data.items() if k != "contact_ids"}
    values = read_fields(DETAIL_FIELDS, details, tz_name, partial=True)
    contact_ids = _id_list(data["contact_ids"], "contact_ids") if "contact_ids" in data else None
    changed = {k: v for k, v in values.items() if getattr(item, k) != v}
    for name, value in changed.items():
        setattr(item, name, value)
    if changed:
        _record(session, head_key, user, item, "evidence.changed", {"fields": sorted(changed)})
    if contact_ids is not None:
        contacts = _contacts_of_case(session, item.case_id, contact_ids)
        _relink(session, head_key, user, item, set(item.contacts), contacts)
    return item


def _contacts_of_case(session: DbSession, case_id: str, ids: Collection[str]) -> set[Event]:
    found = set(
        session.scalars(select(Event).where(Event.case_id == case_id, Event.id.in_(list(ids))))
    )
    if len(found) != len(ids):
        raise InvalidFields({"contact_ids": _("names a contact that is not in this case")})
    return found


def _relink(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    item: Evidence,
    before: set[Event],
    after: set[Event],
) -> None:
    for event in sorted(after - before, key=lambda e: e.occurred_at):
        item.contacts.append(event)
        _record(session, head_key, user, item, "evidence.linked", {"contact": event.id})
    for event in sorted(before - after, key=lambda e: e.occurred_at):
        item.contacts.remove(event)
        _record(session, head_key, user, item, "evidence.unlinked", {"contact": event.id})


@unit_of_work
def set_contact_evidence(
    session: DbSession, head_key: HeadKey, user: User, event: Event, evidence_ids: Any
) -> None:
    """Link exactly these items of the case to a contact (the contact form's picker and
    the events API's `evidence_ids`); InvalidFields for an id not in the case."""
    ids = _id_list(evidence_ids, "evidence_ids")
    chosen = set(
        session.scalars(
            select(Evidence).where(Evidence.case_id == event.case_id, Evidence.id.in_(ids))
        )
    )
    if len(chosen) != len(ids):
        raise InvalidFields({"evidence_ids": _("names evidence that is not in this case")})
    linked = set(linked_evidence(session, [event.id]).get(event.id, []))
    for item in sorted(chosen | linked, key=lambda e: e.number):
        before = set(item.contacts)
        after = before | {event} if item in chosen else before - {event}
        _relink(session, head_key, user, item, before, after)


def linked_evidence(session: DbSession, event_ids: Iterable[str]) -> dict[str, list[Evidence]]:
    """The items linked to each of these contacts, numbered order, by contact id."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(evidence_contact.c.event_id, Evidence)
        .join(Evidence, Evidence.id == evidence_contact.c.evidence_id)
        .where(evidence_contact.c.event_id.in_(ids))
        .order_by(Evidence.number)
    ).all()
    found: dict[str, list[Evidence]] = {}
    for event_id, item in rows:
        found.setdefault(event_id, []).append(item)
    return found


def case_evidence_by_contact(session: DbSession, case: Case) -> dict[str, list[Evidence]]:
    """For the case's timeline: each contact's linked items, by contact id."""
    return linked_evidence(session, [event.id for event in case.events])


@unit_of_work
def withdraw(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    item: Evidence,
    reason: Any,
    now: datetime | None = None,
) -> Evidence:
    """Take an item out of dossiers and shares, saying why; the original stays stored.

    InvalidFields without a reason; AlreadyWithdrawn when it is.
    """
    if item.withdrawn_at is not None:
        raise AlreadyWithdrawn(item.id)
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidFields({"reason": _("is required")})
    if len(text) > MAX_REASON:
        raise InvalidFields({"reason": _("must be at most %(count)d characters", count=MAX_REASON)})
    item.withdrawn_at = now or utcnow()
    item.withdrawn_reason = text
    _record(session, head_key, user, item, "evidence.withdrawn", {"reason": text})
    return item


@unit_of_work
def restore(session: DbSession, head_key: HeadKey, user: User, item: Evidence) -> Evidence:
    """Undo a withdrawal: the item is back in dossiers and in shares that include it."""
    if item.withdrawn_at is None:
        raise NotWithdrawn(item.id)
    item.withdrawn_at = None
    item.withdrawn_reason = ""
    _record(session, head_key, user, item, "evidence.restored", {})
    return item
