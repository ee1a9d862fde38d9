"""The web side's wiring: request bodies bounded by max_body_bytes, caching headers,
HTTPS headers and cookies, and which package may import which."""

from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask

import caseapp
from caseapp.access.viewer import LINK_COOKIE_PREFIX
from caseapp.cases.models import Case
from caseapp.config import load_settings
from caseapp.export import service as dossiers
from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.runtime import NoRuntime, runtime_of
from caseapp.shares import offers
from caseapp.shares import service as shares
from tests.conftest import PASSWORD, AuthActions, csrf_token_from, post_chunked
from tests.shares.conftest import login_client, png_bytes, upload

TOO_BIG = 2 * 1024 * 1024  # max_body_bytes is 1 MiB by default
FORM = "application/x-www-form-urlencoded"


def new_case_form(token: str, size: int) -> bytes:
    return urlencode({"csrf_token": token, "title": "冻结", "counterparty": "星链钱包",
                      "category": "assets_frozen", "description": "x" * size}).encode()


def test_form_over_max_body_bytes_is_413_page_and_stores_nothing(client, auth, user):
    auth.login()
    body = new_case_form(auth.token("/cases/new"), TOO_BIG)
    response = client.post("/cases/new", data=body, content_type=FORM)
    assert response.status_code == 413
    assert "<h1>413</h1>" in response.get_data(as_text=True)
    assert db.session.query(Case).count() == 0


@pytest.mark.parametrize(("language", "text"), [
    ("en", "What you sent is larger than this instance accepts."),
    ("zh-CN", "提交的内容超出了本站的上限。"),
])
def test_413_page_is_in_the_visitors_language(client, language, text):
    response = client.post("/login", data=b"email=" + b"x" * TOO_BIG,
                           content_type=FORM,
                           headers={"Accept-Language": language})
    assert response.status_code == 413
    assert text in response.get_data(as_text=True)


def test_chunked_form_over_max_body_bytes_is_413_and_stores_nothing(
    client, auth, user, live_server
):
    # No Content-Length to refuse up front: Werkzeug counts the body as it is read.
    auth.login()
    body = new_case_form(auth.token("/cases/new"), TOO_BIG)
    cookie = client.get_cookie("caseapp_session")  # after the token: it lives in the session
    assert cookie is not None
    status, page = post_chunked(live_server, "/cases/new", body,
                                {"Content-Type": FORM,
                                 "Cookie": f"caseapp_session={cookie.value}"})
    assert status == 413
    assert b"larger than this instance accepts" in page
    assert db.session.query(Case).count() == 0


def test_form_within_max_body_bytes_still_works(client, auth, user):
    auth.login()
    body = new_case_form(auth.token("/cases/new"), 1000)
    response = client.post("/cases/new", data=body, content_type=FORM)
    assert response.status_code == 302
    assert db.session.query(Case).count() == 1


# -- caching: nothing of a case, an account or a share is kept by a browser or proxy ------

@pytest.fixture
def shared(app, case, api, user, make_user):
    """The complainant's case with a screenshot (so a thumbnail), a link share and an
    advocate share, and a browser for each: owner, advocate, link visitor."""
    screenshot = upload(api, case.id, png_bytes(), "冻结截图.png")
    head_key = runtime_of(app).head_key
    link = shares.create_share(db.session, head_key, user, case, {"link": True}, "Asia/Shanghai")
    advocate = make_user("li.na@consumer.example.org", role="advocate")
    offer = shares.create_share(
        db.session, head_key, user, case, {"advocate_email": advocate.email}, "Asia/Shanghai"
    )
    offers.accept_offer(db.session, head_key, advocate, offer.share)
    link_browser = app.test_client()
    assert link_browser.get(f"/s/{link.link_token}").status_code == 302
    return {
        "case": case,
        "evidence": screenshot["id"],
        "token": link.link_token,
        "owner": login_client(app, user.email),
        "advocate": login_client(app, advocate.email),
        "link": link_browser,
        "api": api,
    }


PRIVATE = [
    ("owner", "/", 200),
    ("owner", "/cases/{case}", 200),
    ("owner", "/cases/{case}/evidence/{evidence}", 200),
    ("owner", "/cases/{case}/evidence/{evidence}/renditions/thumbnail", 200),
    ("owner", "/cases/{case}/evidence/{evidence}/original", 200),
    ("owner", "/account", 200),
    ("owner", "/cases/{case}/evidence/nothing-here", 404),
    ("advocate", "/shared", 200),
    ("advocate", "/cases/{case}", 200),
    ("advocate", "/cases/{case}/evidence/{evidence}/renditions/thumbnail", 200),
    ("link", "/cases/{case}", 200),
    ("link", "/cases/{case}/evidence/{evidence}", 200),
    ("link", "/cases/{case}/evidence/{evidence}/renditions/thumbnail", 200),
    ("anonymous", "/s/{token}", 302),
    ("api", "/api/v1/cases", 200),
    ("api", "/api/v1/evidence/{evidence}", 200),
    ("api", "/api/v1/evidence/{evidence}/content", 200),
]


@pytest.mark.parametrize(("who", "path", "status"), PRIVATE)
def test_every_private_answer_is_no_store(app, shared, who, path, status):
    case, evidence, token = shared["case"].id, shared["evidence"], shared["token"]
    browser = app.test_client() if who == "anonymous" else shared[who]
    response = browser.get(path.format(case=case, evidence=evidence, token=token))
    response.get_data()  # a streamed download closes its blob once read to the end
    assert response.status_code == status
    # Exactly no-store: a thumbnail's own "private, max-age=3600" must not survive.
    assert response.headers["Cache-Control"] == "no-store"


def test_a_dossier_download_is_no_store(app, shared, user):
    case = shared["case"]
    queued = dossiers.request_dossier(db.session, case, user, "en", "consumer_association")
    db.session.commit()  # built by its job, inline in tests
    assert db.session.get(Dossier, queued.id).status == "ready"
    page = shared["owner"].get(f"/cases/{case.id}/dossiers/{queued.id}/pdf")
    api = shared["api"].get(f"/api/v1/dossiers/{queued.id}/pdf")
    for response in (page, api):
        assert response.get_data().startswith(b"%PDF")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/static/app.css", "/pki/ca.pem", "/pki/crl", "/login"])
def test_public_files_stay_cacheable_even_for_a_logged_in_user(app, shared, path):
    for browser in (app.test_client(), shared["owner"]):
        response = browser.get(path)
        response.close()  # the test client leaves a static file open until then
        assert response.status_code in (200, 302)
        if path != "/login" or browser is not shared["owner"]:
            assert "no-store" not in response.headers.get("Cache-Control", "")
    assert app.test_client().get("/pki/crl").headers["Cache-Control"] == "public, max-age=3600"


# -- HTTPS: Strict-Transport-Security and Secure cookies ------------------------------

HTTPS = "https://localhost"


def login_over_https(client):
    """Log the complainant in over https://, as a browser would (Flask-WTF checks the
    Referer of a form posted over HTTPS)."""
    page = client.get("/login", base_url=HTTPS)
    return client.post(
        "/login",
        base_url=HTTPS,
        data={"email": "complainant@example.org", "password": PASSWORD,
              "csrf_token": csrf_token_from(page.get_data(as_text=True))},
        headers={"Referer": f"{HTTPS}/login"},
    )


def cookies_set(response) -> dict[str, str]:
    """Each Set-Cookie header by the cookie's name."""
    return {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}


@pytest.mark.settings(https=True)
def test_with_https_on_every_answer_has_hsts_and_every_cookie_is_secure(app, client, user, case):
    assert client.get("/login", base_url=HTTPS).headers[
        "Strict-Transport-Security"
    ] == "max-age=31536000; includeSubDomains"
    user.locale = "zh_CN"
    db.session.commit()
    cookies = cookies_set(login_over_https(client))
    assert "Secure" in cookies["caseapp_session"]
    assert "Secure" in cookies["caseapp_lang"]
    language = client.post("/language/en", base_url=HTTPS, headers={"Referer": f"{HTTPS}/"},
                           data={"csrf_token": csrf_token_from(
                               client.get("/", base_url=HTTPS).get_data(as_text=True))})
    assert "Secure" in cookies_set(language)["caseapp_lang"]

    link = shares.create_share(db.session, runtime_of(app).head_key, user, case,
                               {"link": True}, "Asia/Shanghai")
    db.session.commit()
    opened = app.test_client().get(f"/s/{link.link_token}", base_url=HTTPS)
    assert "Secure" in cookies_set(opened)[f"{LINK_COOKIE_PREFIX}{link.share.id}"]


def test_by_default_no_hsts_and_cookies_work_over_plain_http(app, client, user, case):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    user.locale = "zh_CN"
    db.session.commit()
    cookies = cookies_set(AuthActions(client).login())
    assert "Secure" not in cookies["caseapp_session"]
    assert "Secure" not in cookies["caseapp_lang"]
    link = shares.create_share(db.session, runtime_of(app).head_key, user, case,
                               {"link": True}, "Asia/Shanghai")
    db.session.commit()
    opened = app.test_client().get(f"/s/{link.link_token}")
    assert "Secure" not in cookies_set(opened)[f"{LINK_COOKIE_PREFIX}{link.share.id}"]


@pytest.mark.settings(public_url="https://cases.example.org")
def test_an_https_public_url_turns_https_on(client, user):
    assert "Strict-Transport-Security" in client.get("/login", base_url=HTTPS).headers
    assert "Secure" in cookies_set(login_over_https(client))["caseapp_session"]


@pytest.mark.settings(https=True, session_cookie_secure=False, hsts_max_age=600,
                      hsts_include_subdomains=False)
def test_hsts_is_tunable_and_session_cookie_secure_still_overrides(client, user):
    headers = client.get("/login", base_url=HTTPS).headers
    assert headers["Strict-Transport-Security"] == "max-age=600"
    assert "Secure" not in cookies_set(login_over_https(client))["caseapp_session"]


def test_https_settings_come_from_the_environment(instance_path, monkeypatch):
    monkeypatch.setenv("CASEAPP_HTTPS", "true")
    monkeypatch.setenv("CASEAPP_HSTS_MAX_AGE", "86400")
    settings = load_settings(instance_path)
    assert settings.serves_https
    assert settings.cookies_secure
    assert settings.strict_transport_security == "max-age=86400; includeSubDomains"
    monkeypatch.setenv("CASEAPP_HTTPS", "false")
    monkeypatch.setenv("CASEAPP_PUBLIC_URL", "https://cases.example.org")
    assert not load_settings(instance_path).serves_https  # said explicitly: off


# -- layering -----------------------------------------------------------------------

def imported_modules(path: Path) -> set[str]:
    """The modules a source file imports, at any level."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_api_never_imports_the_web_module_nor_pages_the_api():
    package = Path(caseapp.__file__).parent
    for path in (package / "api").rglob("*.py"):
        assert "caseapp.web" not in imported_modules(path), path
    for path in package.rglob("views.py"):
        assert not any(m.startswith("caseapp.api") for m in imported_modules(path)), path


def test_runtime_of_an_app_not_built_by_create_app_says_so():
    with pytest.raises(NoRuntime):
        runtime_of(Flask("bare"))
