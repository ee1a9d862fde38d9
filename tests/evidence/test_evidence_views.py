"""A complainant adds evidence from the case page and reads it back."""

from __future__ import annotations

import io

import pytest

from caseapp.evidence.models import Evidence
from caseapp.extensions import db


def _form_upload(auth, client, case, files, token=True, **fields):
    data = {}
    if token:
        data["csrf_token"] = auth.token(f"/cases/{case.id}")
    data.update(fields)
    data["file"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/cases/{case.id}/evidence", data=data, content_type="multipart/form-data")


def test_form_upload_of_several_files_lands_in_the_case(client, auth, case, samples):
    auth.login()
    response = _form_upload(auth, client, case, [
        ("截图.jpg", (samples / "images" / "hopper_orientation_6.jpg").read_bytes()),
        ("邮件.eml", (samples / "email" / "chinese_gb2312_encoding.eml").read_bytes()),
    ], description="客服回复", source="iPhone 导出")
    assert response.status_code == 302
    items = db.session.query(Evidence).order_by(Evidence.number).all()
    assert [i.name for i in items] == ["截图.jpg", "邮件.eml"]
    assert items[0].description == "客服回复"
    assert items[0].source == "iPhone 导出"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "截图.jpg" in page
    assert items[0].sha256[:16] in page


def test_upload_without_csrf_token_stores_nothing(client, auth, case, app):
    auth.login()
    response = _form_upload(auth, client, case, [("a.txt", b"hello")], token=False)
    assert response.status_code == 303
    assert db.session.query(Evidence).count() == 0
    assert list(app.extensions["caseapp"].vault.store.list()) == []


def test_script_upload_with_csrf_header_answers_json(client, auth, case):
    auth.login()
    token = auth.token(f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/evidence",
                           data={"file": (io.BytesIO(b"log"), "chat.txt")},
                           headers={"X-CSRFToken": token, "Accept": "application/json"},
                           content_type="multipart/form-data")
    assert response.status_code == 201
    item = response.get_json()["items"][0]
    assert item["name"] == "chat.txt"
    assert len(item["sha256"]) == 64
    bad = client.post(f"/cases/{case.id}/evidence", data={"file": (io.BytesIO(b"log"), "chat.txt")},
                      headers={"X-CSRFToken": "forged", "Accept": "application/json"},
                      content_type="multipart/form-data")
    assert bad.status_code == 400


@pytest.mark.parametrize(("sample", "expected"), [
    ("email/chinese_gbk_encoding.eml", "你好，中国"),
    ("chat/whatsapp/test_ddmmyy_24hrs.txt", "Chat transcript"),
    ("images/hopper_orientation_6.jpg", "renditions/thumbnail"),
    ("pdf/multilang.pdf", "renditions/page-1"),
    ("chat/other/encodings/sample-chinese-big5.txt", "Encoding"),
])
def test_evidence_page_shows_each_kind_readably(client, auth, case, samples, sample, expected):
    auth.login()
    _form_upload(auth, client, case, [(sample.rsplit("/", 1)[-1], (samples / sample).read_bytes())])
    item = db.session.query(Evidence).one()
    page = client.get(f"/cases/{case.id}/evidence/{item.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert expected in html
    assert item.sha256 in html


def test_renditions_and_original_download(client, auth, case, samples):
    auth.login()
    original = (samples / "images" / "hopper_orientation_6.jpg").read_bytes()
    _form_upload(auth, client, case, [("photo.jpg", original)])
    item = db.session.query(Evidence).one()
    thumb = client.get(f"/cases/{case.id}/evidence/{item.id}/renditions/thumbnail")
    assert thumb.status_code == 200
    assert thumb.content_type.startswith("image/")
    assert client.get(f"/cases/{case.id}/evidence/{item.id}/renditions/nope").status_code == 404
    download = client.get(f"/cases/{case.id}/evidence/{item.id}/original")
    assert download.data == original
    assert "attachment" in download.headers["Content-Disposition"]


def test_email_html_is_sanitised_with_no_remote_loads(client, auth, case):
    auth.login()
    mail = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n\r\n"
            b"<p>\xe5\xae\xa2\xe6\x9c\x8d</p><script>alert('x')</script><img src=\"http://tracker.example/p.gif\">")
    _form_upload(auth, client, case, [("m.eml", mail)])
    item = db.session.query(Evidence).one()
    response = client.get(f"/cases/{case.id}/evidence/{item.id}")
    html = response.get_data(as_text=True)
    assert "客服" in html
    assert "<script>alert" not in html
    assert "tracker.example" not in html
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_search_finds_text_inside_the_evidence(client, auth, case, samples):
    auth.login()
    email = (samples / "email" / "chinese_gbk_encoding.eml").read_bytes()
    _form_upload(auth, client, case, [("mail.eml", email)])
    found = client.get(f"/cases/{case.id}/evidence/search?q=中国").get_data(as_text=True)
    assert "mail.eml" in found
    missing = client.get(f"/cases/{case.id}/evidence/search?q=不存在的词").get_data(as_text=True)
    assert "mail.eml" not in missing


def test_evidence_of_another_users_case_is_404(client, auth, make_user, make_case, user):
    other_case = make_case(make_user("other@example.org"))
    auth.login()
    response = _form_upload(auth, client, other_case, [("a.txt", b"x")])
    assert response.status_code == 404
    assert db.session.query(Evidence).count() == 0


def test_a_second_copy_points_to_the_first(client, auth, case):
    auth.login()
    _form_upload(auth, client, case, [("receipt.txt", b"order 123"), ("again.txt", b"order 123")])
    first, second = db.session.query(Evidence).order_by(Evidence.number).all()
    page = client.get(f"/cases/{case.id}/evidence/{second.id}").get_data(as_text=True)
    assert "Duplicate of" in page
    assert f"/evidence/{first.id}" in page
    first_page = client.get(f"/cases/{case.id}/evidence/{first.id}").get_data(as_text=True)
    assert "Duplicate of" not in first_page


def _photo_taken_at(stamp: str) -> bytes:
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = stamp
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_without_a_recorded_zone_shows_its_wall_time_labelled_assumed(
    client, auth, case
):
    auth.login()
    _form_upload(auth, client, case, [("现场照片.jpg", _photo_taken_at("2025:03:02 09:15:00"))])
    item = db.session.query(Evidence).one()
    html = client.get(f"/cases/{case.id}/evidence/{item.id}").get_data(as_text=True)
    assert "2025-03-02 09:15" in html
    assert "zone assumed" in html
