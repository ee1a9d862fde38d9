"""`verify_file` against our own dossiers, intact and attacked (pdf-insecurity.org techniques)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers

from caseapp.export.pipeline import produce_dossier
from caseapp.export.signing import Signer, create_signing_identity
from caseapp.export.verify import verify_file

ATTACHED_PHOTO = "003-冻结截图.jpg"


def _writer(data: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(data), strict=False)


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _filespec(writer: IncrementalPdfFileWriter, name: str) -> generic.DictionaryObject:
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    for index in range(0, len(names), 2):
        spec = names[index + 1].get_object()
        if str(spec["/UF"]) == name:
            return spec
    raise AssertionError(f"no attachment {name}")


def _replace_attachment(data: bytes, name: str, content: bytes) -> bytes:
    """Shadow replace: an incremental update points an attachment at new bytes."""
    writer = _writer(data)
    spec = _filespec(writer, name)
    spec["/EF"]["/F"] = writer.add_object(generic.StreamObject(stream_data=content))
    writer.update_container(spec["/EF"])
    return _written(writer)


def _attacker(tmp_path: Path) -> Signer:
    create_signing_identity(tmp_path / "attacker", "caseapp test instance")
    return Signer(tmp_path / "attacker")


def test_our_dossier_without_an_anchor_is_intact_but_unconfirmed(
    signed_dossier: bytes, signer: Signer
) -> None:
    report = verify_file(signed_dossier)
    assert report.status == "unconfirmed", report.reasons
    assert report.reasons == []
    assert report.exit_code == 3
    assert report.signer_fingerprint == signer.fingerprint
    assert report.anchor_fingerprint == signer.ca_fingerprint  # the root it claims: the CA
    assert report.timestamp_at is not None
    assert report.signed_at is not None
    assert report.signer_trusted is None  # nobody named an anchor


def test_beside_the_instance_the_signer_is_trusted(
    signed_dossier: bytes, trusted_certs: list[bytes], tmp_path: Path
) -> None:
    path = tmp_path / "dossier.pdf"
    path.write_bytes(signed_dossier)
    report = verify_file(path, trusted_certs)
    assert report.status == "intact", report.reasons
    assert report.signer_trusted is True
    assert report.details["timestamp_trusted"] is True


def test_appended_incremental_update_adding_an_annotation_is_not_intact(
    signed_dossier: bytes,
) -> None:
    writer = _writer(signed_dossier)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    note = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n)
                                                          for n in (50, 50, 400, 120)]),
        generic.NameObject("/Contents"): generic.TextStringObject("金额已全部退还"),
    })
    page["/Annots"] = generic.ArrayObject([writer.add_object(note)])
    writer.update_container(page)
    report = verify_file(_written(writer))
    assert report.status == "not_intact"
    assert report.exit_code == 1
    assert any("after the signed range" in reason for reason in report.reasons)


def test_shadow_hide_replacing_a_page_content_stream_is_not_intact(signed_dossier: bytes) -> None:
    writer = _writer(signed_dossier)
    page = writer.root["/Pages"]["/Kids"][1].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"q Q"))
    writer.update_container(page)
    report = verify_file(_written(writer))
    assert report.status == "not_intact"
    assert any("incremental update" in reason for reason in report.reasons)


def test_shadow_replace_of_an_embedded_original_is_not_intact(signed_dossier: bytes) -> None:
    report = verify_file(_replace_attachment(signed_dossier, ATTACHED_PHOTO, b"forged photo"))
    assert report.status == "not_intact"
    assert any("after the signed range" in reason for reason in report.reasons)
    assert f"embedded file {ATTACHED_PHOTO}: SHA-256 does not match the manifest" in report.reasons


def test_replaced_original_re_signed_by_someone_else_is_not_intact(
    signed_dossier: bytes, tmp_path: Path
) -> None:
    _attacker(tmp_path)
    attacker = signers.SimpleSigner.load(
        str(tmp_path / "attacker" / "signing.key"), str(tmp_path / "attacker" / "signing.crt")
    )
    writer = _writer(_replace_attachment(signed_dossier, ATTACHED_PHOTO, b"forged photo"))
    out = io.BytesIO()
    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Forged"), attacker,
                     output=out)
    forged = out.getvalue()
    report = verify_file(forged)
    assert report.status == "not_intact"
    assert f"embedded file {ATTACHED_PHOTO}: SHA-256 does not match the manifest" in report.reasons
    assert any("2 signatures" in reason for reason in report.reasons)


def test_a_consistent_forgery_with_another_key_fails_beside_the_instance(
    context_factory, tmp_path: Path, signer: Signer, trusted_certs: list[bytes]
) -> None:
    forged = produce_dossier(context_factory(), _attacker(tmp_path)).pdf
    alone = verify_file(forged)
    assert alone.status == "unconfirmed"  # internally consistent; only an anchor tells
    assert alone.signer_fingerprint != signer.fingerprint
    beside = verify_file(forged, trusted_certs)
    assert beside.status == "not_intact"
    assert any("not signed by the trusted authority" in reason for reason in beside.reasons)


def test_signature_wrapping_moving_the_signed_bytes_is_not_intact(signed_dossier: bytes) -> None:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed_dossier)
    assert match is not None
    _start, first_len, second_start, second_len = (int(g) for g in match.groups())
    signed_tail = signed_dossier[second_start:]
    # The attacker keeps every signed byte but moves the second signed block behind
    # injected objects and rewrites /ByteRange (padded to the same length) to point at it.
    injected = b"\n99 0 obj\n<< /Type /Annot /Subtype /FreeText /Contents (paid) >>\nendobj\n"
    new_range = f"/ByteRange [0 {first_len} {second_start + len(injected)} {second_len}]"
    new_range = new_range.ljust(len(match.group(0))).encode()
    head = signed_dossier[: match.start()] + new_range + signed_dossier[match.end() : second_start]
    report = verify_file(head + injected + signed_tail)
    assert report.status == "not_intact"
    assert any("changed after signing" in reason for reason in report.reasons)


def test_a_flipped_byte_inside_the_signed_range_breaks_the_signature(
    signed_dossier: bytes,
) -> None:
    position = signed_dossier.index(b"stream", len(signed_dossier) // 3) + 40
    tampered = bytearray(signed_dossier)
    tampered[position] ^= 0x01
    report = verify_file(bytes(tampered))
    assert report.status == "not_intact"
    assert "signature broken: the signed bytes were changed" in report.reasons


def test_bytes_appended_after_the_end_are_not_intact(signed_dossier: bytes) -> None:
    report = verify_file(signed_dossier + b"\n% trailing comment\n")
    assert report.status == "not_intact"


def test_an_unsigned_dossier_is_not_intact(context_factory) -> None:
    from caseapp.export.pdf import render_pdf

    report = verify_file(render_pdf(context_factory()))
    assert report.status == "not_intact"
    assert "the PDF is not signed" in report.reasons


@pytest.mark.parametrize(
    "garbage",
    [b"", b"hello, this is not a dossier", b"%PDF-1.7\n%garbage only\n", b"PK\x03\x04broken zip",
     bytes(range(256)) * 10],
)
def test_garbage_is_unreadable_and_never_raises(garbage: bytes) -> None:
    report = verify_file(garbage)
    assert report.status == "unreadable"
    assert report.exit_code == 2


def test_a_dossier_cut_before_its_signature_is_unreadable(signed_dossier: bytes) -> None:
    assert verify_file(signed_dossier[: len(signed_dossier) // 2]).status == "unreadable"


def test_a_dossier_missing_its_last_bytes_is_not_intact(signed_dossier: bytes) -> None:
    assert verify_file(signed_dossier[:-30]).status == "not_intact"


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert verify_file(tmp_path / "nope.pdf").exit_code == 2


def test_embedded_files_are_read_from_the_name_tree(signed_dossier: bytes) -> None:
    from caseapp.export.verify import embedded_files

    files = embedded_files(PdfFileReader(io.BytesIO(signed_dossier), strict=False))
    assert "manifest.json" in files
    assert ATTACHED_PHOTO in files


def test_bytes_appended_after_the_archival_revision_are_not_intact(signed_dossier: bytes) -> None:
    junk = signed_dossier + b"\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
    report = verify_file(junk)
    assert report.status == "not_intact"
