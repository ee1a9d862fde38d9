"""Which language and time zone a request is served in."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from caseapp.timezones import default_zone_for

LOCALES = ("zh_CN", "en")
LANGUAGE_COOKIE = "caseapp_lang"


def locale_from_header() -> str:
    """The best of our locales for the browser's Accept-Language (any zh is zh_CN)."""
    for value, _quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return "en"


def select_locale() -> str:
    """The user's setting, else the language cookie, else Accept-Language."""
    if not has_request_context():
        return "en"  # commands and background builds: messages in the source language
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return str(chosen)
    return locale_from_header()


def select_timezone() -> str:
    """The user's zone setting, else the default for their language."""
    if current_user and current_user.is_authenticated and current_user.timezone:
        return str(current_user.timezone)
    return default_zone_for(select_locale())
