"""JSON chat exports: Telegram Desktop (one chat or the whole account), Facebook, Instagram."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes
from caseapp.evidence.parsers.chat_common import Message, build_result, strip_marks, zone

_META_MEDIA = ("photos", "videos", "audio_files", "files", "gifs")


class NotAChatExport(ParseError):
    """The JSON is valid but has none of the shapes of a known chat export."""


def load_json(data: bytes) -> Any:
    """Decode and parse; nesting too deep for the parser is reported, not raised raw."""
    text = decode_bytes(data).text
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ParseError("the JSON is nested too deeply to read") from exc
    except ValueError as exc:
        raise ParseError(f"not valid JSON: {exc}") from exc


def chat_platform(doc: Any) -> str | None:
    """Which export shape `doc` has: "telegram", "facebook", "instagram", or None."""
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("chats"), dict) and isinstance(doc["chats"].get("list"), list):
        return "telegram"
    messages = doc.get("messages")
    if not isinstance(messages, list):
        return None
    sample = [m for m in messages[:20] if isinstance(m, dict)]
    if any("date_unixtime" in m or "from_id" in m or m.get("type") == "service" for m in sample):
        return "telegram"
    if "type" in doc and any("date" in m for m in sample):
        return "telegram"
    if any("timestamp_ms" in m and "sender_name" in m for m in sample):
        # Messenger threads carry these keys; Instagram's older DM export is bare.
        meta_keys = ("joinable_mode", "is_still_participant", "thread_path", "participants")
        is_instagram = any("is_geoblocked_for_viewer" in m for m in sample)
        return "facebook" if any(k in doc for k in meta_keys) and not is_instagram else "instagram"
    return None


def parse_json_chat(
    data: bytes, limits: Limits, tz: str = "UTC", filename_hint: str | None = None
) -> ParseResult:
    """Read a JSON chat export into a transcript."""
    doc = load_json(data)
    platform = chat_platform(doc)
    if platform is None:
        raise NotAChatExport("JSON with no chat messages in a known export shape")
    if platform in ("facebook", "instagram") and filename_hint:
        hint = filename_hint.lower()
        if "instagram" in hint:
            platform = "instagram"
        elif "facebook" in hint or "messenger" in hint:
            platform = "facebook"
    warnings: list[str] = []
    if platform == "telegram":
        return _telegram(doc, limits, tz, warnings)
    return _meta(platform, doc, limits, tz, warnings)


def _telegram(doc: dict[str, Any], limits: Limits, tz: str, warnings: list[str]) -> ParseResult:
    zone_info = zone(tz)
    chats: list[dict[str, Any]]
    if isinstance(doc.get("chats"), dict):
        chats = [c for c in doc["chats"].get("list", []) if isinstance(c, dict)]
        left = doc.get("left_chats")
        if isinstance(left, dict) and isinstance(left.get("list"), list):
            chats += [c for c in left["list"] if isinstance(c, dict)]
    else:
        chats = [doc]
    messages: list[Message] = []
    assumed = False
    for chat in chats:
        for raw in chat.get("messages") or []:
            if not isinstance(raw, dict):
                continue
            if len(messages) >= limits.max_messages:
                warnings.append(f"only the first {limits.max_messages} messages were kept")
                break
            at, naive = _telegram_time(raw, zone_info)
            assumed = assumed or naive
            messages.append(_telegram_message(raw, at))
    extra: dict[str, Any] = {
        "chats": [str(c.get("name")) for c in chats if c.get("name") is not None],
        "chat_type": "account" if "chats" in doc else doc.get("type"),
    }
    if assumed:
        extra["timezone_assumed"] = tz
        warnings.append(f"some times in the export give no time zone; they were read as {tz}")
    return build_result("telegram", messages, limits, warnings, extra)


def _telegram_time(raw: dict[str, Any], zone_info: ZoneInfo) -> tuple[datetime | None, bool]:
    """(time, read-without-zone): `date_unixtime` is absolute, `date` is local and zone-less."""
    unix = raw.get("date_unixtime")
    if unix is not None:
        try:
            return datetime.fromtimestamp(int(unix), tz=UTC).astimezone(zone_info), False
        except (ValueError, OverflowError, OSError):
            pass
    local = raw.get("date")
    if isinstance(local, str):
        try:
            stamp = datetime.fromisoformat(local)
        except ValueError:
            return None, False
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=zone_info), True
        return stamp, False
    return None, False


def _telegram_message(raw: dict[str, Any], at: datetime | None) -> Message:
    text = _telegram_text(raw.get("text"))
    if raw.get("type") == "service":
        sender = raw.get("actor")
        action = str(raw.get("action") or "service").replace("_", " ")
        title = raw.get("title")
        text = f"({action}{': ' + str(title) if title else ''}) {text}".strip()
    else:
        sender = raw.get("from")
    media = raw.get("photo") or raw.get("file")
    if not media and raw.get("media_type"):
        media = str(raw["media_type"])
    return Message(
        at=at,
        sender=strip_marks(str(sender)) if sender else None,
        text=text,
        media=str(media) if media else None,
    )


def _telegram_text(value: Any) -> str:
    """Telegram text is a string, or a list of strings and {"type", "text"} entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


def _meta(
    platform: str, doc: dict[str, Any], limits: Limits, tz: str, warnings: list[str]
) -> ParseResult:
    zone_info = zone(tz)
    raw_messages = [m for m in doc.get("messages", []) if isinstance(m, dict)]
    messages: list[Message] = []
    for raw in raw_messages[: limits.max_messages]:
        at = None
        if isinstance(raw.get("timestamp_ms"), int | float):
            try:
                at = datetime.fromtimestamp(raw["timestamp_ms"] / 1000, tz=UTC)
                at = at.astimezone(zone_info)
            except (ValueError, OverflowError, OSError):
                at = None
        sender = raw.get("sender_name")
        messages.append(
            Message(
                at=at,
                sender=fix_mojibake(str(sender)) if sender else None,
                text=fix_mojibake(str(raw.get("content") or "")),
                media=_meta_media(raw),
            )
        )
    if len(raw_messages) > limits.max_messages:
        warnings.append(f"only the first {limits.max_messages} messages were kept")
    # Exports list newest first; a transcript reads oldest first.
    epoch = datetime.min.replace(tzinfo=UTC)
    messages.sort(key=lambda m: m.at or epoch)
    extra: dict[str, Any] = {}
    if isinstance(doc.get("title"), str):
        extra["title"] = fix_mojibake(doc["title"])
    listed = [
        fix_mojibake(str(p["name"]))
        for p in doc.get("participants", [])
        if isinstance(p, dict) and p.get("name")
    ]
    result = build_result(platform, messages, limits, warnings, extra)
    for name in listed:
        if name not in result.parsed["participants"]:
            result.parsed["participants"].append(name)
    return result


def _meta_media(raw: dict[str, Any]) -> str | None:
    names: list[str] = []
    for key in _META_MEDIA:
        for item in raw.get(key) or []:
            if isinstance(item, dict) and item.get("uri"):
                names.append(str(item["uri"]))
    sticker = raw.get("sticker")
    if isinstance(sticker, dict) and sticker.get("uri"):
        names.append(str(sticker["uri"]))
    return ", ".join(names) or None


def fix_mojibake(text: str) -> str:
    """Undo Facebook's export bug: UTF-8 bytes written out as one code point per byte.

    "Ã¤" becomes "ä" and "æ\\x88\\x91" becomes "我". Text that is not of that shape
    (real Latin-1 letters, characters above U+00FF) is returned unchanged.
    """
    if not any("\x80" <= ch <= "\xff" for ch in text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
