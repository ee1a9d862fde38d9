"""Deep and broken HTML in email bodies: flattened fast, benign HTML left as it was."""

from __future__ import annotations

import time

import pytest

from caseapp.evidence.parsers.base import Limits
from caseapp.evidence.parsers.email import parse_eml
from caseapp.evidence.parsers.html import resanitise_html, sanitise_email_html
from caseapp.evidence.parsers.html_nesting import cap_nesting

SECONDS = 5.0  # a safety bound, not a benchmark: these took nh3 alone 2 to 13 s
N = 80_000
FLATTENED = "HTML body nested deeper than 100 levels: the deeper part was flattened"

HOSTILE = {
    "nested divs": "<div>" * N + "deep" + "</div>" * N,
    "unclosed divs": "<div>" * N + "deep",
    "unclosed bold": "<b>" * 100_000 + "deep",
    "nested lists": "<ul><li>" * 40_000 + "deep",
    "nested blockquotes": "<blockquote>" * N + "deep",
    "nested tables": "<table><tr><td>" * 20_000 + "deep",
    "misnested inline": "<a><b><i>" * 30_000 + "deep",
    "re-created formatting": (
        "<p>" + "".join(f'<b title="{i}">' for i in range(2_000)) + "</p>" + "<p>deep</p>" * 2_000
    ),
}


def _email(html: str) -> bytes:
    return (
        "From: shop@example.com\r\nTo: me@example.com\r\nSubject: order\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()


@pytest.mark.parametrize("html", HOSTILE.values(), ids=HOSTILE.keys())
def test_deeply_nested_email_html_is_read_fast_with_a_warning(html: str) -> None:
    started = time.monotonic()
    result = parse_eml(_email(html), Limits())
    elapsed = time.monotonic() - started

    assert elapsed < SECONDS
    assert FLATTENED in result.warnings
    assert "deep" in result.html
    assert result.html.count("<") < 2_000 * 2 * 3  # nothing multiplied


def test_80000_nested_divs_keep_their_text_and_100_levels() -> None:
    warnings: list[str] = []

    html = sanitise_email_html(HOSTILE["nested divs"], 100, warnings)

    assert html == "<div>" * 100 + "deep" + "</div>" * 100
    assert warnings == [FLATTENED]


def test_script_past_the_bound_is_dropped_not_shown_as_text() -> None:
    html = "<div>" * 200 + "<script>steal()</script><form><b>fake login</b></form>kept"

    assert cap_nesting(html, 100).html == "<div>" * 100 + "kept" + "</div>" * 100


BENIGN = {
    "nested 20 deep": "".join(f'<div style="color: red" title="t{i}">' for i in range(20))
    + "<p>hello <b>world</b> &amp; <i>you</i></p>" + "</div>" * 20,
    "unclosed paragraphs": "<p>one<p>two<p>three<div>block</div>after",
    "unclosed list items": "<ul><li>a<li>b<ul><li>c<li>d</ul><li>e</ul>",
    "unclosed cells": "<table><tr><td>a<td>b<tr><td>c</table>after",
    "outlook conditional comments":
        "<!--[if mso]><table><tr><td><![endif]-->body<!--[if mso]></td></tr></table><![endif]-->",
    "script with a less-than": "<script>if (a<b) { x() }</script><p>kept</p>",
    "stray end tag in a cell":
        "<div><table><tr><td>cell</div>still cell</td></tr></table></div>",
    "quoted angle brackets": '<a href="mailto:a@b" title="x > y">link</a> 1 < 2 <3',
    "cid image": "<img src=cid:abc alt='logo'><br/><hr/>x",
    "headings left open": "<h1>one</h1><h2>two<h3>three</h3>",
    "paragraph before a table": "<p>a<table><tr><td>in</td></tr></table>b</p>",
}


@pytest.mark.parametrize("html", BENIGN.values(), ids=BENIGN.keys())
def test_benign_html_sanitises_exactly_as_without_the_cap(html: str) -> None:
    warnings: list[str] = []

    capped = sanitise_email_html(html, 100, warnings)

    assert capped == resanitise_html(html) == _nh3_alone(html)
    assert warnings == []


def test_resanitise_strips_script_and_handlers_and_keeps_the_text() -> None:
    hostile = (
        '<p onclick="x()">Refund <img src="cid:a" onerror="steal()">due</p><script>x()</script>'
    )

    html = resanitise_html(hostile)

    assert "script" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "Refund" in html
    assert "due" in html


def test_resanitise_leaves_clean_html_unchanged_and_is_cheap() -> None:
    clean = sanitise_email_html("<table><tr><td><p>Order <b>42</b></p></td></tr></table>" * 20_000)

    started = time.monotonic()
    again = resanitise_html(clean)

    assert time.monotonic() - started < SECONDS
    assert again == clean


def test_resanitise_caps_depth_too() -> None:
    assert resanitise_html("<div>" * 10_000 + "x") == "<div>" * 100 + "x" + "</div>" * 100


def _nh3_alone(html: str) -> str:
    from caseapp.evidence.parsers import html as module

    return module._clean(html)
