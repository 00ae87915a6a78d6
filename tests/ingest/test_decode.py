import codecs
from pathlib import Path

import pytest

from nutgraf.errors import InputError
from nutgraf.ingest.decode import decode

FIXTURES = Path(__file__).parent / "fixtures"
WESTERN = (
    "Café owners in Zürich said the “smart” plan was déjà vu — again.\n"
    "The mayor’s office answered.\n"
)


def test_utf8_with_and_without_bom():
    assert decode("naïve résumé\n".encode()) == "naïve résumé\n"
    assert decode(codecs.BOM_UTF8 + "naïve\n".encode()) == "naïve\n"


def test_cp1252_is_decoded_not_guessed_as_another_code_page():
    assert decode(WESTERN.encode("cp1252")) == WESTERN
    assert "€2.40" in decode((FIXTURES / "cp1252.txt").read_bytes())


def test_latin1_text():
    assert (
        decode("Les élèves du lycée ont gagné.\n".encode("latin-1"))
        == "Les élèves du lycée ont gagné.\n"
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32(encoding):
    assert decode(WESTERN.encode(encoding)) == WESTERN


def test_fixture_utf16_files():
    for name in ("utf16.txt", "utf16-nobom.txt"):
        assert "children’s ward" in decode((FIXTURES / name).read_bytes())


def test_declared_charset_is_used_when_utf8_fails():
    text = "Привет, как дела? Всё хорошо, спасибо.\n"
    assert decode(text.encode("cp1251"), declared="windows-1251") == text


def test_charset_in_meta_tag():
    html = '<html><head><meta charset="windows-1251"></head><body>Новости дня</body></html>'
    assert "Новости дня" in decode(html.encode("cp1251"))


def test_line_endings_normalised():
    assert decode(b"one\r\ntwo\rthree\n") == "one\ntwo\nthree\n"


@pytest.mark.parametrize("data", [b"", b"   \n\t  \n", "\ufeff  \n".encode()])
def test_empty(data):
    with pytest.raises(InputError, match="^empty file$"):
        decode(data)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "ZIP archive"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "media file"),
    ],
)
def test_magic_numbers(data, kind):
    with pytest.raises(InputError, match=f"^binary file \\({kind}\\)$"):
        decode(data)


def test_random_bytes_and_control_characters_are_binary():
    with pytest.raises(InputError, match="^binary file$"):
        decode((FIXTURES / "binary.txt").read_bytes())
    with pytest.raises(InputError, match="^binary file$"):
        decode(bytes(range(1, 32)) * 50)
