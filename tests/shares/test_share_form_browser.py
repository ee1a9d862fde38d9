"""In a real browser on a phone (360 px wide), in Chinese and in English: the complainant
picks the evidence to share, copies the one-time link, and the visitor, once the link
is revoked, is told so."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.shares import service
from caseapp.shares.models import Share
from tests.conftest import PASSWORD, TIMEOUT_MS

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
WORDS = {
    "en": {
        "email": "Email",
        "password": "Password",
        "log_in": "Log in",
        "anyone": "Anyone who has the link",
        "none": "Select none",
        "all": "Select all",
        "share": "Share",
        "copy": "Copy link",
        "copied": "Copied.",
        "selected": "Selected: press Ctrl+C",
        "qr": "QR code of the link",
        "revoked": "This share link has been revoked",
    },
    "zh_CN": {
        "email": "邮箱",
        "password": "密码",
        "log_in": "登录",
        "anyone": "持有链接的任何人",
        "none": "全不选",
        "all": "全选",
        "share": "共享",
        "copy": "复制链接",
        "copied": "已复制。",
        "selected": "已选中",
        "qr": "链接的二维码",
        "revoked": "此共享链接已被撤销",
    },
}


def _width(page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_sharing_a_link_on_a_phone_then_the_visitor_learns_it_was_revoked(
    browser: Browser, live_server, console_errors, user, dossier_case, locale
):
    words = WORDS[locale]
    user.locale = locale
    db.session.commit()
    case = dossier_case["case"]
    context = browser.new_context(locale="zh-CN" if locale == "zh_CN" else "en-US", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    console_errors.watch(page)
    page.goto(f"{live_server}/login")
    page.get_by_label(words["email"], exact=True).fill(user.email)
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=words["log_in"]).click()

    page.goto(f"{live_server}/cases/{case.id}/shares/new")
    assert _width(page) <= PHONE["width"]
    page.get_by_label(words["anyone"]).check()
    boxes = page.locator(".picker input[type=checkbox]")
    expect(boxes).to_have_count(2)
    expect(page.locator(".picker img.pick-thumb")).to_have_count(1)  # the screenshot's
    page.get_by_role("button", name=words["none"]).click()
    assert [box.is_checked() for box in boxes.all()] == [False, False]
    page.get_by_role("button", name=words["all"]).click()
    assert [box.is_checked() for box in boxes.all()] == [True, True]
    page.locator(".pick", has_text="私人笔记.txt").click()  # the whole card is the target
    assert [box.is_checked() for box in boxes.all()] == [True, False]
    page.get_by_role("button", name=words["share"], exact=True).click()

    link = page.locator("[data-share-link]")
    expect(link).to_contain_text(f"{live_server}/s/")
    url = link.inner_text().strip()
    assert len(url.rsplit("/", 1)[1]) >= 43  # the whole token is shown, not cut off
    box = link.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
    assert _width(page) <= PHONE["width"]
    expect(page.get_by_role("img", name=words["qr"])).to_be_visible()
    page.get_by_role("button", name=words["copy"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["copied"])
    assert page.evaluate("navigator.clipboard.readText()") == url
    # A browser without the clipboard API: the link is selected for the visitor to copy.
    page.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.get_by_role("button", name=words["copy"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["selected"])
    assert page.evaluate("window.getSelection().toString().trim()") == url

    visitor = browser.new_context(locale="zh-CN" if locale == "zh_CN" else "en-US", viewport=PHONE)
    visitor.set_default_timeout(TIMEOUT_MS)
    seen = visitor.new_page()
    console_errors.watch(seen)
    seen.goto(url)
    expect(seen.get_by_text("冻结截图.png").first).to_be_visible()
    expect(seen.get_by_text("私人笔记.txt")).to_have_count(0)

    share = db.session.query(Share).one()
    service.revoke_share(db.session, runtime().head_key, user, share)
    db.session.commit()
    answer = seen.reload()
    assert answer is not None
    assert answer.status == 404
    expect(seen.get_by_role("heading", level=1)).to_have_text(words["revoked"])
    expect(seen.get_by_text(case.title)).to_have_count(0)
    assert _width(seen) <= PHONE["width"]
    visitor.close()
    context.close()
    refused = f"status of 404 (NOT FOUND) at {live_server}/cases/{case.id}"
    assert [error for error in console_errors if not error.endswith(refused)] == []
