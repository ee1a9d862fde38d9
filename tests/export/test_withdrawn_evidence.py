"""A dossier leaves out what the complainant withdrew, and the files found inside it; its
custody log tells each management step in words."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from caseapp.cases.models import Case
from caseapp.export.context import CustodyInfo
from caseapp.export.dossier import build_context
from caseapp.export.i18n import Catalogue
from caseapp.export.models import Dossier
from caseapp.export.narrative import sentence
from caseapp.extensions import db
from caseapp.runtime import runtime


def _upload(api, case_id, data, name):
    return api.post(f"/api/v1/cases/{case_id}/evidence", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(data), name)}).get_json()


def test_dossier_skips_withdrawn_items_and_takes_them_back_when_restored(api, case, samples):
    kept = _upload(api, case.id, "客服承诺三天内解冻".encode(), "聊天.txt")
    email = _upload(api, case.id, (samples / "msg" / "msgInMsgInMsg.msg").read_bytes(), "m.msg")
    assert email["children"]
    api.post(f"/api/v1/evidence/{email['id']}/withdraw", json={"reason": "私人邮件"})

    def numbers() -> list[int]:
        ctx = build_context(db.session, runtime(), db.session.get(Case, case.id),
                            Dossier(id="d-1", case_id=case.id, lang="zh", recipient="lawyer"))
        return [item.number for item in ctx.evidence]

    assert numbers() == [kept["number"]]
    api.post(f"/api/v1/evidence/{email['id']}/restore")
    everything = api.get(f"/api/v1/cases/{case.id}/evidence").get_json()["items"]
    assert numbers() == [item["number"] for item in everything]


@pytest.mark.parametrize(
    "action",
    ["evidence.changed", "evidence.linked", "evidence.unlinked", "evidence.withdrawn",
     "evidence.restored"],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dossier_custody_log_tells_each_management_step_in_words(action, lang):
    entry = CustodyInfo(seq=1, at=datetime(2026, 3, 5, tzinfo=UTC), actor="user:u1 <a@b.c>",
                        action=action, subject="evidence:e1", details={}, hash="0" * 64,
                        actor_role="complainant", actor_name="张伟")
    text = sentence(entry, Catalogue(lang), {"e1": 3})
    assert action not in text
    assert "E-003" in text
