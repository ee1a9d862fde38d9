"""Shared fixtures: a fresh instance per test, users, cases, a logged-in browser client,
and an API client with a bearer token.

One instance (keys plus a database migrated to head) is built per session and copied
for each test, so every test gets its own database and vault without paying for
migrations and key generation each time.
"""

from __future__ import annotations

import contextvars
import http.client
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

from caseapp import create_app
from caseapp.accounts import service as accounts
from caseapp.accounts import tokens
from caseapp.accounts.models import User
from caseapp.cases import service as cases
from caseapp.cases.models import Case
from caseapp.cli import initialise_instance
from caseapp.extensions import db

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
PASSWORD = "correct horse battery"

# Argon2 at its cheapest: the tests check behaviour, not the cost of brute force.
TEST_SETTINGS: dict[str, Any] = {
    "argon2_time_cost": 1,
    "argon2_memory_cost": 8,
    "argon2_parallelism": 1,
    "ratelimit_enabled": False,
    "testing": True,
    "jobs_inline": True,
    # Most tests log advocates in with a password alone; the tests of the rule that
    # advocates and admins must enrol a second factor turn it on with @settings.
    "two_factor_required_roles": (),
}


@pytest.fixture(scope="session")
def instance_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised instance, built once and copied by `instance_path`."""
    path = tmp_path_factory.mktemp("template") / "instance"
    initialise_instance(path)
    return path


@pytest.fixture
def instance_path(instance_template: Path, tmp_path: Path) -> Path:
    """This test's own instance folder."""
    path = tmp_path / "instance"
    shutil.copytree(instance_template, path)
    return path


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The test itself holds an app context (to use the database directly); without this,
    Flask would reuse it for every request and `g` (the logged-in user, the CSRF
    token) would leak from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if db.session.registry.has():
            db.session.expire_all()  # the request committed through its own session
        return response


@pytest.fixture
def app(instance_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The application on this test's instance, inside an app context.

    `@pytest.mark.settings(max_upload_bytes=...)` runs it with other settings.
    """
    marker = request.node.get_closest_marker("settings")
    overrides = marker.kwargs if marker else {}
    app = create_app(config={**TEST_SETTINGS, **overrides}, instance_path=instance_path)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        app.extensions["caseapp"].jobs.stop()
        db.session.remove()
        db.engine.dispose()
    app.extensions["caseapp"].vault.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create users: make_user("a@example.org", role="advocate")."""
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, role: str = "user", **kwargs: Any) -> User:
        user = accounts.create_user(
            db.session, app.extensions["caseapp"].passwords,
            email=email or f"user{next(counter)}@example.org", password=PASSWORD, role=role,
            **kwargs,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user("complainant@example.org", display_name="张伟", timezone="Asia/Shanghai")


@pytest.fixture
def make_case(app: Flask) -> Callable[..., Case]:
    """Open cases: make_case(owner, title="...")."""

    def make(owner: User, **fields: Any) -> Case:
        data = {"title": "钱包资产被冻结", "counterparty": "星链钱包", "category": "assets_frozen",
                "amount": "5000", "currency": "USDT", **fields}
        case = cases.open_case(db.session, app.extensions["caseapp"].head_key, owner, data,
                               "Asia/Shanghai")
        db.session.commit()
        return case

    return make


@pytest.fixture
def case(make_case: Callable[..., Case], user: User) -> Case:
    return make_case(user)


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    """Log in and out through the real forms, CSRF token included."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, path: str = "/login") -> str:
        return csrf_token_from(self.client.get(path).get_data(as_text=True))

    def login(self, email: str = "complainant@example.org", password: str = PASSWORD) -> Any:
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.token()}
        )

    def logout(self) -> Any:
        return self.client.post("/logout", data={"csrf_token": self.token("/")})

    def post(self, path: str, data: dict[str, Any], form_page: str | None = None,
             **kwargs: Any) -> Any:
        """POST a form as the browser would, with the token from `form_page` (default: `path`)."""
        token = self.token(form_page or path)
        return self.client.post(path, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


class ApiClient:
    """A JSON client carrying one user's bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=json, headers=self.headers, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.patch(path, json=json, headers=self.headers, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.headers, **kwargs)


@pytest.fixture
def api_for(client: FlaskClient) -> Callable[[User], ApiClient]:
    """An API client for any user: api_for(someone)."""

    def make(owner: User) -> ApiClient:
        token = tokens.create_token(db.session, owner, name="tests").secret
        db.session.commit()
        return ApiClient(client, token)

    return make


@pytest.fixture
def api(api_for: Callable[[User], ApiClient], user: User) -> ApiClient:
    return api_for(user)


@pytest.fixture
def samples() -> Path:
    """The real-world sample files in ../shared/samples."""
    assert SAMPLES.is_dir(), f"sample files not found at {SAMPLES}"
    return SAMPLES


# -- a real browser against a real server (tests/browser, tests/shares) -------------
# The app served on 127.0.0.1 from a background thread, and Debian's chromium driven by
# Playwright (no `playwright install` needed). Defined once for every folder: Playwright's
# sync API cannot run two at once in one thread.
CHROMIUM = "/usr/bin/chromium"
# Quiet, offline, deterministic: nothing phones home, nothing is fetched but the app.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 5_000


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app served over HTTP on a free local port; yields its base URL.

    Each request runs in the server thread's own app context, as in production; the
    test's own app context (from the `app` fixture) is not shared with it.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def post_chunked(
    base_url: str, path: str, body: bytes, headers: dict[str, str], piece: int = 64 * 1024
) -> tuple[int, bytes]:
    """POST `body` to a live server with Transfer-Encoding: chunked (no Content-Length).

    Returns the status and the response body.
    """
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        pieces = (body[start : start + piece] for start in range(0, len(body), piece))
        connection.request("POST", path, body=pieces, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post_all_at_once(
    base_url: str, posts: list[tuple[str, bytes, dict[str, str]]]
) -> list[tuple[int, Any]]:
    """Send every (path, body, headers) POST to the live server at the same moment, each
    on its own connection and thread; (status, JSON body) for each, in the order given."""
    host, port = base_url.removeprefix("http://").split(":")
    start = threading.Barrier(len(posts))
    answers: list[tuple[int, Any]] = [(0, None)] * len(posts)

    def send(index: int, path: str, body: bytes, headers: dict[str, str]) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        start.wait()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            answers[index] = (response.status, json.loads(raw) if raw.startswith(b"{") else raw)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium per test module.

    Not per session: Playwright's sync API keeps an event loop running in the main
    thread while it lives, and any later test whose code calls asyncio.run (pyHanko's
    signature validation does) would then fail.
    """
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class ConsoleErrors(list[str]):
    """Every console error and uncaught page error seen, e.g. a CSP violation."""

    def watch(self, page: Page) -> None:
        """Start collecting from `page`."""
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.append(f"page error: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.append(f"console: {message.text} at {message.location.get('url')}")


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def page(browser: Browser, console_errors: ConsoleErrors) -> Iterator[Page]:
    """A fresh browser profile (no cookies) set to English, as a first visit would be."""
    context = browser.new_context(
        locale="en-US", timezone_id="UTC", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console_errors.watch(page)
    yield page
    context.close()
