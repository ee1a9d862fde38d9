"""Password strength: long enough and hard to guess, with the reason said in the
reader's language, on every way an account gets a password."""

from __future__ import annotations

import subprocess
import sys

import pytest

from caseapp.accounts import passwords, service
from caseapp.demo import DEMO_ADVOCATE, DEMO_COMPLAINANT
from caseapp.extensions import db
from caseapp.i18n import LANGUAGE_COOKIE
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "repeats"),
        ("1234567890", "common"),
        ("password12", "common"),
        ("qwertyuiop", "common"),
        ("asdfghjkl;", "keyboard"),
        ("abcdefghijklmn", "sequence"),
        ("short", "too_short"),
    ],
)
def test_common_and_keyboard_passwords_are_refused_with_the_reason(password, reason):
    strength = passwords.assess(password)
    assert not strength.acceptable
    assert reason in strength.reasons


def test_a_password_made_of_the_users_own_email_is_refused():
    strength = passwords.assess("wangfang1988", ["wang.fang@example.org", "王芳"])
    assert not strength.acceptable
    assert "personal" in strength.reasons
    assert passwords.assess("wangfang1988", ["li.ming@example.org"]).acceptable


def test_the_test_and_demo_passwords_are_strong_enough():
    for password, email in [
        (PASSWORD, "complainant@example.org"),
        DEMO_COMPLAINANT[:2][::-1],
        DEMO_ADVOCATE[:2][::-1],
    ]:
        assert passwords.assess(password, [email]).acceptable, password


def test_service_refuses_a_weak_password_on_create_and_change(app, user):
    hasher = app.extensions["caseapp"].passwords
    with pytest.raises(service.WeakPassword) as refused:
        service.create_user(db.session, hasher, email="li@example.org", password="password12")
    assert "one of the most common passwords" in str(refused.value)
    with pytest.raises(service.WeakPassword):
        service.change_password(db.session, hasher, user, PASSWORD, "qwertyuiop")


def test_register_says_why_in_chinese_without_english(client, auth):
    client.set_cookie(LANGUAGE_COOKIE, "zh_CN")
    response = auth.post(
        "/register",
        {
            "email": "li@example.org",
            "password": "password12",
            "confirm": "password12",
            "locale": "zh_CN",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "这是最常见的密码之一。" in page
    assert "common password" not in page
    assert "Add another word" not in page
    assert service.find_user(db.session, "li@example.org") is None


def test_register_says_why_in_english(client, auth):
    response = auth.post(
        "/register",
        {
            "email": "li@example.org",
            "password": "aaaaaaaaaa",
            "confirm": "aaaaaaaaaa",
            "locale": "en",
        },
    )
    page = response.get_data(as_text=True)
    assert "Repeated characters or words are easy to guess." in page
    assert "Avoid repeated words and characters." in page


def test_change_password_refuses_a_keyboard_row(client, auth, user):
    auth.login()
    response = auth.post(
        "/account/password",
        {
            "pw-current": PASSWORD,
            "pw-new": "qwertyuiop",
            "pw-confirm": "qwertyuiop",
        },
        form_page="/account",
    )
    assert response.status_code == 422
    assert "This password is not strong enough." in response.get_data(as_text=True)


def test_user_create_refuses_a_weak_password_in_one_line(instance_path):
    command = [
        sys.executable,
        "-c",
        "from caseapp.cli import main; main()",
        "user",
        "create",
        "weak@example.org",
        "--password-stdin",
    ]
    result = subprocess.run(
        command,
        input="1234567890\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={"CASEAPP_INSTANCE": str(instance_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "Error: password refused: it is one of the most common passwords"
    )
