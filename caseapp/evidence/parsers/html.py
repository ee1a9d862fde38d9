"""HTML bodies of emails: made safe to show, and read as plain text.

An email's HTML was written by the other side of a dispute, or by a spammer. Shown in
the evidence viewer it must not run script, submit forms or load anything remote (a
remote image is a read receipt to the sender). nh3 (ammonia, html5ever) does the
cleaning; only `cid:` images survive, and the viewer maps those to the message's own
attachments or blocks them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

from caseapp.evidence.parsers.base import Limits
from caseapp.evidence.parsers.html_nesting import cap_nesting

_TAGS = {
    "a", "abbr", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption",
    "center", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt",
    "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt",
    "u", "ul", "wbr",
}
# Removed with everything inside them, not just unwrapped.
_DROPPED_WITH_CONTENT = {
    "script", "style", "title", "iframe", "object", "embed", "template", "noscript",
    "form", "select", "textarea", "svg", "math", "frameset", "applet",
}
_CELL = {"align", "valign", "width", "height", "colspan", "rowspan", "bgcolor", "nowrap"}
_ATTRIBUTES = {
    "*": {"dir", "lang", "title", "align", "style"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "border"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "width", "bgcolor", "summary"},
    "td": _CELL,
    "th": _CELL,
    "tr": {"valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "li": {"value"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
# Style properties that cannot name a URL, so cannot load anything.
_STYLE_PROPERTIES = {
    "color", "background-color", "font-family", "font-size", "font-style", "font-weight",
    "text-align", "text-decoration", "white-space", "direction", "vertical-align",
    "line-height", "margin", "margin-left", "margin-right", "padding", "border-collapse",
}
_URL_SCHEMES = {"http", "https", "mailto", "cid"}
_LINK_REL = "noopener noreferrer nofollow"

_BLOCK = {
    "address", "blockquote", "br", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "li", "ol", "p", "pre", "table", "tr", "ul", "caption", "center",
}
_SKIPPED = {"script", "style", "title", "head", "template", "noscript"}
_DEFAULT_TEXT_CHARS = 5_000_000
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def html_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a <meta> tag near its start, if any."""
    found = _META_CHARSET.search(data[:4096])
    return found[1].decode("ascii") if found else None


def sanitise_email_html(
    html: str, max_depth: int = Limits.max_html_depth, warnings: list[str] | None = None
) -> str:
    """Return `html` with only inert formatting left: no script, forms or remote loads.

    Nesting is first cut at `max_depth` (see html_nesting: deep HTML is what makes nh3
    slow); when that flattens anything, a warning is added to `warnings`.
    """
    capped = cap_nesting(html, max_depth)
    if capped.flattened and warnings is not None:
        warnings.append(
            f"HTML body nested deeper than {max_depth} levels: the deeper part was flattened"
        )
    return _clean(capped.html)


def resanitise_html(html: str, max_depth: int = Limits.max_html_depth) -> str:
    """Sanitise HTML that came back from the parser sandbox again, in the web process.

    The child that produced it read hostile bytes; if one of them subverted it, its HTML
    is whatever the attacker chose. The same depth bound and allow-list apply, so what is
    stored is safe whatever the child did; on HTML the child already cleaned it changes
    nothing and costs one linear pass plus nh3.
    """
    return _clean(cap_nesting(html, max_depth).html)


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel=_LINK_REL,
        filter_style_properties=_STYLE_PROPERTIES,
        strip_comments=True,
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Keep an image source only when it points inside the message (cid:)."""
    if tag == "img" and attribute == "src" and not value.strip().lower().startswith("cid:"):
        return None
    if attribute == "href" and value.strip().lower().startswith("cid:"):
        return None
    return value


def html_to_text(html: str, max_chars: int = _DEFAULT_TEXT_CHARS) -> str:
    """Read the visible text out of `html`: line breaks for blocks, no markup.

    Uses the standard library's tokenizer, which keeps no element stack, so deep or
    broken nesting cannot exhaust recursion; the output is cut at `max_chars`.
    """
    reader = _TextReader(max_chars)
    reader.feed(html)
    reader.close()
    return reader.text()


class _TextReader(HTMLParser):
    """Collects character data outside script/style/head, breaking lines at blocks."""

    def __init__(self, max_chars: int) -> None:
        super().__init__(convert_charrefs=True)
        self._pieces: list[str] = []
        self._size = 0
        self._max = max_chars
        self._skipping: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping is None and tag in _SKIPPED:
            self._skipping = tag
        elif tag in _BLOCK:
            self._add("\n")
        elif tag in {"td", "th"}:
            self._add("\t")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._add(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skipping:
            self._skipping = None
        elif tag in _BLOCK:
            self._add("\n")

    def handle_data(self, data: str) -> None:
        if self._skipping is None:
            self._add(data)

    def _add(self, piece: str) -> None:
        if self._size >= self._max:
            return
        piece = piece[: self._max - self._size]
        self._pieces.append(piece)
        self._size += len(piece)

    def text(self) -> str:
        """The collected text with runs of blank space folded."""
        lines = (" ".join(line.split()) for line in "".join(self._pieces).splitlines())
        out: list[str] = []
        for line in lines:
            if line or (out and out[-1]):
                out.append(line)
        return "\n".join(out).strip()
