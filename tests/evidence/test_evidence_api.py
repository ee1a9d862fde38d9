"""Uploading evidence over the API and getting it back, byte for byte."""

from __future__ import annotations

import hashlib
import io
import sqlite3

import pytest


@pytest.fixture
def case_id(api):
    return api.post("/api/v1/cases", json={
        "title": "冻结", "counterparty": "星链钱包", "category": "assets_frozen",
    }).get_json()["id"]


def upload(api, case_id, data: bytes, name: str, **fields):
    return api.post(f"/api/v1/cases/{case_id}/evidence",
                    data={"file": (io.BytesIO(data), name), **fields},
                    content_type="multipart/form-data")


def test_upload_is_hashed_and_comes_back_identical(api, case_id, samples):
    original = (samples / "pdf" / "multilang.pdf").read_bytes()
    response = upload(api, case_id, original, "合同.pdf", description="对账单", source="邮件转发")
    assert response.status_code == 201
    body = response.get_json()
    assert body["sha256"] == hashlib.sha256(original).hexdigest()
    assert body["size"] == len(original)
    assert body["media_type"] == "application/pdf"
    assert body["kind"] == "pdf"
    assert body["received_at"].endswith("+00:00")
    assert body["children"] == []
    assert body["parsed"]["kind"] == "pdf"
    assert body["parsed"]["pages"] == 1
    download = api.get(f"/api/v1/evidence/{body['id']}/content")
    assert download.status_code == 200
    assert download.data == original
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%90%88%E5%90%8C.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_media_type_comes_from_the_bytes_not_the_name(api, case_id):
    html = b"<html><script>alert(1)</script><body>hi</body></html>"
    body = upload(api, case_id, html, "photo.jpg").get_json()
    assert body["kind"] != "image"
    assert body["media_type"] == "text/html"
    download = api.get(f"/api/v1/evidence/{body['id']}/content")
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert "sandbox" in download.headers["Content-Security-Policy"]


def test_email_attachments_become_children_with_their_own_hash(api, case_id, samples):
    message = (samples / "msg" / "msgInMsgInMsg.msg").read_bytes()
    body = upload(api, case_id, message, "msg.msg").get_json()
    assert body["kind"] == "email"
    assert len(body["children"]) == 2
    names = {child["name"] for child in body["children"]}
    assert "blue.png" in names
    png = next(c for c in body["children"] if c["name"] == "blue.png")
    content = api.get(f"/api/v1/evidence/{png['id']}/content").data
    assert hashlib.sha256(content).hexdigest() == png["sha256"]
    nested = next(c for c in body["children"] if c["name"].endswith(".msg"))
    assert nested["kind"] == "email"
    assert nested["children"], "the embedded message has its own attachments"
    listing = api.get(f"/api/v1/cases/{case_id}/evidence").get_json()["items"]
    assert [item["number"] for item in listing] == list(range(1, len(listing) + 1))
    parents = {item["parent_id"] for item in listing if item["id"] != body["id"]}
    assert parents <= {item["id"] for item in listing}


def test_chinese_text_is_read_and_served_as_utf8(api, case_id, samples):
    chat = (samples / "chat" / "other" / "encodings" / "gbk.txt").read_bytes()
    body = upload(api, case_id, chat, "聊天.txt").get_json()
    text = api.get(f"/api/v1/evidence/{body['id']}/text")
    assert text.status_code == 200
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    expected = (samples / "chat" / "other" / "encodings" / "gbk-utf8.txt").read_text("utf-8")
    assert expected.strip()[:40] in text.get_data(as_text=True)


def test_same_file_twice_is_kept_and_marked_duplicate(api, case_id):
    first = upload(api, case_id, b"receipt 12345", "a.txt").get_json()
    second = upload(api, case_id, b"receipt 12345", "b.txt").get_json()
    assert second["id"] != first["id"]
    assert second["duplicate_of"] == first["id"]
    assert first["duplicate_of"] is None


def test_empty_file_is_422_and_nothing_is_stored(api, case_id, app):
    response = upload(api, case_id, b"", "empty.txt")
    assert response.status_code == 422
    assert api.get(f"/api/v1/cases/{case_id}/evidence").get_json()["items"] == []
    assert list(app.extensions["caseapp"].vault.store.list()) == []


def test_unsupported_field_is_400(api, case_id, app):
    response = api.post(f"/api/v1/cases/{case_id}/evidence", data={
        "file": (io.BytesIO(b"abc"), "a.txt"), "colour": "red"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert list(app.extensions["caseapp"].vault.store.list()) == []


def test_missing_file_is_422_and_not_multipart_is_415(api, case_id):
    response = api.post(f"/api/v1/cases/{case_id}/evidence", data={"description": "x"},
                        content_type="multipart/form-data")
    assert response.status_code == 422
    assert api.post(f"/api/v1/cases/{case_id}/evidence", json={"file": "abc"}).status_code == 415


def test_invalid_captured_at_is_422_and_the_blob_is_removed(api, case_id, app):
    response = upload(api, case_id, b"data", "a.txt", captured_at="yesterday-ish")
    assert response.status_code == 422
    assert "captured_at" in response.get_json()["error"]["fields"]
    assert list(app.extensions["caseapp"].vault.store.list()) == []


def test_file_over_the_limit_is_413(app, client, user, make_case, instance_path, api_for):
    from caseapp import create_app
    from tests.conftest import TEST_SETTINGS

    small = create_app(config={**TEST_SETTINGS, "max_upload_bytes": 1000},
                       instance_path=instance_path)
    case = make_case(user)
    token = api_for(user).headers
    response = small.test_client().post(f"/api/v1/cases/{case.id}/evidence", headers=token,
                                        data={"file": (io.BytesIO(b"x" * 5000), "big.bin")},
                                        content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_no_evidence_content_in_the_database_or_in_plaintext_on_disk(
    api, case_id, samples, instance_path
):
    raw = (samples / "email" / "chinese_gbk_encoding.eml").read_bytes()
    upload(api, case_id, raw, "mail.eml")
    marker = "你好，中国"
    dump = "\n".join(sqlite3.connect(instance_path / "caseapp.db").iterdump())
    assert marker not in dump
    assert "Hello from China" not in dump
    for path in instance_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert raw[:64] not in data, path
            assert marker.encode("utf-8") not in data, path
            assert b"Hello from China" not in data, path


def test_evidence_metadata_view_and_download_are_in_the_custody_log(api, case_id):
    item = upload(api, case_id, b"chat log", "a.txt").get_json()
    api.get(f"/api/v1/evidence/{item['id']}")
    api.get(f"/api/v1/evidence/{item['id']}/content")
    actions = [e["action"] for e in api.get(f"/api/v1/cases/{case_id}/custody").get_json()["items"]]
    assert actions[-3:] == ["evidence.added", "evidence.viewed", "evidence.downloaded"]


def test_nothing_readable_text_is_404(api, case_id):
    item = upload(api, case_id, bytes(range(256)) * 4, "blob.bin").get_json()
    assert api.get(f"/api/v1/evidence/{item['id']}/text").status_code == 404


@pytest.mark.parametrize("route", [
    "/api/v1/evidence/{id}", "/api/v1/evidence/{id}/content", "/api/v1/evidence/{id}/text",
])
def test_someone_elses_evidence_is_404(api, api_for, make_user, route):
    other = api_for(make_user("other@example.org"))
    their_case = other.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other",
    }).get_json()["id"]
    their_item = upload(other, their_case, b"secret", "s.txt").get_json()
    assert api.get(route.format(id=their_item["id"])).status_code == 404
    assert upload(api, their_case, b"intrude", "x.txt").status_code == 404
    assert api.get(f"/api/v1/cases/{their_case}/evidence").status_code == 404


def _flip_byte(app, evidence_id, position):
    from caseapp.evidence.models import Evidence
    from caseapp.extensions import db

    store = app.extensions["caseapp"].vault.store
    path = store._path(db.session.get(Evidence, evidence_id).blob_id)
    data = bytearray(path.read_bytes())
    data[position if position >= 0 else len(data) + position] ^= 1
    path.write_bytes(bytes(data))


def test_blob_tampered_at_its_start_is_refused_before_any_byte(api, case_id, app):
    item = upload(api, case_id, b"A" * 200_000, "a.bin").get_json()
    _flip_byte(app, item["id"], 200)
    response = api.get(f"/api/v1/evidence/{item['id']}/content")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_intact"
    last = api.get(f"/api/v1/cases/{case_id}/custody").get_json()["items"][-1]
    assert last["action"] == "evidence.integrity_failed"
    assert last["details"]["served"] == 0
    assert last["details"]["sha256"] == item["sha256"]


def test_blob_tampered_near_its_end_is_cut_off_and_never_padded(api, case_id, app):
    from caseapp.vault import BlobCorrupt

    original = bytes(range(256)) * 1000  # four segments, and small enough to stay in memory
    item = upload(api, case_id, original, "a.bin").get_json()
    _flip_byte(app, item["id"], -100)
    response = api.client.get(f"/api/v1/evidence/{item['id']}/content", headers=api.headers,
                              buffered=False)
    served = bytearray()

    def read_to_the_end():
        for chunk in response.response:
            served.extend(chunk)

    with pytest.raises(BlobCorrupt):
        read_to_the_end()
    response.close()
    assert len(served) < len(original)
    assert original.startswith(served)
    entries = api.get(f"/api/v1/cases/{case_id}/custody").get_json()
    assert [e["action"] for e in entries["items"][-2:]] == [
        "evidence.downloaded",
        "evidence.integrity_failed",
    ]
    assert entries["items"][-1]["details"]["served"] == len(served)
    assert entries["head"]["seq"] == entries["items"][-1]["seq"]


def test_simultaneous_uploads_to_one_case_all_land_with_their_own_numbers(app, case, user):
    import threading

    from caseapp.custody.verify import verify_chain
    from caseapp.evidence import ingest
    from caseapp.evidence.models import Evidence
    from caseapp.extensions import db

    rt = app.extensions["caseapp"]
    errors: list[BaseException] = []

    def upload_one(n: int) -> None:
        with app.app_context():
            try:
                owner = db.session.get(type(user), user.id)
                this_case = db.session.get(type(case), case.id)
                ingest.add_file(db.session, rt, this_case, owner, f"file-{n}.txt",
                                f"receipt number {n}".encode(), {})
            except BaseException as exc:  # collected: the test asserts there are none
                errors.append(exc)

    threads = [threading.Thread(target=upload_one, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    numbers = sorted(e.number for e in db.session.query(Evidence).filter_by(case_id=case.id))
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert verify_chain(db.session, rt.head_key, case.id).intact
