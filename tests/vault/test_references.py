"""Each capability registers the blobs it keeps; registration is idempotent and a name
belongs to one function."""

from __future__ import annotations

import pytest

from caseapp import create_app
from caseapp.evidence import blobs as evidence_blobs
from caseapp.export import blobs as export_blobs
from caseapp.extensions import db
from caseapp.vault.references import BlobReference, KindAlreadyRegistered, ReferenceRegistry
from tests.conftest import TEST_SETTINGS

KINDS = ["evidence original", "evidence derivative", "dossier PDF", "dossier bundle"]


def names(registry):
    return [kind.name for kind in registry.kinds]


def test_every_capability_that_keeps_blobs_is_registered(app):
    assert names(app.extensions["caseapp"].blob_references) == KINDS


def test_registering_again_changes_nothing(app):
    registry = app.extensions["caseapp"].blob_references
    before = registry.kinds
    evidence_blobs.register(registry)
    export_blobs.register(registry)
    assert registry.kinds == before


def test_each_app_has_its_own_registry_with_every_kind(app, instance_path):
    other = create_app(config=dict(TEST_SETTINGS), instance_path=instance_path)
    try:
        registry = other.extensions["caseapp"].blob_references
        assert registry is not app.extensions["caseapp"].blob_references
        assert names(registry) == KINDS
    finally:
        other.extensions["caseapp"].vault.close()


def test_another_function_cannot_take_a_registered_name():
    registry = ReferenceRegistry()
    registry.register("dossier PDF", export_blobs.pdfs)
    with pytest.raises(KindAlreadyRegistered):
        registry.register("dossier PDF", export_blobs.bundles)
    assert names(registry) == ["dossier PDF"]


def test_referenced_names_the_kind_of_each_blob(app):
    registry = ReferenceRegistry()
    registry.register("one", lambda session: [BlobReference("blobaaaaaaaaaaaaaaaa", "a")])
    registry.register("two", lambda session: [BlobReference("blobbbbbbbbbbbbbbbbb", "b")])
    found = registry.referenced(db.session)
    assert {blob_id: kind.name for blob_id, (kind, _) in found.items()} == {
        "blobaaaaaaaaaaaaaaaa": "one",
        "blobbbbbbbbbbbbbbbbb": "two",
    }
