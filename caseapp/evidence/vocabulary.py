"""How evidence kinds are named on the pages. Lazily translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS: dict[str, object] = {
    "email": _l("email"),
    "mbox": _l("mailbox"),
    "chat": _l("chat"),
    "image": _l("image"),
    "pdf": _l("PDF"),
    "text": _l("text"),
    "other": _l("file"),
}
