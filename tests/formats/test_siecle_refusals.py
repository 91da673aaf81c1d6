"""Bad inputs of the SIECLE readers: each is refused with a stable code and a French message.

Hostile XML, broken archives, wrong encodings, wrong school or year, and each
trap of siecle-formats.md. Inputs are built here (or read from the small
hand-written fixtures in tests/fixtures/siecle), never copied from elsewhere.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from app.demo.siecle import build_siecle_zip, generate_siecle
from app.formats.errors import FormatError
from app.formats.siecle import (
    ElevesFile,
    NomenclaturesFile,
    ResponsablesFile,
    StructuresFile,
    analyse,
    read_eleves,
    read_siecle,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "siecle"
UAI = "0750654D"
YEAR = 2025


def siecle_xml(
    body: str = "",
    *,
    root: str = "BEE_ELEVES",
    params: str = f"<UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>{YEAR}</ANNEE_SCOLAIRE>",
    prolog: str = '<?xml version="1.0" encoding="ISO-8859-15"?>\n',
    encoding: str = "iso-8859-15",
) -> bytes:
    text = f"{prolog}<{root} VERSION=\"3.0\"><PARAMETRES>{params}</PARAMETRES>"
    text += f"<DONNEES>{body}</DONNEES></{root}>"
    return text.encode(encoding)


ONE_STUDENT = (
    '<ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>LEBŒUF</NOM_DE_FAMILLE><PRENOM>Anaïs</PRENOM>'
    "<DATE_NAISS>01/02/2012</DATE_NAISS><CODE_SEXE>2</CODE_SEXE>"
    "<ID_NATIONAL>123456789AB</ID_NATIONAL></ELEVE></ELEVES>"
)


def consume(source: bytes | Path, **kwargs: object) -> None:
    """Open and read every record, as an import would."""
    with read_siecle(source, **kwargs) as opened:  # type: ignore[arg-type]
        if isinstance(opened, ElevesFile):
            list(opened.students())
        elif isinstance(opened, ResponsablesFile):
            list(opened.persons())
            list(opened.links())
        elif isinstance(opened, NomenclaturesFile | StructuresFile):
            opened.read()


def refused(source: bytes | Path, code: str, *fragments: str, **kwargs: object) -> FormatError:
    with pytest.raises(FormatError) as info:
        consume(source, **kwargs)
    assert info.value.code == code, info.value.message
    for fragment in fragments:
        assert fragment in info.value.message, info.value.message
    return info.value


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


# --- not a file / not XML -------------------------------------------------------------------


def test_zero_byte_file(tmp_path: Path) -> None:
    refused(write(tmp_path, "ElevesAvecAdresses.xml", b""), "FICHIER_VIDE",
            "« ElevesAvecAdresses.xml » est vide", "0 octet")  # fmt: skip


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "absent.xml", "FICHIER_ILLISIBLE", "Impossible de lire", "absent.xml")


def test_plain_text_is_not_xml() -> None:
    refused(b"Bonjour, voici les eleves.\n", "XML_INVALIDE", "XML")


def test_truncated_xml_gives_no_student() -> None:
    data = generate_siecle(UAI, YEAR, 20, seed=1).eleves
    handed_out: list[object] = []
    with read_eleves(data[: len(data) // 2]) as opened, pytest.raises(FormatError) as info:
        # Pass 1 reads the whole file before the first student is handed out.
        handed_out.extend(opened.students())
    assert handed_out == []
    assert info.value.code == "XML_INVALIDE"
    assert "tronqué" in info.value.message


def test_depth_bomb() -> None:
    deep = "<A>" * 400 + "</A>" * 400
    refused(siecle_xml(deep), "XML_INVALIDE", "profondeur")


def test_undeclared_entity() -> None:
    refused(siecle_xml("<ELEVES>&xxe;</ELEVES>"), "XML_INVALIDE", "XML")


# --- hostile XML ----------------------------------------------------------------------------


def test_external_entity_file_passwd() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE BEE_ELEVES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + siecle_xml("<ELEVES><ELEVE ELEVE_ID='1'><NOM>&xxe;</NOM></ELEVE></ELEVES>", prolog="")
    )
    error = refused(data, "XML_DOCTYPE", "DOCTYPE", "refusé")
    assert "root:" not in error.message


def test_billion_laughs() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    data = f'<?xml version="1.0"?><!DOCTYPE BEE_ELEVES [{entities}]>'.encode() + siecle_xml(
        "<ELEVES><ELEVE ELEVE_ID='1'><NOM>&lol9;</NOM></ELEVE></ELEVES>", prolog=""
    )
    refused(data, "XML_DOCTYPE", "ENTITY")


def test_doctype_hidden_after_long_comments() -> None:
    # The prolog probe reads 4 KB; the DOCTYPE comes later and is still refused, before
    # any record is used.
    padding = "<!--" + "x" * 6000 + "-->\n"
    data = f'<?xml version="1.0"?>\n{padding}<!DOCTYPE BEE_ELEVES [<!ENTITY a "b">]>'.encode()
    data += siecle_xml(ONE_STUDENT, prolog="")
    refused(data, "XML_DOCTYPE", "DOCTYPE")


# --- encodings -------------------------------------------------------------------------------


def test_latin9_bytes_declared_utf8() -> None:
    data = siecle_xml(ONE_STUDENT, prolog='<?xml version="1.0" encoding="UTF-8"?>\n')
    refused(data, "XML_ENCODAGE", "déclare l'encodage « UTF-8 »", "export SIECLE d'origine")


def test_latin9_bytes_without_declaration() -> None:
    data = siecle_xml(ONE_STUDENT, prolog="")
    refused(data, "XML_ENCODAGE", "ne déclare pas son encodage", "ISO-8859-15")


def test_unknown_declared_encoding() -> None:
    data = siecle_xml(ONE_STUDENT, prolog='<?xml version="1.0" encoding="klingon-8"?>\n')
    refused(data, "XML_ENCODAGE_INCONNU", "« klingon-8 »", "pas pris en charge")


# --- archives --------------------------------------------------------------------------------


def test_zip_bomb_high_ratio(tmp_path: Path) -> None:
    # 20 MB of one repeated byte: deflate ratio near 1000, far above any real export.
    bomb = zip_of({"ElevesAvecAdresses.xml": b"<" + b" " * 20_000_000 + b"/>"})
    refused(write(tmp_path, "ExportXML_ElevesAvecAdresses.zip", bomb), "ZIP_BOMBE",
            "anormalement compressée")  # fmt: skip


def test_zip_without_member(tmp_path: Path) -> None:
    refused(write(tmp_path, "vide.zip", zip_of({})), "ZIP_VIDE", "aucun fichier")


def test_zip_with_two_members(tmp_path: Path) -> None:
    export = generate_siecle(UAI, YEAR, 3, seed=2)
    data = zip_of({"ElevesAvecAdresses.xml": export.eleves, "Structures.xml": export.structures})
    refused(write(tmp_path, "deux.zip", data), "ZIP_PLUSIEURS", "plusieurs fichiers",
            "ElevesAvecAdresses.xml")  # fmt: skip


def test_zip_with_parent_traversal_member(tmp_path: Path) -> None:
    target = tmp_path / "dossier"
    target.mkdir()
    data = zip_of({"../../evil.xml": generate_siecle(UAI, YEAR, 2, seed=3).eleves})
    refused(write(target, "piege.zip", data), "ZIP_VIDE", "aucun fichier")
    assert not (tmp_path.parent / "evil.xml").exists()
    assert not (tmp_path / "evil.xml").exists()


def test_zip_with_absolute_member_is_read_without_writing_there(tmp_path: Path) -> None:
    victim = tmp_path / "victime.xml"
    data = zip_of({str(victim): generate_siecle(UAI, YEAR, 2, seed=3).eleves})
    summary = analyse(write(tmp_path, "absolu.zip", data))
    assert summary.counts["eleves"] == 2
    assert not victim.exists()  # the member name is never used as a path


def test_truncated_zip(tmp_path: Path) -> None:
    data = build_siecle_zip(generate_siecle(UAI, YEAR, 30, seed=4).eleves)
    refused(write(tmp_path, "tronque.zip", data[: len(data) // 2]), "ZIP_ENDOMMAGE",
            "endommagée")  # fmt: skip


@pytest.mark.parametrize("where", ["local", "central"])
def test_zip_member_name_flagged_utf8_but_not(tmp_path: Path, where: str) -> None:
    # Found by the fuzz test: zipfile raised UnicodeDecodeError instead of a refusal.
    name = b"ElevesAvecAdresses.xml"
    data = bytearray(zip_of({name.decode(): generate_siecle(UAI, YEAR, 2, seed=5).eleves}))
    signature = b"PK\x03\x04" if where == "local" else b"PK\x01\x02"
    header = data.index(signature)
    flags = header + (6 if where == "local" else 8)
    data[flags] |= 0x08  # general purpose bit 11 (0x0800): the name is UTF-8
    data[flags + 1] |= 0x08
    start = data.index(name, header)
    data[start + 3] = 0xED  # an invalid UTF-8 sequence in the name
    refused(write(tmp_path, "nom.zip", bytes(data)), "ZIP_ENDOMMAGE")


def test_zip_holding_a_non_xml(tmp_path: Path) -> None:
    data = zip_of({"ElevesAvecAdresses.csv": b"NOM;PRENOM\n"})
    refused(write(tmp_path, "csv.zip", data), "ZIP_PAS_XML", "ElevesAvecAdresses.csv")


# --- not the expected SIECLE file -----------------------------------------------------------


def test_sts_file_given_by_mistake() -> None:
    refused(FIXTURES / "sts_edt_par_erreur.xml", "SIECLE_FICHIER_STS", "STSWEB", "STS_EDT",
            "pas une exportation SIECLE")  # fmt: skip


def test_unknown_root() -> None:
    refused(b"<html><body>Erreur 500</body></html>", "SIECLE_TYPE_INCONNU", "« html »",
            "BEE_ELEVES")  # fmt: skip


def test_namespaced_root_is_not_siecle() -> None:
    data = siecle_xml("", root="x:BEE_ELEVES").replace(
        b"<x:BEE_ELEVES ", b'<x:BEE_ELEVES xmlns:x="urn:x" '
    )
    refused(data, "SIECLE_TYPE_INCONNU", "racine")


def test_other_bee_export() -> None:
    refused(siecle_xml("", root="BEE_COMMUNS"), "SIECLE_TYPE_NON_PRIS_EN_CHARGE", "BEE_COMMUNS")


def test_wrong_kind_for_typed_reader() -> None:
    data = generate_siecle(UAI, YEAR, 2, seed=5).responsables
    with pytest.raises(FormatError) as info:
        read_eleves(data, name="ResponsablesAvecAdresses.xml")
    assert info.value.code == "SIECLE_TYPE_INATTENDU"
    assert "export Responsables" in info.value.message
    assert "export Élèves (BEE_ELEVES) est attendu" in info.value.message


def test_missing_parametres() -> None:
    data = b'<?xml version="1.0"?><BEE_ELEVES><DONNEES><ELEVES/></DONNEES></BEE_ELEVES>'
    refused(data, "SIECLE_SANS_PARAMETRES", "PARAMETRES")


def test_missing_uaj() -> None:
    refused(siecle_xml(params="<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>"), "SIECLE_SANS_UAJ",
            "numéro UAI")  # fmt: skip


def test_bad_check_letter() -> None:
    data = siecle_xml(params="<UAJ>0750654E</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>")
    refused(data, "SIECLE_UAJ_INVALIDE", "0750654E", "lettre de contrôle", "« D »")


def test_malformed_uaj() -> None:
    data = siecle_xml(params="<UAJ>075-654</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>")
    refused(data, "SIECLE_UAJ_INVALIDE", "7 chiffres")


def test_other_establishment() -> None:
    refused(siecle_xml(ONE_STUDENT), "SIECLE_UAI_DIFFERENT", "0750654D", "0590001F",
            expected_uai="0590001F")  # fmt: skip


def test_expected_uai_compared_after_normalisation() -> None:
    consume(siecle_xml(ONE_STUDENT), expected_uai=" 0750654d ")


def test_other_school_year() -> None:
    refused(siecle_xml(ONE_STUDENT), "SIECLE_ANNEE_DIFFERENTE",
            "Ce fichier concerne l'année 2025-2026, la base est en 2026-2027",
            "l'an dernier", expected_year=2026)  # fmt: skip


def test_next_school_year() -> None:
    refused(siecle_xml(ONE_STUDENT), "SIECLE_ANNEE_DIFFERENTE", "année en préparation",
            expected_year=2024)  # fmt: skip


@pytest.mark.parametrize("value", ["2O25", "", "25", "1899"])
def test_invalid_year(value: str) -> None:
    data = siecle_xml(params=f"<UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>{value}</ANNEE_SCOLAIRE>")
    refused(data, "SIECLE_ANNEE_INVALIDE", "année scolaire", "quatre chiffres")


# --- the refusal happens before any record is used --------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d.replace(b"<UAJ>0750654D", b"<UAJ>0590001F"), "SIECLE_UAI_DIFFERENT"),
        (lambda d: d.replace(b"<ANNEE_SCOLAIRE>2025", b"<ANNEE_SCOLAIRE>2024"),
         "SIECLE_ANNEE_DIFFERENTE"),
    ],
)
def test_header_refusal_is_immediate(mutate: Callable[[bytes], bytes], code: str) -> None:
    data = mutate(generate_siecle(UAI, YEAR, 5, seed=6).eleves)
    # Cut the file right after PARAMETRES: the header alone decides.
    cut = data[: data.index(b"</PARAMETRES>") + len(b"</PARAMETRES>")]
    with pytest.raises(FormatError) as info:
        read_siecle(cut, expected_uai=UAI, expected_year=YEAR)
    assert info.value.code == code
