"""Parts other capabilities add to a case's pages, without the pages importing them.

The case page and an item's page belong to `cases` and `evidence`; what sharing adds
to them (the owner's share list and comments, an advocate's review form) belongs to
`shares`. Each capability registers a provider per page in `create_app`, and the
page's own view asks the registry on the runtime for the panels this viewer gets, so
the import runs one way: capabilities to `access`, never `cases` to `shares`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from markupsafe import Markup

from caseapp.access.policy import CaseAccess
from caseapp.evidence.models import Evidence

PAGES = ("case", "evidence")
PLACES = ("main", "side")


class UnknownPage(Exception):
    """Panels are only added to the pages the registry knows (PAGES)."""


@dataclass(frozen=True)
class Panel:
    """One part of a page: a template, what it needs, and which column it goes in."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    place: str = "main"  # "main" or "side"


# A provider sees who is looking (and at which item, on an item's page) and answers
# the panels to show; it may mark what it shows as read, which the page's own unit of
# work (the look it logs once rendered, caseapp.custody.looks) keeps with it.
PanelProvider = Callable[[CaseAccess, Evidence | None], Iterable[Panel]]


class PanelRegistry:
    """The panel providers of each page, in the order they were added."""

    def __init__(self) -> None:
        self._providers: dict[str, list[PanelProvider]] = {page: [] for page in PAGES}

    def add(self, page: str, provider: PanelProvider) -> None:
        """Show what `provider` answers on `page` ("case" or "evidence")."""
        if page not in self._providers:
            raise UnknownPage(page)
        self._providers[page].append(provider)

    def panels(self, page: str, access: CaseAccess, item: Evidence | None = None) -> list[Panel]:
        """Every panel the providers of `page` give this viewer."""
        return [panel for provider in self._providers[page] for panel in provider(access, item)]

    def render(
        self, page: str, access: CaseAccess, item: Evidence | None = None
    ) -> dict[str, list[Markup]]:
        """The panels of `page` rendered, by place; each template also gets `case`, `access`."""
        rendered: dict[str, list[Markup]] = {place: [] for place in PLACES}
        for panel in self.panels(page, access, item):
            html = render_template(
                panel.template, case=access.case, access=access, item=item, **panel.context
            )
            rendered[panel.place].append(Markup(html))  # noqa: S704  # a rendered template
        return rendered
