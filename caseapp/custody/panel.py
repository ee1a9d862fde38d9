"""The custody panel of a case page: the log told in sentences, repeats grouped.

The log itself stays as written, entry by entry, on the full log page, in the API and
in every dossier. The panel is for reading at a glance: "You viewed E-003 5 times"
instead of five rows of `evidence.viewed`, newest first, filtered by kind and paged.

Everything the panel shows comes through `lines`, which gives a viewer who is not the
owner only what custody.redaction lets them know: the same entries, actors by role,
and the rest as withheld.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from math import ceil
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from caseapp.access.policy import CaseAccess
from caseapp.cases.models import Event
from caseapp.cases.vocabulary import CHANNELS, STATUSES
from caseapp.custody.log import ACTION_LABELS
from caseapp.custody.models import CustodyEntry
from caseapp.custody.redaction import need_to_know
from caseapp.database import utcnow
from caseapp.evidence.models import Evidence
from caseapp.timezones import to_local

PAGE_SIZE = 20  # groups on one page of the panel

# What the panel can be filtered by, in the order the filter offers them.
KINDS: dict[str, object] = {
    "case": _l("Case"),
    "contacts": _l("Contacts"),
    "evidence": _l("Evidence"),
    "views": _l("Views and downloads"),
    "shares": _l("Shares"),
    "dossiers": _l("Dossiers"),
}

# Looks rather than changes: the entries that pile up, and the ones most worth grouping.
_LOOKS = ("evidence.viewed", "evidence.downloaded", "share.opened", "dossier.downloaded")
_KIND_BY_PREFIX = {
    "case": "case",
    "contact": "contacts",
    "evidence": "evidence",
    "share": "shares",
    "comment": "shares",
    "dossier": "dossiers",
}
WITHHELD = "withheld"


def kind_of(action: str) -> str:
    """Which filter an action belongs to (one of KINDS)."""
    if action in _LOOKS:
        return "views"
    return _KIND_BY_PREFIX.get(action.partition(".")[0], "case")


@dataclass(frozen=True)
class Line:
    """One log entry as this viewer may read it: who in words, or withheld."""

    seq: int
    at: datetime
    action: str  # WITHHELD when the viewer may not know what it was
    subject: str
    details: dict[str, Any]
    who: str  # the actor in the viewer's words: "you", an email, "an advocate"


def lines(access: CaseAccess, entries: list[CustodyEntry]) -> list[Line]:
    """The case's log as `access` may read it, every entry in its place.

    The owner reads every entry, other people by their email; anyone else reads it
    through custody.redaction.need_to_know.
    """
    if access.is_owner:
        owner_id = access.case.owner_id
        return [
            Line(e.seq, e.at, e.action, e.subject, json.loads(e.details), _owner_reads(e, owner_id))
            for e in entries
        ]
    return [
        Line(s.seq, s.at, WITHHELD, "", {}, "")
        if s.redacted
        else Line(s.seq, s.at, s.action, s.subject, s.details, s.who)
        for s in need_to_know(access, entries)
    ]


def _owner_reads(entry: CustodyEntry, owner_id: str) -> str:
    kind, _sep, rest = entry.actor.partition(":")
    if kind == "user":
        user_id, _sep, email = rest.partition(" ")
        return _("you") if user_id == owner_id else email.strip("<>")
    if kind == "link":
        return _("a link visitor")
    return _("the system")


def subject_names(
    events: Iterable[Event], evidence: Iterable[Evidence], tz_name: str
) -> dict[str, str]:
    """Short names for the subjects the viewer can see: contacts and evidence items."""
    names = {f"evidence:{item.id}": _evidence_name(item.number) for item in evidence}
    for event in events:
        names[f"contact:{event.id}"] = _contact_name(event.channel, event.occurred_at, tz_name)
    return names


def _evidence_name(number: Any) -> str:
    return f"E-{number:03d}" if isinstance(number, int) else ""


def _contact_name(channel: str, occurred_at: datetime, tz_name: str) -> str:
    day = to_local(occurred_at, tz_name).strftime("%Y-%m-%d")
    return f"{CHANNELS.get(channel, channel)} {day}"


@dataclass(frozen=True)
class Group:
    """Entries that say the same thing on the same day, told once with their count."""

    kind: str  # one of KINDS, or WITHHELD
    sentence: str
    count: int
    day: str  # "today", "yesterday" or the date, in the viewer's zone
    times: str  # "09:12", or "09:12–10:40" for a group
    first_seq: int
    last_seq: int


@dataclass(frozen=True)
class PanelPage:
    """One page of the panel: its groups, newest first, and where it sits."""

    groups: list[Group]
    kind: str
    page: int
    pages: int
    total_entries: int


def panel_page(
    log: list[Line],
    names: Mapping[str, str],
    tz_name: str,
    *,
    kind: str = "",
    page: int = 1,
    now: datetime | None = None,
) -> PanelPage:
    """Group the log (from `lines`) and cut out one page of `kind` ("" for every kind).

    Repeats group when they read as the same sentence on the same local day: every
    look at E-003 by the same person today, every edit of one contact. Entries that
    happen once by nature (a status change, a share) always stand alone.
    """
    kind = kind if kind in KINDS else ""
    buckets: dict[tuple[str, ...], list[Line]] = {}
    for line in log:
        if kind and _kind(line) != kind:
            continue
        day = to_local(line.at, tz_name).date().isoformat()
        once = "" if line.action in _REPEATS and not _status_change(line) else str(line.seq)
        buckets.setdefault((day, once, _sentence(line, names, tz_name, 1)), []).append(line)
    groups = sorted(
        (_group(members, names, tz_name, now or utcnow()) for members in buckets.values()),
        key=lambda group: group.last_seq,
        reverse=True,
    )
    pages = max(1, ceil(len(groups) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    return PanelPage(groups[start : start + PAGE_SIZE], kind, page, pages, len(log))


def _kind(line: Line) -> str:
    return WITHHELD if line.action == WITHHELD else kind_of(line.action)


def _group(members: list[Line], names: Mapping[str, str], tz_name: str, now: datetime) -> Group:
    first, last = members[0], members[-1]
    start, end = to_local(first.at, tz_name), to_local(last.at, tz_name)
    today = to_local(now, tz_name).date()
    if start.date() == today:
        day = _("today")
    elif start.date() == today - timedelta(days=1):
        day = _("yesterday")
    else:
        day = start.date().isoformat()
    times = start.strftime("%H:%M")
    if end.strftime("%H:%M") != times:
        times += "–" + end.strftime("%H:%M")
    return Group(
        kind=_kind(first),
        sentence=_sentence(first, names, tz_name, len(members)),
        count=len(members),
        day=day,
        times=times,
        first_seq=first.seq,
        last_seq=last.seq,
    )


# The actions whose repeats on one day group into one sentence with their count.
_REPEATS = frozenset(
    {
        WITHHELD,
        "case.changed",
        "contact.changed",
        "evidence.viewed",
        "evidence.downloaded",
        "evidence.integrity_failed",
        "share.opened",
        "comment.added",
        "dossier.exported",
        "dossier.downloaded",
        "dossier.renewed",
    }
)


def _status_change(line: Line) -> bool:
    return line.action == "case.changed" and isinstance(line.details.get("status"), dict)


def _sentence(line: Line, names: Mapping[str, str], tz_name: str, num: int) -> str:
    """The entry, repeated `num` times, as a sentence in the viewer's language."""
    if "@" not in line.who:  # "you viewed…" starts an English sentence; an email stays as is
        line = replace(line, who=line.who[:1].upper() + line.who[1:])
    if line.action == WITHHELD:
        return ngettext(
            "An entry about something not shared with you",
            "%(num)d entries about things not shared with you",
            num,
        )
    if _status_change(line):
        status = line.details["status"]
        text = _(
            "%(who)s changed the status from “%(old)s” to “%(new)s”",
            who=line.who,
            old=STATUSES.get(status.get("from"), status.get("from")),
            new=STATUSES.get(status.get("to"), status.get("to")),
        )
    elif line.action in _SAYS:
        text = _SAYS[line.action](line, _subject_name(line, names, tz_name))
    else:
        # An action without a sentence of its own still reads in words, by its label.
        label = ACTION_LABELS.get(line.action, line.action)
        text = _("%(who)s: %(action)s", who=line.who, action=label)
    if num == 1:
        return text
    return _(
        "%(sentence)s %(times)s",
        sentence=text,
        times=ngettext("%(num)d time", "%(num)d times", num),
    )


def _subject_name(line: Line, names: Mapping[str, str], tz_name: str) -> str:
    """What the entry is about, in a few words: "E-003", "Hotline 2024-03-05"."""
    if line.subject in names:
        return names[line.subject]
    details = line.details
    if isinstance(details.get("number"), int):
        return _evidence_name(details["number"])
    if isinstance(details.get("channel"), str) and isinstance(details.get("occurred_at"), str):
        try:
            occurred_at = datetime.fromisoformat(details["occurred_at"])
        except ValueError:
            return str(CHANNELS.get(details["channel"], details["channel"]))
        return _contact_name(details["channel"], occurred_at, tz_name)
    return ""


# What each action says, once: (line, subject name) -> sentence. Repeats of the actions in
# _REPEATS add their count ("You viewed E-003" + "5 times").
_SAYS: dict[str, Callable[[Line, str], str]] = {
    "case.created": lambda line, name: _("%(who)s opened the case", who=line.who),
    "case.changed": lambda line, name: _("%(who)s edited the case details", who=line.who),
    "contact.logged": lambda line, name: _(
        "%(who)s logged a contact: %(contact)s", who=line.who, contact=name
    ),
    "contact.changed": lambda line, name: _(
        "%(who)s edited the contact %(contact)s", who=line.who, contact=name
    ),
    "contact.deleted": lambda line, name: _(
        "%(who)s deleted the contact %(contact)s", who=line.who, contact=name
    ),
    "evidence.added": lambda line, name: _("%(who)s added %(item)s", who=line.who, item=name),
    "evidence.viewed": lambda line, name: _("%(who)s viewed %(item)s", who=line.who, item=name),
    "evidence.downloaded": lambda line, name: _(
        "%(who)s downloaded the original of %(item)s", who=line.who, item=name
    ),
    "evidence.integrity_failed": lambda line, name: _(
        "%(item)s failed its integrity check and was not shown", item=name
    ),
    "share.opened": lambda line, name: _("%(who)s opened the shared case", who=line.who),
    "share.offered": lambda line, name: _(
        "%(who)s offered the case to %(advocate)s",
        who=line.who,
        advocate=line.details.get("advocate", ""),
    ),
    "share.created": lambda line, name: _("%(who)s shared the case as a link", who=line.who),
    "share.accepted": lambda line, name: _("%(who)s accepted the shared case", who=line.who),
    "share.declined": lambda line, name: _("%(who)s declined the shared case", who=line.who),
    "share.revoked": lambda line, name: (
        _(
            "%(who)s revoked the share with %(advocate)s",
            who=line.who,
            advocate=line.details["advocate"],
        )
        if line.details.get("advocate")
        else _("%(who)s revoked a share link", who=line.who)
    ),
    "comment.added": lambda line, name: _("%(who)s wrote a comment", who=line.who),
    "dossier.exported": lambda line, name: _("%(who)s exported a dossier", who=line.who),
    "dossier.downloaded": lambda line, name: _("%(who)s downloaded a dossier", who=line.who),
    "dossier.renewed": lambda line, name: _(
        "%(who)s renewed the time stamp of a dossier", who=line.who
    ),
}
