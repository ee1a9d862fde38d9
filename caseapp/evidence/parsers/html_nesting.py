"""Bound how deeply an email's HTML nests, in one linear pass, before nh3 sees it.

html5ever (inside nh3) checks "is there a <p> in scope" and similar against its whole
stack of open elements for many start tags, so its time grows with depth times length:
80,000 nested <div> (1.2 MB) take it 12 s, a few MB run past the parser's time budget.
This pass keeps at most `max_depth` elements open and drops the tags below that depth
(their text stays, flattened into the deepest kept element), so html5ever never holds a
deep stack.

It does not trust its own reading of the markup to match html5ever's: it writes the HTML
out again from its tokens, with every `<` that is not one of its tags escaped. html5ever
can therefore only ever see the tags counted here, never one hidden from this pass in an
attribute value, a comment or raw text. Tags are closed in order, by explicit end tags,
so html5ever has no stale formatting elements to recreate again and again either: a
misnested `<b><i>..</b>..</i>` loses its italics after the `</b>` here, where html5ever
would re-open them, because that re-opening is what lets 47 KB of hostile HTML grow to
78 MB (2,000 <b> with distinct attributes, each re-created in 2,000 paragraphs).

Memory stays bounded: the stack holds at most `max_depth` entries; the counters of
dropped tags hold one number per tag name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPACE = "\t\n\f\r "
# One token, tried at the current position. The attribute part is possessive and atomic,
# so a tag that never closes costs one scan to the end, never a backtracking search.
_TOKEN = re.compile(
    r"""
    (?P<text>[^<]+)
    | (?P<comment><!--(?:>|->|.*?(?:--!?>|\Z)))
    | (?P<bogus><[!?][^>]*>?|</(?![A-Za-z])[^>]*>?)
    | (?P<end></(?P<end_name>[A-Za-z][^\t\n\f\r />]*)[^>]*+>?)
    | (?P<start><(?P<name>[A-Za-z][^\t\n\f\r />]*)
        (?P<attrs>(?>[\t\n\f\r /]+|[^\t\n\f\r />][^\t\n\f\r /=>]*
          (?>[\t\n\f\r ]*=[\t\n\f\r ]*(?>"[^"]*+"?|'[^']*+'?|[^\t\n\f\r >]*+))?)*+)
        >?)
    | (?P<lone><)
    """,
    re.VERBOSE | re.DOTALL,
)
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r /=>]*)
        (?:[\t\n\f\r ]*=[\t\n\f\r ]*("[^"]*+"?|'[^']*+'?|[^\t\n\f\r >]*+))?""",
    re.VERBOSE,
)
_SAFE_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*\Z")

_VOID = {
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
}
# Their content is text to html5ever, up to the matching end tag (plaintext: to the end).
_RAW_TEXT = {"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"}
# Dropped with their content by the sanitiser: past the depth bound, dropped here whole,
# so a flattened <script> does not turn into visible text.
_DROPPED_WITH_CONTENT = {
    "script", "style", "title", "iframe", "object", "embed", "template", "noscript",
    "form", "select", "textarea", "svg", "math", "frameset", "applet", "plaintext",
}

# Scope barriers, as in the HTML standard's "has an element in ... scope": an implied or
# explicit close never reaches past them, so sloppy mail keeps the shape html5ever gives it.
_SCOPE = {"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template",
          "svg", "math"}
_BUTTON_SCOPE = _SCOPE | {"button"}
_TABLE_SCOPE = {"html", "table", "template"}
_SPECIAL = _BUTTON_SCOPE | {
    "address", "article", "aside", "blockquote", "body", "center", "colgroup", "dd",
    "details", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "iframe", "li",
    "listing", "main", "menu", "nav", "noembed", "noframes", "noscript", "ol", "p",
    "plaintext", "pre", "section", "select", "summary", "tbody", "textarea", "tfoot",
    "thead", "tr", "ul", "xmp",
}
_LIST_SCOPE = _SPECIAL - {"address", "div", "p", "li", "dd", "dt"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Start tags that close an open <p> (nh3 parses a fragment, never in quirks mode).
_CLOSES_P = _HEADINGS | {
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir",
    "div", "dl", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup",
    "hr", "listing", "main", "menu", "nav", "ol", "p", "plaintext", "pre", "section",
    "summary", "table", "ul", "li", "dd", "dt", "xmp",
}
_BARRIER_SETS = (_SCOPE, _BUTTON_SCOPE, _TABLE_SCOPE, _LIST_SCOPE)
# Indexes into _BARRIER_SETS.
_IN_SCOPE, _IN_BUTTON_SCOPE, _IN_TABLE_SCOPE, _IN_LIST_SCOPE = range(4)
# End tag -> (open elements it closes, the scope it may not leave); others close their own
# name within _IN_SCOPE.
_TABLE_PARTS = ("table", "caption", "tbody", "thead", "tfoot", "tr", "td", "th")
_END_CLOSES: dict[str, tuple[tuple[str, ...], int]] = {
    **{name: ((name,), _IN_TABLE_SCOPE) for name in _TABLE_PARTS},
    **{name: (tuple(sorted(_HEADINGS)), _IN_SCOPE) for name in _HEADINGS},
    "p": (("p",), _IN_BUTTON_SCOPE),
}
_NO_BARRIERS = (-1,) * len(_BARRIER_SETS)
_BARRIER_MEMBERSHIP = {
    name: tuple(name in s for s in _BARRIER_SETS) for name in set().union(*_BARRIER_SETS)
}
# Start tag -> (open elements it closes, the scope the close may not leave).
_IMPLIED_CLOSES = {
    "li": (("li",), _IN_LIST_SCOPE),
    "dd": (("dd", "dt"), _IN_LIST_SCOPE),
    "dt": (("dd", "dt"), _IN_LIST_SCOPE),
    "td": (("td", "th"), _IN_TABLE_SCOPE),
    "th": (("td", "th"), _IN_TABLE_SCOPE),
    "tr": (("tr",), _IN_TABLE_SCOPE),
    "tbody": (("tbody", "thead", "tfoot"), _IN_TABLE_SCOPE),
    "thead": (("tbody", "thead", "tfoot"), _IN_TABLE_SCOPE),
    "tfoot": (("tbody", "thead", "tfoot"), _IN_TABLE_SCOPE),
}


@dataclass
class _Stack:
    """The open elements kept, with what closing one of them needs in O(1)."""

    names: list[str] = field(default_factory=list)
    # For each entry: the index of the topmost barrier at or below it, one per scope kind.
    barriers: list[tuple[int, ...]] = field(default_factory=list)
    positions: dict[str, list[int]] = field(default_factory=dict)

    def push(self, name: str) -> None:
        index = len(self.names)
        below = self.barriers[-1] if self.barriers else _NO_BARRIERS
        member = _BARRIER_MEMBERSHIP.get(name)
        # Most elements are no barrier at all: they share the tuple below them.
        self.barriers.append(
            below if member is None
            else tuple(index if m else b for m, b in zip(member, below, strict=True))
        )
        self.names.append(name)
        self.positions.setdefault(name, []).append(index)

    def reachable(self, names: tuple[str, ...], scope: int) -> int:
        """Index of the topmost open element among `names` not hidden by a barrier, or -1."""
        found = -1
        for name in names:
            open_at = self.positions.get(name)
            if open_at and open_at[-1] > found:
                found = open_at[-1]
        if found < 0:
            return -1
        # The element itself may be a barrier (closing a <table> reaches the table).
        return found if found >= self.barriers[-1][scope] else -1

    def close_through(self, index: int, out: list[str]) -> None:
        """Pop the elements from the top down to `index`, writing their end tags."""
        while len(self.names) > index:
            name = self.names.pop()
            self.barriers.pop()
            self.positions[name].pop()
            out.append(f"</{name}>")


@dataclass
class Capped:
    """HTML with its nesting bounded, and whether anything had to be flattened."""

    html: str
    flattened: bool


def cap_nesting(html: str, max_depth: int) -> Capped:
    """Rewrite `html` so that no element sits more than `max_depth` elements deep.

    Tags below the bound are dropped and their text kept; elements the sanitiser would
    drop with their content are dropped with it. Comments and doctypes are dropped (the
    sanitiser strips them anyway). Linear in the length of `html`.
    """
    out: list[str] = []
    stack = _Stack()
    dropped: dict[str, int] = {}  # start tags dropped below the bound and not yet closed
    skipping: str | None = None  # inside a dropped element whose content goes too
    skip_depth = 0
    flattened = False
    position, end = 0, len(html)
    while position < end:
        token = _TOKEN.match(html, position)
        assert token is not None  # the last alternative matches any "<"
        position = token.end()
        kind = token.lastgroup
        if kind == "start":
            name = token["name"].lower()
            if name in _RAW_TEXT or name == "plaintext":
                content, position = _raw_text(html, position, name)
            else:
                content = None
            if skipping is not None:
                if name == skipping and name not in _VOID:
                    skip_depth += 1
                continue
            if len(stack.names) >= max_depth:
                flattened = True
                if name in _VOID:
                    continue
                if name in _DROPPED_WITH_CONTENT and content is None:
                    skipping, skip_depth = name, 1
                elif content is None:
                    dropped[name] = dropped.get(name, 0) + 1
                continue
            _close_implied(stack, name, out)
            out.append(_start_tag(name, token["attrs"]))
            if content is not None:
                out.append(content.replace("<", "&lt;"))
            if name not in _VOID:
                stack.push(name)
        elif kind == "end":
            name = token["end_name"].lower()
            if skipping is not None:
                if name == skipping:
                    skip_depth -= 1
                    if skip_depth == 0:
                        skipping = None
                continue
            if dropped.get(name):
                dropped[name] -= 1
                continue
            index = stack.reachable(*_END_CLOSES.get(name, ((name,), _IN_SCOPE)))
            if index >= 0:
                stack.close_through(index, out)
            elif name in {"p", "br"}:
                # html5ever turns these strays into elements (<p></p>, <br>); keep them.
                out.append(f"</{name}>")
        elif kind == "text" and skipping is None:
            out.append(token["text"])
        elif kind == "lone" and skipping is None:
            out.append("&lt;")
        # comments, doctypes and processing instructions are dropped
    stack.close_through(0, out)
    return Capped("".join(out), flattened)


def _raw_text(html: str, start: int, name: str) -> tuple[str, int]:
    """The raw text after a <script>, <style>, ... start tag, and where it ends."""
    if name == "plaintext":
        return html[start:], len(html)
    found = re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE).search(html, start)
    stop = found.start() if found else len(html)
    return html[start:stop], stop


def _close_implied(stack: _Stack, name: str, out: list[str]) -> None:
    """Close what html5ever would close on its own before this start tag."""
    if name in _CLOSES_P:
        index = stack.reachable(("p",), _IN_BUTTON_SCOPE)
        if index >= 0:
            stack.close_through(index, out)
    if name in _HEADINGS and stack.names and stack.names[-1] in _HEADINGS:
        stack.close_through(len(stack.names) - 1, out)
    if name in ("option", "optgroup") and stack.names and stack.names[-1] == "option":
        stack.close_through(len(stack.names) - 1, out)
    implied = _IMPLIED_CLOSES.get(name)
    if implied is not None:
        index = stack.reachable(*implied)
        if index >= 0:
            stack.close_through(index, out)


def _start_tag(name: str, attrs: str) -> str:
    """A start tag written out again: known-shape names, values in double quotes."""
    if not attrs or attrs.isspace():
        return f"<{name}>"
    parts = [f"<{name}"]
    for match in _ATTRIBUTE.finditer(attrs):
        attribute, value = match[1], match[2]
        if not _SAFE_ATTRIBUTE_NAME.match(attribute):
            continue  # nothing the sanitiser keeps has such a name
        if value is None:
            parts.append(f" {attribute}")
            continue
        if value[:1] in ("'", '"'):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        parts.append(f' {attribute}="{value.replace(chr(34), "&quot;")}"')
    if attrs.rstrip(_SPACE).endswith("/"):
        parts.append(" /")
    parts.append(">")
    return "".join(parts)
