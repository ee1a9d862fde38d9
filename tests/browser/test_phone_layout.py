"""Every page each kind of visitor can reach, on a phone, in Chinese and in English: no
page is wider than the screen, the menu opens and shows every section, buttons are big
enough to tap, and axe-core finds no serious or critical accessibility problem.

The pages come from the app's url_map, filled with the ids of a real case (the demo's:
contacts, a chat, a screenshot, an email, a PDF, a built dossier, shares), so a page added
later is checked without anyone listing it here; a route whose address needs a value the
world below does not have fails until one is added. A route counts as a page for a
visitor when it answers them 200 with HTML.

Visitors: the complainant who owns the case, the advocate who accepted a share of it (their
role is reminded to use two-factor authentication, so the reminder is on every page), a
browser holding a link share, and someone with neither account nor link.

axe-core is the npm package, installed by `WITH_TEST_TOOLS=1 scripts/install.sh` into
.cache/node/; it is injected into each page by a browser context that bypasses the CSP,
as the app's own policy rightly refuses scripts it did not serve.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import select

from caseapp.cases.models import Case
from caseapp.demo import load_demo
from caseapp.evidence import ingest
from caseapp.evidence import service as evidence_service
from caseapp.export import service as dossiers
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.shares import service as shares
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.settings(two_factor_required_roles=("advocate", "admin")),
]

AXE = Path(__file__).resolve().parents[2] / ".cache/node/node_modules/axe-core/axe.min.js"
VIEWPORTS = ({"width": 360, "height": 740}, {"width": 390, "height": 844})
LANGUAGES = ("zh_CN", "en")
WIDE_MENU = 860  # from this width the menu is a row of links, not a button
DEMO_PASSWORDS = {
    "demo@caseapp.test": "demo-password-2024",
    "advocate@caseapp.test": "advocate-password-2024",
}
ROLES = ("owner", "advocate", "link", "anonymous")
# The menu's sections for each visitor: where its links go, and whether it logs out.
MENU = {
    "owner": ({"/", "/cases", "/cases/new", "/account"}, True),
    "advocate": ({"/", "/cases", "/cases/new", "/shared", "/account"}, True),
    "link": ({"/login", "/register"}, False),
    "anonymous": ({"/login", "/register"}, False),
}


@dataclass
class World:
    """The demo case and every id a page address may need, per visitor where they differ."""

    values: dict[str, list[str]]
    link_token: str
    invite_token: str


@pytest.fixture
def world(app: Flask, samples: Path) -> World:
    owner, _advocate, _ = load_demo()
    case = db.session.execute(select(Case).where(Case.owner_id == owner.id)).scalar_one()
    head_key = runtime().head_key
    pdf = (samples / "pdf" / "crazyones.pdf").read_bytes()
    ingest.add_file(db.session, runtime(), case, owner, "银行流水.pdf", pdf, {"source": "网银导出"})
    link = shares.create_share(db.session, head_key, owner, case, {"link": True}, "Asia/Shanghai")
    invite = shares.create_share(
        db.session, head_key, owner, case,
        {"advocate_email": "newcomer@association.example.org"}, "Asia/Shanghai",
    )
    dossier = dossiers.request_dossier(db.session, case, owner, "zh", "consumer_association")
    db.session.commit()
    runtime().jobs.drain(["reading", "dossier"])
    db.session.refresh(dossier)
    assert dossier.status == "ready", dossier.status
    assert link.link_token is not None
    assert invite.invite_token is not None
    items = evidence_service.list_evidence(db.session, case, limit=100, cursor=None).items
    return World(
        values={
            "case_id": [case.id],
            "event_id": [case.events[0].id],
            "evidence_id": [item.id for item in items],
            "dossier_id": [dossier.id],
            "share_id": [link.share.id],
            "sender_id": [owner.id],
        },
        link_token=link.link_token,
        invite_token=invite.invite_token,
    )


def addresses(app: Flask, world: World) -> list[str]:
    """Every GET address the app has, filled with the world's ids."""
    tokens = {"shares.open_link": world.link_token, "shares.invite": world.invite_token}
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.endpoint.startswith(("api.", "pki.")):
            continue  # JSON and certificates, not pages
        names = sorted(rule.arguments)
        choices: list[list[str]] = []
        for name in names:
            if name == "token":
                choices.append([tokens[rule.endpoint]])
            elif name in world.values:
                choices.append(world.values[name])
            else:
                choices.append(_FIXED.get(name) or pytest.fail(
                    f"{rule.endpoint} ({rule.rule}) needs a value for <{name}>: add it to World"
                ))
        for combination in itertools.product(*choices):
            _, path = rule.build(dict(zip(names, combination, strict=True)))  # type: ignore[misc]
            found.append(path)
    return found


# Arguments of addresses that answer files, never pages: any valid value will do.
_FIXED = {"role": ["thumbnail"], "which": ["pdf"], "locale": ["en"]}


def pages_of(context: BrowserContext, base_url: str, paths: list[str]) -> list[str]:
    """The addresses that answer this visitor 200 with an HTML page."""
    found = []
    for path in paths:
        answer = context.request.get(base_url + path, max_redirects=0)
        if answer.status == 200 and answer.headers.get("content-type", "").startswith("text/html"):
            found.append(path)
    return found


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORDS[email])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert not page.url.endswith("/login"), f"{email} could not log in"


def choose_language(page: Page, base_url: str, locale: str) -> None:
    """Switch the language as a visitor would, with the footer's button."""
    page.goto(f"{base_url}/")
    label = "中文" if locale == "zh_CN" else "English"
    page.locator(".language").get_by_role("button", name=label).click()
    page.wait_for_load_state()


@contextmanager
def visitor(browser: Browser, base_url: str, role: str, world: World) -> Iterator[Page]:
    """A browser for one visitor, logged in or holding the link as its role needs."""
    context = browser.new_context(
        bypass_csp=True, locale="en-US", timezone_id="Asia/Shanghai", viewport=VIEWPORTS[0]
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    if role == "owner":
        log_in(page, base_url, "demo@caseapp.test")
    elif role == "advocate":
        log_in(page, base_url, "advocate@caseapp.test")
    elif role == "link":
        page.goto(f"{base_url}/s/{world.link_token}")
    yield page
    context.close()


# -- what is checked on each page --------------------------------------------------


def overflow(page: Page) -> str | None:
    """None when nothing is wider than the screen; else what sticks out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    if width <= viewport["width"]:
        return None
    culprits = page.evaluate(
        """(w) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(-3).map(e => e.outerHTML.slice(0, 120))""",
        viewport["width"],
    )
    return f"{width} px wide: {culprits}"


MENU_JS = """(width) => {
  const menu = document.getElementById('site-menu');
  const shown = (e) =>
    e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const links = {};
  for (const a of menu.querySelectorAll('a[href]')) {
    const r = a.getBoundingClientRect();
    links[a.getAttribute('href')] = shown(a) ? [r.left, r.right, r.height] : null;
  }
  return {links, logout: shown(menu.querySelector('form[action="/logout"] button'))};
}"""


def menu_problems(page: Page, role: str) -> list[str]:
    """Open the menu as a phone user would; every section's link must then be visible,
    on screen and, on a phone, 44 px high; Escape closes it again."""
    viewport = page.viewport_size
    assert viewport is not None
    width = viewport["width"]
    phone = width < WIDE_MENU
    toggle = page.locator("[data-menu-toggle]")
    problems = []
    if phone:
        if not toggle.is_visible():
            return ["no menu button"]
        toggle.click()
        if toggle.get_attribute("aria-expanded") != "true":
            problems.append("the menu button does not say the menu is open")
    seen = page.evaluate(MENU_JS, width)
    hrefs, logs_out = MENU[role]
    for href in sorted(hrefs):
        box = seen["links"].get(href)
        if box is None:
            problems.append(f"menu link {href} missing or hidden")
        elif box[0] < 0 or box[1] > width or (phone and box[2] < 44):
            problems.append(f"menu link {href} off screen or under 44 px: {box}")
    if logs_out and not seen["logout"]:
        problems.append("no visible log-out button in the menu")
    if phone:
        page.keyboard.press("Escape")
        if page.locator("#site-menu").is_visible():
            problems.append("Escape does not close the menu")
    return problems


# Each kind of control and the least it may measure each way, in CSS px.
TARGETS = (
    (".button, button:not(.link), input[type=submit]", 44),
    ("button.link, .rowactions a, .language button", 24),
)
SMALL_TARGETS_JS = """(targets) => {
  const out = [];
  for (const [selector, least] of targets) {
    for (const e of document.querySelectorAll(selector)) {
      const r = e.getBoundingClientRect();
      if (!e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
      if (r.height < least || r.width < least) {
        out.push(`${e.textContent.trim()} ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
  }
  return out;
}"""
AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ` +
              v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


def small_targets(page: Page) -> list[str]:
    """Buttons under 44 px on a phone, and links that act (edit, delete, revoke, the
    language switch) under 24 px."""
    return list(page.evaluate(SMALL_TARGETS_JS, [list(t) for t in TARGETS]))


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    found = page.evaluate(AXE_JS)
    return list(found)


# -- the test ------------------------------------------------------------------------


@pytest.fixture
def own_browser(world: World) -> Iterator[Browser]:
    """Chromium started only once the world is built: the dossier's signature runs an
    asyncio loop of its own, which Playwright's running loop (tests/conftest.py's module
    `browser`) would refuse."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_every_page_fits_a_phone_has_a_menu_and_passes_axe(
    app: Flask, own_browser: Browser, live_server: str, world: World, console_errors: Any
):
    assert AXE.is_file(), f"axe-core not found at {AXE}: run WITH_TEST_TOOLS=1 scripts/install.sh"
    browser = own_browser
    paths = addresses(app, world)
    problems: list[str] = []
    checked = 0
    for role in ROLES:
        with visitor(browser, live_server, role, world) as page:
            console_errors.watch(page)
            pages = pages_of(page.context, live_server, paths)
            assert len(pages) >= {"owner": 12, "advocate": 6, "link": 4, "anonymous": 3}[role], (
                role, pages)
            for locale in LANGUAGES:
                page.set_viewport_size(VIEWPORTS[0])
                choose_language(page, live_server, locale)
                for path in pages:
                    page.goto(live_server + path)
                    where = f"{role} {locale} {path}"
                    for viewport in VIEWPORTS:
                        page.set_viewport_size(viewport)
                        at = f"{where} @{viewport['width']}"
                        if (wide := overflow(page)) is not None:
                            problems.append(f"{at}: {wide}")
                        problems += [f"{at}: {p}" for p in menu_problems(page, role)]
                        problems += [f"{at}: small target {t}" for t in small_targets(page)]
                    problems += [f"{where}: axe {v}" for v in axe_violations(page)]
                    checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 2 * (12 + 6 + 4 + 3)
    assert console_errors == []
