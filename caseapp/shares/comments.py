"""Comments between the complainant and the advocates a case is shared with.

Each advocate has their own conversation with the complainant (the comments of
their shares); what the complainant writes to no share in particular reaches every
advocate. A browser holding only a link reads the case but takes no part.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from caseapp.access.policy import CaseAccess, visible_evidence
from caseapp.accounts.models import User
from caseapp.custody import log as custody
from caseapp.custody.chain import HeadKey
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.evidence.service import EvidenceNotFound
from caseapp.fields import FieldSpec, InvalidFields, read_fields
from caseapp.pagination import Page, paginate
from caseapp.shares.models import Comment, CommentRead, Share

COMMENT_FIELDS: dict[str, FieldSpec] = {
    "body": FieldSpec("text", required=True, max_length=10000),
    "evidence_id": FieldSpec("text", max_length=40),
    "share_id": FieldSpec("text", max_length=40),
}


class CommentsClosed(Exception):
    """Link visitors read the case but do not comment."""


def _conversation(access: CaseAccess) -> Select[Any]:
    stmt = select(Comment).where(Comment.case_id == access.case.id)
    if access.is_owner:
        return stmt
    if access.user is None:
        raise CommentsClosed(access.case.id)
    own_shares = select(Share.id).where(
        Share.case_id == access.case.id, Share.advocate_id == access.user.id
    )
    return stmt.where(or_(Comment.share_id.is_(None), Comment.share_id.in_(own_shares)))


def list_comments(
    session: DbSession, access: CaseAccess, *, limit: int, cursor: str | None
) -> Page[Comment]:
    """The comments this viewer takes part in, oldest first."""
    return paginate(
        session,
        _conversation(access),
        sort_column=Comment.created_at,
        id_column=Comment.id,
        descending=False,
        limit=limit,
        cursor=cursor,
    )


def all_comments(session: DbSession, access: CaseAccess) -> list[Comment]:
    """Every comment this viewer takes part in, oldest first (for the case page)."""
    return list(session.scalars(_conversation(access).order_by(Comment.created_at, Comment.id)))


@unit_of_work
def add_comment(
    session: DbSession,
    head_key: HeadKey,
    access: CaseAccess,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
) -> Comment:
    """Write a comment on the case, or on one of its items (`evidence_id`).

    The owner may address one share (`share_id`); an advocate always writes in their
    own share's conversation. Logged with the SHA-256 of the text, not the text.
    """
    if access.user is None:
        raise CommentsClosed(access.case.id)
    now = now or utcnow()
    values = read_fields(COMMENT_FIELDS, data, "UTC", partial=False)
    evidence_id = values["evidence_id"] or None
    if evidence_id is not None:
        try:
            visible_evidence(session, access, evidence_id)
        except EvidenceNotFound as exc:
            raise InvalidFields(
                {"evidence_id": "is not evidence you can see in this case"}
            ) from exc
    share_id = values["share_id"] or None
    if access.is_owner:
        if (
            share_id is not None
            and session.scalar(
                select(Share.id).where(
                    Share.id == share_id, Share.case_id == access.case.id, Share.kind == "advocate"
                )
            )
            is None
        ):
            raise InvalidFields({"share_id": "is not an advocate share of this case"})
        reached = _open_advocate_shares(session, access, share_id, now)
    else:
        assert access.share is not None
        if share_id is not None and share_id not in {share.id for share in access.shares}:
            raise InvalidFields({"share_id": "is not your share of this case"})
        share_id = share_id or access.share.id
        reached = [share for share in access.shares if share.id == share_id]
    comment = Comment(
        case_id=access.case.id,
        share_id=share_id,
        evidence_id=evidence_id,
        author_id=access.user.id,
        author_role="owner" if access.is_owner else "advocate",
        body=values["body"],
        created_at=now,
    )
    session.add(comment)
    session.flush()
    for share in reached:
        share.last_activity_at = now
    custody.record(
        session,
        head_key,
        case_id=access.case.id,
        actor=access.actor(),
        action="comment.added",
        subject=f"comment:{comment.id}",
        details={
            "share": share_id,
            "evidence": evidence_id,
            "sha256": hashlib.sha256(comment.body.encode("utf-8")).hexdigest(),
        },
    )
    mark_read(session, access.user, access.case.id, now=now)
    return comment


def _open_advocate_shares(
    session: DbSession, access: CaseAccess, share_id: str | None, now: datetime
) -> list[Share]:
    stmt = select(Share).where(
        Share.case_id == access.case.id,
        Share.kind == "advocate",
        Share.revoked_at.is_(None),
        Share.expires_at > now,
    )
    if share_id is not None:
        stmt = stmt.where(Share.id == share_id)
    return list(session.scalars(stmt))


# -- unread markers -----------------------------------------------------------


def read_until(session: DbSession, user: User, case_id: str) -> datetime | None:
    """Up to when the user read the case's comments (None: never)."""
    marker = session.get(CommentRead, (user.id, case_id))
    return marker.read_at if marker else None


def is_unread(comment: Comment, user: User, read_at: datetime | None) -> bool:
    """Written by someone else after the user last read the comments."""
    return comment.author_id != user.id and (read_at is None or comment.created_at > read_at)


def mark_read(session: DbSession, user: User, case_id: str, *, now: datetime | None = None) -> None:
    """Everything written so far on the case counts as read by the user.

    Part of the caller's unit of work: a comment written, or a page showing the
    conversation (kept with the look that page logs, see caseapp.custody.looks).
    """
    now = now or utcnow()
    marker = session.get(CommentRead, (user.id, case_id))
    if marker is None:
        session.add(CommentRead(user_id=user.id, case_id=case_id, read_at=now))
    else:
        marker.read_at = max(marker.read_at, now)


@unit_of_work
def finish_reading(
    session: DbSession, user: User, case_id: str, *, now: datetime | None = None
) -> None:
    """The user listed the conversation to its last page: it counts as read.

    The one write listing comments (a GET) makes, so that the unread counts on both
    sides move on once the comments were actually read, not before.
    """
    mark_read(session, user, case_id, now=now)


def unread_count(session: DbSession, access: CaseAccess) -> int:
    """How many comments the viewer has not read yet."""
    if access.user is None:
        return 0
    read_at = read_until(session, access.user, access.case.id)
    stmt = _conversation(access).where(Comment.author_id.is_distinct_from(access.user.id))
    if read_at is not None:
        stmt = stmt.where(Comment.created_at > read_at)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
