"""On a 360 px phone: the menu opens without JavaScript too, and a chat export reads as a
conversation, the complainant and support facing each other in bubbles wide enough to read."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from caseapp.evidence import ingest
from caseapp.extensions import db
from caseapp.runtime import runtime
from tests.conftest import PASSWORD, TIMEOUT_MS

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
CHAT = """\
[2026/3/5 14:20:00] 我: 你好，我的账户 5000 USDT 充值后被冻结了，无法提现，请尽快处理。
[2026/3/5 14:21:00] 客服 Amy: 您好，您的账户触发了安全风控，需要提交资料审核。
[2026/3/5 14:23:00] 我: 资料三天前已经全部提交，工单号 SLW-240305-0042。什么时候能解冻？
"""


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_the_menu_opens_on_a_phone_without_javascript(
    browser: Browser, live_server: str, user
):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, live_server, user.email)
    menu = page.locator("#site-menu")
    expect(menu.get_by_role("link", name="Cases")).to_be_hidden()
    page.get_by_role("link", name="Menu").click()  # a link to #site-menu: CSS :target shows it
    for name in ("Dashboard", "Cases", "New case", user.name):
        expect(menu.get_by_role("link", name=name)).to_be_visible()
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    menu.get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    expect(menu.get_by_role("link", name="Cases")).to_be_hidden()  # closed on the next page
    context.close()


def test_a_chat_reads_as_a_conversation_on_a_phone(
    page: Page, app: Flask, live_server: str, console_errors: list[str], user, case
):
    item = ingest.add_file(
        db.session, runtime(), case, user, "客服聊天.txt", CHAT.encode(), {}
    )
    db.session.commit()
    runtime().jobs.drain(["reading"])
    page.set_viewport_size(PHONE)
    log_in(page, live_server, user.email)
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#site-menu").get_by_role("link", name="Cases")).to_be_visible()
    page.keyboard.press("Escape")
    page.goto(f"{live_server}/cases/{case.id}/evidence/{item.id}")

    messages = page.locator(".conversation .message")
    expect(messages).to_have_count(3)
    mine, support = messages.nth(0), messages.nth(1)
    expect(mine).to_contain_text("我")
    expect(mine).to_contain_text("2026-03-05 14:20:00 +08:00")
    expect(support).to_contain_text("客服 Amy")
    left, right = mine.bounding_box(), support.bounding_box()
    assert left is not None
    assert right is not None
    assert left["x"] < right["x"]  # the two speakers face each other
    assert right["x"] + right["width"] <= PHONE["width"]
    # Whole lines of text, not a column one character wide.
    assert min(left["width"], right["width"]) > PHONE["width"] / 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert console_errors == []
