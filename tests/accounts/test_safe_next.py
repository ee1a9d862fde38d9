"""Where login and the language switch send the browser afterwards: only a plain path on
this site, never another host, never a 500 (issue 13's payloads, sent raw)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

# Raw query-string values: Werkzeug decodes them (%09 becomes a tab) before the view sees them.
OFF_SITE = [
    "/%09/evil.example",
    "/%0a/x",
    "/%0d%0aSet-Cookie:%20x=1",
    "//evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "https://evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/x/%252e%252e//evil.example",
    "%20/x",
    " /x",
    "/%7F/x",
    "/%25%30%39/evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, auth, user, target):
    response = client.post(
        f"/login?next={target}",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": auth.token(),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target", ["/cases", "/cases?status=open", "/account#password", "/s/abc%20def"]
)
def test_login_goes_to_a_local_path(client, auth, user, target):
    response = client.post(
        f"/login?next={target.replace('?', '%3F').replace('#', '%23')}",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": auth.token(),
        },
    )
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/x",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%2F%2Fevil.example",
        " /x",
        "/%0a/x",
    ],
)
def test_language_switch_never_redirects_off_site(client, auth, target):
    response = client.post("/language/zh_CN", data={"next": target, "csrf_token": auth.token()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page(client, auth):
    response = client.post(
        "/language/en", data={"next": "/login?next=/cases", "csrf_token": auth.token()}
    )
    assert response.headers["Location"] == "/login?next=/cases"
