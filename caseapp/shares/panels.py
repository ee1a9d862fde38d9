"""What sharing adds to a case's pages: the owner's shares, comments and who looked;
a viewer's dossiers, conversation and review form.

Registered on the runtime's panel registry (see `caseapp.access.panels`) by
create_app, so the case and evidence pages show them without importing shares.
"""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms import SelectChoice

from caseapp.access.panels import Panel, PanelRegistry
from caseapp.access.policy import CaseAccess, may_download_dossiers
from caseapp.database import utcnow
from caseapp.evidence.models import Evidence
from caseapp.export import service as dossier_service
from caseapp.extensions import db
from caseapp.shares import comments, history, service
from caseapp.shares.forms import CommentForm, ReviewForm


def register(registry: PanelRegistry) -> None:
    """Add sharing's panels to the case page and to an item's page."""
    registry.add("case", case_panels)
    registry.add("evidence", evidence_panels)


def case_panels(access: CaseAccess, _item: Evidence | None) -> list[Panel]:
    """The owner's share list, conversation and looks; a viewer's dossiers, comments, review.

    Showing the conversation counts as reading it (the unread markers are taken first);
    the marker is kept with the visit the case page notes once rendered (note_visit).
    """
    case = access.case
    if access.is_owner:
        assert access.user is not None
        read_at = comments.read_until(db.session, access.user, case.id)
        panel = Panel(
            "shares/_panel.html",
            {
                "shares": service.case_shares(db.session, case),
                "conversation": comments.all_comments(db.session, access),
                "read_at": read_at,
                "comment_form": comment_form(access),
                "looks": history.access_history(db.session, case),
                "now": utcnow(),
            },
        )
        comments.mark_read(db.session, access.user, case.id)
        return [panel]
    panels = [
        Panel(
            "shares/_case_dossiers.html",
            {
                "dossiers": [
                    d
                    for d in dossier_service.list_dossiers(db.session, case)
                    if d.status == "ready"
                ],
                "may_download": may_download_dossiers(access),
            },
        )
    ]
    if access.user is not None:
        panels.append(
            Panel(
                "shares/_comments.html",
                {
                    "conversation": comments.all_comments(db.session, access),
                    "read_at": comments.read_until(db.session, access.user, case.id),
                    "comment_form": comment_form(access),
                },
            )
        )
        panels.extend(
            Panel(
                "shares/_review.html",
                {"share": share, "form": ReviewForm(review_state=share.review_state)},
                place="side",
            )
            for share in access.shares
            if share.advocate_id == access.user.id
        )
        comments.mark_read(db.session, access.user, case.id)
    return panels


def evidence_panels(access: CaseAccess, item: Evidence | None) -> list[Panel]:
    """An advocate's comments on the item they are reading (the owner reads them on the case)."""
    if access.is_owner or access.user is None or item is None:
        return []
    conversation = comments.all_comments(db.session, access)
    return [
        Panel(
            "shares/_comments.html",
            {
                "conversation": [c for c in conversation if c.evidence_id == item.id],
                "read_at": comments.read_until(db.session, access.user, access.case.id),
                "comment_form": comment_form(access, item),
                "show_item_links": False,
            },
        )
    ]


def comment_form(access: CaseAccess, evidence: Evidence | None = None) -> CommentForm:
    """The comment form for this viewer; the owner chooses which advocate it goes to."""
    form = CommentForm(evidence_id=evidence.id if evidence else "")
    if access.is_owner:
        open_shares = [
            s
            for s in service.case_shares(db.session, access.case)
            if s.offer_state == "accepted" and s.is_open(utcnow())
        ]
        form.share_id.choices = [SelectChoice("", _("Every advocate"))] + [
            SelectChoice(s.id, s.advocate.name if s.advocate else s.advocate_email or "")
            for s in open_shares
        ]
    return form
