"""The dossier is PDF/A-3b, before and after signing: each test checks one ISO 19005-3 clause.

No PDF/A-3 validator runs here (veraPDF is not packaged; PDFBox Preflight checks PDF/A-1b
only), so the clauses are checked on the object structure, read with pyHanko's reader (which
follows the signature's incremental update the way a validator does).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import PdfTimeStamper

from caseapp.export.context import DossierContext, ImageRef
from caseapp.export.exhibits import render as render_exhibit
from caseapp.export.manifest import MANIFEST_NAME, attachment_name
from caseapp.export.pdf import render_pdf
from caseapp.export.pdfa import ascii_file_name, media_type_name
from caseapp.export.signing import Signer

MIME_TYPE = re.compile(r"^[-\w+.]+/[-\w+.]+$")  # veraPDF's test for ISO 19005-3 6.8
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XMP = "{http://ns.adobe.com/xap/1.0/}"
PDF = "{http://ns.adobe.com/pdf/1.3/}"
# ISO 19005-3 6.6.2.3.1: each Info entry and the XMP property it must equal.
INFO_TO_XMP = {
    "/Title": DC + "title",
    "/Author": DC + "creator",
    "/Subject": DC + "description",
    "/Keywords": PDF + "Keywords",
    "/Creator": XMP + "CreatorTool",
    "/Producer": PDF + "Producer",
    "/CreationDate": XMP + "CreateDate",
    "/ModDate": XMP + "ModifyDate",
}
# ISO 19005-3 6.5.1: the only actions a conforming file may contain (no Launch, JavaScript...).
ALLOWED_ACTIONS = {"/GoTo", "/GoToR", "/GoToE", "/Thread", "/URI", "/Named", "/SubmitForm"}
ALLOWED_NAMED_ACTIONS = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
HIDING_FLAGS = 1 | 2 | 32 | 256  # Invisible, Hidden, NoView, ToggleNoView
PRINT_FLAG = 4


@pytest.fixture(scope="module")
def unsigned_pdf(context_factory) -> bytes:
    """The sample case rendered, not signed."""
    return render_pdf(context_factory())


@pytest.fixture(scope="module")
def time_stamped_pdf(signed_dossier: bytes, signer: Signer) -> bytes:
    """The signed dossier with a document time stamp over it: one more pyHanko update."""
    out = io.BytesIO()
    PdfTimeStamper(signer.timestamper).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(signed_dossier), strict=False), "sha256",
        output=out,
    )
    return out.getvalue()


@pytest.fixture(params=["unsigned", "signed", "time-stamped"])
def dossier(request: pytest.FixtureRequest) -> bytes:
    """The sample dossier as rendered, as signed, and with a later incremental update."""
    fixture = {"unsigned": "unsigned_pdf", "signed": "signed_dossier",
               "time-stamped": "time_stamped_pdf"}[request.param]
    return request.getfixturevalue(fixture)


def _reader(data: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(data), strict=False)


def _reachable(reader: PdfFileReader) -> Iterator[generic.DictionaryObject]:
    """Every dictionary and stream reachable from the catalog and the Info dictionary."""
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.root]
    info = reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None
    if info is not None:
        stack.append(info)
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            yield obj
            stack.extend(dict.values(obj))
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(list.__iter__(obj))


def _xmp(reader: PdfFileReader) -> dict[str, object]:
    """The XMP properties by expanded name: text, or a list for rdf:Seq/Bag, x-default of Alt."""
    stream = reader.root["/Metadata"]
    assert stream["/Type"] == "/Metadata"
    assert stream["/Subtype"] == "/XML"
    packet = re.sub(rb"<\?xpacket[^>]*\?>", b"", stream.data).strip()
    root = ET.fromstring(packet)  # noqa: S314 - the XMP of a dossier this test just made
    properties: dict[str, object] = {}
    for description in root.iter(RDF + "Description"):
        for key, value in description.attrib.items():
            if not key.startswith(RDF):
                properties[key] = value
        for child in description:
            alt = child.find(RDF + "Alt")
            seq = child.find(RDF + "Seq")
            if seq is None:
                seq = child.find(RDF + "Bag")
            if alt is not None:
                defaults = [li.text for li in alt if li.get(XML_LANG) == "x-default"]
                properties[child.tag] = defaults[0] if defaults else None
            elif seq is not None:
                properties[child.tag] = [li.text for li in seq]
            else:
                properties[child.tag] = child.text
    return properties


def _pdf_date(value: str) -> datetime:
    return generic.parse_pdf_date(value)


def _embedded_specs(reader: PdfFileReader) -> list[tuple[str, generic.IndirectObject]]:
    tree = reader.root["/Names"]["/EmbeddedFiles"]
    assert "/Kids" not in tree  # one leaf node: a dossier has a few hundred files at most
    names = tree.raw_get("/Names")
    return [(str(names[i]), names.raw_get(i + 1)) for i in range(0, len(names), 2)]


def test_file_header_marks_the_file_as_binary(dossier: bytes) -> None:
    first, second = dossier.split(b"\n")[:2]
    assert first == b"%PDF-1.7"
    assert second.startswith(b"%")
    assert sum(byte > 127 for byte in second[1:5]) == 4


def test_trailer_has_an_id_and_no_encryption(dossier: bytes, request) -> None:
    reader = _reader(dossier)
    assert "/Encrypt" not in reader.trailer
    if request.node.callspec.params["dossier"] == "unsigned":
        # Rendered without a file ID (it would cost a second copy of the file in memory);
        # the unsigned PDF is never handed out: the signature's update writes the /ID.
        assert "/ID" not in reader.trailer
    else:
        assert len(reader.trailer["/ID"]) == 2


def test_xmp_identifies_pdfa_3b(dossier: bytes) -> None:
    xmp = _xmp(_reader(dossier))
    assert xmp[PDFAID + "part"] == "3"
    assert xmp[PDFAID + "conformance"] == "B"


def test_xmp_matches_the_info_dictionary(dossier: bytes, zh_context: DossierContext) -> None:
    reader = _reader(dossier)
    info = reader.trailer["/Info"]
    xmp = _xmp(reader)
    assert info["/Title"] == "投诉证据材料 dos-0001-2025"
    assert _pdf_date(info["/CreationDate"]) == zh_context.generated_at
    for key, prop in INFO_TO_XMP.items():
        if key not in info:
            continue
        if key.endswith("Date"):
            assert datetime.fromisoformat(str(xmp[prop])) == _pdf_date(info[key]), key
        elif key == "/Author":
            assert xmp[prop] == [str(info[key])], key
        else:
            assert xmp[prop] == str(info[key]), key


def test_output_intent_is_pdfa_with_an_rgb_icc_profile(dossier: bytes) -> None:
    intents = [i for i in _reader(dossier).root["/OutputIntents"] if i["/S"] == "/GTS_PDFA1"]
    assert len(intents) == 1
    profile = intents[0]["/DestOutputProfile"]
    assert profile["/N"] == 3
    assert profile.data[36:40] == b"acsp"  # the ICC header's signature
    assert profile.data[16:20] == b"RGB "


def test_every_embedded_file_is_an_associated_file(
    dossier: bytes, zh_context: DossierContext
) -> None:
    expected = {attachment_name(item): item for item in zh_context.evidence}
    reader = _reader(dossier)
    specs = _embedded_specs(reader)
    assert sorted(name for name, _ in specs) == sorted([MANIFEST_NAME, *expected])
    keys = [generic.TextStringEncoding.UTF16BE.encode(n) if not n.isascii() else n.encode()
            for n, _ in specs]
    assert keys == sorted(keys)  # name tree keys in byte order
    for name, ref in specs:
        spec = ref.get_object()
        stream = spec["/EF"]["/F"]
        params = stream["/Params"]
        assert spec["/Type"] == "/Filespec"
        assert spec["/UF"] == name
        assert str(spec["/F"]) == ascii_file_name(name)
        assert str(spec["/F"]).isascii()
        assert spec["/Desc"]
        assert stream["/Type"] == "/EmbeddedFile"
        assert MIME_TYPE.match(str(stream["/Subtype"])[1:])
        assert params["/Size"] == len(stream.data)
        if name == MANIFEST_NAME:
            assert spec["/AFRelationship"] == "/Data"
            assert stream["/Subtype"] == "/application/json"
            assert _pdf_date(params["/ModDate"]) == zh_context.generated_at
        else:
            item = expected[name]
            assert spec["/AFRelationship"] == "/Source"
            assert stream["/Subtype"] == "/" + item.media_type
            assert params["/Size"] == item.size
            assert _pdf_date(params["/ModDate"]) == item.received_at
            assert _pdf_date(params["/CreationDate"]) == item.received_at
            assert f"sha256:{item.sha256}" in spec["/Desc"]
    associated = reader.root.raw_get("/AF").get_object() if isinstance(
        reader.root.raw_get("/AF"), generic.IndirectObject) else reader.root.raw_get("/AF")
    af = [(ref.idnum, ref.generation) for ref in list.__iter__(associated)]
    assert len(af) == len(set(af))
    assert set(af) == {(ref.idnum, ref.generation) for _, ref in specs}


def test_chinese_file_names_are_utf16_text_strings(dossier: bytes) -> None:
    specs = dict(_embedded_specs(_reader(dossier)))
    uf = specs["001-客服回复邮件.eml"].get_object()["/UF"]
    assert isinstance(uf, generic.TextStringObject)
    assert uf.autodetected_encoding is generic.TextStringEncoding.UTF16BE
    assert uf.original_bytes == b"\xfe\xff" + "001-客服回复邮件.eml".encode("utf-16-be")


def test_no_image_is_interpolated_or_cmyk(dossier: bytes) -> None:
    images = [o for o in _reachable(_reader(dossier)) if o.get("/Subtype") == "/Image"]
    assert images  # the photo, the PDF page preview and its soft mask, if any
    for image in images:
        assert image.get("/Interpolate", False) is False
        assert image.get("/ColorSpace") != "/DeviceCMYK"


def test_every_annotation_is_printed_and_visible(dossier: bytes) -> None:
    annotations = [
        page["/Annots"][i]
        for page in _reachable(_reader(dossier))
        if page.get("/Type") == "/Page" and "/Annots" in page
        for i in range(len(page["/Annots"]))
    ]
    assert any(a["/Subtype"] == "/Link" for a in annotations)
    for annotation in annotations:
        flags = annotation["/F"]
        assert flags & PRINT_FLAG, annotation
        assert not flags & HIDING_FLAGS, annotation
        x1, y1, x2, y2 = annotation["/Rect"]
        if annotation["/Subtype"] not in ("/Link", "/Popup") and (x1 != x2 or y1 != y2):
            assert set(annotation["/AP"]) == {"/N"}  # 6.3.3: zero-area ones need none
        if annotation["/Subtype"] == "/Widget":
            assert "/A" not in annotation  # 6.4.1
            assert "/AA" not in annotation


def test_signature_fields_are_printed_locked_and_need_no_rendering(dossier: bytes) -> None:
    root = _reader(dossier).root
    assert "/NeedsRendering" not in root
    assert "/Requirements" not in root
    if "/AcroForm" not in root:
        return
    form = root["/AcroForm"]
    assert not form.get("/NeedAppearances", False)
    assert "/XFA" not in form
    fields = form["/Fields"]
    assert len(fields) >= 1
    for index in range(len(fields)):
        field = fields[index]
        assert field["/FT"] == "/Sig"
        assert field["/F"] == 132  # print + locked
        assert "/AA" not in field


def test_every_font_is_embedded(dossier: bytes) -> None:
    descriptors = [o for o in _reachable(_reader(dossier)) if o.get("/Type") == "/FontDescriptor"]
    assert descriptors
    for descriptor in descriptors:
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), descriptor


def test_no_javascript_forbidden_actions_or_external_content(dossier: bytes) -> None:
    reader = _reader(dossier)
    assert "/JavaScript" not in reader.root.get("/Names", {})
    assert "/AA" not in reader.root
    assert "/OpenAction" not in reader.root
    assert "/AlternatePresentations" not in reader.root.get("/Names", {})
    for obj in _reachable(reader):
        assert "/JS" not in obj
        assert "/AA" not in obj
        assert "/PresSteps" not in obj
        actions = [obj["/A"]] if "/A" in obj else []
        while actions:
            action = actions.pop()
            if "/Next" in action:  # an action's /Next is one action or an array of them
                following = action["/Next"]
                if isinstance(following, generic.ArrayObject):
                    actions.extend(following[i] for i in range(len(following)))
                else:
                    actions.append(following)
            assert action["/S"] in ALLOWED_ACTIONS
            if action["/S"] == "/Named":
                assert action["/N"] in ALLOWED_NAMED_ACTIONS
            if action["/S"] == "/URI":  # allowed by PDF/A-3; ours only point at the web
                assert str(action["/URI"]).startswith(("https://", "http://"))
        if isinstance(obj, generic.StreamObject):
            assert not {"/F", "/FFilter", "/FDecodeParms"} & set(obj)  # no external streams
        if obj.get("/Subtype") == "/Form":
            assert "/Ref" not in obj
            assert "/OPI" not in obj
        assert obj.get("/Subtype") != "/PS"


def test_media_types_become_pdf_names() -> None:
    assert media_type_name("application/pdf") == "/application#2fpdf"
    assert media_type_name("text/plain; charset=utf-8") == "/text#2fplain"
    assert media_type_name("not a type (really)") == "/application#2foctet-stream"


def test_file_name_fallback_is_ascii() -> None:
    assert ascii_file_name("001-客服回复邮件.eml") == "001-______.eml"
    assert ascii_file_name("002-Café (2).txt") == "002-Cafe (2).txt"


def _cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (40, 30), (0, 128, 255, 0)).save(out, "JPEG")
    return out.getvalue()


def test_cmyk_photo_is_converted_to_rgb_for_the_pdf() -> None:
    [rendition] = render_exhibit(_cmyk_jpeg(), "image/jpeg")
    assert rendition.media_type == "image/jpeg"
    assert Image.open(io.BytesIO(rendition.data)).mode == "RGB"


def test_dossier_with_a_cmyk_photo_draws_no_cmyk(zh_context: DossierContext) -> None:
    photo = next(item for item in zh_context.evidence if item.kind == "image")
    cmyk = replace(photo, images=[ImageRef("image/jpeg", _cmyk_jpeg(), "CMYK")])
    ctx = replace(zh_context, evidence=[cmyk])
    reader = _reader(render_pdf(ctx))
    spaces = [o.get("/ColorSpace") for o in _reachable(reader) if o.get("/Subtype") == "/Image"]
    assert spaces
    assert "/DeviceCMYK" not in spaces
