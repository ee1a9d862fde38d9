"""Download headers: a Chinese file name survives, and the ASCII fallback is a usable name."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from caseapp.evidence.downloads import content_disposition


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("receipt.pdf", "receipt.pdf"),
        ("大文件.bin", "evidence.bin"),
        ("聊天记录", "evidence"),
        ("客服 chat.txt", "chat.txt"),
        ('bad"name;.eml', "bad_name_.eml"),
        ("Café.jpg", "Cafe.jpg"),
    ],
)
def test_attachment_keeps_the_real_name_and_a_plain_fallback(name: str, fallback: str) -> None:
    header = content_disposition(name)
    assert header.startswith(f'attachment; filename="{fallback}"; filename*=UTF-8\'\'')
    assert header.endswith(quote(name, safe=""))
