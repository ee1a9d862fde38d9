"""Read plain text files of any encoding (UTF-8/16 with BOM, GBK, GB18030, Big5, HZ...)."""

from __future__ import annotations

from caseapp.evidence.parsers.base import Limits, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes


def parse_text(data: bytes, limits: Limits) -> ParseResult:
    """Decode the text (the encoding is detected, never assumed) and count its lines."""
    decoded = decode_bytes(data)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    warnings = list(decoded.warnings)
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    if len(text) > limits.max_text_chars:
        warnings.append(f"only the first {limits.max_text_chars} characters were kept")
        text = text[: limits.max_text_chars]
    return ParseResult(
        kind="text",
        parsed={"encoding": decoded.encoding, "lines": lines},
        text=text,
        warnings=warnings,
    )
