"""Migration 0009: shares made before "include evidence added later" was a choice keep
showing exactly what they showed."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from caseapp import MIGRATIONS_DIR
from caseapp.extensions import db


def test_shares_made_before_0009_keep_showing_what_they_showed(dossier_case, share_with):
    case = dossier_case["case"]
    whole = share_with(case, link=True, include_later=True).share.id
    chosen = share_with(case, link=True, evidence_ids=[dossier_case["screenshot"]["id"]]).share.id
    db.session.remove()

    before = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision("0009").down_revision
    downgrade(directory=str(MIGRATIONS_DIR), revision=before)
    with db.engine.begin() as connection:
        columns = [row[1] for row in connection.execute(text("PRAGMA table_info(share)"))]
        assert "include_later" not in columns
    upgrade(directory=str(MIGRATIONS_DIR))

    with db.engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT id, include_later FROM share")).all())
    # A share of every item went on to show what was added later; a selection never did.
    assert rows == {whole: True, chosen: False}
