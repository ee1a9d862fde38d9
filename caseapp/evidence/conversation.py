"""A chat transcript laid out as a conversation: which side each message sits on, and
where a new speaker starts, so a page can draw bubbles without logic of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bubble:
    """One message as a conversation shows it."""

    at: str | None
    sender: str | None
    text: str
    media: str | None
    side: str  # "start" (left in a left-to-right page) or "end"
    own: bool  # sent by the person whose export it is, when the export says so
    first_of_run: bool  # a new speaker: the page names them above the bubble


def conversation(transcript: list[dict[str, Any]], parsed: dict[str, Any] | None) -> list[Bubble]:
    """The transcript's messages as bubbles.

    When the export names its owner (`parsed["owner"]`, the sender name of the person who
    exported it), their messages sit at the end, as a messaging app shows your own, and
    everyone else's at the start. Otherwise the participants alternate sides in the order
    they first speak, so the two sides of a support chat face each other.
    """
    owner = (parsed or {}).get("owner")
    order: dict[str | None, int] = {}
    bubbles: list[Bubble] = []
    previous: object = object()
    for message in transcript:
        sender = message.get("sender")
        own = owner is not None and sender == owner
        if owner is not None:
            side = "end" if own else "start"
        else:
            side = "start" if order.setdefault(sender, len(order)) % 2 == 0 else "end"
        bubbles.append(Bubble(
            at=message.get("at"),
            sender=sender,
            text=message.get("text") or "",
            media=message.get("media"),
            side=side,
            own=own,
            first_of_run=sender != previous,
        ))
        previous = sender
    return bubbles
