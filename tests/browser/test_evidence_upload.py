"""In a real browser: a complainant drops several files on the case page, describes each
one, watches them go into the vault (the refused ones keep saying why), opens one to
read it, then edits its details, links it to a contact and withdraws it, on a phone."""

from __future__ import annotations

import hashlib
import io

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

LIMIT = 200_000


def _log_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()


@pytest.mark.settings(max_upload_bytes=LIMIT)
def test_complainant_uploads_several_files_and_the_refused_ones_stay_explained(
    page: Page, live_server: str, console_errors: list[str], user, case, samples
):
    chat = (samples / "chat" / "other" / "encodings" / "gbk.txt").read_bytes()
    photo = (samples / "images" / "hopper_orientation_6.jpg").read_bytes()
    assert len(photo) < LIMIT
    _log_in(page, live_server, user.email)
    page.goto(f"{live_server}/cases/{case.id}")

    page.set_input_files("#ev-file", files=[
        {"name": "聊天.txt", "mimeType": "text/plain", "buffer": chat},
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo},
        {"name": "huge.bin", "mimeType": "application/octet-stream", "buffer": b"x" * (LIMIT + 1)},
        {"name": "empty.txt", "mimeType": "text/plain", "buffer": b""},
    ])
    rows = page.locator("#upload-list > li")
    expect(rows).to_have_count(4)
    # Too large is known before sending, with the limit in words.
    expect(rows.filter(has_text="huge.bin")).to_contain_text("larger than the 195.3 KiB limit")
    # Each file is described on its own before anything is sent.
    rows.filter(has_text="聊天.txt").get_by_label("Description").fill("客服聊天记录")
    rows.filter(has_text="photo.jpg").get_by_label("Source").fill("手机截屏")
    page.get_by_role("button", name="Upload", exact=True).click()

    table = page.locator("table.evidence")
    expect(table).to_contain_text("聊天.txt", timeout=30_000)
    expect(table).to_contain_text("photo.jpg", timeout=30_000)
    expect(table).to_contain_text("客服聊天记录")
    expect(table).to_contain_text(hashlib.sha256(chat).hexdigest()[:16])
    expect(rows.filter(has_text="empty.txt")).to_contain_text("The file is empty")
    # Reading finishes meanwhile; the page does not reload the errors away.
    page.wait_for_timeout(4_000)
    expect(rows.filter(has_text="huge.bin")).to_contain_text("195.3 KiB")
    expect(rows.filter(has_text="empty.txt")).to_contain_text("The file is empty")
    # Once both are dismissed, the page reloads to show what reading found.
    with page.expect_navigation(timeout=15_000):
        for name in ("huge.bin", "empty.txt"):
            rows.filter(has_text=name).get_by_role("button", name="Remove from this list").click()
    expect(page.locator("#upload-list > li")).to_have_count(0)

    page.get_by_role("link", name="聊天.txt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("聊天.txt")
    expect(page.locator("pre.text, .transcript").first).to_contain_text("Python（派森）语言")
    expect(page.locator("body")).to_contain_text(hashlib.sha256(chat).hexdigest())
    # The browser reports the empty file's refusal (422) itself; nothing else went wrong.
    assert [e for e in console_errors if "status of 422" not in e] == []


def test_on_a_phone_the_owner_edits_links_and_withdraws_an_item(
    page: Page, live_server: str, console_errors: list[str], user, case, api, samples
):
    photo = (samples / "images" / "hopper_orientation_6.jpg").read_bytes()
    item = api.post(f"/api/v1/cases/{case.id}/evidence", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(photo), "冻结截图.jpg")}).get_json()
    api.post(f"/api/v1/cases/{case.id}/events", json={
        "occurred_at": "2026-03-05T14:20:00+08:00", "channel": "online_chat",
        "reference": "SLW-0042", "summary": "客服承诺三个工作日内解冻"})
    page.set_viewport_size({"width": 360, "height": 740})
    _log_in(page, live_server, user.email)
    page.goto(f"{live_server}/cases/{case.id}/evidence/{item['id']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_text("Edit details and contacts").click()
    page.get_by_label("Description").fill("冻结通知的截图")
    page.get_by_label("SLW-0042", exact=False).check()
    page.get_by_role("button", name="Save details").click()
    expect(page.locator(".flash, [role=status]").first).to_be_visible()
    expect(page.locator("#item-contacts")).to_contain_text("SLW-0042")
    expect(page.locator("body")).to_contain_text("冻结通知的截图")

    page.get_by_text("Withdraw this item").click()
    page.get_by_label("Why withdraw it").fill("拍错了")
    page.get_by_role("button", name="Withdraw", exact=True).click()
    expect(page.locator("#item-withdrawal")).to_contain_text("拍错了")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{live_server}/cases/{case.id}")
    expect(page.locator("table.evidence tr.withdrawn")).to_contain_text("拍错了")
    contact = api.get(f"/api/v1/cases/{case.id}/events").get_json()["items"][0]
    expect(page.locator(f"#contact-{contact['id']}")).to_contain_text("冻结截图.jpg")

    page.goto(f"{live_server}/cases/{case.id}/evidence/{item['id']}")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Withdraw this item")).to_be_visible()
    assert console_errors == []
