"""The Chinese catalogue is complete and compiled, and pages speak the reader's language.

When a catalogue test fails after you added or changed a string, run
`scripts/update_translations.sh`, translate the empty entries in the .po file, and run the
script again (docs/i18n.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from caseapp.i18n import LANGUAGE_COOKIE

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "caseapp" / "translations"
ZH_PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
ZH_MO = ZH_PO.with_suffix(".mo")
# The same keywords scripts/update_translations.sh passes to `pybabel extract`.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
UPDATE_HINT = "run scripts/update_translations.sh, translate the new entries, run it again"


def _read_po() -> Catalog:
    with ZH_PO.open("rb") as file:
        return read_po(file, locale="zh_Hans_CN")


def _forms(value: object) -> tuple[str, ...]:
    """A msgid or msgstr as a tuple of its forms (plural messages have several)."""
    return tuple(value) if isinstance(value, (list, tuple)) else (str(value),)


def _translations(catalog: Catalog) -> dict[tuple[object, object], tuple[str, ...]]:
    """What a catalogue maps each (msgid, context) to, the header left out."""
    return {(_forms(m.id), m.context): _forms(m.string) for m in catalog if m.id}


def _singular(msgid: object) -> str:
    """A message's msgid; for a plural message, its singular form."""
    return str(msgid[0] if isinstance(msgid, tuple) else msgid)


def _is_translated(string: object) -> bool:
    return all(form.strip() for form in _forms(string))


def _extracted_from_sources() -> set[tuple[str, str | None]]:
    """Every (msgid, context) the app's code and templates ask to translate, per babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file, "babel.cfg")
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        if _singular(message):
            found.add((_singular(message), context))
    return found


def test_compiled_catalogue_matches_the_po_file():
    with ZH_MO.open("rb") as file:
        compiled = _translations(read_mo(file))
    # What `pybabel compile` puts in a .mo: every translated entry that is not fuzzy.
    expected = {(_forms(m.id), m.context): _forms(m.string) for m in _read_po()
                if m.id and _is_translated(m.string) and not m.fuzzy}
    assert compiled == expected, f".mo is stale: {UPDATE_HINT}"


def test_every_chinese_entry_is_translated_and_none_is_fuzzy():
    catalog = _read_po()
    untranslated = [m.id for m in catalog if m.id and not _is_translated(m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy (check, then remove the flag): {fuzzy}"


def test_chinese_translations_keep_every_placeholder():
    def placeholders(text: str) -> tuple[str, ...]:
        return tuple(sorted(PLACEHOLDER.findall(text)))

    # Each translated form must keep the placeholders of the singular or the plural msgid.
    lost = [m.id for m in _read_po() if m.id and m.python_format
            and not {placeholders(f) for f in _forms(m.string)}
            <= {placeholders(f) for f in _forms(m.id)}]
    assert not lost, f"placeholders differ from the English: {lost}"


def test_every_string_in_the_code_is_in_the_chinese_catalogue():
    catalogue = {(_singular(m.id), m.context) for m in _read_po() if m.id}
    missing = sorted(msgid for msgid, _context in _extracted_from_sources() - catalogue)
    assert not missing, f"not in the catalogue ({UPDATE_HINT}): {missing}"


def test_extraction_finds_python_lazy_and_template_strings():
    extracted = {msgid for msgid, _context in _extracted_from_sources()}
    assert {"Wrong email or password.", "Assets frozen", "Chain-of-custody log"} <= extracted


def test_chinese_browser_gets_the_login_page_in_chinese(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    text = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in text
    assert "<h1>登录</h1>" in text
    assert "还没有账户？" in text


def test_english_browser_gets_the_login_page_in_english(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    text = page.get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "<h1>Log in</h1>" in text
    assert "No account yet?" in text
    assert "登录" not in text


def test_language_cookie_overrides_the_browser_header(client):
    client.set_cookie(LANGUAGE_COOKIE, "en")
    text = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "<h1>Log in</h1>" in text


def test_choosing_english_in_the_footer_sticks_for_a_chinese_browser(client, auth):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)
    auth.post("/language/en", {"next": "/login"}, form_page="/login")
    assert "<h1>Log in</h1>" in client.get("/login").get_data(as_text=True)


def test_user_who_chose_chinese_sees_the_dashboard_in_chinese_from_an_english_browser(
    client, auth, make_user, make_case
):
    owner = make_user("li.na@example.org", display_name="李娜", locale="zh_CN")
    make_case(owner, title="提现被冻结")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    auth.login("li.na@example.org")
    text = client.get("/").get_data(as_text=True)
    assert "<h1>概览</h1>" in text
    assert "我的案件" in text
    assert "进行中" in text  # the case's status badge, a lazily translated label
    assert "Dashboard" not in text


def test_not_found_page_is_in_chinese_for_a_chinese_browser(client):
    page = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "页面不存在，或您无权查看。" in text


@pytest.mark.parametrize(("language", "message"), [
    ("zh-CN", "服务器出了点问题"),
    ("en", "Something went wrong on our side"),
])
def test_server_error_page_is_translated_and_shows_no_traceback(app: Flask, language, message):
    def broken_view() -> str:
        raise RuntimeError("database password is hunter2")

    # Routes can only be added before the app serves its first request.
    app.add_url_rule("/broken-for-test", "broken_for_test", broken_view)
    page = app.test_client().get("/broken-for-test", headers={"Accept-Language": language})
    text = page.get_data(as_text=True)
    assert page.status_code == 500
    assert message in text
    assert "Traceback" not in text
    assert "hunter2" not in text
