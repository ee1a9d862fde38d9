"""`caseapp vault verify` checks every registered kind's blobs against their rows, dossiers
included, and names what fails."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.vault.references import BlobReference, ReferenceRegistry
from caseapp.vault.verify import verify_references

KINDS = ("evidence original", "evidence derivative", "dossier PDF", "dossier bundle")


@pytest.fixture
def instance_path(exported_copy):
    """Every test here runs on a copy of the instance with a built dossier."""
    return exported_copy


def run(app, *args):
    return CliRunner().invoke(app.cli, list(args), catch_exceptions=False)


def flip_a_byte(vault, blob_id):
    path = vault.store._path(blob_id)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def the_dossier():
    return db.session.scalars(db.select(Dossier)).one()


def test_verify_reports_every_kind_and_a_total(app):
    result = run(app, "vault", "verify")
    assert result.exit_code == 0, result.output
    counts = {}
    for kind in KINDS:
        match = re.search(rf"^{kind}: (\d+) checked, 0 failed$", result.output, re.MULTILINE)
        assert match, (kind, result.output)
        counts[kind] = int(match.group(1))
    assert counts["dossier PDF"] == counts["dossier bundle"] == 1
    assert counts["evidence original"] >= 3
    assert f"\n{sum(counts.values())} blob(s) checked, 0 failed\n" in result.output


@pytest.mark.parametrize(("column", "kind", "named"), [
    ("pdf_blob_id", "dossier PDF", "PDF of dossier"),
    ("bundle_blob_id", "dossier bundle", "bundle of dossier"),
])
def test_a_flipped_byte_in_a_dossier_blob_fails_verify_and_is_named(app, column, kind, named):
    dossier = the_dossier()
    flip_a_byte(app.extensions["caseapp"].vault, getattr(dossier, column))
    result = run(app, "vault", "verify")
    assert result.exit_code == 1
    assert f"FAILED  {named} {dossier.id} (case {dossier.case_id}): not intact" in result.output
    assert f"{kind}: 1 checked, 1 failed" in result.output
    assert result.output.count("FAILED") == 1
    assert result.output.rstrip().endswith(" 1 failed")


def test_a_dossier_blob_that_is_not_what_its_row_recorded_fails_verify(app):
    dossier = the_dossier()
    dossier.bundle_sha256 = "0" * 64
    db.session.commit()
    result = run(app, "vault", "verify")
    assert result.exit_code == 1
    assert f"FAILED  bundle of dossier {dossier.id}" in result.output
    assert f"differs from the recorded {'0' * 64}" in result.output


def test_a_missing_dossier_blob_fails_verify(app):
    dossier = the_dossier()
    app.extensions["caseapp"].vault.delete(dossier.pdf_blob_id)
    result = run(app, "vault", "verify")
    assert result.exit_code == 1
    named = f"FAILED  PDF of dossier {dossier.id} (case {dossier.case_id})"
    assert f"{named}: blob missing from the store" in result.output


def test_verify_checks_the_kinds_it_is_given_and_only_what_they_record(app):
    vault = app.extensions["caseapp"].vault
    info = vault.put_bytes("otherkindblob000000000", b"twelve bytes")
    registry = ReferenceRegistry()
    registry.register("other", lambda session: [
        BlobReference(info.blob_id, "other thing, size only", size=12),
        BlobReference(info.blob_id, "other thing, wrong size", size=13),
        BlobReference(info.blob_id, "other thing, nothing recorded"),
    ])
    failures = []
    report = verify_references(db.session, vault, registry, failures.append)
    assert (report.checked, report.failed) == (3, 1)
    assert [f.reference.description for f in failures] == ["other thing, wrong size"]
    assert failures[0].problem == "size 12 differs from the recorded 13"
