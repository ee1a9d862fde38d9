"""Fixtures for shares: an advocate, a case with evidence and a contact, shares of it,
and browser-like clients for each kind of visitor."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.shares import offers, service
from caseapp.shares.models import Share
from tests.conftest import PASSWORD, csrf_token_from


def png_bytes(colour: str = "red") -> bytes:
    """A small real PNG, so the vault makes a thumbnail of it."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(api: Any, case_id: str, data: bytes, name: str) -> dict[str, Any]:
    """Add a file to the case through the API, as the owner."""
    response = api.post(
        f"/api/v1/cases/{case_id}/evidence",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.fixture
def advocate(make_user: Callable[..., User]) -> User:
    return make_user("li.na@consumer.example.org", role="advocate", display_name="李娜")


@pytest.fixture
def owner_api(api_for: Callable[[User], Any], user: User) -> Any:
    return api_for(user)


@pytest.fixture
def advocate_api(api_for: Callable[[User], Any], advocate: User) -> Any:
    return api_for(advocate)


@pytest.fixture
def dossier_case(case: Case, owner_api: Any) -> dict[str, Any]:
    """The complainant's case with a contact, a screenshot and a private note."""
    event = owner_api.post(
        f"/api/v1/cases/{case.id}/events",
        json={
            "occurred_at": "2026-03-05T14:20:00+08:00",
            "channel": "online_chat",
            "summary": "客服承诺三个工作日内解冻资产",
        },
    ).get_json()
    screenshot = upload(owner_api, case.id, png_bytes(), "冻结截图.png")
    private = upload(owner_api, case.id, "我的私人笔记：家庭住址".encode(), "私人笔记.txt")
    return {"case": case, "event": event, "screenshot": screenshot, "private": private}


@pytest.fixture
def share_with(app: Flask, user: User) -> Callable[..., service.NewShare]:
    """Share the case: share_with(case, advocate_email=...) or share_with(case, link=True).

    An advocate with an account accepts the offer at once, as most stories need;
    `accept=False` leaves it an offer.
    """

    def make(case: Case, accept: bool = True, **data: Any) -> service.NewShare:
        head_key = app.extensions["caseapp"].head_key
        created = service.create_share(db.session, head_key, user, case, data, "Asia/Shanghai")
        advocate = created.share.advocate
        if accept and advocate is not None:
            offers.accept_offer(db.session, head_key, advocate, created.share)
        db.session.commit()
        return created

    return make


def expire(share: Share) -> None:
    """Move a share's expiry into the past, as if time had passed."""
    share.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def login_client(app: Flask, email: str) -> FlaskClient:
    """A separate browser, logged in as `email`."""
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, "login failed"
    return client


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token a page gives this browser."""
    return csrf_token_from(client.get(path).get_data(as_text=True))
