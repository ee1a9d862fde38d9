"""A Chinese reader meets no English sentence of the app's own, on any page of any role.

Every page an owner, an advocate, a link visitor and an anonymous visitor can reach is
rendered in Chinese, forms with errors included (the messages raised below the views,
in services and in caseapp.fields). Its visible text (and what a screen reader or a
tooltip says: placeholder, title, aria-label, alt) is compared with every msgid of the
catalogue: a piece of an English msgid of two words or more found verbatim means a
string missed its translation somewhere on the way to the page.

The case's own data is Chinese, so it cannot be mistaken for the app's English; code,
preformatted text and the values people typed are not the app's words and are skipped.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from caseapp.extensions import db
from caseapp.i18n import LANGUAGE_COOKIE
from caseapp.shares import offers
from caseapp.shares import service as shares
from tests.conftest import PASSWORD, csrf_token_from

POT = Path(__file__).resolve().parents[1] / "caseapp" / "translations" / "messages.pot"
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
WORD = re.compile(r"[A-Za-z]{2,}")
# Elements whose text is not the app's words: code and hashes, raw text, what was typed.
SKIPPED = {"code", "pre", "script", "style", "textarea", "option", "datalist"}
SPOKEN = ("placeholder", "title", "aria-label", "alt", "data-confirm")


def _english_phrases() -> set[str]:
    """The literal pieces of every msgid (placeholders cut out) of two words or more."""
    with POT.open("rb") as file:
        catalog = read_po(file)
    phrases = set()
    for message in catalog:
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in PLACEHOLDER.split(msgid or ""):
                piece = " ".join(piece.split()).strip(" .,:;“”‘’\"'()…→←·–-")
                if len(WORD.findall(piece)) >= 2:
                    phrases.add(piece)
    return phrases


PHRASES = _english_phrases()


class _VisibleText(HTMLParser):
    """Collects the text a reader sees or hears, skipping what is not the app's words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self._skipping.append(tag)
        for name, value in attrs:
            if name in SPOKEN and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and value and dict(attrs).get("type") in (
                "submit", "button"
            ):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


# Four English words in a row: a sentence that never went through the catalogue at all
# (a message written as a plain string), which no msgid can match.
RUN_OF_WORDS = re.compile(r"\b[A-Za-z]+(?:[ ,:']+[A-Za-z]+){3,}\b")


def english_on(html: str) -> list[str]:
    """The app's English phrases, and untranslated runs of words, in a page's visible text."""
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(" ".join(parser.parts).split())
    found = {phrase for phrase in PHRASES if phrase in text}
    return sorted(found | set(RUN_OF_WORDS.findall(text)))


def test_the_checker_finds_english_and_lets_chinese_through():
    assert english_on("<p>Case opened. Log each contact with the company as it happens.</p>")
    assert english_on('<input placeholder="Search the evidence text">')
    assert english_on("<small>give either advocate_email or link true, not both</small>")
    assert not english_on("<p>案件已创建。</p><code>Case opened</code><pre>is required</pre>")
    assert not english_on("<p>转入 5000 USDT 后被冻结，客服工号 1037。</p>")


def _in_chinese(client: FlaskClient) -> FlaskClient:
    client.set_cookie(LANGUAGE_COOKIE, "zh_CN")
    return client


def _logged_in(app: Any, email: str) -> FlaskClient:
    client = _in_chinese(app.test_client())
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, "login failed"
    return client


def _post(client: FlaskClient, path: str, data: dict[str, Any], form_page: str) -> Any:
    token = csrf_token_from(client.get(form_page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def world(app, make_user, make_case, api_for):
    """A Chinese complainant's case with a contact and evidence, shared with a Chinese
    advocate (who commented) and as a link."""
    owner = make_user("zhang@example.org", display_name="张伟", locale="zh_CN",
                      timezone="Asia/Shanghai")
    advocate = make_user("li@example.org", role="advocate", display_name="李律师",
                         locale="zh_CN")
    case = make_case(owner, incident_at="2024-03-01T09:00")
    owner_api = api_for(owner)
    event = owner_api.post(f"/api/v1/cases/{case.id}/events", json={
        "occurred_at": "2024-03-05T14:20:00+08:00", "channel": "online_chat",
        "summary": "客服承诺三个工作日内解冻资产", "follow_up_at": "2024-03-08T10:00:00+08:00",
    }).get_json()
    item = owner_api.post(
        f"/api/v1/cases/{case.id}/evidence",
        data={"file": (io.BytesIO("订单号 1234，金额 5000 USDT".encode()), "收据.txt")},
        content_type="multipart/form-data",
    ).get_json()
    owner_api.patch(f"/api/v1/cases/{case.id}", json={"status": "waiting_on_company"})
    head_key = app.extensions["caseapp"].head_key
    offer = shares.create_share(
        db.session, head_key, owner, case, {"advocate_email": advocate.email}, "Asia/Shanghai"
    ).share
    offers.accept_offer(db.session, head_key, advocate, offer)
    link = shares.create_share(db.session, head_key, owner, case, {"link": True}, "UTC")
    db.session.commit()
    api_for(advocate).post(f"/api/v1/cases/{case.id}/comments", json={"body": "请补充转账记录"})
    return {"case": case, "event": event, "item": item, "link": link, "offer": offer}


def _pages(world: dict[str, Any]) -> dict[str, list[str]]:
    case, event, item = world["case"].id, world["event"]["id"], world["item"]["id"]
    case_pages = [f"/cases/{case}", f"/cases/{case}/custody", f"/cases/{case}/evidence/{item}"]
    return {
        "owner": [
            "/", "/cases", "/cases/new", *case_pages, f"/cases/{case}/edit",
            f"/cases/{case}/contacts/new", f"/cases/{case}/contacts/{event}/edit",
            f"/cases/{case}/dossiers", f"/cases/{case}/shares/new", "/account",
            "/account/two-factor", f"/cases/{case}/evidence/search?q=订单",
            f"/cases/{case}?custody_kind=views",
        ],
        "advocate": ["/shared", *case_pages],
        "link": case_pages,
        "anonymous": ["/login", "/register"],
    }


def _check(client: FlaskClient, path: str, found: dict[str, list[str]]) -> None:
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    english = english_on(response.get_data(as_text=True))
    if english:
        found[path] = english


def test_no_page_of_any_role_shows_the_apps_english_in_chinese(app, world):
    pages = _pages(world)
    browsers = {
        "owner": _logged_in(app, "zhang@example.org"),
        "advocate": _logged_in(app, "li@example.org"),
        "link": _in_chinese(app.test_client()),
        "anonymous": _in_chinese(app.test_client()),
    }
    browsers["link"].get(f"/s/{world['link'].link_token}")
    found: dict[str, list[str]] = {}
    for role, paths in pages.items():
        for path in paths:
            _check(browsers[role], path, found)
    assert not found, f"English on Chinese pages: {found}"
    # The same pages in English are full of the phrases: the check does look.
    english = _logged_in(app, "zhang@example.org")
    english.set_cookie(LANGUAGE_COOKIE, "en")
    _post(english, "/language/en", {"next": "/"}, "/")
    assert english_on(english.get(f"/cases/{world['case'].id}").get_data(as_text=True))


def test_form_errors_raised_below_the_views_show_in_chinese(app, world):
    case = world["case"].id
    owner = _logged_in(app, "zhang@example.org")
    answers = {
        "new case": _post(owner, "/cases/new", {
            "title": "", "counterparty": "星链", "category": "", "amount": "很多",
            "incident_at": "2099-01-01T10:00",
        }, "/cases/new"),
        "contact": _post(owner, f"/cases/{case}/contacts/new", {
            "occurred_at": "2024-03-05T14:20", "channel": "hotline", "summary": "回电",
            "follow_up_at": "2024-03-01T10:00",
        }, f"/cases/{case}/contacts/new"),
        "share": _post(owner, f"/cases/{case}/shares", {
            "recipient": "advocate", "advocate_email": "", "expires_at": "2001-01-01T00:00",
        }, f"/cases/{case}/shares/new"),
        "account": _post(owner, "/account", {
            "display_name": "张伟", "locale": "zh_CN", "timezone": "Mars/Olympus",
        }, "/account"),
    }
    found = {}
    for name, response in answers.items():
        html = response.get_data(as_text=True)
        assert 'class="error"' in html, f"{name}: the form was not refused"
        if english_on(html):
            found[name] = english_on(html)
    assert not found, f"English in Chinese form errors: {found}"
    new_case = answers["new case"].get_data(as_text=True)
    assert "必填" in new_case
    assert "不能晚于现在" in new_case
    assert "不能早于这次联系的时间" in answers["contact"].get_data(as_text=True)
    assert "未选择链接共享时必填" in answers["share"].get_data(as_text=True)
