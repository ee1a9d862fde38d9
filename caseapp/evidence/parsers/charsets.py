"""Turn bytes of unknown or doubtful encoding into text, saying when it was a guess.

Chinese mail and chat exports lie about their encoding: "gb2312" labels on GBK or
UTF-8 bytes, "us-ascii" on Big5, no label at all on raw 8-bit headers. The rules here
are: a byte-order mark wins; a declared label is used when it decodes strictly and the
result is plausible; otherwise UTF-8, then detection (charset-normalizer); as a last
resort replacement characters. Every fallback leaves a short English warning, so a
reader of the evidence knows the text was recovered rather than read as declared.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from charset_normalizer import CharsetMatch, from_bytes

# Labels that name a subset of a wider codec: decode with the superset, which reads
# everything the subset does plus what real senders put in anyway.
_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gb2312-80": "gb18030",
    "x-gbk": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "euccn": "gb18030",
    "x-euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "cp950",
    "ms950": "cp950",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "euckr": "cp949",
    "cseuckr": "cp949",
    "korean": "cp949",
    "cp949": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "cp932": "cp932",
    "iso-2022-jp": "iso2022_jp_2",
    "csiso2022jp": "iso2022_jp_2",
    "hz-gb-2312": "hz",
    "hz": "hz",
    "x-hz": "hz",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Labels that say "some 8-bit bytes, nobody knows which": detect instead.
_UNKNOWN = {"unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined", "default", ""}

# When a codec fails strictly, a close relative is tried before anything else.
_FAMILY = {
    "gb18030": ("gb18030", "cp936"),
    "big5hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "cp1252": ("cp1252", "latin-1"),
}

_CJK = {"gb18030", "cp936", "big5hkscs", "cp950", "cp949", "cp932", "euc_jp", "hz", "iso2022_jp_2"}
_SEVEN_BIT = {"hz", "iso2022_jp_2", "utf-7", "utf-16", "utf-32"}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HIGH_BYTES = bytes(range(0x80, 0x100))
# Fewer non-ASCII bytes than this cannot tell UTF-8 from a declared CJK codec apart.
_MIN_EVIDENCE_BYTES = 4
# Tried in this order, so that a tie goes to the likelier sender.
_CJK_CANDIDATES = ("gb18030", "big5hkscs", "cp932", "cp949")
_COMMON_ENOUGH = 0.85
_SCORE_SAMPLE = 4000
_DETECT_CANDIDATES = [
    "gb18030", "big5", "cp949", "cp932", "euc_jp", "cp1252", "cp1250", "cp1251",
    "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "iso8859_2",
    "koi8_r", "cp874",
]
# charset-normalizer is slow on big inputs; a sample decides as well as the whole.
_DETECT_SAMPLE = 64 * 1024


@dataclass(frozen=True)
class Decoded:
    """Text read from bytes, the codec that read it, and what was doubtful."""

    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def normalise_charset(label: str | None) -> str | None:
    """Return the Python codec to read a declared charset label with, or None.

    None means the label is missing, meaningless ("unknown-8bit") or unknown; the
    caller should detect. Subset labels map to their superset (gb2312 -> gb18030).
    """
    if label is None:
        return None
    key = label.strip().strip("\"'").lower()
    if key in _UNKNOWN:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        name = codecs.lookup(key).name
    except (LookupError, ValueError):
        return None
    return _ALIASES.get(name.replace("_", "-"), name)


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode `data`, trusting `declared` only as far as the bytes bear it out."""
    decoded = _decode(data, declared)
    if decoded.encoding.startswith("utf-8"):
        repaired = _undo_double_encoding(decoded.text, normalise_charset(declared))
        if repaired is not None:
            note = f"text was {repaired.encoding} mis-saved as latin-1 in utf-8; repaired"
            return Decoded(repaired.text, repaired.encoding, [*decoded.warnings, note])
    return decoded


def _decode(data: bytes, declared: str | None) -> Decoded:
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return _decode_lossy(data, bom_codec, [])
    codec = normalise_charset(declared)
    label = (declared or "").strip().lower()
    if data.isascii() and (codec is None or codec not in _SEVEN_BIT):
        return _decode_ascii(data, codec)

    if codec is not None:
        used = _strict_family(data, codec)
        if used is not None:
            text, name = used
            better = _better_than_declared(data, name)
            if better is None:
                return Decoded(text, name, [])
            return Decoded(
                better.text, better.encoding,
                [f"declared charset {label} looked wrong; decoded as {better.encoding}"],
            )

    if _is_utf8(data):
        warnings = [f"declared charset {label} did not fit; decoded as utf-8"] if label else []
        return Decoded(data.decode("utf-8"), "utf-8", warnings)

    guess = _guess_cjk(data) or _detect(data)
    if guess is not None:
        if label:
            note = f"declared charset {label} did not fit; detected {guess.encoding}"
        else:
            note = f"no charset declared; detected {guess.encoding}"
        return Decoded(guess.text, guess.encoding, [note])

    fallback = codec or "utf-8"
    return _decode_lossy(data, fallback, [f"could not tell the charset; read as {fallback}"])


def _undo_double_encoding(text: str, codec: str | None) -> Decoded | None:
    """Recover CJK text that was read as latin-1 and saved again as UTF-8.

    Archives and converters do this to raw 8-bit mail: Big5 bytes become "¤j®a".
    Only text made of latin-1 characters alone can be such mojibake, and only a
    reading of those bytes made of common CJK characters is taken as the repair.
    """
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return None  # real characters beyond latin-1: not this kind of mojibake
    if len(raw) - len(raw.translate(None, _HIGH_BYTES)) < _MIN_EVIDENCE_BYTES:
        return None
    if codec in _CJK:
        used = _strict_family(raw, codec)
        if used is not None and _commonness(used[0]) >= _COMMON_ENOUGH:
            return Decoded(used[0], used[1])
    return _guess_cjk(raw)


def _decode_ascii(data: bytes, codec: str | None) -> Decoded:
    """Pure 7-bit bytes: plain ASCII, unless they carry HZ or ISO-2022 shifts."""
    if b"~{" in data:
        shifted = _try(data, "hz")
        if shifted is not None and shifted != data.decode("ascii"):
            warnings = [] if codec == "hz" else ["no charset declared; detected hz"]
            return Decoded(shifted, "hz", warnings)
    if b"\x1b$" in data or b"\x1b(" in data:
        shifted = _try(data, "iso2022_jp_2")
        if shifted is not None:
            return Decoded(shifted, "iso2022_jp_2", [])
    return Decoded(data.decode("ascii"), codec or "ascii", [])


def _strict_family(data: bytes, codec: str) -> tuple[str, str] | None:
    for name in _FAMILY.get(codec, (codec,)):
        text = _try(data, name)
        if text is not None:
            return text, name
    return None


def _better_than_declared(data: bytes, codec: str) -> Decoded | None:
    """A decoding that beats the declared one although the declared one decoded.

    Single-byte codecs decode any bytes, and UTF-8 Chinese often decodes as GB18030
    without error, so "it decoded" does not prove the label right.
    """
    if codec.startswith("utf"):
        return None
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    if high >= _MIN_EVIDENCE_BYTES and _is_utf8(data):
        return Decoded(data.decode("utf-8"), "utf-8")
    if codec in _CJK or high < _MIN_EVIDENCE_BYTES:
        return None
    # Only ask the (slower) detector when some CJK reading looks like real text.
    guess = _guess_cjk(data)
    if guess is None:
        return None
    detected = _detect(data, also=codec)
    return guess if detected is not None and detected.encoding in _CJK else None


def _guess_cjk(data: bytes) -> Decoded | None:
    """The CJK codec whose strict reading is made of common characters, if any.

    Statistical detectors need long texts; a Subject line is a dozen characters. A
    wrong CJK codec still decodes, but into rare characters, so counting how many of
    the characters are common ones tells the right codec apart even on short text.
    """
    best: tuple[float, str, str] | None = None
    for codec in _CJK_CANDIDATES:
        text = _try(data, codec)
        if text is None:
            continue
        if not _enough_evidence(text):
            return None
        score = _commonness(text)
        if best is None or score > best[0]:
            best = (score, text, codec)
    if best is None or best[0] < _COMMON_ENOUGH:
        return None
    return Decoded(best[1], best[2])


def _enough_evidence(text: str) -> bool:
    """One stray high byte in ASCII text is noise, not a CJK character."""
    foreign = 0
    for char in text:
        if not char.isascii():
            foreign += 1
            if foreign >= 2:
                return True
    return foreign * 4 >= len(text.strip())


def _commonness(text: str) -> float:
    """Share of the non-ASCII characters that everyday CJK writing uses."""
    common = total = 0
    for char in text:
        if char.isascii():
            continue
        total += 1
        common += _is_common(char)
        if total >= _SCORE_SAMPLE:
            break
    return common / total if total else 0.0


def _is_common(char: str) -> bool:
    point = ord(char)
    if 0x3000 <= point <= 0x30FF or 0xFF01 <= point <= 0xFF5E:
        return True  # CJK punctuation, kana, full-width forms
    if 0x4E00 <= point <= 0x9FFF:
        return _in_range(char, "gb2312", 0xB0A1, 0xD7FE) or _in_range(char, "big5", 0xA440, 0xC67E)
    if 0xAC00 <= point <= 0xD7A3:
        return _in_range(char, "euc_kr", 0xB0A1, 0xC8FE)
    return False


def _in_range(char: str, codec: str, low: int, high: int) -> bool:
    """Whether `char` sits in the frequently-used block of a national charset."""
    try:
        encoded = char.encode(codec)
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and low <= int.from_bytes(encoded, "big") <= high


def _detect(data: bytes, also: str | None = None) -> Decoded | None:
    """charset-normalizer's best guess, read strictly with our superset codecs.

    The candidates are limited to encodings people actually send: left to itself the
    detector reads short Latin-1 text as Urdu (cp1006) and the like. Ties go to the
    earlier candidate, so plain Western text stays cp1252.
    """
    candidates = [*_DETECT_CANDIDATES, also] if also else _DETECT_CANDIDATES
    try:
        matches = list(from_bytes(data[:_DETECT_SAMPLE], cp_isolation=candidates))
    except Exception:  # noqa: BLE001 - a detector bug must not lose the evidence
        return None

    def rank(match: CharsetMatch) -> tuple[float, float, int]:
        order = candidates.index(match.encoding) if match.encoding in candidates else 99
        return (match.chaos, -match.coherence, order)

    for match in sorted(matches, key=rank):
        codec = normalise_charset(match.encoding) or match.encoding
        used = _strict_family(data, codec)
        if used is not None:
            return Decoded(used[0], used[1])
    return None


def _is_utf8(data: bytes) -> bool:
    return _try(data, "utf-8") is not None


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_lossy(data: bytes, codec: str, warnings: list[str]) -> Decoded:
    text = data.decode(codec, errors="replace")
    if "\ufffd" in text and not warnings:
        warnings = [f"some bytes were not valid {codec} and were replaced"]
    return Decoded(text, codec, warnings)
