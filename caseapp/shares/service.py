"""Shares: creating, opening, revoking them, the advocate's review state, invitations.

Every step is a custody log entry in the same unit of work as the change, so the
complainant can always see who was given access, who used it and when it ended.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from caseapp.accounts import service as accounts
from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.custody import log as custody
from caseapp.custody import looks
from caseapp.custody.chain import HeadKey
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.evidence.models import Evidence
from caseapp.fields import FieldSpec, InvalidFields, Message, read_fields
from caseapp.secret_digest import secret_digest
from caseapp.shares.models import REVIEW_STATES, Share, SharedEvidence

DEFAULT_LIFETIME = timedelta(days=30)
MAX_LIFETIME = timedelta(days=366)

SHARE_FIELDS: dict[str, FieldSpec] = {
    "advocate_email": FieldSpec("text", max_length=254),
    "link": FieldSpec("bool"),
    "expires_at": FieldSpec("time"),
    "allow_originals": FieldSpec("bool"),
    "include_later": FieldSpec("bool"),
    "label": FieldSpec("text", max_length=120),
}


class ShareNotFound(Exception):
    """No such share, or not one this user may act on."""


class ReviewNotYours(Exception):
    """Only the advocate a share is for sets its review state."""


class ShareEnded(ShareNotFound):
    """The share existed but was revoked or has expired; `state` says which."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


@dataclass(frozen=True)
class NewShare:
    """A share just made, with the secrets that are shown once and never stored."""

    share: Share
    link_token: str | None = None
    invite_token: str | None = None


def new_token() -> str:
    """A fresh share or invitation token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def _evidence_selection(
    session: DbSession, case: Case, raw: Any, include_later: bool
) -> list[str] | None:
    """The ids a share is limited to; None for every item, whenever added."""
    if raw is None:
        if include_later:
            return None
        # Every item there is now, and nothing added later: that is a selection too.
        return sorted(session.scalars(select(Evidence.id).where(Evidence.case_id == case.id)))
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InvalidFields({"evidence_ids": _l("must be a list of evidence ids")})
    wanted = set(raw)
    found = (
        set(
            session.scalars(
                select(Evidence.id).where(Evidence.case_id == case.id, Evidence.id.in_(wanted))
            )
        )
        if wanted
        else set()
    )
    if wanted - found:
        raise InvalidFields({"evidence_ids": _l("some ids are not evidence of this case")})
    return sorted(found)


@unit_of_work
def create_share(
    session: DbSession,
    head_key: HeadKey,
    owner: User,
    case: Case,
    data: dict[str, Any],
    tz_name: str,
    *,
    now: datetime | None = None,
) -> NewShare:
    """Offer the case to an advocate (`advocate_email`) or share it as a link (`link: true`).

    `evidence_ids` limits the share to those items; without it every item there is
    now is included. Evidence added to the case later is shared only with
    `include_later` (off by default: nothing goes out that the sharer was not shown).
    An advocate share is an offer, with an invitation token whether or not the email
    has an account: the answer is the same either way, so it tells the sharer nothing
    about who is registered (nor whether they blocked them).
    """
    now = now or utcnow()
    data = dict(data)
    raw_selection = data.pop("evidence_ids", None)
    values = read_fields(SHARE_FIELDS, data, tz_name, partial=False)
    include_later = bool(values["include_later"])
    selection = _evidence_selection(session, case, raw_selection, include_later)
    email = accounts.normalise_email(values["advocate_email"] or "")
    link = bool(values["link"])
    expires_at: datetime = values["expires_at"] or now + DEFAULT_LIFETIME
    errors: dict[str, Message] = {}
    if link and email:
        errors["link"] = _l("give either advocate_email or link: true, not both")
    elif not link and not email:
        errors["advocate_email"] = _l("is required unless link is true")
    elif email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        errors["advocate_email"] = _l("is not a valid email address")
    elif email and email == owner.email:
        errors["advocate_email"] = _l("is your own address")
    if expires_at <= now:
        errors["expires_at"] = _l("must be in the future")
    elif expires_at > now + MAX_LIFETIME:
        errors["expires_at"] = _l("must be within a year")
    if errors:
        raise InvalidFields(errors)

    share = Share(
        case_id=case.id,
        kind="link" if link else "advocate",
        advocate_email=email or None,
        label=values["label"] or "",
        allow_originals=bool(values["allow_originals"]),
        all_evidence=selection is None,
        include_later=include_later,
        created_at=now,
        expires_at=expires_at,
        last_activity_at=now,
        items=[SharedEvidence(evidence_id=evidence_id) for evidence_id in selection or ()],
    )
    link_token = invite_token = None
    if link:
        link_token = new_token()
        share.token_hash = secret_digest(link_token)
    else:
        invite_token = new_token()
        share.invite_hash = secret_digest(invite_token)
        # An existing account sees the offer on its list; a newcomer through the link.
        if (advocate := accounts.find_user(session, email)) is not None:
            share.advocate_id = advocate.id
    session.add(share)
    session.flush()
    custody.record(
        session,
        head_key,
        case_id=case.id,
        actor=custody.actor_label(owner),
        action="share.created" if link else "share.offered",
        subject=f"share:{share.id}",
        details={
            "kind": share.kind,
            "advocate": share.advocate_email,
            "expires_at": expires_at.isoformat(),
            "allow_originals": share.allow_originals,
            "evidence": "all" if selection is None else selection,
            "include_later": include_later,
        },
    )
    return NewShare(share, link_token=link_token, invite_token=invite_token)


def case_shares(session: DbSession, case: Case) -> list[Share]:
    """Every share of the case, newest first, open or not."""
    return list(
        session.scalars(
            select(Share).where(Share.case_id == case.id).order_by(Share.created_at.desc())
        )
    )


def find_share(
    session: DbSession, user: User, share_id: str, *, now: datetime | None = None
) -> tuple[Share, str]:
    """A share and the user's part in it ("owner" or "advocate"); ShareNotFound otherwise.

    The advocate has a part once they accepted it, and loses sight of it once it is
    closed; the owner never does. (An offer is acted on through caseapp.shares.offers.)
    """
    now = now or utcnow()
    share = session.get(Share, share_id) if isinstance(share_id, str) else None
    if share is None:
        raise ShareNotFound(share_id)
    if share.case.owner_id == user.id:
        return share, "owner"
    if share.advocate_id == user.id and share.accepted_at is not None and share.is_open(now):
        return share, "advocate"
    raise ShareNotFound(share_id)


@unit_of_work
def revoke_share(
    session: DbSession, head_key: HeadKey, owner: User, share: Share, *, now: datetime | None = None
) -> None:
    """End the share at once; revoking it twice changes nothing."""
    if share.revoked_at is not None:
        return
    now = now or utcnow()
    share.revoked_at = now
    share.invite_hash = None
    share.last_activity_at = now
    custody.record(
        session,
        head_key,
        case_id=share.case_id,
        actor=custody.actor_label(owner),
        action="share.revoked",
        subject=f"share:{share.id}",
        details={"kind": share.kind, "advocate": share.advocate_email},
    )


@unit_of_work
def set_review_state(
    session: DbSession,
    head_key: HeadKey,
    advocate: User,
    share: Share,
    state: Any,
    *,
    now: datetime | None = None,
) -> Share:
    """The advocate marks where their review stands; the complainant sees it."""
    if share.advocate_id != advocate.id:
        raise ReviewNotYours(share.id)
    if state not in REVIEW_STATES:
        raise InvalidFields(
            {"review_state": _l("must be one of: %(choices)s", choices=", ".join(REVIEW_STATES))}
        )
    if state == share.review_state:
        return share
    now = now or utcnow()
    custody.record(
        session,
        head_key,
        case_id=share.case_id,
        actor=custody.actor_label(advocate),
        action="share.review_changed",
        subject=f"share:{share.id}",
        details={"from": share.review_state, "to": state},
    )
    share.review_state = state
    share.last_activity_at = now
    return share


@unit_of_work
def open_link(
    session: DbSession, head_key: HeadKey, token: str, *, now: datetime | None = None
) -> Share:
    """The open link share this token belongs to, logged as opened.

    ShareEnded when it was revoked or has expired (whoever holds the token may learn
    that much, nothing of the case), ShareNotFound when there is no such link.
    Following the link is a GET that writes: it is the share being used, and the owner
    sees every use of it in the custody log.
    """
    now = now or utcnow()
    share = session.scalar(
        select(Share).where(Share.token_hash == secret_digest(token), Share.kind == "link")
    )
    if share is None:
        raise ShareNotFound("link")
    if not share.is_open(now):
        raise ShareEnded(share.state(now))
    looks.log_open(session, head_key, share, f"link:{share.id}", now)
    return share


def advocate_shares(session: DbSession, user: User, *, now: datetime | None = None) -> list[Share]:
    """The open shares this advocate accepted, newest activity (on the share or the case) first."""
    now = now or utcnow()
    shares = session.scalars(open_for(user, now).where(Share.accepted_at.is_not(None)))
    return sorted(shares, key=last_activity, reverse=True)


def last_activity(share: Share) -> datetime:
    """When the share or its case last changed: a comment, a review, an open, a new contact."""
    return max(share.last_activity_at, share.case.updated_at)


def open_for(user: User, now: datetime) -> Select[Share]:
    """The user's advocate shares that are neither revoked, declined nor expired."""
    return select(Share).where(
        Share.advocate_id == user.id,
        Share.revoked_at.is_(None),
        Share.declined_at.is_(None),
        Share.expires_at > now,
    )


def ended_share(
    session: DbSession,
    case_id: str,
    *,
    user: User | None,
    link_share_ids: Collection[str] = (),
    now: datetime | None = None,
) -> Share | None:
    """The viewer's newest way into the case that was revoked or expired, or None.

    For someone the case no longer opens to: an advocate whose accepted share of it
    ended, or a browser still holding an ended link share's cookie. Their page then
    says what happened rather than a bare 404, naming no case, so it tells them
    nothing they did not know. An offer never accepted, or declined, opened nothing:
    there is nothing to explain.
    """
    now = now or utcnow()
    reach = []
    if user is not None:
        reach.append((Share.advocate_id == user.id) & Share.accepted_at.is_not(None))
    if link_share_ids:
        reach.append((Share.kind == "link") & Share.id.in_(list(link_share_ids)))
    if not reach or not isinstance(case_id, str):
        return None
    shares = session.scalars(
        select(Share)
        .where(Share.case_id == case_id, Share.declined_at.is_(None), or_(*reach))
        .order_by(Share.created_at.desc())
    )
    return next((share for share in shares if not share.is_open(now)), None)
