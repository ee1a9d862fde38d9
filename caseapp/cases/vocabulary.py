"""The fixed vocabularies of a case: categories with their evidence checklists,
statuses, contact channels and directions. Labels are lazily translated."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


@dataclass(frozen=True)
class Category:
    """A kind of problem, with the evidence worth collecting for it."""

    code: str
    label: object
    checklist: tuple[object, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "account_access",
        _l("Account access / password recovery"),
        (
            _l("Screenshots of the login error or lock message"),
            _l("Emails or SMS about password resets and verification codes"),
            _l("Proof the account is yours: registration email, ID verification receipt"),
            _l("Ticket numbers of every recovery request"),
        ),
    ),
    Category(
        "deposit_not_credited",
        _l("Deposit or top-up not credited"),
        (
            _l("Transaction hash / bank transfer receipt with amount and time"),
            _l("Screenshot of the deposit address or payment page you used"),
            _l("Screenshot of the balance showing the missing amount"),
            _l("Support replies acknowledging the deposit"),
        ),
    ),
    Category(
        "transaction_failed",
        _l("Transaction failed or stuck"),
        (
            _l("Transaction id or hash and its status on a block explorer"),
            _l("Screenshot of the failed or pending transaction"),
            _l("Fees charged for the failed transaction"),
            _l("Support replies and promised resolution dates"),
        ),
    ),
    Category(
        "assets_frozen",
        _l("Assets frozen"),
        (
            _l("The freeze notice (screenshot or email) with its date"),
            _l("Balance before and after the freeze"),
            _l("Documents support asked for, and proof you sent them"),
            _l("Every promise of a review or unfreeze date, with ticket numbers"),
        ),
    ),
    Category(
        "support_unreachable",
        _l("Cannot reach official support"),
        (
            _l("Call logs of hotline attempts (time, duration, number dialled)"),
            _l("Chat transcripts that end without an answer"),
            _l("Auto-replies and ticket confirmations"),
            _l("Screenshots of FAQ or forum pages you were sent to"),
        ),
    ),
    Category(
        "security_fraud",
        _l("Account security / fraud"),
        (
            _l("Unrecognised logins or transactions (screenshots, emails)"),
            _l("Police report or reference number, if any"),
            _l("Messages from the impersonator or phishing site"),
            _l("When and how you reported it to the company"),
        ),
    ),
    Category(
        "other",
        _l("Other"),
        (
            _l("Contract, terms or receipt that applies"),
            _l("Every message exchanged with the company"),
        ),
    ),
)

CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}

STATUSES: dict[str, object] = {
    "open": _l("Open"),
    "waiting_on_company": _l("Waiting on company"),
    "escalated": _l("Escalated"),
    "resolved": _l("Resolved"),
    "closed": lazy_pgettext("case status", "Closed"),
}

CHANNELS: dict[str, object] = {
    "hotline": _l("Hotline"),
    "online_chat": _l("Online chat"),
    "email": lazy_pgettext("contact channel", "Email"),
    "ticket": _l("Ticket"),
    "faq": _l("FAQ"),
    "community_forum": _l("Community forum"),
    "social_media": _l("Social media"),
    "letter": _l("Letter"),
    "in_person": _l("In person"),
    "other": _l("Other"),
}

DIRECTIONS: dict[str, object] = {
    "outbound": _l("I contacted them"),
    "inbound": _l("They contacted me"),
}
