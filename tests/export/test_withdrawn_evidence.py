"""A dossier leaves out what the complainant withdrew, and the files found inside it."""

from __future__ import annotations

import io

from caseapp.cases.models import Case
from caseapp.export.dossier import build_context
from caseapp.export.models import Dossier
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
