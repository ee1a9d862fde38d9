"""Ids and times shared by every model."""

from __future__ import annotations

from datetime import datetime

import pytest

from caseapp.database import UTCDateTime, new_id


def test_ids_are_random_url_safe_and_never_look_like_an_option():
    ids = {new_id() for _ in range(5000)}
    assert len(ids) == 5000
    for value in ids:
        assert len(value) == 22 and value[0].isalnum()
        assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_naive_times_are_refused_so_no_zone_is_ever_guessed():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), None)
