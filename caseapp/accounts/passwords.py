"""How strong a password is: long enough, and hard to guess, judged offline by zxcvbn.

Length alone let `aaaaaaaaaa`, `1234567890` and `password12` through. zxcvbn estimates
the guesses an attacker needs from dictionaries of common passwords, names and words,
keyboard patterns, repeats, sequences and dates, plus what it is told about the user
(their email and name), all without a network call. A score of 3 ("safely
unguessable: moderate protection from an offline attack") is the floor.

zxcvbn explains a weak score in English sentences. They are mapped to short codes here,
and each code to a translated sentence, so a Chinese reader never sees raw English and
the command line still gets a clear English line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MIN_SCORE = 3
# zxcvbn's matching grows with the length; past this many characters a password is
# long enough that the rest cannot lower its score below the floor.
JUDGED_LENGTH = 64

# zxcvbn's warning sentences (its feedback.py), by what they mean.
_WARNINGS = {
    "Straight rows of keys are easy to guess.": "keyboard",
    "Short keyboard patterns are easy to guess.": "keyboard",
    'Repeats like "aaa" are easy to guess.': "repeats",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "repeats",
    'Sequences like "abc" or "6543" are easy to guess.': "sequence",
    "Recent years are easy to guess.": "dates",
    "Dates are often easy to guess.": "dates",
    "This is a top-10 common password.": "common",
    "This is a top-100 common password.": "common",
    "This is a very common password.": "common",
    "This is similar to a commonly used password.": "common",
    "A word by itself is easy to guess.": "single_word",
    "Names and surnames by themselves are easy to guess.": "names",
    "Common names and surnames are easy to guess.": "names",
}

# zxcvbn's suggestions, by what they advise.
_SUGGESTIONS = {
    "Use a few words, avoid common phrases.": "more_words",
    "Add another word or two. Uncommon words are better.": "more_words",
    "Use a longer keyboard pattern with more turns.": "no_patterns",
    "Avoid repeated words and characters.": "no_repeats",
    "Avoid sequences.": "no_sequences",
    "Avoid recent years.": "no_dates",
    "Avoid years that are associated with you.": "no_dates",
    "Avoid dates and years that are associated with you.": "no_dates",
    "Capitalization doesn't help very much.": "no_tricks",
    "All-uppercase is almost as easy to guess as all-lowercase.": "no_tricks",
    "Reversed words aren't much harder to guess.": "no_tricks",
    "Predictable substitutions like '@' instead of 'a' don't help very much.": "no_tricks",
}

# Why a password was refused, in English for the command line.
REASONS_EN = {
    "too_short": f"it must be at least {MIN_LENGTH} characters",
    "keyboard": "keyboard patterns such as qwerty are easy to guess",
    "repeats": "repeated characters or words are easy to guess",
    "sequence": "sequences such as abc or 6543 are easy to guess",
    "dates": "dates and years are easy to guess",
    "common": "it is one of the most common passwords",
    "single_word": "a single word is easy to guess",
    "names": "names are easy to guess",
    "personal": "it contains your email address or your name",
    "guessable": "it is too easy to guess",
}


def reason_messages() -> dict[str, str]:
    """Why a password was refused, translated for the current reader."""
    return {
        "too_short": _("The password must be at least 10 characters."),
        "keyboard": _("Keyboard patterns such as qwerty are easy to guess."),
        "repeats": _("Repeated characters or words are easy to guess."),
        "sequence": _("Sequences such as abc or 6543 are easy to guess."),
        "dates": _("Dates and years are easy to guess."),
        "common": _("It is one of the most common passwords."),
        "single_word": _("A single word is easy to guess."),
        "names": _("Names are easy to guess."),
        "personal": _("It contains your email address or your name."),
        "guessable": _("It is too easy to guess."),
    }


def advice_messages() -> dict[str, str]:
    """What would make a refused password better, translated for the current reader."""
    return {
        "more_words": _("Add another word or two; uncommon words are better."),
        "no_patterns": _("Avoid keyboard patterns."),
        "no_repeats": _("Avoid repeated words and characters."),
        "no_sequences": _("Avoid sequences."),
        "no_dates": _("Avoid dates and years that are associated with you."),
        "no_tricks": _("Capitals, reversed words and '@' for 'a' hardly help."),
    }


@dataclass(frozen=True)
class Strength:
    """zxcvbn's verdict: acceptable or not, and if not, why (codes) and what would help."""

    score: int
    reasons: tuple[str, ...]
    advice: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        """Long enough and scored at least MIN_SCORE."""
        return not self.reasons


def assess(password: str, user_inputs: Iterable[str] = ()) -> Strength:
    """Judge `password`, knowing the user's email and name (`user_inputs`)."""
    if len(password) < MIN_LENGTH:
        return Strength(0, ("too_short",), ("more_words",))
    inputs = [word for value in user_inputs if value for word in _words(value)]
    result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=inputs)
    score = int(result["score"])
    if score >= MIN_SCORE:
        return Strength(score, (), ())
    feedback = result["feedback"]
    reasons = []
    if any(match.get("dictionary_name") == "user_inputs" for match in result["sequence"]):
        reasons.append("personal")
    warning = _WARNINGS.get(feedback.get("warning", ""))
    if warning and warning not in reasons:
        reasons.append(warning)
    advice = dict.fromkeys(
        _SUGGESTIONS[text] for text in feedback.get("suggestions", ()) if text in _SUGGESTIONS
    )
    return Strength(score, tuple(reasons or ["guessable"]), tuple(advice))


def _words(value: str) -> list[str]:
    # "wang.fang@example.org" is guessed as "wangfang", "wang", "fang" as well as whole.
    value = value.lower()
    local = value.partition("@")[0]
    joined = "".join(ch for ch in local if ch.isalnum())
    parts = value.replace("@", " ").replace(".", " ").replace("-", " ").replace("_", " ").split()
    return [value, local, joined, *parts]


def explain(strength: Strength) -> list[str]:
    """Why a password was refused and what would help, one translated sentence each."""
    reasons, advice = reason_messages(), advice_messages()
    return [
        _("This password is not strong enough."),
        *(reasons[reason] for reason in strength.reasons),
        *(advice[tip] for tip in strength.advice),
    ]
