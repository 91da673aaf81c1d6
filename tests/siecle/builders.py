"""Small hand-built SIECLE exports for the merge tests (each field under the test's control)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

UAI = "0750654D"


@dataclass
class Eleve:
    eleve_id: str
    nom: str
    prenom: str
    naissance: str | None = "01/02/2012"  # JJ/MM/AAAA
    ine: str | None = None
    sexe: str | None = "2"
    division: str | None = "6A"
    groupes: Sequence[str] = ()
    options: Sequence[tuple[int, str, str]] = ()  # (num, modalité, matière)
    sortie: str | None = None
    motif: str | None = None
    mef: str | None = "10010012110"
    regime: str | None = "2"
    adresse: tuple[str, str, str] | None = None  # (ligne1, code postal, commune)
    extra: dict[str, str] = field(default_factory=dict)


def _el(tag: str, value: str | None) -> str:
    return "" if value is None else f"<{tag}>{escape(value)}</{tag}>"


def head(root: str, year: int, uai: str = UAI) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-15"?>\n'
        f'<{root} VERSION="3.0"><PARAMETRES><UAJ>{uai}</UAJ>'
        f"<ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE><DATE_EXPORT>01/10/{year}</DATE_EXPORT>"
        "</PARAMETRES><DONNEES>"
    )


def eleves_xml(students: Sequence[Eleve], year: int, *, avec_adresses: bool = True) -> bytes:
    out = [head("BEE_ELEVES", year), "<ELEVES>"]
    for s in students:
        out.append(f'<ELEVE ELEVE_ID="{s.eleve_id}">')
        out.append(
            _el("ID_NATIONAL", s.ine) + _el("NOM_DE_FAMILLE", s.nom) + _el("PRENOM", s.prenom)
        )
        out.append(_el("DATE_NAISS", s.naissance) + _el("DOUBLEMENT", "0"))
        out.append(_el("DATE_SORTIE", s.sortie) + _el("CODE_MOTIF_SORTIE", s.motif))
        out.append(_el("CODE_REGIME", s.regime) + _el("CODE_SEXE", s.sexe) + _el("CODE_MEF", s.mef))
        if avec_adresses and s.adresse:
            out.append(_el("ADRESSE_ID", f"A{s.eleve_id}"))
        out.extend(_el(k, v) for k, v in s.extra.items())
        out.append("</ELEVE>")
    out.append("</ELEVES><OPTIONS>")
    for s in students:
        if s.options:
            out.append(f'<OPTION ELEVE_ID="{s.eleve_id}">')
            for num, mod, mat in s.options:
                out.append(
                    f"<OPTIONS_ELEVE>{_el('NUM_OPTION', str(num))}"
                    f"{_el('CODE_MODALITE_ELECT', mod)}{_el('CODE_MATIERE', mat)}"
                    "</OPTIONS_ELEVE>"
                )
            out.append("</OPTION>")
    out.append("</OPTIONS><STRUCTURES>")
    for s in students:
        structures = ([(s.division, "D")] if s.division else []) + [(g, "G") for g in s.groupes]
        if structures:
            out.append(f'<STRUCTURES_ELEVE ELEVE_ID="{s.eleve_id}">')
            for code, kind in structures:
                out.append(
                    f"<STRUCTURE>{_el('CODE_STRUCTURE', code)}"
                    f"{_el('TYPE_STRUCTURE', kind)}</STRUCTURE>"
                )
            out.append("</STRUCTURES_ELEVE>")
    out.append("</STRUCTURES>")
    if avec_adresses:
        out.append("<ADRESSES>")
        for s in students:
            if s.adresse:
                ligne, cp, commune = s.adresse
                out.append(
                    f'<ADRESSE ADRESSE_ID="A{s.eleve_id}">{_el("LIGNE1_ADRESSE", ligne)}'
                    f"{_el('CODE_POSTAL', cp)}{_el('LIBELLE_POSTAL', commune)}"
                    f"{_el('CODE_PAYS', '100')}</ADRESSE>"
                )
        out.append("</ADRESSES>")
    out.append("</DONNEES></BEE_ELEVES>\n")
    return "".join(out).encode("iso-8859-15")


@dataclass
class Personne:
    personne_id: str
    nom: str
    prenom: str
    civilite: str = "MME"
    tel: str | None = None
    adresse: tuple[str, str, str] | None = None


@dataclass
class Lien:
    eleve_id: str
    personne_id: str
    parente: str = "20"
    niveau: str = "1"
    paie: str = "1"


def responsables_xml(persons: Sequence[Personne], links: Sequence[Lien], year: int) -> bytes:
    out = [head("BEE_RESPONSABLES", year), "<PERSONNES>"]
    for p in persons:
        out.append(
            f'<PERSONNE PERSONNE_ID="{p.personne_id}">{_el("LC_CIVILITE", p.civilite)}'
            f"{_el('NOM_DE_FAMILLE', p.nom)}{_el('PRENOM', p.prenom)}"
            f"{_el('TEL_PORTABLE', p.tel)}"
            f"{_el('ADRESSE_ID', 'P' + p.personne_id if p.adresse else None)}</PERSONNE>"
        )
    out.append("</PERSONNES><RESPONSABLES>")
    for k in links:
        out.append(
            f"<RESPONSABLE_ELEVE>{_el('ELEVE_ID', k.eleve_id)}"
            f"{_el('PERSONNE_ID', k.personne_id)}{_el('CODE_PARENTE', k.parente)}"
            f"{_el('NIVEAU_RESPONSABILITE', k.niveau)}"
            f"{_el('PAIE_FRAIS_SCOLAIRES', k.paie)}</RESPONSABLE_ELEVE>"
        )
    out.append("</RESPONSABLES><ADRESSES>")
    for p in persons:
        if p.adresse:
            ligne, cp, commune = p.adresse
            out.append(
                f'<ADRESSE ADRESSE_ID="P{p.personne_id}">{_el("LIGNE1_ADRESSE", ligne)}'
                f"{_el('CODE_POSTAL', cp)}{_el('LIBELLE_POSTAL', commune)}</ADRESSE>"
            )
    out.append("</ADRESSES></DONNEES></BEE_RESPONSABLES>\n")
    return "".join(out).encode("iso-8859-15")


def write(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path
