"""The access policy: what the owner, an advocate and a link visitor may do with a case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp.access.policy import (
    OriginalsNotShared,
    ReadOnlyAccess,
    case_access,
    may_download_dossiers,
    owned_case,
    require_originals,
    share_holders,
    visible_evidence,
)
from caseapp.cases.service import CaseNotFound
from caseapp.database import utcnow
from caseapp.evidence.models import Evidence
from caseapp.evidence.service import EvidenceNotFound
from caseapp.extensions import db
from caseapp.shares import offers
from caseapp.shares import service as shares


@pytest.fixture
def advocate(make_user):
    return make_user("advocate@consumer.example.org", role="advocate")


@pytest.fixture
def items(case):
    """Two items of the case, written as rows: the policy reads metadata only."""
    made = []
    for number, name in ((1, "receipt.png"), (2, "private.txt")):
        item = Evidence(
            case_id=case.id,
            number=number,
            name=name,
            media_type="text/plain",
            kind="text",
            size=1,
            sha256="0" * 64,
            blob_id=f"blob-{number}",
        )
        db.session.add(item)
        made.append(item)
    db.session.commit()
    return made


def _share(app, owner, case, **data):
    """Share the case; an advocate accepts the offer at once."""
    head_key = app.extensions["caseapp"].head_key
    created = shares.create_share(db.session, head_key, owner, case, data, "UTC")
    if created.share.advocate is not None:
        offers.accept_offer(db.session, head_key, created.share.advocate, created.share)
    db.session.commit()
    return created


def test_the_owner_may_do_everything(case, user):
    access = case_access(db.session, case.id, user=user)
    assert access.is_owner
    assert access.evidence_ids is None
    assert access.allow_originals
    assert owned_case(db.session, user, case.id) is case
    assert may_download_dossiers(access)


def test_a_stranger_learns_nothing_not_even_that_the_case_exists(case, make_user):
    stranger = make_user("stranger@example.org")
    with pytest.raises(CaseNotFound):
        case_access(db.session, case.id, user=stranger)
    with pytest.raises(CaseNotFound):
        case_access(db.session, case.id)


def test_an_advocate_reads_only_the_items_shared_and_changes_nothing(
    app, case, user, advocate, items
):
    receipt, private = items
    _share(app, user, case, advocate_email=advocate.email, evidence_ids=[receipt.id])
    access = case_access(db.session, case.id, user=advocate)
    assert access.role == "advocate"
    assert not access.is_owner
    assert visible_evidence(db.session, access, receipt.id) is receipt
    with pytest.raises(EvidenceNotFound):
        visible_evidence(db.session, access, private.id)
    with pytest.raises(ReadOnlyAccess):
        owned_case(db.session, advocate, case.id)
    with pytest.raises(OriginalsNotShared):
        require_originals(access)
    assert not may_download_dossiers(access)


def test_two_shares_for_one_advocate_add_up(app, case, user, advocate, items):
    receipt, private = items
    _share(app, user, case, advocate_email=advocate.email, evidence_ids=[receipt.id])
    _share(
        app,
        user,
        case,
        advocate_email=advocate.email,
        evidence_ids=[private.id],
        allow_originals=True,
    )
    access = case_access(db.session, case.id, user=advocate)
    assert access.evidence_ids == {receipt.id, private.id}
    assert access.allow_originals
    assert not may_download_dossiers(access), "a dossier carries items outside the shares"


def test_a_link_reaches_only_its_holder_and_ends_at_expiry(app, case, user):
    created = _share(app, user, case, link=True)
    access = case_access(db.session, case.id, link_share_ids=[created.share.id])
    assert access.role == "link"
    assert access.user is None
    assert access.actor() == f"link:{created.share.id}"
    later = utcnow() + timedelta(days=31)
    with pytest.raises(CaseNotFound):
        case_access(db.session, case.id, link_share_ids=[created.share.id], now=later)


def test_share_holders_name_advocates_and_link_labels(app, case, user, advocate):
    _share(app, user, case, advocate_email=advocate.email)
    link = _share(app, user, case, link=True, label="Consumer association desk")
    advocates, links = share_holders(db.session, case.id)
    assert advocates == {advocate.id}
    assert links == {link.share.id: "Consumer association desk"}


def test_an_offer_opens_nothing_until_accepted(app, case, user, advocate):
    head_key = app.extensions["caseapp"].head_key
    offer = shares.create_share(
        db.session, head_key, user, case, {"advocate_email": advocate.email}, "UTC"
    ).share
    with pytest.raises(CaseNotFound):
        case_access(db.session, case.id, user=advocate)
    offers.accept_offer(db.session, head_key, advocate, offer)
    assert case_access(db.session, case.id, user=advocate).share is offer


def _add_later(case, number, share, parent=None, name="later.txt"):
    """An item added to the case a minute after `share` was made (a file found inside
    `parent`, when given)."""
    item = Evidence(
        case_id=case.id,
        number=number,
        name=name,
        media_type="text/plain",
        kind="text",
        size=1,
        sha256="0" * 64,
        blob_id=f"blob-{number}",
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        received_at=share.created_at + timedelta(minutes=1),
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_evidence_added_after_a_share_stays_out_unless_the_share_says_so(
    app, case, user, advocate, items
):
    receipt, private = items
    made = _share(app, user, case, advocate_email=advocate.email, evidence_ids=[receipt.id])
    later = _add_later(case, 3, made.share)
    access = case_access(db.session, case.id, user=advocate)
    assert access.evidence_ids == {receipt.id}
    assert not access.sees(later)


def test_a_selection_with_later_evidence_shows_what_is_added_but_not_what_was_left_out(
    app, case, user, advocate, items
):
    receipt, private = items
    made = _share(
        app, user, case, link=True, evidence_ids=[receipt.id], include_later=True
    )
    later = _add_later(case, 3, made.share)
    access = case_access(db.session, case.id, link_share_ids=[made.share.id])
    assert access.evidence_ids == {receipt.id, later.id}
    with pytest.raises(EvidenceNotFound):
        visible_evidence(db.session, access, private.id)


def test_files_found_later_inside_a_left_out_item_stay_out(app, case, user, advocate, items):
    # An email left out of the share is read after it: its attachments are "added
    # later" but must not leak through include_later.
    receipt, private = items
    made = _share(
        app, user, case, link=True, evidence_ids=[receipt.id], include_later=True
    )
    inside_private = _add_later(case, 3, made.share, parent=private)
    inside_that = _add_later(case, 4, made.share, parent=inside_private)
    inside_receipt = _add_later(case, 5, made.share, parent=receipt)
    access = case_access(db.session, case.id, link_share_ids=[made.share.id])
    assert access.evidence_ids == {receipt.id, inside_receipt.id}
    assert not access.sees(inside_private)
    assert not access.sees(inside_that)


def test_a_share_without_a_selection_is_every_item_there_is_or_the_whole_case(
    app, case, user, advocate, items
):
    now_only = _share(app, user, case, link=True, allow_originals=True)
    whole = _share(app, user, case, link=True, allow_originals=True, include_later=True)
    later = _add_later(case, 3, whole.share)

    access = case_access(db.session, case.id, link_share_ids=[now_only.share.id])
    assert access.evidence_ids == {item.id for item in items}
    assert not access.sees(later)
    assert not may_download_dossiers(access), "a dossier would carry what was added later"

    access = case_access(db.session, case.id, link_share_ids=[whole.share.id])
    assert access.evidence_ids is None
    assert access.sees(later)
    assert may_download_dossiers(access)
