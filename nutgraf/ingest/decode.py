"""Bytes to text: byte-order marks, UTF-8, a declared charset, then detection.

Anything that is not text (NUL bytes outside UTF-16, the magic number of a PDF, archive or
image, a high share of control characters) is refused as a binary file.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from ..errors import InputError

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Office document"),
    (b"\x7fELF", "executable"),
    (b"ID3", "MP3 audio"),
    (b"OggS", "Ogg media"),
)

_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

# What Western European text in Windows-1252 holds beyond ASCII: Latin letters and the
# typographic marks word processors put in (curly quotes, dashes, ellipsis, euro sign).
_WESTERN_EXTRA = set("‘’‚“”„–—…•€™«»°·×§¶©®±£¥¢¡¿ ")


def decode(data: bytes, declared: str | None = None) -> str:
    """Decode ``data``; ``declared`` is a charset from an HTTP header, if any."""
    if not data.strip():
        raise InputError("empty file")
    magic = _magic_kind(data)
    if magic:
        raise InputError(f"binary file ({magic})")
    text = _decode(data, declared or _declared_in_markup(data))
    if _looks_binary(text):
        raise InputError("binary file")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("empty file")
    return text


def _decode(data: bytes, declared: str | None) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in data:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise InputError("binary file")
        return data.decode(encoding, errors="replace")
    for encoding in ("utf-8", _canonical(declared)):
        if encoding:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    western = _plausible_cp1252(data)
    if western is not None:
        return western
    best = from_bytes(data).best()
    if best is None:
        raise InputError("binary file")
    return str(best)


def _magic_kind(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "media file"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text that is mostly ASCII has a NUL in every other byte, on one side only."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    even_nul = even.count(0) / max(len(even), 1)
    odd_nul = odd.count(0) / max(len(odd), 1)
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _declared_in_markup(data: bytes) -> str | None:
    """The charset of ``<meta charset>`` or an XML declaration near the top."""
    head = data[:4096]
    if not head.lstrip().startswith(b"<"):
        return None
    match = _DECLARED.search(head)
    return match.group(1).decode("ascii") if match else None


def _canonical(declared: str | None) -> str | None:
    if not declared:
        return None
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None
    # Browsers read a declared Latin-1 as Windows-1252; so do the pages that declare it.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _plausible_cp1252(data: bytes) -> str | None:
    """Windows-1252 when the result reads as Western text, which detectors often miss
    on short files (guessing Baltic or Central European code pages instead)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    extra = [c for c in text if ord(c) > 127]
    letters = sum(c.isalpha() for c in text)
    foreign = [c for c in extra if c not in _WESTERN_EXTRA and not _latin_letter(c)]
    if foreign or len(extra) > 0.2 * max(letters, 1):
        return None
    return text


def _latin_letter(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN ")


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    return controls > 0.02 * len(sample)
