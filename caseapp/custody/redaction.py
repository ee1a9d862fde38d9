"""The custody log on a need-to-know basis, for everyone but the case's owner.

The owner sees every entry as it was written. An advocate or a link visitor sees the
actors by role only ("the complainant", "an advocate", "you", "a link visitor", "the
system"), and only the entries about what their own share shows them: the case, its
contacts, the evidence items their share includes, their own share, the comments they
take part in, the dossiers. Every other entry stays in the list, in its place, with
its seq, time, prev_hash and hash, but as "redacted": no actor, subject or details. The
chain's links (each prev_hash is the hash before it, up to the signed head) can still be
followed, and nothing is dropped silently; what another advocate's share is, or the
hashes of comments the viewer cannot read, never shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp.access.policy import CaseAccess
from caseapp.custody.models import CustodyEntry

REDACTED = "redacted"

# How a viewer who is not the owner reads the actor of an entry.
ACTOR_ROLES: dict[str, object] = {
    "complainant": _l("the complainant"),
    "advocate": _l("an advocate"),
    "you": _l("you"),
    "link": _l("a link visitor"),
    "system": _l("the system"),
}

# Subjects every viewer of the case may know of: the case itself, its contacts, and the
# dossiers (every viewer lists them and verifies them in place).
_OPEN_SUBJECTS = ("case", "contact", "dossier")


@dataclass(frozen=True)
class SeenEntry:
    """One custody entry as a viewer who is not the owner sees it."""

    seq: int
    at: datetime
    prev_hash: str
    hash: str
    actor: str = ""  # a key of ACTOR_ROLES; "" when redacted
    action: str = REDACTED
    subject: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def redacted(self) -> bool:
        """Outside what the viewer needs to know: only its place in the chain shows."""
        return self.action == REDACTED

    @property
    def who(self) -> str:
        """The actor's role in the viewer's language ("" when redacted)."""
        return str(ACTOR_ROLES[self.actor]) if self.actor else ""


def need_to_know(access: CaseAccess, entries: list[CustodyEntry]) -> list[SeenEntry]:
    """The case's log as this (non-owner) viewer may read it, every entry in its place."""
    return [_seen(access, entry) for entry in entries]


def _seen(access: CaseAccess, entry: CustodyEntry) -> SeenEntry:
    details = json.loads(entry.details)
    if not _about_what_they_see(access, entry.subject, details):
        return SeenEntry(entry.seq, entry.at, entry.prev_hash, entry.hash)
    own_shares = {f"share:{share.id}" for share in access.shares}
    if details.get("via") not in own_shares:
        details.pop("via", None)  # another share: not theirs to know
    return SeenEntry(
        entry.seq,
        entry.at,
        entry.prev_hash,
        entry.hash,
        actor=_role(access, entry.actor),
        action=entry.action,
        subject=entry.subject,
        details=details,
    )


def _about_what_they_see(access: CaseAccess, subject: str, details: dict[str, Any]) -> bool:
    kind, _, ident = subject.partition(":")
    own_shares = {share.id for share in access.shares}
    if kind in _OPEN_SUBJECTS:
        return True
    if kind == "evidence":
        if ident in access.withdrawn_ids:
            return False
        return access.evidence_ids is None or ident in access.evidence_ids
    if kind == "share":
        return ident in own_shares
    if kind == "comment":
        # A link visitor reads no comment; an advocate reads those to every advocate
        # and those of their own conversation.
        return access.user is not None and details.get("share") in {None, *own_shares}
    return False


def _role(access: CaseAccess, actor: str) -> str:
    if actor == "system":
        return "system"
    kind, _, rest = actor.partition(":")
    user_id = rest.partition(" ")[0]
    if kind == "user":
        if user_id == access.case.owner_id:
            return "complainant"
        return "you" if access.user is not None and user_id == access.user.id else "advocate"
    if kind == "link":
        return "you" if access.user is None and rest in {s.id for s in access.shares} else "link"
    return "system"
