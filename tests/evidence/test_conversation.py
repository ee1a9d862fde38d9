"""A chat transcript laid out as a conversation: sides, speakers, runs."""

from __future__ import annotations

from caseapp.evidence.conversation import conversation

SUPPORT_CHAT = [
    {"at": "2026-03-05T14:20:00+08:00", "sender": "我", "text": "账户被冻结了", "media": None},
    {"at": "2026-03-05T14:21:00+08:00", "sender": "客服 Amy", "text": "请提交资料", "media": None},
    {"at": "2026-03-05T14:21:30+08:00", "sender": "客服 Amy", "text": "", "media": "image"},
    {"at": None, "sender": "我", "text": "已提交", "media": None},
]


def test_without_an_owner_the_two_sides_of_a_support_chat_face_each_other():
    bubbles = conversation(SUPPORT_CHAT, {"platform": "whatsapp"})
    assert [b.side for b in bubbles] == ["start", "end", "end", "start"]
    assert not any(b.own for b in bubbles)


def test_a_new_speaker_is_named_once_for_their_run_of_messages():
    bubbles = conversation(SUPPORT_CHAT, None)
    assert [b.first_of_run for b in bubbles] == [True, True, False, True]
    assert bubbles[2].media == "image"
    assert bubbles[3].at is None


def test_when_the_export_names_its_owner_their_messages_sit_at_the_end():
    bubbles = conversation(SUPPORT_CHAT, {"owner": "我"})
    assert [(b.side, b.own) for b in bubbles] == [
        ("end", True), ("start", False), ("start", False), ("end", True),
    ]


def test_a_third_participant_takes_the_first_side_again():
    transcript = [*SUPPORT_CHAT, {"at": None, "sender": "主管", "text": "我来处理", "media": None}]
    assert conversation(transcript, {})[-1].side == "start"
