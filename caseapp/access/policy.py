"""Who may do what with a case: the one answer every route asks for.

The owner may do everything. An advocate with an open share they accepted (until
then it is an offer, see caseapp.shares.offers), or a browser holding
an open link share, may read: the case, its chronology, the evidence the share
includes (originals only when allowed; evidence added after the share was made
only when it says so), the custody log. Anyone else learns
nothing, not even that the case exists: they get CaseNotFound, the same as for an
id that was never issued.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.cases.service import CaseNotFound
from caseapp.custody import log as custody
from caseapp.database import DbSession, utcnow
from caseapp.evidence.models import Evidence
from caseapp.evidence.service import EvidenceNotFound
from caseapp.shares.models import Share


class ReadOnlyAccess(Exception):
    """The viewer may read this case but not change it."""


class OriginalsNotShared(Exception):
    """The share lets the viewer read the evidence but not download the original files."""


@dataclass(frozen=True)
class CaseAccess:
    """What one viewer may do with one case, and through which shares."""

    case: Case
    role: str  # "owner", "advocate" or "link"
    user: User | None
    shares: tuple[Share, ...] = ()  # the open shares the access comes through, newest first
    allow_originals: bool = True
    evidence_ids: frozenset[str] | None = None  # None: every item of the case
    # Withdrawn by the owner (and the files found inside them): out of every share.
    withdrawn_ids: frozenset[str] = frozenset()

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def share(self) -> Share | None:
        """The newest open share the access comes through (None for the owner)."""
        return self.shares[0] if self.shares else None

    def sees(self, evidence: Evidence) -> bool:
        """Whether this item is visible: in the case, included in the share, not withdrawn."""
        if evidence.case_id != self.case.id or evidence.id in self.withdrawn_ids:
            return False
        return self.evidence_ids is None or evidence.id in self.evidence_ids

    def actor(self) -> str:
        """How this viewer is written in the custody log."""
        if self.user is not None:
            return custody.actor_label(self.user)
        assert self.share is not None
        return f"link:{self.share.id}"


def case_access(
    session: DbSession,
    case_id: str,
    *,
    user: User | None = None,
    link_share_ids: Collection[str] = (),
    now: datetime | None = None,
) -> CaseAccess:
    """What `user` (or a browser holding `link_share_ids`) may do with the case.

    Several open shares of one case for the same viewer add up: the union of their
    items, originals when any of them allows it. CaseNotFound when there is nothing.
    """
    now = now or utcnow()
    case = session.get(Case, case_id) if isinstance(case_id, str) else None
    if case is None:
        raise CaseNotFound(case_id)
    if user is not None and case.owner_id == user.id:
        return CaseAccess(case=case, role="owner", user=user)
    reach = []
    if user is not None:
        # An advocate share is an offer until accepted: it opens nothing before.
        reach.append((Share.advocate_id == user.id) & Share.accepted_at.is_not(None))
    if link_share_ids:
        reach.append((Share.kind == "link") & Share.id.in_(list(link_share_ids)))
    if not reach:
        raise CaseNotFound(case_id)
    shares = tuple(
        session.scalars(
            select(Share)
            .where(
                Share.case_id == case.id,
                Share.revoked_at.is_(None),
                Share.declined_at.is_(None),
                Share.expires_at > now,
                or_(*reach),
            )
            .order_by(Share.created_at.desc())
        )
    )
    if not shares:
        raise CaseNotFound(case_id)
    advocate = any(share.kind == "advocate" for share in shares)
    return CaseAccess(
        case=case,
        role="advocate" if advocate else "link",
        user=user if advocate else None,
        shares=shares,
        allow_originals=any(share.allow_originals for share in shares),
        evidence_ids=_shared_evidence(session, case, shares),
        withdrawn_ids=withdrawn_evidence_ids(session, case.id),
    )


def _shared_evidence(
    session: DbSession, case: Case, shares: tuple[Share, ...]
) -> frozenset[str] | None:
    """The items these shares show together; None when one of them shows every item.

    A share with `include_later` also shows what was added after it was made. A file
    found later inside another (an email's attachment, read after the share was made)
    counts as added later only when the share shows the file it was found in: leaving
    an email out of a share keeps its attachments out too.
    """
    if any(share.all_evidence for share in shares):
        return None
    shown = {item.evidence_id for share in shares for item in share.items}
    since = [share.created_at for share in shares if share.include_later]
    if since:
        added = session.execute(
            select(Evidence.id, Evidence.parent_id)
            .where(Evidence.case_id == case.id, Evidence.received_at > min(since))
            .order_by(Evidence.depth)  # a parent is decided before its children
        )
        for evidence_id, parent_id in added:
            if parent_id is None or parent_id in shown:
                shown.add(evidence_id)
    return frozenset(shown)


def withdrawn_evidence_ids(session: DbSession, case_id: str) -> frozenset[str]:
    """The items of the case its owner withdrew, with every file found inside them.

    One query for the whole case's (id, parent, withdrawn) rows, walked here: cases hold
    hundreds of items, and a file inside a withdrawn email must not stay in a share.
    """
    rows = session.execute(
        select(Evidence.id, Evidence.parent_id, Evidence.withdrawn_at).where(
            Evidence.case_id == case_id
        )
    ).all()
    hidden = {row.id for row in rows if row.withdrawn_at is not None}
    children: dict[str, list[str]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row.id)
    stack = list(hidden)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in hidden:
                hidden.add(child)
                stack.append(child)
    return frozenset(hidden)


def owned_case(session: DbSession, user: User, case_id: str, now: datetime | None = None) -> Case:
    """The case, for changing it: CaseNotFound when unseen, ReadOnlyAccess when only shared."""
    access = case_access(session, case_id, user=user, now=now)
    if not access.is_owner:
        raise ReadOnlyAccess(case_id)
    return access.case


def visible_evidence(session: DbSession, access: CaseAccess, evidence_id: str) -> Evidence:
    """An item of the case the viewer may see; EvidenceNotFound otherwise."""
    evidence = session.get(Evidence, evidence_id) if isinstance(evidence_id, str) else None
    if evidence is None or not access.sees(evidence):
        raise EvidenceNotFound(evidence_id)
    return evidence


def evidence_access(
    session: DbSession, evidence_id: str, *, user: User | None, now: datetime | None = None
) -> tuple[CaseAccess, Evidence]:
    """An item looked up by its id alone, with what the viewer may do with its case."""
    evidence = session.get(Evidence, evidence_id) if isinstance(evidence_id, str) else None
    if evidence is None:
        raise EvidenceNotFound(evidence_id)
    try:
        access = case_access(session, evidence.case_id, user=user, now=now)
    except CaseNotFound as exc:
        raise EvidenceNotFound(evidence_id) from exc
    if not access.sees(evidence):
        raise EvidenceNotFound(evidence_id)
    return access, evidence


def require_originals(access: CaseAccess) -> None:
    """OriginalsNotShared unless the viewer may download original files."""
    if not access.allow_originals:
        raise OriginalsNotShared(access.case.id)


def may_download_dossiers(access: CaseAccess) -> bool:
    """Whether the viewer may take a dossier's PDF or bundle away (see require_dossier_files)."""
    try:
        require_dossier_files(access)
    except OriginalsNotShared:
        return False
    return True


def require_dossier_files(access: CaseAccess) -> None:
    """OriginalsNotShared unless the viewer may download a dossier's PDF or bundle.

    A dossier embeds every original of the case, so only a share of the whole case
    that allows originals lets an advocate take one away; reading its status and
    verifying it in place need neither.
    """
    if not access.allow_originals or access.evidence_ids is not None:
        raise OriginalsNotShared(access.case.id)


def share_holders(session: DbSession, case_id: str) -> tuple[set[str], dict[str, str]]:
    """Who the case is or was shared with: advocates' user ids, and link shares' labels by id."""
    advocates: set[str] = set()
    links: dict[str, str] = {}
    for share in session.scalars(select(Share).where(Share.case_id == case_id)):
        if share.kind == "link":
            links[share.id] = share.label
        elif share.advocate_id:
            advocates.add(share.advocate_id)
    return advocates, links
