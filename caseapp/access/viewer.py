"""The web side of access: who is looking (account or link), 404/403, the link cookie.

A link share's token is only ever in the /s/<token> address. Opening it swaps the
token for a signed cookie named after the share and limited (Path) to that case's
pages, then redirects to an address without the token; pages seen through a share
send ``Referrer-Policy: no-referrer`` so no address of ours leaks to other sites.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, g, make_response, render_template, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response as BaseResponse

from caseapp.access.policy import CaseAccess, ReadOnlyAccess, case_access, owned_case
from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.cases.service import CaseNotFound
from caseapp.cookies import set_cookie
from caseapp.database import utcnow
from caseapp.extensions import db, login_manager
from caseapp.shares import service as shares
from caseapp.shares.models import Share

LINK_COOKIE_PREFIX = "caseapp_link_"
_SALT = "caseapp.share-link"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def signed_in_user() -> User | None:
    """The account of this request, or None for a visitor without one."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def link_grants() -> list[str]:
    """The ids of the link shares this browser opened (their cookies, signatures checked)."""
    grants = []
    for name, value in request.cookies.items():
        if not name.startswith(LINK_COOKIE_PREFIX):
            continue
        try:
            share_id = _signer().loads(value)
        except BadSignature:
            continue
        if share_id == name.removeprefix(LINK_COOKIE_PREFIX):
            grants.append(share_id)
    return grants


def grant_link(response: BaseResponse, share: Share, now: datetime | None = None) -> BaseResponse:
    """Give the browser the cookie that stands for the link share, until it expires."""
    now = now or utcnow()
    set_cookie(
        response,
        LINK_COOKIE_PREFIX + share.id,
        _signer().dumps(share.id),
        max_age=max(0, int((share.expires_at - now).total_seconds())),
        path=f"/cases/{share.case_id}",
    )
    return response


def mark_share_view() -> None:
    """This response shows something through a share: no referrer, no caching."""
    g.share_view = True
    g.no_store = True


def viewer_access(case_id: str) -> CaseAccess:
    """What the visitor may do with the case; a login redirect or 404 when nothing.

    Someone with neither an account nor a link is sent to log in, as before shares
    existed; everyone else who may not see the case gets 404, never 403.
    """
    user = signed_in_user()
    grants = link_grants()
    try:
        access = case_access(db.session, case_id, user=user, link_share_ids=grants)
    except CaseNotFound:
        if user is None and not grants:
            abort(login_manager.unauthorized())
        ended = shares.ended_share(db.session, case_id, user=user, link_share_ids=grants)
        if ended is not None:
            abort(ended_page(ended.state(utcnow()), link=ended.kind == "link"))
        abort(404)
    if not access.is_owner:
        mark_share_view()
    return access


def ended_page(state: str, *, link: bool) -> BaseResponse:
    """The 404 page for a share that was revoked or expired: what happened, never which case."""
    mark_share_view()
    return make_response(render_template("shares/ended.html", state=state, link=link), 404)


def owner_case(case_id: str) -> Case:
    """The signed-in owner's case, for changing it: 404 when unseen, 403 when only shared."""
    try:
        return owned_case(db.session, current_user, case_id)
    except CaseNotFound:
        abort(404)
    except ReadOnlyAccess:
        abort(403)
