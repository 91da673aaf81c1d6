"""Reading STS_EDT (STS-Web export) and EDT_STS (timetable) files, and every refusal."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from app.demo.sts import generate_sts_edt
from app.domain.sts import IndividuType
from app.domain.timetable import StructureKind
from app.formats.errors import FormatError
from app.formats.sts import detect_kind, read_edt_sts, read_sts_edt, read_sts_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sts"
STS_FILE = FIXTURES / "sts_emp_0771991W_2025.xml"
EDT_FILE = FIXTURES / "emp_sts_0771991W_2025.xml"
UAI = "0771991W"
OTHER_UAI = "0332490C"


def _refused(code: str, func: object, *args: object, **kwargs: object) -> FormatError:
    with pytest.raises(FormatError) as info:
        func(*args, **kwargs)  # type: ignore[operator]
    assert info.value.code == code, info.value.message
    return info.value


# ------------------------------------------------------------------ STS_EDT


def test_sts_fixture_is_read_with_trimmed_values() -> None:
    data = read_sts_edt(STS_FILE, expected_uai=UAI, expected_year=2025)
    assert (data.uai, data.annee) == (UAI, 2025)  # UAJ/@CODE and ANNEE_SCOLAIRE/@ANNEE
    assert [m.code for m in data.matieres] == ["020700", "061300", "081300"]
    franc = data.matieres[0]
    assert (franc.code_gestion, franc.libelle_long, franc.libelle_edition) == (
        "FRANC",
        "FRANCAIS",
        "Français",
    )
    mods = {m.code: m for m in data.mods_cours}
    assert mods["CG"].co_ens is False and mods["AI"].co_ens is True
    assert mods["TP"].co_ens is False  # absent CO_ENS means no co-teaching
    assert data.mefs[0].mefstat4 == "2116"

    zoe, noel, jean = data.individus
    assert zoe.id == "4242"  # padded attribute value trimmed
    assert (zoe.type, zoe.sexe, zoe.nom_usage, zoe.prenom) == (IndividuType.EPP, "2", "LŒWY", "Zoé")
    assert zoe.date_naissance == dt.date(1980, 2, 29)
    assert zoe.disciplines[0].code == "L0202"
    assert zoe.disciplines[0].libelle == "LETTRES MODERNES"
    assert zoe.disciplines[0].nb_heures == Decimal("18.00")
    assert (noel.type, noel.sexe, noel.date_naissance) == (IndividuType.LOCAL, None, None)
    assert jean.fonction is None  # people on leave have no FONCTION

    div_a, div_b = data.divisions
    assert (div_a.code, div_a.libelle, div_a.mefs) == ("3 A", "3EME A", ("10310019110",))
    assert div_b.code == "3/B" and div_b.services == ()
    franc_service, ai = div_a.services
    assert (franc_service.code_matiere, franc_service.code_mod_cours) == ("020700", "CG")
    assert franc_service.heures_structure == Decimal("4.50")
    assert franc_service.enseignants[0].heures_agent == Decimal("4.50")
    assert ai.co_ens is True and [e.id for e in ai.enseignants] == ["4242", "4243"]
    assert ai.enseignants[1].type is IndividuType.LOCAL
    (groupe,) = data.groupes
    assert groupe.divisions_appartenance == ("3 A", "3/B")
    assert groupe.libelle == "Chœur des 3e"
    assert data.service_count == 3


def test_latin9_and_character_references_are_decoded() -> None:
    data = read_sts_edt(STS_FILE)
    assert data.matieres[2].libelle_long == "CHŒUR – BUDGET 5 €"
    assert STS_FILE.read_bytes().count(b"\xbc") >= 1  # Œ is one Latin-9 byte
    assert b"&#8211;" in STS_FILE.read_bytes()  # – is outside Latin-9


def test_attribute_order_does_not_matter() -> None:
    data = read_sts_edt(STS_FILE)
    assert {i.id: i.type for i in data.individus} == {
        "4242": IndividuType.EPP,
        "4243": IndividuType.LOCAL,  # TYPE written before ID
        "4244": IndividuType.EPP,
    }


def test_demo_export_padded_or_not_reads_the_same() -> None:
    plain = read_sts_edt(generate_sts_edt(UAI, 2025, 3, n_teachers=20, n_divisions=6, n_groups=4))
    padded = read_sts_edt(
        generate_sts_edt(UAI, 2025, 3, n_teachers=20, n_divisions=6, n_groups=4, pad_values=True)
    )
    assert plain == padded
    assert len(plain.divisions) == 6 and len(plain.groupes) == 4


def test_unknown_elements_are_tolerated() -> None:
    data = (
        STS_FILE.read_bytes()
        .replace(b"<DONNEES>", b"<DONNEES><NOUVEAU_BLOC><X>1</X></NOUVEAU_BLOC>")
        .replace(b"<MATIERES>", b"<MATIERES><INCONNU CODE='1'/>")
    )
    assert len(read_sts_edt(data).matieres) == 3


def test_sts_zip_is_accepted(tmp_path: Path) -> None:
    archive = tmp_path / "sts_emp_0771991W_2025.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(STS_FILE, "sts_emp_0771991W_2025.xml")
        zf.writestr("__MACOSX/._sts_emp_0771991W_2025.xml", b"junk")
    assert read_sts_edt(archive).uai == UAI
    assert read_sts_edt(archive.read_bytes()).uai == UAI
    assert detect_kind(archive) == "STS_EDT"


@pytest.mark.parametrize(("members", "code"), [(0, "ZIP_VIDE"), (2, "ZIP_PLUSIEURS")])
def test_zip_with_zero_or_two_members_is_refused(tmp_path: Path, members: int, code: str) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(members):
            zf.writestr(f"sts_emp_{i}.xml", STS_FILE.read_bytes())
    _refused(code, read_sts_edt, archive)
    _refused(code, read_sts_edt, archive.read_bytes())
    _refused(code, read_edt_sts, archive)


def test_wrong_uai_is_refused() -> None:
    error = _refused("STS_MAUVAIS_UAI", read_sts_edt, STS_FILE, expected_uai=OTHER_UAI)
    assert UAI in error.message and OTHER_UAI in error.message


def test_wrong_year_says_which_year_the_file_is_for() -> None:
    error = _refused("STS_MAUVAISE_ANNEE", read_sts_edt, STS_FILE, expected_year=2026)
    assert "2025-2026" in error.message and "2026-2027" in error.message


def test_edt_sts_given_to_the_sts_reader_is_refused() -> None:
    error = _refused("STS_EST_EDT_STS", read_sts_edt, EDT_FILE)
    assert "export d'emploi du temps" in error.message
    assert "pas un export de STSWEB" in error.message


def test_sts_edt_given_to_the_edt_reader_is_refused() -> None:
    error = _refused("EDT_STS_EST_STS_EDT", read_edt_sts, STS_FILE)
    assert "pas un export d'emploi du temps" in error.message


@pytest.mark.parametrize("root", ["BEE_ELEVES", "BEE_NOMENCLATURES", "BEE_STRUCTURES"])
def test_siecle_file_is_refused(root: str) -> None:
    data = (
        f'<?xml version="1.0" encoding="ISO-8859-15"?><{root} VERSION="3.0"><PARAMETRES>'
        f"<UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES></{root}>"
    ).encode("iso-8859-15")
    error = _refused("STS_EST_SIECLE", read_sts_edt, data)
    assert "export SIECLE" in error.message
    _refused("STS_EST_SIECLE", read_edt_sts, data)
    _refused("STS_EST_SIECLE", read_sts_file, data)


def test_other_root_is_refused() -> None:
    data = b'<?xml version="1.0"?><FACTURE><PARAMETRES/></FACTURE>'
    assert "STS_EDT" in _refused("STS_RACINE", read_sts_edt, data).message
    assert "EDT_STS" in _refused("EDT_STS_RACINE", read_edt_sts, data).message
    _refused("STS_RACINE", detect_kind, data)


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.4 binary", b"not xml at all", b"<?xml version='1.0'?><", b"\xff\xfe\x00<"],
)
def test_not_xml_is_refused(data: bytes) -> None:
    for reader in (read_sts_edt, read_edt_sts):
        with pytest.raises(FormatError) as info:
            reader(data)
        assert info.value.code.startswith("XML_")


def test_truncated_file_is_refused() -> None:
    sts, edt = STS_FILE.read_bytes(), EDT_FILE.read_bytes()
    for reader, data in ((read_sts_edt, sts), (read_edt_sts, edt)):
        with pytest.raises(FormatError) as info:
            reader(data[: len(data) * 2 // 3])
        assert info.value.code.startswith("XML_")
        assert "tronqué" in info.value.message


def test_missing_file_is_refused(tmp_path: Path) -> None:
    _refused("FICHIER_ILLISIBLE", read_sts_edt, tmp_path / "absent.xml")


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(STS_FILE, "sts.xml")
    archive.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(FormatError) as info:
        read_sts_edt(archive)
    assert info.value.code.startswith("ZIP_")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE STS_EDT [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<STS_EDT><PARAMETRES><UAJ CODE="&xxe;"/></PARAMETRES></STS_EDT>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<EDT_STS><PARAMETRES><UAJ>&lol3;</UAJ></PARAMETRES></EDT_STS>"""
HIDDEN_DOCTYPE = (
    b'<?xml version="1.0"?>\n<!--'
    + b"x" * 6000
    + b'-->\n<!DOCTYPE EDT_STS [<!ENTITY e "0771991W">]>'
    b"<EDT_STS><PARAMETRES><UAJ>&e;</UAJ></PARAMETRES><DONNEES/></EDT_STS>"
)
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE STS_EDT SYSTEM "http://example.invalid/sts.dtd"><STS_EDT/>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS, HIDDEN_DOCTYPE, EXTERNAL_DTD])
def test_hostile_xml_is_refused(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "hostile.xml"
    path.write_bytes(data)
    for reader in (read_sts_edt, read_edt_sts, read_sts_file):
        for source in (data, path):
            with pytest.raises(FormatError) as info:
                reader(source)
            assert info.value.code == "XML_DOCTYPE"
            assert "root:" not in info.value.message


def test_header_must_be_present_and_valid() -> None:
    no_header = b"<STS_EDT><DONNEES><INDIVIDUS/></DONNEES></STS_EDT>"
    _refused("STS_INCOMPLET", read_sts_edt, no_header)
    late_header = (
        b'<STS_EDT><NOMENCLATURES><MATIERES><MATIERE CODE="020700"><LIBELLE_LONG>F</LIBELLE_LONG>'
        b'</MATIERE></MATIERES></NOMENCLATURES><PARAMETRES><UAJ CODE="0771991W"/>'
        b'<ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES></STS_EDT>'
    )
    _refused("STS_INCOMPLET", read_sts_edt, late_header)
    bad_uai = STS_FILE.read_bytes().replace(b"0771991W", b"0771991A")
    _refused("STS_UAI_INVALIDE", read_sts_edt, bad_uai)
    bad_year = STS_FILE.read_bytes().replace(b'ANNEE="2025"', b'ANNEE="25"')
    _refused("STS_VALEUR", read_sts_edt, bad_year)
    no_year = STS_FILE.read_bytes().replace(b'ANNEE="2025"', b"")
    _refused("STS_INCOMPLET", read_sts_edt, no_year)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<HEURES_STRUCTURE>4.50", b"<HEURES_STRUCTURE>quatre"),
        (b"<CO_ENS>true", b"<CO_ENS>oui"),
        (b"1980-02-29", b"1981-02-29"),
        (b"1980-02-29", b"1980-W01-1"),
        (b'TYPE="local" ID="4243"', b'TYPE="stagiaire" ID="4243"'),
    ],
)
def test_bad_values_are_located(old: bytes, new: bytes) -> None:
    data = STS_FILE.read_bytes().replace(old, new, 1)
    error = _refused("STS_VALEUR", read_sts_edt, data)
    assert "ligne" in error.message


def test_missing_required_attribute_is_refused() -> None:
    data = STS_FILE.read_bytes().replace(b'CODE_MOD_COURS="AI"', b"")
    error = _refused("STS_INCOMPLET", read_sts_edt, data)
    assert "CODE_MOD_COURS" in error.message


# ------------------------------------------------------------------ EDT_STS


def test_edt_fixture_is_read() -> None:
    tt = read_edt_sts(EDT_FILE, expected_uai=UAI, expected_year=2025)
    assert (tt.uai, tt.annee, tt.application_source) == (UAI, 2025, "EDITEUR_PRIVE")  # text here
    assert [(h.day, h.debut, h.fin) for h in tt.horaires] == [(1, 480, 1080), (2, 510, 1050)]
    _h, sa = tt.alternances
    assert sa.libelle_long == "semaine A – œuvre €"
    # A Thursday is snapped to its Monday (as OE does), duplicates dropped.
    assert sa.week_starts == (dt.date(2025, 9, 1), dt.date(2025, 9, 15))
    assert [s.code for s in tt.salles] == ["S101", "LABO 2"]
    (ind,) = tt.individus
    assert ind.indemnites[0].code_structure == "3 A" and ind.ares[0].heures == Decimal("3.00")
    courses = tt.courses()
    assert len(courses) == 4 and tt.cours_count() == 5
    first = next(c for c in courses if c.day == 1 and c.start == 480)
    assert (first.duration, first.room, first.alternance) == (90, "S101", "H")  # DUREE 0130
    co = next(c for c in courses if c.code_matiere == "061300")
    assert co.teacher_ids == ("4242", "4243") and co.code_mod_cours is None
    odd = next(c for c in courses if c.alternance == "SA")
    assert odd.start == 14 * 60 + 2
    group = next(c for c in courses if c.structure_kind is StructureKind.GROUPE)
    assert group.structure_code == "3CHOR"
    assert tt.groupes[0].divisions_appartenance[0].effectif_prevu == 20


def test_edt_refusals() -> None:
    data = EDT_FILE.read_bytes()
    _refused("STS_MAUVAIS_UAI", read_edt_sts, data, expected_uai=OTHER_UAI)
    error = _refused("STS_MAUVAISE_ANNEE", read_edt_sts, data, expected_year=2024)
    assert "2025-2026" in error.message
    _refused("STS_VALEUR", read_edt_sts, data.replace(b"<DUREE>0130", b"<DUREE>0175"))
    _refused("STS_VALEUR", read_edt_sts, data.replace(b"<JOUR>2</JOUR>", b"<JOUR>9</JOUR>"))
    _refused("STS_VALEUR", read_edt_sts, data.replace(b"<FIN_COURS>1800", b"<FIN_COURS>0700"))
    _refused("STS_VALEUR", read_edt_sts, data.replace(b"<HEURE_DEBUT>1600", b"<HEURE_DEBUT>2330"))
    _refused(
        "STS_INCOMPLET",
        read_edt_sts,
        data.replace(b"<UAJ>", b"<UAJ_X>").replace(b"</UAJ>", b"</UAJ_X>"),
    )


def test_read_sts_file_dispatches_on_root() -> None:
    assert read_sts_file(STS_FILE).__class__.__name__ == "StsData"
    assert read_sts_file(EDT_FILE).__class__.__name__ == "Timetable"
    assert detect_kind(EDT_FILE) == "EDT_STS"
