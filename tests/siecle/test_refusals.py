"""Every refusal of « Récupérer les données des élèves » leaves the base exactly as it was.

Each bad input goes through the whole import (prepare, then apply if prepare
let it through) into a base that already holds students: the French message
and its code come back, the base dump is unchanged and no success is journaled.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from app.demo.siecle import build_siecle_zip, generate_siecle
from app.errors import PasserelleError
from app.services import journal
from app.services import students_import as si
from app.services.context import AppContext

from .builders import UAI, Eleve, eleves_xml, head, write
from .conftest import dump

FIXTURES = Path(__file__).parent.parent / "fixtures" / "siecle"
STUDENT_OPTIONS = si.ImportOptions(
    donnees=frozenset({si.DataChoice.ELEVES, si.DataChoice.STRUCTURES, si.DataChoice.OPTIONS})
)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _encrypted_zip(year: int) -> bytes:
    data = bytearray(build_siecle_zip(eleves_xml([Eleve("1", "A", "B")], year)))
    # Set the "encrypted" flag (bit 0) in the local and central headers: what a
    # password-protected ZIP looks like to a reader.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 1
    return bytes(data)


def _students(year: int) -> bytes:
    return eleves_xml([Eleve("1", "LEBŒUF", "Anaïs", ine="123456789AB"),
                       Eleve("2", "MARTIN", "Noé")], year)  # fmt: skip


def _with_doctype(year: int, doctype: str) -> bytes:
    body = _students(year).split(b"?>", 1)[1]
    return b'<?xml version="1.0" encoding="ISO-8859-15"?>\n' + doctype.encode() + body


BILLION = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
    for i in range(1, 10)
)

# name -> (builder(year) -> (file name, bytes), expected code)
CASES: dict[str, tuple[Callable[[int], tuple[str, bytes]], str]] = {
    "zero_octet": (lambda y: ("ElevesAvecAdresses.xml", b""), "FICHIER_VIDE"),
    "texte": (lambda y: ("eleves.xml", b"Bonjour, voici les eleves.\n"), "XML_INVALIDE"),
    "tronque_en_tete": (lambda y: ("e.xml", _students(y)[:120]), "XML_INVALIDE"),
    "tronque_au_milieu": (
        lambda y: ("e.xml", generate_siecle(UAI, y, 60, seed=3).eleves[:30000]),
        "XML_INVALIDE",
    ),
    "doctype": (lambda y: ("e.xml", _with_doctype(y, "<!DOCTYPE BEE_ELEVES>")), "XML_DOCTYPE"),
    "entite_externe": (
        lambda y: (
            "e.xml",
            _with_doctype(y, '<!DOCTYPE BEE_ELEVES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
        ),
        "XML_DOCTYPE",
    ),
    "billion_laughs": (
        lambda y: ("e.xml", _with_doctype(y, f"<!DOCTYPE BEE_ELEVES [{BILLION}]>")),
        "XML_DOCTYPE",
    ),
    "doctype_cache": (
        lambda y: (
            "e.xml",
            b'<?xml version="1.0"?>\n<!--'
            + b"x" * 6000
            + b"-->"
            + b'<!DOCTYPE BEE_ELEVES [<!ENTITY a "b">]>'
            + _students(y).split(b"?>", 1)[1],
        ),
        "XML_DOCTYPE",
    ),
    "entite_non_declaree": (
        lambda y: (
            "e.xml",
            head("BEE_ELEVES", y).encode("latin-1")
            + b"<ELEVES>&xxe;</ELEVES></DONNEES></BEE_ELEVES>",
        ),
        "XML_INVALIDE",
    ),
    "profondeur": (
        lambda y: (
            "e.xml",
            head("BEE_ELEVES", y).encode()
            + b"<A>" * 400
            + b"</A>" * 400
            + b"</DONNEES></BEE_ELEVES>",
        ),
        "XML_INVALIDE",
    ),
    "latin9_declare_utf8": (
        lambda y: ("e.xml", _students(y).replace(b'encoding="ISO-8859-15"', b'encoding="UTF-8"')),
        "XML_ENCODAGE",
    ),
    "latin9_sans_declaration": (
        lambda y: ("e.xml", _students(y).split(b"?>", 1)[1].lstrip()),
        "XML_ENCODAGE",
    ),
    "encodage_inconnu": (
        lambda y: (
            "e.xml",
            _students(y).replace(b'encoding="ISO-8859-15"', b'encoding="klingon-8"'),
        ),
        "XML_ENCODAGE_INCONNU",
    ),
    "zip_vide": (lambda y: ("vide.zip", zip_of({})), "ZIP_VIDE"),
    "zip_deux_fichiers": (
        lambda y: (
            "deux.zip",
            zip_of({"ElevesAvecAdresses.xml": _students(y), "Structures.xml": _students(y)}),
        ),
        "ZIP_PLUSIEURS",
    ),
    "zip_bombe": (
        lambda y: (
            "ExportXML_ElevesAvecAdresses.zip",
            zip_of({"ElevesAvecAdresses.xml": b"<" + b" " * 20_000_000 + b"/>"}),
        ),
        "ZIP_BOMBE",
    ),
    "zip_tronque": (
        lambda y: ("t.zip", build_siecle_zip(generate_siecle(UAI, y, 30, 1).eleves)[:900]),
        "ZIP_ENDOMMAGE",
    ),
    "zip_pas_xml": (
        lambda y: ("csv.zip", zip_of({"ElevesAvecAdresses.csv": b"a;b\n"})),
        "ZIP_PAS_XML",
    ),
    "zip_traversee": (
        lambda y: ("piege.zip", zip_of({"../../evil.xml": _students(y)})),
        "ZIP_VIDE",
    ),
    "zip_chiffre": (lambda y: ("chiffre.zip", _encrypted_zip(y)), "ZIP_CHIFFRE"),
    "fichier_sts": (
        lambda y: ("sts.xml", (FIXTURES / "sts_edt_par_erreur.xml").read_bytes()),
        "SIECLE_FICHIER_STS",
    ),
    "racine_inconnue": (
        lambda y: ("e.xml", b"<html><body>Erreur 500</body></html>"),
        "SIECLE_TYPE_INCONNU",
    ),
    "export_communs": (
        lambda y: ("c.xml", head("BEE_COMMUNS", y).encode() + b"</DONNEES></BEE_COMMUNS>"),
        "SIECLE_TYPE_NON_PRIS_EN_CHARGE",
    ),
    "sans_parametres": (
        lambda y: ("e.xml", b'<?xml version="1.0"?><BEE_ELEVES><DONNEES/></BEE_ELEVES>'),
        "SIECLE_SANS_PARAMETRES",
    ),
    "sans_uaj": (
        lambda y: ("e.xml", _students(y).replace(f"<UAJ>{UAI}</UAJ>".encode(), b"")),
        "SIECLE_SANS_UAJ",
    ),
    "lettre_uai_fausse": (
        lambda y: ("e.xml", _students(y).replace(b"<UAJ>0750654D", b"<UAJ>0750654E")),
        "SIECLE_UAJ_INVALIDE",
    ),
    "autre_etablissement": (
        lambda y: ("e.xml", _students(y).replace(b"<UAJ>0750654D", b"<UAJ>0590001F")),
        "SIECLE_UAI_DIFFERENT",
    ),
    "annee_precedente": (
        lambda y: (
            "e.xml",
            _students(y).replace(
                f"<ANNEE_SCOLAIRE>{y}".encode(), f"<ANNEE_SCOLAIRE>{y - 1}".encode()
            ),
        ),
        "SIECLE_ANNEE_DIFFERENTE",
    ),
    "annee_invalide": (
        lambda y: (
            "e.xml",
            _students(y).replace(f"<ANNEE_SCOLAIRE>{y}".encode(), b"<ANNEE_SCOLAIRE>2O25"),
        ),
        "SIECLE_ANNEE_INVALIDE",
    ),
}


@pytest.fixture
def populated(ctx: AppContext, year: int, tmp_path: Path) -> AppContext:
    """A base that already holds students, so « unchanged » means something."""
    path = write(
        tmp_path / "ok",
        "e.xml",
        eleves_xml(
            [Eleve("10", "DUPONT", "Jules", ine="999999999ZZ"), Eleve("11", "PETIT", "Zoé")], year
        ),
    )
    preview = si.prepare(ctx.db, UAI, si.FromFiles((path,)), STUDENT_OPTIONS)
    si.apply(ctx.db, preview)
    preview.close()
    return ctx


def attempt(ctx: AppContext, paths: tuple[Path, ...]) -> PasserelleError:
    """The whole import, as the window or the CLI run it; must be refused."""
    with pytest.raises(PasserelleError) as info:
        preview = si.prepare(ctx.db, UAI, si.FromFiles(paths), STUDENT_OPTIONS)
        try:
            si.apply(ctx.db, preview)
        finally:
            preview.close()
    return info.value


def _successes(ctx: AppContext) -> int:
    return sum(
        1
        for e in journal.entries(ctx.db)
        if e.nature == "import_siecle" and e.resultat in ("succes", "avertissement")
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_is_refused_and_changes_nothing(
    case: str, populated: AppContext, year: int, tmp_path: Path
) -> None:
    build, code = CASES[case]
    name, data = build(year)
    path = write(tmp_path / "mauvais", name, data)
    before = dump(populated.db)
    successes = _successes(populated)
    error = attempt(populated, (path,))
    assert error.code == code, error.message
    assert error.message and error.message[0].isupper()
    assert "Traceback" not in error.message and "Error" not in error.message
    assert dump(populated.db) == before
    assert _successes(populated) == successes


def test_two_eleves_files(populated: AppContext, year: int, tmp_path: Path) -> None:
    a = write(tmp_path, "a.xml", _students(year))
    b = write(tmp_path, "b.xml", _students(year))
    before = dump(populated.db)
    error = attempt(populated, (a, b))
    assert error.code == "SIECLE_FICHIERS_EN_DOUBLE" and "« a.xml »" in error.message
    assert dump(populated.db) == before


def test_no_file_and_missing_file(populated: AppContext, tmp_path: Path) -> None:
    before = dump(populated.db)
    assert attempt(populated, ()).code == "SIECLE_AUCUN_FICHIER"
    error = attempt(populated, (tmp_path / "absent.xml",))
    assert error.code == "FICHIER_ILLISIBLE" and "absent.xml" in error.message
    assert dump(populated.db) == before


def test_unknown_establishment(ctx: AppContext, tmp_path: Path, year: int) -> None:
    path = write(tmp_path, "e.xml", _students(year))
    with pytest.raises(PasserelleError) as info:
        si.prepare(ctx.db, "0590001F", si.FromFiles((path,)), STUDENT_OPTIONS)
    assert info.value.code == "UAI_INCONNU"


def test_refusals_cover_enough_bad_files() -> None:
    assert len(CASES) >= 25
