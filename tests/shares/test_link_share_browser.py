"""In a real browser: a complainant's link share opens without an account, read-only,
and the moment the complainant revokes it, the same page answers 404, saying so."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def revoke_as_the_owner(browser: Browser, base_url: str, case_id: str) -> None:
    """The complainant logs in in their own browser and revokes the link from the case page."""
    context = browser.new_context(locale="en-US", timezone_id="UTC")
    owner = context.new_page()
    owner.goto(f"{base_url}/login")
    owner.get_by_label("Email", exact=True).fill("complainant@example.org")
    owner.get_by_label("Password", exact=True).fill(PASSWORD)
    owner.get_by_role("button", name="Log in").click()
    owner.goto(f"{base_url}/cases/{case_id}")
    shares = owner.locator("#shares")
    expect(shares).to_contain_text("Anyone with the link")
    expect(shares).to_contain_text("律师事务所")
    owner.once("dialog", lambda dialog: dialog.accept())
    shares.get_by_role("button", name="Revoke").click()
    expect(owner.get_by_role("status")).to_contain_text("Share revoked")
    expect(shares).to_contain_text("revoked")
    context.close()


def test_a_link_share_opens_without_an_account_then_is_refused_after_revocation(
    page: Page,
    browser: Browser,
    live_server: str,
    console_errors: list[str],
    dossier_case,
    share_with,
):
    case = dossier_case["case"]
    created = share_with(
        case, link=True, label="律师事务所", evidence_ids=[dossier_case["screenshot"]["id"]]
    )
    assert created.link_token is not None
    assert len(created.link_token) >= 43

    opened = page.goto(f"{live_server}/s/{created.link_token}")
    assert opened is not None
    assert opened.status == 200
    assert page.url == f"{live_server}/cases/{case.id}"  # the token is gone from the address bar
    assert opened.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("heading", name=re.compile(case.title))).to_be_visible()
    expect(page.get_by_text("客服承诺三个工作日内解冻资产")).to_be_visible()
    expect(page.get_by_role("link", name="Edit case")).to_have_count(0)
    expect(page.get_by_text("私人笔记.txt")).to_have_count(0)

    page.get_by_role("link", name="冻结截图.png").click()
    expect(page.get_by_role("heading", name="#1 冻结截图.png")).to_be_visible()
    expect(page.get_by_text("The original file is not part of this share.")).to_be_visible()
    expect(page.get_by_role("img", name="冻结截图.png")).to_be_visible()
    cookies = page.context.cookies()
    assert [
        (c["httpOnly"], c["sameSite"], c["path"])
        for c in cookies
        if c["name"].startswith("caseapp_link_")
    ] == [(True, "Lax", f"/cases/{case.id}")]

    revoke_as_the_owner(browser, live_server, case.id)

    refused = page.reload()
    assert refused is not None
    assert refused.status == 404
    expect(page.get_by_role("heading", name="This share link has been revoked")).to_be_visible()
    expect(page.get_by_text("contact the person who sent you the link")).to_be_visible()
    expect(page.get_by_text("冻结截图.png")).to_have_count(0)
    expect(page.get_by_text(case.title)).to_have_count(0)
    again = page.goto(f"{live_server}/s/{created.link_token}")
    assert again is not None
    assert again.status == 404
    expect(page.get_by_role("heading", name="This share link has been revoked")).to_be_visible()
    assert [e for e in console_errors if "404" not in e] == []
