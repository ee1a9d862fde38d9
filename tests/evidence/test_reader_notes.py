"""What the readers said about a file: each warning gets a code and a severity, and is
shown in the reader's language, grouped into what could not be read and mere notes."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale

from caseapp.evidence.reader_notes import NOTE, UNREADABLE, by_severity, classify


@pytest.mark.parametrize(
    ("message", "code", "severity"),
    [
        ("the PDF is protected by a password; its content is not read", "pdf_password", UNREADABLE),
        ("the PDF is encrypted (it opened without a password)", "pdf_encrypted", NOTE),
        ("the export gives no time zone; times were read as Asia/Shanghai",
         "chat_zone_assumed", NOTE),
        ("no charset declared; detected gb18030", "charset_detected", NOTE),
        ("text/plain body: some bytes were not valid gbk and were replaced",
         "bytes_replaced", UNREADABLE),
        ("Subject header: declared charset gb2312 did not fit; detected gbk",
         "charset_declared_wrong", NOTE),
        ("only the first 100000 of 250000 messages were kept", "chat_messages_capped", NOTE),
        ("index cut at 5000 characters", "text_capped", NOTE),
        ("could not read this file: not a readable PDF: data format error",
         "parse_failed", UNREADABLE),
        ("parsing stopped: took longer than 30 s", "parse_timeout", UNREADABLE),
        ("something no reader ever said", "other", UNREADABLE),
    ],
)
def test_each_warning_has_a_code_and_a_severity(message: str, code: str, severity: str) -> None:
    note = classify(message)
    assert (note.code, note.severity, note.message) == (code, severity, message)


def test_notes_read_in_chinese_with_their_own_numbers_and_places(app) -> None:
    with app.test_request_context(), force_locale("zh_CN"):
        zone = classify("the export gives no time zone; times were read as Asia/Shanghai")
        assert "Asia/Shanghai" in zone.text
        assert "time zone" not in zone.text
        body = classify("text/html body: some bytes were not valid gbk and were replaced")
        assert body.text.startswith("text/html")
        assert "gbk" in body.text
        assert "replaced" not in body.text


def test_an_unknown_warning_keeps_its_words_as_a_detail(app) -> None:
    with app.test_request_context():
        note = classify("the reader found a dragon")
        assert note.detail == "the reader found a dragon"
        assert note.text != note.message


def test_notes_are_grouped_with_what_could_not_be_read_first() -> None:
    groups = by_severity([classify("no charset declared; detected gbk"),
                          classify("base64 could not be decoded")])
    assert list(groups) == [UNREADABLE, NOTE]
    assert [n.code for n in groups[UNREADABLE]] == ["base64_undecodable"]
    assert [n.code for n in groups[NOTE]] == ["charset_detected"]


def test_the_api_keeps_the_warning_strings_and_adds_codes(api, case, samples) -> None:
    chat = (samples / "chat" / "other" / "encodings" / "gbk.txt").read_bytes()
    item = api.post(f"/api/v1/cases/{case.id}/evidence", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(chat), "聊天.txt")}).get_json()
    body = api.get(f"/api/v1/evidence/{item['id']}").get_json()
    assert body["warnings"], "the sample gives no time zone"
    assert [d["message"] for d in body["warning_details"]] == body["warnings"]
    assert {d["severity"] for d in body["warning_details"]} <= {UNREADABLE, NOTE}


def test_a_password_protected_pdf_says_so_in_a_sentence(
    api_for, auth, client, make_user, make_case, samples
) -> None:
    reader = make_user("wang@example.org", locale="zh_CN")
    case = make_case(reader)
    pdf = (samples / "pdf" / "libreoffice-writer-password.pdf").read_bytes()
    item = api_for(reader).post(
        f"/api/v1/cases/{case.id}/evidence", content_type="multipart/form-data",
        data={"file": (io.BytesIO(pdf), "合同.pdf")},
    ).get_json()
    auth.login("wang@example.org")
    page = client.get(f"/cases/{case.id}/evidence/{item['id']}").get_data(as_text=True)
    assert "None" not in page
    assert "共 None 页" not in page
    assert 'data-code="pdf_password"' in page
    unreadable = page.split('id="reader-unreadable"')[1].split("</section>")[0]
    assert "protected by a password" not in unreadable
    assert "密码" in unreadable
