"""Chat exports: every sample under samples/chat/ read into a transcript."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caseapp.evidence.parsers import parse
from caseapp.evidence.parsers.base import Limits
from caseapp.evidence.parsers.chat import looks_like_chat, parse_chat
from caseapp.evidence.parsers.chat_json import fix_mojibake

LIMITS = Limits()
LOREM_SENDERS = ["John Doe", "Jahn Doe", "John-John Doe", "John Doe 🤓", "🤓"]


def read(samples: Path, name: str, **kwargs: object):
    path = samples / "chat" / name
    return parse_chat(path.read_bytes(), LIMITS, filename_hint=path.name, **kwargs)


@pytest.mark.parametrize(
    ("name", "order"),
    [
        ("whatsapp/test_ddmmyy_24hrs.txt", "dmy"),
        ("whatsapp/test_mmddyy_24hrs.txt", "mdy"),
        ("whatsapp/test_mmddyyyy_12hrs.txt", "mdy"),
        ("whatsapp/test_yyyymmdd_24hrs.txt", "ymd"),
        ("whatsapp/test_[mmddyy]_24hrs.txt", "mdy"),
    ],
)
def test_whatsapp_locale_variants_give_the_same_transcript(samples, name, order):
    result = read(samples, name)

    assert result.kind == "chat"
    assert result.parsed["platform"] == "whatsapp"
    assert result.parsed["date_order"] == order
    assert result.parsed["participants"] == LOREM_SENDERS
    assert result.parsed["message_count"] == 9
    assert result.parsed["first_at"] == "2019-01-01T11:25:00+00:00"
    assert result.parsed["last_at"] == "2021-12-30T22:01:00+00:00"
    assert not any("ambiguous" in w for w in result.warnings)
    transcript = result.transcript
    assert transcript[1] == {
        "at": "2019-01-20T11:23:00+00:00", "sender": "John Doe", "text": ".", "media": None,
    }
    # The continuation line belongs to the message above it.
    assert transcript[2]["text"] == (
        "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."
    )
    assert transcript[3]["text"] == "Lorem ipsum : dolor sit amet."
    # System lines have no sender.
    assert transcript[4] == {
        "at": "2020-06-20T00:08:00+00:00", "sender": None,
        "text": '+12 345 578 created group "Groupname"', "media": None,
    }


def test_spanish_twelve_hour_markers_are_read(samples):
    transcript = read(samples, "whatsapp/test_mmddyyyy_12hrs.txt").transcript

    assert transcript[2]["at"] == "2019-01-30T20:49:00+00:00"  # 08:49 p. m.
    assert transcript[4]["at"] == "2020-06-20T00:08:00+00:00"  # 00:08 a. m.
    assert transcript[7]["at"] == "2021-12-20T12:10:00+00:00"  # 12:10 p. m.


def test_zone_less_export_is_read_in_the_given_zone_and_says_so(samples):
    result = read(samples, "whatsapp/test_ddmmyy_24hrs.txt", tz="Asia/Shanghai")

    assert result.parsed["timezone_assumed"] == "Asia/Shanghai"
    assert result.parsed["first_at"] == "2019-01-01T11:25:00+08:00"
    assert any("no time zone" in w and "Asia/Shanghai" in w for w in result.warnings)
    assert result.text.splitlines()[0] == (
        "[2019-01-01T11:25:00+08:00] John Doe: Lorem ipsum dolor sit amet."
    )


def test_ios_export_drops_direction_marks(samples):
    result = read(samples, "whatsapp/langchain_whatsapp_ios.txt")

    assert result.parsed["participants"] == ["Dr. Feather", "Jungle Jane"]
    assert result.parsed["message_count"] == 12
    assert result.parsed["date_order"] == "mdy"
    assert result.parsed["last_at"] == "2023-08-15T21:25:16+00:00"  # 9:25:16 PM
    assert result.transcript[2]["text"] == "image omitted"
    assert "\u200e" not in result.text


def test_mixed_header_styles_are_all_recognised(samples):
    result = read(samples, "whatsapp/langchain_whatsapp_mixed_formats.txt")
    at = [m["at"] for m in result.transcript]
    senders = [m["sender"] for m in result.transcript]

    assert result.parsed["message_count"] == 10
    assert result.parsed["date_order"] == "mdy"  # 1/23/23 only fits month first
    assert at[0] == "2023-05-05T15:48:11+00:00"  # [05.05.23, 15:48:11]
    assert at[3] == "2023-01-23T03:22:00+00:00"  # 3:22_AM
    assert at[5] == "2023-05-04T16:13:23+00:00"  # [2023/5/4, 16:13:23], year first
    assert at[6] == "2022-07-19T23:32:00+00:00"  # 11:32<U+202F>PM
    assert at[9] == "2023-06-29T00:16:00+00:00"  # 12:16<U+202F>am
    assert senders[4] == "User name 2"  # "~ " marks a non-contact
    assert result.transcript[8]["text"] == "<Media omitted>"


def test_ambiguous_date_order_is_chosen_and_said():
    export = (
        "03/04/21, 10:00 - 王先生: 我的账户被冻结了\n"
        "05/04/21, 09:30 - Support: 请提供订单号\n"
    ).encode()

    result = parse_chat(export, LIMITS)

    assert result.parsed["date_order"] == "dmy"
    assert result.parsed["first_at"] == "2021-04-03T10:00:00+00:00"
    assert any("ambiguous" in w for w in result.warnings)


def test_time_running_forward_settles_the_date_order():
    export = b"12/01/21, 10:00 - A: first\n01/02/21, 10:00 - B: second\n"

    result = parse_chat(export, LIMITS)

    # Day first gives 12 Jan then 1 Feb; month first would go back from 1 Dec to 2 Jan.
    assert result.parsed["date_order"] == "dmy"
    assert not any("ambiguous" in w for w in result.warnings)


def test_chinese_locale_export_in_gbk_with_half_day_markers():
    export = (
        "2023/8/15 下午9:12 - 张三: 你好，我的资产被冻结了\n"
        "2023/8/15 下午9:13 - 客服小王: 请提供订单号\n"
        "2023/8/16 上午12:05 - 张三: 订单号 12345\n第二行\n"
    ).encode("gbk")

    result = parse_chat(export, LIMITS, tz="Asia/Shanghai")

    assert result.parsed["participants"] == ["张三", "客服小王"]
    assert result.parsed["first_at"] == "2023-08-15T21:12:00+08:00"
    assert result.transcript[2]["at"] == "2023-08-16T00:05:00+08:00"
    assert result.transcript[2]["text"] == "订单号 12345\n第二行"


def test_utf16_export_with_bom_is_read():
    export = "[2019-12-24, 12:23] 李雷: 收到\n[2019-12-24, 12:24] 韩梅梅: 好的\n".encode("utf-16")

    result = parse_chat(export, LIMITS)

    assert result.parsed["participants"] == ["李雷", "韩梅梅"]


def test_attached_media_name_is_referenced():
    export = b"[8/15/23, 9:12:48 AM] Ann: <attached: 00000012-PHOTO-2023-08-15.jpg>\n"

    result = parse_chat(export, LIMITS)

    assert result.transcript[0]["media"] == "00000012-PHOTO-2023-08-15.jpg"


def test_signal_export(samples):
    result = read(samples, "other/signal_test_export.txt")

    assert result.parsed["platform"] == "signal"
    assert result.parsed["participants"] == ["Jane Doe", "John Doe"]
    assert result.transcript[1]["text"] == "Hello\nJane!"
    assert result.parsed["first_at"] == "2019-12-24T12:23:00+00:00"


def test_telegram_json_prefers_absolute_unix_times(samples):
    result = read(samples, "telegram/langchain_result.json", tz="Asia/Taipei")

    assert result.parsed["platform"] == "telegram"
    assert result.parsed["participants"] == ["Jimmeny Marvelton", "Batman & Robin"]
    assert result.parsed["chat_type"] == "personal_chat"
    # date_unixtime 1692821483 is 20:11:23 UTC, shown in the owner's zone.
    assert result.parsed["first_at"] == "2023-08-24T04:11:23+08:00"
    assert "timezone_assumed" not in result.parsed


def test_telegram_2020_json_reads_entities_media_and_service_messages(samples):
    result = read(samples, "telegram/tg2md_result.json")
    transcript = result.transcript

    assert result.parsed["participants"] == ["test"]
    assert result.parsed["message_count"] == 19
    assert result.parsed["timezone_assumed"] == "UTC"  # only zone-less "date" fields
    assert transcript[0]["text"] == "(create channel: test)"
    assert transcript[2]["media"] == "photos/photo_1@12-11-2020_12-57-31.jpg"
    assert transcript[3]["text"] == "photo with text"
    assert transcript[4]["text"].startswith("italic\n\nbold\n\nunderline")
    assert transcript[5]["media"] == "voice_messages/audio_1@12-11-2020_13-01-05.ogg"
    assert any(m["text"] == "тестирование utf-8." for m in transcript)


def test_telegram_whole_account_export(samples):
    result = read(samples, "telegram/chatminer_batch_export.json")

    assert result.parsed["chats"] == ["Chatname"]
    assert result.parsed["chat_type"] == "account"
    assert result.transcript[1]["text"] == "Link:https://telegram.org/"
    assert result.parsed["first_at"] == "2018-12-05T10:39:10+00:00"


def test_telegram_supergroup_with_topics(samples):
    result = read(samples, "telegram/supergroup_with_topics.json")

    assert result.parsed["chat_type"] == "private_supergroup"
    assert result.parsed["participants"] == ["Admin", "User1", "User2", "User3"]
    assert result.transcript[1]["text"] == "(topic created: General)"
    assert result.parsed["last_at"] == "2024-01-11T09:00:00+00:00"


def test_telegram_html_export_follows_joined_messages(samples):
    result = read(samples, "telegram/langchain_messages.html")

    assert result.parsed["platform"] == "telegram"
    assert result.parsed["participants"] == ["Jimmeny Marvelton", "Batman & Robin"]
    assert [m["sender"] for m in result.transcript] == [
        "Jimmeny Marvelton", "Batman & Robin", "Jimmeny Marvelton", "Jimmeny Marvelton",
    ]
    assert result.transcript[3]["text"] == "you will not trick me this time"
    assert result.parsed["first_at"] == "2023-08-23T13:11:23-08:00"


def test_facebook_export_is_put_in_time_order(samples):
    result = read(samples, "other/facebook_chat.json")

    assert result.parsed["platform"] == "facebook"
    assert result.parsed["participants"] == ["User 1", "User 2"]
    assert result.parsed["message_count"] == 11
    assert result.transcript[0]["text"].startswith("Hi! Im interested in your bag")
    assert result.transcript[-1]["text"] == "Bye!"
    assert result.transcript[4]["media"] == "url_of_some_picture.jpg"


def test_instagram_export(samples):
    result = read(samples, "other/instagram_test_export.json")

    assert result.parsed["platform"] == "instagram"
    assert [m["text"] for m in result.transcript] == ["Hello John!", "Hello Jane!"]
    assert result.parsed["first_at"] == "2019-12-24T11:23:00+00:00"


def test_facebook_mojibake_is_repaired():
    export = {
        "participants": [{"name": "\u00e7\u008e\u008b\u00e5\u00b0\u008f\u00e6\u0098\u008e"}],
        "thread_path": "inbox/x",
        "messages": [
            {
                "sender_name": "\u00e7\u008e\u008b\u00e5\u00b0\u008f\u00e6\u0098\u008e",
                "timestamp_ms": 1675597571851,
                "content": "\u00e9\u0080\u0080\u00e6\u00ac\u00be Caf\u00c3\u00a9",
            }
        ],
    }

    result = parse_chat(json.dumps(export).encode(), LIMITS)

    assert result.parsed["participants"] == ["王小明"]
    assert result.transcript[0]["text"] == "退款 Café"


def test_mojibake_repair_leaves_real_text_alone():
    assert fix_mojibake("Café 你好") == "Café 你好"
    assert fix_mojibake("naïve") == "naïve"


@pytest.mark.parametrize(
    "name",
    [
        "encodings/gbk.txt", "encodings/gb18030.txt", "encodings/hz.txt",
        "encodings/sample-chinese-big5.txt", "encodings/gbk-utf8.txt",
    ],
)
def test_plain_chinese_text_is_not_mistaken_for_a_chat(samples, name):
    data = (samples / "chat" / "other" / name).read_bytes()

    assert not looks_like_chat(data)
    assert parse(data, "text/plain", "text").kind == "text"


def test_plain_text_given_as_chat_is_kept_as_text(samples):
    result = read(samples, "other/encodings/gbk.txt")

    assert result.parsed["platform"] == "plain"
    assert result.parsed["message_count"] == 0
    assert result.text.startswith("Python（派森）语言是一种功能强大而完善的通用型")


def test_text_upload_that_is_a_chat_goes_to_the_chat_reader(samples):
    data = (samples / "chat" / "whatsapp" / "test_ddmmyy_24hrs.txt").read_bytes()

    result = parse(data, "text/plain", "text")

    assert result.kind == "chat"
    assert result.parsed["message_count"] == 9


def test_message_limit_is_honoured():
    export = "".join(f"01/01/20, 10:{i:02d} - A: m{i}\n" for i in range(30)).encode()

    result = parse_chat(export, Limits(max_messages=5))

    assert result.parsed["message_count"] == 5
    assert any("only the first 5" in w for w in result.warnings)


def test_unknown_time_zone_is_a_warning_not_a_crash(samples):
    data = (samples / "chat" / "whatsapp" / "test_ddmmyy_24hrs.txt").read_bytes()

    result = parse(data, "text/plain", "chat", tz="Mars/Olympus_Mons")

    assert result.warnings == ["could not read this file: unknown time zone 'Mars/Olympus_Mons'"]
