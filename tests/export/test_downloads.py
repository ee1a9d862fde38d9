"""Dossier downloads carry a name people can file: 投诉材料-<case title>-<date>.pdf, with an
ASCII fallback for clients that read only filename= (RFC 6266)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from caseapp.export.downloads import dossier_filename, dossier_response, safe_title
from caseapp.export.models import Dossier

MADE = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)  # already 6 March in Shanghai


@pytest.mark.parametrize(
    ("title", "safe"),
    [
        ("钱包冻结 5,000 USDT", "钱包冻结 5,000 USDT"),
        ("../../etc/passwd", "etc passwd"),
        ('客服"承诺"\\解冻', "客服 承诺 解冻"),
        ("换行\n和\t制表符\x00", "换行 和 制表符"),
        ("长" * 80, "长" * 60),
        ("...", ""),
    ],
)
def test_case_titles_become_safe_file_name_parts(title: str, safe: str) -> None:
    assert safe_title(title) == safe


def test_chinese_and_english_dossiers_are_named_after_the_case_and_the_day() -> None:
    assert dossier_filename("zh", MADE, "钱包冻结", "Asia/Shanghai", "pdf") == (
        "投诉材料-钱包冻结-2026-03-06.pdf"
    )
    assert dossier_filename("en", MADE, "Frozen wallet", "UTC", "bundle") == (
        "complaint-dossier-Frozen wallet-2026-03-05.zip"
    )
    assert dossier_filename("zh", MADE, "///", "UTC", "pdf") == "投诉材料-2026-03-05.pdf"


def test_the_header_has_the_utf8_name_and_an_ascii_fallback() -> None:
    dossier = Dossier(id="d1", lang="zh", created_at=MADE, size=10, sha256="ab" * 32)
    response = dossier_response(
        iter([b"%PDF"]), dossier, "pdf", case_title="钱包冻结", zone_name="Asia/Shanghai"
    )
    header = response.headers["Content-Disposition"]
    assert header.startswith('attachment; filename="complaint-dossier-2026-03-06.pdf"; ')
    assert header.endswith("filename*=UTF-8''" + quote("投诉材料-钱包冻结-2026-03-06.pdf", safe=""))
