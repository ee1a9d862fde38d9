"""In a real browser: a complainant drops several files on the case page, watches them go
into the vault, and opens one to read it."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_complainant_uploads_several_files_and_reads_the_chat(
    page: Page, live_server: str, console_errors: list[str], user, case, samples
):
    chat = (samples / "chat" / "other" / "encodings" / "gbk.txt").read_bytes()
    photo = (samples / "images" / "hopper_orientation_6.jpg").read_bytes()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/cases/{case.id}")

    page.get_by_label("Description").fill("客服聊天记录和截图")
    page.set_input_files("#ev-file", files=[
        {"name": "聊天.txt", "mimeType": "text/plain", "buffer": chat},
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo},
    ])
    # Each file gets its own progress row, then the page reloads with the evidence list.
    expect(page.locator("table.evidence")).to_contain_text("聊天.txt", timeout=30_000)
    table = page.locator("table.evidence")
    expect(table).to_contain_text("photo.jpg")
    expect(table).to_contain_text(hashlib.sha256(chat).hexdigest()[:16])

    page.get_by_role("link", name="聊天.txt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("聊天.txt")
    expect(page.locator("pre.text")).to_contain_text("Python（派森）语言")
    expect(page.locator("body")).to_contain_text(hashlib.sha256(chat).hexdigest())
    assert console_errors == []
