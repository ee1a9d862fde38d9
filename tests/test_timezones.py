"""The time zone a user picks: a searchable list of IANA zones, checked on the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from caseapp.timezones import UnknownZone, check_zone, zone_choices


def test_the_list_offers_the_common_zones_first_each_with_its_offset(app):
    choices = zone_choices(datetime(2024, 1, 15, tzinfo=UTC))
    assert [c.name for c in choices[:2]] == ["Asia/Shanghai", "Asia/Hong_Kong"]
    assert choices[0].label == "UTC+08:00 · Asia"
    names = [c.name for c in choices]
    assert len(names) == len(set(names)) > 300
    assert "Europe/Berlin" in names
    assert "America/Sao_Paulo" in names
    assert "PRC" not in names
    assert "posixrules" not in names
    london = next(c for c in choices if c.name == "Europe/London")
    assert london.label.startswith("UTC+00:00")


@pytest.mark.parametrize("name", ["Asia/Shanghai", "UTC", "PRC", "America/Argentina/Salta"])
def test_any_name_of_the_zone_database_is_accepted(name):
    assert check_zone(name) == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/shanghai", "posixrules", "Factory",
                                  "../../etc/passwd", "Asia/Shanghai "])
def test_anything_else_is_refused(name):
    with pytest.raises(UnknownZone):
        check_zone(name)


def test_the_settings_page_offers_the_list_and_refuses_a_made_up_zone(client, auth, user):
    auth.login()
    page = client.get("/account").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="timezone"[^>]*>', page).group(0)
    assert 'list="zone-choices"' in field
    assert '<option value="Asia/Shanghai">UTC+08:00 · Asia</option>' in page
    response = auth.post("/account", {"display_name": "张伟", "locale": "en",
                                      "timezone": "posixrules"})
    assert "Unknown time zone." in response.get_data(as_text=True)
    assert user.timezone == "Asia/Shanghai"
