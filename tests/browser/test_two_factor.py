"""In a real browser: a complainant turns on two-factor authentication from their settings,
logs out, logs back in with a code from the app, then with a recovery code, and finds
that recovery code refused the second time. Every two-factor page fits a 360 px phone."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360


def fits_a_phone(page: Page) -> None:
    """The page as a 360 px wide phone shows it: nothing wider than the screen."""
    size = page.viewport_size
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 780})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width} px wide at {PHONE_WIDTH} px"
    if size:
        page.set_viewport_size(size)


def log_in_with_password(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def enter_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")


def test_complainant_enrols_then_logs_in_with_a_code_and_a_recovery_code_once(
    page: Page, live_server: str, console_errors: list[str], user
):
    log_in_with_password(page, live_server, user.email)
    page.goto(f"{live_server}/account")
    page.get_by_role("link", name="Set up two-factor authentication").click()

    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    qr_code = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr_code).to_be_visible()
    assert qr_code.evaluate("img => img.naturalWidth") > 0  # the data: SVG loaded under the CSP
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    totp = pyotp.TOTP(secret)
    fits_a_phone(page)
    page.get_by_label("Code", exact=True).fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    recovery_codes = [
        code.strip() for code in page.locator("[data-recovery-code]").all_inner_texts()
    ]
    assert len(recovery_codes) == 10
    fits_a_phone(page)
    log_out(page)

    # Enrolment took this time step's code; the app's next one is accepted (clocks drift).
    log_in_with_password(page, live_server, user.email)
    fits_a_phone(page)
    enter_code(page, totp.at(time.time() + totp.interval))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{live_server}/account/two-factor")
    expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
    fits_a_phone(page)
    log_out(page)

    log_in_with_password(page, live_server, user.email)
    enter_code(page, recovery_codes[0])
    expect(page.get_by_role("status")).to_contain_text("You used a recovery code; 9 left.")
    log_out(page)

    log_in_with_password(page, live_server, user.email)
    enter_code(page, recovery_codes[0])
    expect(page.get_by_text("This code is not valid or was used already.")).to_be_visible()
    page.goto(f"{live_server}/cases")  # not logged in: back to the password
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert console_errors == []
