"""Good paths of the SIECLE readers, and the per-record anomalies (kept records, reported)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.demo.siecle import build_siecle_zip, generate_siecle
from app.domain.siecle import Anomaly, SiecleKind, Student, StudentOption
from app.formats.siecle import (
    analyse,
    inconsistent_headers,
    links_to_unknown_students,
    read_eleves,
    read_nomenclatures,
    read_responsables,
    read_siecle,
    read_structures,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "siecle"
UAI = "0750654D"
YEAR = 2025


def eleves_xml(
    eleves: str, structures: str = "", options: str = "", adresses: str | None = None,
    prolog: str = '<?xml version="1.0" encoding="ISO-8859-15"?>\n', encoding: str = "iso-8859-15",
) -> bytes:  # fmt: skip
    text = (
        f'{prolog}<BEE_ELEVES VERSION="3.0"><PARAMETRES><UAJ>{UAI}</UAJ>'
        f"<ANNEE_SCOLAIRE>{YEAR}</ANNEE_SCOLAIRE></PARAMETRES><DONNEES>"
        f"<ELEVES>{eleves}</ELEVES><OPTIONS>{options}</OPTIONS>"
        f"<STRUCTURES>{structures}</STRUCTURES>"
    )
    if adresses is not None:
        text += f"<ADRESSES>{adresses}</ADRESSES>"
    text += "</DONNEES></BEE_ELEVES>"
    return text.encode(encoding)


def eleve(eleve_id: str, extra: str = "", *, ine: str | None = None, sexe: str = "1",
          naiss: str = "01/02/2012") -> str:  # fmt: skip
    ine_tag = f"<ID_NATIONAL>{ine or eleve_id.zfill(9) + 'AA'}</ID_NATIONAL>" if ine != "" else ""
    return (
        f'<ELEVE ELEVE_ID="{eleve_id}">{ine_tag}<NOM_DE_FAMILLE>NOM{eleve_id}</NOM_DE_FAMILLE>'
        f"<PRENOM>Prénom</PRENOM><DATE_NAISS>{naiss}</DATE_NAISS><CODE_SEXE>{sexe}</CODE_SEXE>"
        f"{extra}</ELEVE>"
    )


def division(eleve_id: str, *codes: tuple[str, str]) -> str:
    inner = "".join(
        f"<STRUCTURE><CODE_STRUCTURE>{c}</CODE_STRUCTURE><TYPE_STRUCTURE>{t}</TYPE_STRUCTURE>"
        "</STRUCTURE>"
        for c, t in codes
    )
    return f'<STRUCTURES_ELEVE ELEVE_ID="{eleve_id}">{inner}</STRUCTURES_ELEVE>'


def students_and_anomalies(data: bytes) -> tuple[list[Student], list[Anomaly]]:
    with read_eleves(data) as opened:
        students = list(opened.students())
        return students, opened.anomalies


def codes_of(anomalies: list[Anomaly]) -> list[str]:
    return [a.code for a in anomalies]


# --- the hand-written old-format fixture ------------------------------------------------------


def test_old_format_students() -> None:
    with read_eleves(FIXTURES / "eleves_ancien_format.xml") as opened:
        assert opened.header.uai == UAI  # " 0750654D " trimmed
        assert opened.header.annee == 2015
        assert opened.header.date_export == dt.date(2016, 1, 12)
        assert opened.header.version == "1.7"
        zoe, benoit = list(opened.students())
        assert opened.avec_adresses
        anomalies = opened.anomalies
    assert zoe.nom == "CŒURDEROY"  # NOM, trimmed, œ decoded from Latin-9 0xBC
    assert zoe.prenom == "Zoé"
    assert zoe.prenom2 is None and zoe.prenom3 is None  # empty and self-closed tags
    assert zoe.ine == "070832327JA"  # INE_RNIE before INE_BEA
    assert benoit.ine == "0113014882N"  # INE_BEA as the last resort
    assert zoe.date_naissance == dt.date(2004, 2, 3)
    assert zoe.date_sortie is None and not zoe.has_left
    assert benoit.date_sortie == dt.date(2016, 1, 5) and benoit.motif_sortie == "DEM"
    assert zoe.sexe == "F" and benoit.sexe == "M"
    assert zoe.doublement is False and benoit.doublement is True
    assert zoe.groups == ("3ESP",)
    assert zoe.division == "3 B"  # G listed first, then two D: the last D wins
    assert benoit.division == "_301P1"
    assert zoe.options == (StudentOption(1, "S", "030201"), StudentOption(2, "O", "030602"))
    assert zoe.address is not None
    assert zoe.address.ligne1 == "12 rue de l'Œuvre"
    assert zoe.address.ligne2 == "Résidence « Le Cœur » ? loyer 500 €"  # € is 0xA4 in Latin-9
    assert zoe.address.ligne3 is None
    assert benoit.address is None
    assert codes_of(anomalies) == ["PLUSIEURS_DIVISIONS"]
    assert "3 A, 3 B" in anomalies[0].message_fr and anomalies[0].eleve_id == "501"


def test_old_format_responsables() -> None:
    with read_responsables(FIXTURES / "responsables_ancien_format.xml") as opened:
        persons = {p.personne_id: p for p in opened.persons()}
        links = list(opened.links())
        anomalies = opened.anomalies
    assert persons["801"].nom == "CŒURDEROY" and persons["801"].prenom == "Hélène"
    assert persons["801"].civilite == "MME"
    assert persons["801"].tel_portable == "+33612345678"
    assert persons["801"].address is not None and persons["801"].address.code_postal == "75011"
    assert persons["803"].nom == "GARÇON"
    by_person = {(link.eleve_id, link.personne_id): link for link in links}
    mother = by_person[("501", "801")]
    assert (mother.niveau_responsabilite, mother.rang_legal) == (1, 1)
    assert mother.paie_frais is True and mother.contact_prioritaire is True
    father = by_person[("501", "802")]
    assert (father.niveau_responsabilite, father.rang_legal) == (1, 2)
    assert father.paie_frais is False
    other = by_person[("501", "803")]
    assert (other.niveau_responsabilite, other.rang_legal) == (3, None)  # RESP_LEGAL 0
    assert anomalies == []
    # Cross-file: the link to ELEVE_ID 999 points at nobody in the Élèves file.
    summary = analyse(FIXTURES / "eleves_ancien_format.xml")
    unknown = links_to_unknown_students(summary.eleve_ids, links)
    assert codes_of(unknown) == ["LIEN_ELEVE_INCONNU"]
    assert unknown[0].eleve_id == "999" and "PERSONNE_ID 803" in unknown[0].message_fr


def test_new_format_responsables_links() -> None:
    data = generate_siecle(UAI, YEAR, 40, seed=11).responsables
    with read_responsables(data) as opened:
        links = list(opened.links())
        persons = list(opened.persons())
    assert {link.niveau_responsabilite for link in links} <= {1, 3}
    assert all(link.rang_legal is None for link in links)
    assert any(link.contact_prioritaire for link in links)
    assert len(persons) == len(links)
    assert all(p.tel_portable and p.tel_portable.startswith("+33") for p in persons)


def test_padded_nomenclature_values_are_trimmed() -> None:
    with read_nomenclatures(FIXTURES / "nomenclature_valeurs_completees.xml") as opened:
        data = opened.read()
        assert opened.anomalies == []
    (mef,) = data.mefs
    assert (mef.formation, mef.libelle_long, mef.date_fermeture) == (
        "3EME", "3EME", dt.date(9999, 12, 31))  # fmt: skip
    assert data.matieres[0].code_gestion == "AGL1"
    assert data.matieres[0].libelle_court == "ANGLAIS LV1"
    assert data.matieres[1].libelle_long == "LANGUES ET CULTURES DE L'ANTIQUITÉ : LATIN"
    # Same subject both O and S for one MEF: two programmes, not a duplicate.
    assert [(p.code_modalite, p.horaire) for p in data.programmes] == [("O", "2.00"),
                                                                       ("S", "1.00")]
    assert data.modalites[0].code == "S"


def test_structures_file() -> None:
    with read_structures(generate_siecle(UAI, YEAR, 60, seed=12).structures) as opened:
        data = opened.read()
        assert opened.anomalies == []
    codes = [d.code for d in data.divisions]
    assert "3 A" in codes  # spaces in codes survive
    assert all(d.mefs for d in data.divisions)
    latin = next(g for g in data.groupes if g.code == "3LAT")
    assert latin.divisions and latin.mefs == ("10310019110",)


def test_structures_unknown_and_duplicate_codes() -> None:
    body = (
        '<DIVISIONS><DIVISION CODE_STRUCTURE="6A"><LIBELLE_LONG>6A</LIBELLE_LONG></DIVISION>'
        '<DIVISION CODE_STRUCTURE="6A"/><DIVISION/></DIVISIONS><GROUPES>'
        '<GROUPE CODE_STRUCTURE="G1"><DIVISIONS_APPARTENANCE><DIVISION_APPARTENANCE>'
        "<CODE_STRUCTURE>6Z</CODE_STRUCTURE></DIVISION_APPARTENANCE></DIVISIONS_APPARTENANCE>"
        "</GROUPE></GROUPES>"
    )
    data = (
        f'<?xml version="1.0"?><BEE_STRUCTURES><PARAMETRES><UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>'
        f"{YEAR}</ANNEE_SCOLAIRE></PARAMETRES><DONNEES>{body}</DONNEES></BEE_STRUCTURES>"
    ).encode()
    with read_structures(data) as opened:
        structures = opened.read()
        anomalies = opened.anomalies
    assert [d.code for d in structures.divisions] == ["6A"]
    assert codes_of(anomalies) == ["CODE_EN_DOUBLE", "CODE_MANQUANT", "DIVISION_INCONNUE"]


# --- encodings and containers -----------------------------------------------------------------


def test_utf8_with_bom() -> None:
    data = b"\xef\xbb\xbf" + eleves_xml(
        eleve("1"), division("1", ("6A", "D")),
        prolog='<?xml version="1.0" encoding="UTF-8"?>\n', encoding="utf-8",
    ).replace(b"NOM1", "BŒUF €".encode())  # fmt: skip
    students, anomalies = students_and_anomalies(data)
    assert students[0].nom == "BŒUF €" and students[0].prenom == "Prénom"
    assert anomalies == []


def test_utf8_without_declaration() -> None:
    data = eleves_xml(eleve("1"), division("1", ("6A", "D")), prolog="", encoding="utf-8")
    students, _ = students_and_anomalies(data)
    assert students[0].prenom == "Prénom"


def test_latin1_declaration_is_honoured_as_declared() -> None:
    # Declared ISO-8859-1: byte 0xBC means ¼ there. Honouring the declaration is the rule;
    # SIECLE itself always declares ISO-8859-15.
    data = eleves_xml(eleve("1").replace("NOM1", "BŒUF"), division("1", ("6A", "D")),
                      prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n')  # fmt: skip
    students, _ = students_and_anomalies(data)
    assert students[0].nom == "B¼UF"


def test_siecle_zip_path_and_bytes(tmp_path: Path) -> None:
    export = generate_siecle(UAI, YEAR, 25, seed=13)
    archive = build_siecle_zip(export.eleves, "ElevesAvecAdresses.xml")
    path = tmp_path / "ExportXML_ElevesAvecAdresses.zip"
    path.write_bytes(archive)
    from_path = analyse(path, expected_uai=UAI, expected_year=YEAR)
    from_bytes = analyse(archive)
    from_xml = analyse(export.eleves)
    assert from_path.counts == from_bytes.counts == from_xml.counts
    assert from_path.fichier == "ExportXML_ElevesAvecAdresses.zip"
    assert from_path.counts["eleves"] == 25
    leftovers = [p for p in Path(path.parent).iterdir() if p.name != path.name]
    assert leftovers == []


def test_extracted_copy_is_deleted_on_close(tmp_path: Path) -> None:
    path = tmp_path / "e.zip"
    path.write_bytes(build_siecle_zip(generate_siecle(UAI, YEAR, 3, seed=1).eleves))
    opened = read_siecle(path)
    extracted = opened._opened.xml
    assert isinstance(extracted, Path) and extracted.exists()
    opened.close()
    assert not extracted.exists()


# --- per-record checks ------------------------------------------------------------------------


def test_missing_ine_sex_birth_date_are_warnings() -> None:
    data = eleves_xml(
        eleve("1", ine="") + '<ELEVE ELEVE_ID="2"><NOM_DE_FAMILLE>X</NOM_DE_FAMILLE>'
        "<PRENOM>Y</PRENOM><ID_NATIONAL>22</ID_NATIONAL><CODE_SEXE></CODE_SEXE></ELEVE>",
        division("1", ("6A", "D")) + division("2", ("6A", "D")),
    )
    students, anomalies = students_and_anomalies(data)
    assert [s.eleve_id for s in students] == ["1", "2"]
    assert codes_of(anomalies) == ["INE_MANQUANT", "SEXE_MANQUANT", "DATE_NAISSANCE_MANQUANTE"]
    assert all(a.severity == "avertissement" for a in anomalies)
    assert [a.eleve_id for a in anomalies] == ["1", "2", "2"]


def test_invalid_sex_and_malformed_dates() -> None:
    data = eleves_xml(
        eleve("1", "<DATE_ENTREE>2025-09-01</DATE_ENTREE>", sexe="3", naiss="31/02/2012"),
        division("1", ("6A", "D")),
    )
    students, anomalies = students_and_anomalies(data)
    assert students[0].sexe is None and students[0].date_naissance is None
    assert students[0].date_entree is None
    assert codes_of(anomalies) == ["SEXE_INVALIDE", "DATE_INVALIDE", "DATE_INVALIDE"]
    assert "DATE_NAISS" in anomalies[1].message_fr and "31/02/2012" in anomalies[1].message_fr
    assert "JJ/MM/AAAA" in anomalies[2].message_fr


def test_duplicate_ine() -> None:
    data = eleves_xml(eleve("1", ine="111111111AA") + eleve("2", ine="111111111aa"),
                      division("1", ("6A", "D")) + division("2", ("6A", "D")))  # fmt: skip
    students, anomalies = students_and_anomalies(data)
    assert len(students) == 2
    assert codes_of(anomalies) == ["INE_EN_DOUBLE"]
    assert "ELEVE_ID 2" in anomalies[0].message_fr and "ELEVE_ID 1" in anomalies[0].message_fr
    assert "111111111" not in anomalies[0].message_fr  # no INE in messages (reports, logs)


def test_student_without_class_unless_left() -> None:
    data = eleves_xml(eleve("1") + eleve("2", "<DATE_SORTIE>03/10/2025</DATE_SORTIE>"))
    students, anomalies = students_and_anomalies(data)
    assert [s.division for s in students] == [None, None]
    assert codes_of(anomalies) == ["SANS_DIVISION"]
    assert anomalies[0].eleve_id == "1"


def test_two_structures_blocks_for_one_student() -> None:
    data = eleves_xml(
        eleve("1"), division("1", ("G1", "G"), ("6A", "D")) + division("1", ("G2", "G"))
    )
    students, anomalies = students_and_anomalies(data)
    assert students[0].division == "6A" and students[0].groups == ("G1", "G2")
    assert codes_of(anomalies) == ["STRUCTURES_EN_DOUBLE"]


def test_unknown_structure_type_and_orphan_blocks() -> None:
    data = eleves_xml(
        eleve("1"),
        division("1", ("6A", "D"), ("X1", "Z")) + division("9", ("6B", "D")),
        options='<OPTION ELEVE_ID="8"><OPTIONS_ELEVE><CODE_MATIERE>030201</CODE_MATIERE>'
        '</OPTIONS_ELEVE></OPTION><OPTION ELEVE_ID="1"><OPTIONS_ELEVE><NUM_OPTION>1'
        "</NUM_OPTION></OPTIONS_ELEVE></OPTION>",
    )
    students, anomalies = students_and_anomalies(data)
    assert students[0].division == "6A" and students[0].options == ()
    assert sorted(codes_of(anomalies)) == [
        "OPTIONS_ELEVE_INCONNU", "OPTION_INCOMPLETE", "STRUCTURES_ELEVE_INCONNU",
        "TYPE_STRUCTURE_INCONNU",
    ]  # fmt: skip


def test_students_without_id_duplicate_id_or_name_are_left_out() -> None:
    data = eleves_xml(
        eleve("1") + eleve("1") + '<ELEVE><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE></ELEVE>'
        + '<ELEVE ELEVE_ID="3"><PRENOM>Sans nom</PRENOM></ELEVE>',
        division("1", ("6A", "D")),
    )
    students, anomalies = students_and_anomalies(data)
    assert [s.eleve_id for s in students] == ["1"]
    assert codes_of(anomalies) == ["ELEVE_EN_DOUBLE", "ELEVE_SANS_ID", "ELEVE_SANS_NOM"]
    assert all(a.severity == "erreur" for a in anomalies)


def test_elenoet_attribute_and_element_disagree() -> None:
    data = eleves_xml(
        eleve("1", "<ELENOET>4242</ELENOET>").replace('ELEVE_ID="1"', 'ELEVE_ID="1" ELENOET="17"'),
        division("1", ("6A", "D")),
    )
    students, anomalies = students_and_anomalies(data)
    assert students[0].elenoet == "4242"
    assert codes_of(anomalies) == ["ELENOET_DIFFERENT"]


def test_address_missing_from_avec_adresses_file() -> None:
    data = eleves_xml(eleve("1", "<ADRESSE_ID>77</ADRESSE_ID>"), division("1", ("6A", "D")),
                      adresses='<ADRESSE ADRESSE_ID="78"><CODE_POSTAL>75001</CODE_POSTAL>'
                      "</ADRESSE>")  # fmt: skip
    students, anomalies = students_and_anomalies(data)
    assert students[0].address is None and students[0].adresse_id == "77"
    assert codes_of(anomalies) == ["ADRESSE_INCONNUE"]


def test_anomalies_are_not_repeated_by_a_second_pass() -> None:
    data = eleves_xml(eleve("1", ine=""), division("1", ("6A", "D")))
    with read_eleves(data) as opened:
        list(opened.students())
        list(opened.students())
        assert codes_of(opened.anomalies) == ["INE_MANQUANT"]


def test_responsables_checks() -> None:
    body = (
        '<PERSONNES><PERSONNE PERSONNE_ID="1"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B'
        '</PRENOM></PERSONNE><PERSONNE PERSONNE_ID="1"/><PERSONNE/>'
        '<PERSONNE PERSONNE_ID="2"><NOM_DE_FAMILLE>ASE</NOM_DE_FAMILLE></PERSONNE></PERSONNES>'
        "<RESPONSABLES>"
        "<RESPONSABLE_ELEVE><ELEVE_ID>10</ELEVE_ID><PERSONNE_ID>1</PERSONNE_ID>"
        "<NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>"
        "<A_CONTACTER_EN_PRIORITE>true</A_CONTACTER_EN_PRIORITE></RESPONSABLE_ELEVE>"
        "<RESPONSABLE_ELEVE><ELEVE_ID>10</ELEVE_ID><PERSONNE_ID>1</PERSONNE_ID>"
        "</RESPONSABLE_ELEVE>"
        "<RESPONSABLE_ELEVE><ELEVE_ID>10</ELEVE_ID><PERSONNE_ID>5</PERSONNE_ID>"
        "<NIVEAU_RESPONSABILITE>7</NIVEAU_RESPONSABILITE></RESPONSABLE_ELEVE>"
        "<RESPONSABLE_ELEVE><PERSONNE_ID>2</PERSONNE_ID></RESPONSABLE_ELEVE>"
        "</RESPONSABLES>"
    )
    data = (
        f'<?xml version="1.0"?><BEE_RESPONSABLES><PARAMETRES><UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>'
        f"{YEAR}</ANNEE_SCOLAIRE></PARAMETRES><DONNEES>{body}</DONNEES></BEE_RESPONSABLES>"
    ).encode()
    with read_responsables(data) as opened:
        persons = list(opened.persons())
        links = list(opened.links())
        anomalies = opened.anomalies
        assert not opened.avec_adresses
    assert [p.personne_id for p in persons] == ["1", "2"]
    assert [(link.personne_id, link.niveau_responsabilite) for link in links] == [
        ("1", 1), ("5", None)]  # fmt: skip
    assert links[0].contact_prioritaire is True
    assert codes_of(anomalies) == [
        "PERSONNE_EN_DOUBLE", "PERSONNE_SANS_ID", "PERSONNE_SANS_NOM",
        "LIEN_EN_DOUBLE", "LIEN_PERSONNE_INCONNUE", "NIVEAU_RESPONSABILITE_INVALIDE",
        "LIEN_INCOMPLET",
    ]  # fmt: skip


def test_inconsistent_headers_across_files() -> None:
    a = analyse(generate_siecle(UAI, YEAR, 2, seed=1).eleves, name="a.xml")
    b = analyse(generate_siecle("0590001F", YEAR + 1, 2, seed=1).structures, name="b.xml")
    anomalies = inconsistent_headers([("a.xml", a.header), ("b.xml", b.header)])
    assert codes_of(anomalies) == ["FICHIERS_INCOHERENTS", "FICHIERS_INCOHERENTS"]
    assert "0590001F" in anomalies[0].message_fr and "2026-2027" in anomalies[1].message_fr
    assert inconsistent_headers([("a.xml", a.header), ("c.xml", a.header)]) == []


@pytest.mark.parametrize("kind", list(SiecleKind))
def test_every_generated_kind_is_detected(kind: SiecleKind) -> None:
    export = generate_siecle(UAI, YEAR, 8, seed=21)
    data = {
        SiecleKind.ELEVES: export.eleves, SiecleKind.RESPONSABLES: export.responsables,
        SiecleKind.NOMENCLATURES: export.nomenclatures, SiecleKind.STRUCTURES: export.structures,
    }[kind]  # fmt: skip
    summary = analyse(data, expected_uai=UAI, expected_year=YEAR)
    assert summary.kind is kind and summary.header.root == kind.value
    assert summary.header.uai == UAI and summary.header.annee == YEAR
