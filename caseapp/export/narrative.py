"""The chain-of-custody log as a reader reads it: one sentence per entry.

The stored entry says `user:7f… <ana@example.org>` did `evidence.viewed` on `evidence:3c…`;
the dossier says "Advocate Ana viewed evidence E-003." The raw entries, with their hashes,
stay in the log and the bundle; these sentences only describe them, in the dossier's
language, from the roles `build_context` resolved for each actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from caseapp.export.context import CustodyInfo, DossierContext
from caseapp.export.i18n import Catalogue
from caseapp.export.manifest import evidence_label

# The sentence key for each custody action (caseapp.custody.log.ACTION_LABELS).
_ACTION_SENTENCES = {
    "case.created": "custody_case_created",
    "case.changed": "custody_case_changed",
    "contact.logged": "custody_contact_logged",
    "contact.changed": "custody_contact_changed",
    "contact.deleted": "custody_contact_deleted",
    "evidence.added": "custody_evidence_added",
    "evidence.viewed": "custody_evidence_viewed",
    "evidence.downloaded": "custody_evidence_downloaded",
    "evidence.integrity_failed": "custody_evidence_integrity_failed",
    "evidence.changed": "custody_evidence_changed",
    "evidence.linked": "custody_evidence_linked",
    "evidence.unlinked": "custody_evidence_unlinked",
    "evidence.withdrawn": "custody_evidence_withdrawn",
    "evidence.restored": "custody_evidence_restored",
    "dossier.exported": "custody_dossier_exported",
    "dossier.downloaded": "custody_dossier_downloaded",
    "share.created": "custody_share_created",
    "share.offered": "custody_share_offered",
    "share.declined": "custody_share_declined",
    "share.opened": "custody_share_opened",
    "share.accepted": "custody_share_accepted",
    "share.revoked": "custody_share_revoked",
    "share.review_changed": "custody_share_review_changed",
    "comment.added": "custody_comment_added",
}
_ACTOR_KEYS = {
    "complainant": "actor_complainant",
    "advocate": "actor_advocate",
    "link": "actor_link",
    "user": "actor_user",
}


@dataclass(frozen=True)
class CustodyLine:
    """One custody entry as the dossier prints it."""

    seq: int
    local: str
    utc: str
    sentence: str
    hash: str


def actor_phrase(entry: CustodyInfo, t: Catalogue) -> str:
    """Who did it: "the complainant 张伟", "advocate Ana", "the system"."""
    if entry.actor_role == "system" or (not entry.actor_role and entry.actor == "system"):
        return t("actor_system")
    key = _ACTOR_KEYS.get(entry.actor_role)
    if key is None:
        return entry.actor_name or entry.actor
    if entry.actor_role == "link" and not entry.actor_name:
        return t("actor_link_unnamed")
    return t(key, name=entry.actor_name or t("not_given"))


def subject_phrase(entry: CustodyInfo, numbers: dict[str, int]) -> str:
    """What it was done to, as the dossier names it (an evidence number, a dossier id)."""
    kind, _, ident = entry.subject.partition(":")
    if kind == "evidence" and ident in numbers:
        return evidence_label(numbers[ident])
    return ident or entry.subject


def sentence(entry: CustodyInfo, t: Catalogue, numbers: dict[str, int]) -> str:
    """One entry as a sentence in the dossier's language."""
    who = actor_phrase(entry, t)
    what = subject_phrase(entry, numbers)
    key = _ACTION_SENTENCES.get(entry.action)
    text = t(key, who=who, what=what) if key else t("custody_other", who=who, action=entry.action)
    return text[:1].upper() + text[1:] if t.lang == "en" else text


def custody_lines(
    ctx: DossierContext,
    t: Catalogue,
    local: Callable[[datetime], str],
    utc: Callable[[datetime], str],
) -> list[CustodyLine]:
    """The dossier's custody log, in order, with local time beside UTC."""
    numbers = {item.id: item.number for item in ctx.evidence}
    return [
        CustodyLine(
            seq=entry.seq,
            local=local(entry.at),
            utc=utc(entry.at),
            sentence=sentence(entry, t, numbers),
            hash=entry.hash,
        )
        for entry in sorted(ctx.custody, key=lambda c: c.seq)
    ]
