"""Seedable generator of realistic SIECLE (BEE) exports, for tests, the sandbox and benchmarks.

``generate_siecle(uai, year, n_students, seed)`` returns the four files as
bytes; ``write_siecle(directory, …)`` streams them to disk (optionally zipped
like SIECLE's ``ExportXML_*.zip``) without ever building a whole document, so
50,000 students cost the same memory as 50.

Every student is derived from ``(seed, index)`` alone, so each block of the
Élèves file (ELEVES, OPTIONS, STRUCTURES, ADRESSES) and the Responsables file
regenerate the same student independently: nothing is kept between blocks.

What it exercises (siecle-formats.md): ISO-8859-15 with œ/Œ/ç/é and €; about
3 % of students without INE; some students who left (DATE_SORTIE); D and G
structures in random order; options S/O/F; 1 to 3 responsables per student;
``+33`` phone numbers; a division code with a space; optionally the pre-2016
``NOM`` and pre-2018 ``RESP_LEGAL`` fields (``ancien_format=True``).
All names are invented from short lists written for this module.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from app.domain.siecle import SiecleKind

ENCODING = "ISO-8859-15"
_FLUSH_AT = 64 * 1024

SURNAMES = (
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
    "MOREAU", "SIMON", "LAURENT", "LEFÈVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
    "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRÉ", "MERCIER", "DUPONT", "LAMBERT", "BONNET",
    "FRANÇOIS", "MARTINEZ", "LEGRAND", "GARNIER", "FAURE", "ROUSSEAU", "BLANC", "GUÉRIN",
    "MULLER", "HENRY", "ROUSSEL", "NICOLAS", "PERRIN", "MORIN", "MATHIEU", "CLÉMENT", "GAUTHIER",
    "DUMONT", "LOPEZ", "FONTAINE", "CHEVALIER", "ROBIN", "MASSON", "SANCHEZ", "NOËL", "BŒUF",
    "CŒURDEROY", "ŒUVRARD", "LE GALL", "N'DIAYE", "D'ALMEIDA", "MÉNARD", "BÉRANGER", "GARÇON",
    "LEBŒUF", "DESCHAMPS", "PÉREZ", "TRAORÉ", "NGUYEN", "BENSAÏD", "KOWALSKI", "DA SILVA",
)  # fmt: skip
GIRLS = (
    "Léa", "Chloé", "Zoé", "Maëlys", "Inès", "Anaïs", "Éloïse", "Océane", "Agnès", "Jade",
    "Louise", "Emma", "Alice", "Manon", "Camille", "Héloïse", "Maëlle", "Noémie", "Clémence",
    "Lucie", "Aïcha", "Françoise", "Gaëlle", "Joséphine", "Cœlia", "Léonie", "Capucine",
)  # fmt: skip
BOYS = (
    "Lucas", "Noé", "Raphaël", "Gabriel", "Léo", "Mathéo", "Timothée", "François", "Jérôme",
    "Hugo", "Louis", "Arthur", "Jules", "Adam", "Théo", "Nathan", "Maël", "Enzo", "Clément",
    "Benoît", "Joël", "Anaël", "Mehdi", "Rémi", "Gaël", "Loïc", "Aurélien",
)  # fmt: skip
ADULT_WOMEN = ("Sophie", "Nathalie", "Isabelle", "Céline", "Sandrine", "Hélène", "Véronique",
               "Stéphanie", "Aurélie", "Émilie", "Fatima", "Valérie", "Béatrice")  # fmt: skip
ADULT_MEN = ("Stéphane", "Frédéric", "Olivier", "Jérôme", "Sébastien", "Laurent", "Hervé",
             "Éric", "Thierry", "Karim", "Grégoire", "Cédric", "Benoît")  # fmt: skip
STREETS = ("rue Victor Hugo", "avenue Jean Jaurès", "rue de la République", "place de l'Église",
           "chemin des Écoliers", "rue du Général Leclerc", "boulevard Gambetta",
           "allée des Cœurs Vaillants", "impasse Françoise Dolto", "rue Émile Zola")  # fmt: skip
TOWNS = (("75011", "PARIS", "75111"), ("69003", "LYON", "69383"), ("33000", "BORDEAUX", "33063"),
         ("59000", "LILLE", "59350"), ("44000", "NANTES", "44109"),
         ("13001", "MARSEILLE", "13201"), ("97400", "SAINT-DENIS", "97411"),
         ("93066", "SAINT-DENIS", "93066"))  # fmt: skip
PROFESSIONS = ("23", "33", "37", "38", "46", "47", "48", "52", "54", "55", "56", "62", "63",
               "67", "69", "81", "84", "85", "99")  # fmt: skip

# (level digit, CODE_MEF, FORMATION, LIBELLE_LONG): collège levels, real-looking codes.
LEVELS = (
    ("6", "10010012110", "6EME", "6EME"),
    ("5", "10110001110", "5EME", "5EME"),
    ("4", "10210001110", "4EME", "4EME"),
    ("3", "10310019110", "3EME", "3EME"),
)
# (CODE_MATIERE, CODE_GESTION, LIBELLE_COURT, LIBELLE_LONG)
MATIERES = (
    ("020700", "FRANC", "FRANCAIS", "FRANÇAIS"),
    ("061300", "MATHS", "MATHEMATIQUES", "MATHÉMATIQUES"),
    ("030201", "AGL1", "ANGLAIS LV1", "ANGLAIS LV1"),
    ("030602", "ESP2", "ESPAGNOL LV2", "ESPAGNOL LV2"),
    ("030502", "ALL2", "ALLEMAND LV2", "ALLEMAND LV2"),
    ("020300", "LCALA", "LCA LATIN", "LANGUES ET CULTURES DE L'ANTIQUITÉ : LATIN"),
    ("040700", "HIGEO", "HISTOIRE-GEO", "HISTOIRE-GÉOGRAPHIE-ÉDUCATION CIVIQUE"),
    ("062900", "SVT", "SVT", "SCIENCES DE LA VIE ET DE LA TERRE"),
    ("070200", "PH-CH", "PHYSIQUE-CHIMIE", "PHYSIQUE-CHIMIE"),
    ("080100", "TECHN", "TECHNOLOGIE", "TECHNOLOGIE"),
    ("090100", "A-PLA", "ARTS PLASTIQUES", "ARTS PLASTIQUES"),
    ("090200", "EDMUS", "EDUCATION MUSICALE", "ÉDUCATION MUSICALE"),
    ("001600", "EPS", "EPS", "ÉDUCATION PHYSIQUE ET SPORTIVE"),
)
MODALITES = (("S", "TRONC COMMUN", "MATIERE ENSEIGNEE EN TRONC COMMUN"),
             ("O", "OBLIGATOIRE", "OPTION OBLIGATOIRE"),
             ("F", "FACULTATIVE", "OPTION FACULTATIVE"))  # fmt: skip
_TRONC = ("020700", "061300", "030201", "040700", "062900", "070200", "080100", "090100",
          "090200", "001600")  # fmt: skip
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
CLASS_SIZE = 28


# --- the school: levels, divisions, groups ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Level:
    digit: str
    mef: str
    start: int  # index of the first student of this level
    count: int
    divisions: tuple[str, ...]


def _division_code(digit: str, k: int) -> str:
    # "3 A": SIECLE division codes may contain spaces (siecle-formats.md §2).
    if k < 26:
        return f"{digit} {chr(65 + k)}" if digit == "3" else f"{digit}{chr(65 + k)}"
    return f"{digit}D{k:03d}"


def _levels(n_students: int) -> tuple[_Level, ...]:
    levels: list[_Level] = []
    start = 0
    for position, (digit, mef, _f, _l) in enumerate(LEVELS):
        count = n_students // 4 + (1 if position < n_students % 4 else 0)
        n_div = max(1, -(-count // CLASS_SIZE))
        codes = tuple(_division_code(digit, k) for k in range(n_div))
        levels.append(_Level(digit, mef, start, count, codes))
        start += count
    return tuple(levels)


def _level_groups(level: _Level) -> tuple[tuple[str, str], ...]:
    """(code, label) of the groups of one level."""
    d = level.digit
    if d == "6":
        return ((f"{d}AP1", f"{d}EME AP GROUPE 1"), (f"{d}AP2", f"{d}EME AP GROUPE 2"))
    return ((f"{d}ESP", f"{d}EME ESPAGNOL LV2"), (f"{d}ALL", f"{d}EME ALLEMAND LV2"),
            (f"{d}LAT", f"{d}EME LATIN"))  # fmt: skip


# --- one student, from (seed, index) alone ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    personne_id: str
    civilite: str
    nom: str
    prenom: str
    tel_portable: str
    tel_pro: str | None
    mel: str | None
    profession: str
    adresse_id: str
    code_parente: str
    niveau: int
    resp_legal: str
    paie: bool
    prioritaire: bool
    address: tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class _Student:
    eleve_id: str
    elenoet: str
    ine: str | None
    nom: str
    prenom: str
    prenom2: str | None
    prenom3: str | None
    sexe: str
    naissance: dt.date
    mef: str
    regime: str
    doublement: bool
    entree: dt.date
    sortie: dt.date | None
    motif_sortie: str | None
    structures: tuple[tuple[str, str], ...]  # (code, D|G), shuffled
    options: tuple[tuple[int, str, str], ...]
    tel_portable: str | None
    mel: str | None
    adresse_id: str
    address: tuple[str, str, str, str]  # line1, postcode, town, INSEE
    index: int


def _phone(rng: random.Random, mobile: bool) -> str:
    first = rng.choice("67") if mobile else rng.choice("12345")
    return "+33" + first + "".join(rng.choice("0123456789") for _ in range(8))


def _address(rng: random.Random) -> tuple[str, str, str, str]:
    number = rng.randint(1, 180)
    suffix = rng.choice(("", "", "", " bis", " ter"))
    postcode, town, insee = rng.choice(TOWNS)
    return f"{number}{suffix} {rng.choice(STREETS)}", postcode, town, insee


def _ascii(text: str) -> str:
    table = str.maketrans(
        "ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸàâäçéèêëîïôöùûüÿ' ", "AAACEEEEIIOOUUUYaaaceeeeiioouuuy--"
    )
    return text.translate(table).replace("Œ", "OE").replace("œ", "oe").lower()


class _School:
    def __init__(self, uai: str, year: int, n_students: int, seed: int) -> None:
        self.uai = uai
        self.year = year
        self.n = n_students
        self.seed = seed
        self.levels = _levels(n_students)

    def level_of(self, i: int) -> _Level:
        for level in self.levels:
            if i < level.start + level.count:
                return level
        return self.levels[-1]

    def students(self) -> Iterator[_Student]:
        for i in range(self.n):
            yield self.student(i)

    def student(self, i: int) -> _Student:
        rng = random.Random(f"{self.seed}:{i}")
        level = self.level_of(i)
        position = int(level.digit)
        girl = rng.random() < 0.5
        nom = rng.choice(SURNAMES)
        first_names = GIRLS if girl else BOYS
        doublement = rng.random() < 0.05
        born_year = self.year - 11 - (6 - position) - (1 if doublement else 0)
        naissance = dt.date(born_year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        entree = dt.date(self.year, 9, 1)
        if rng.random() < 0.05:
            entree += dt.timedelta(days=rng.randrange(30, 150))
        sortie = motif = None
        if rng.random() < 0.03:
            sortie = dt.date(self.year, 10, 1) + dt.timedelta(days=rng.randrange(150))
            motif = rng.choice(("DEM", "EXC", "RED"))
        division = level.divisions[(i - level.start) % len(level.divisions)]
        structures, options = self._enrolment(rng, level, division)
        # INE: unique by construction (7919 is prime to 10**9), ~3 % missing.
        ine = None
        if rng.random() >= 0.03:
            digits = (i * 7919 + self.seed * 104729) % 10**9
            ine = f"{digits:09d}{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}"
        address = _address(rng)
        return _Student(
            eleve_id=str(1_000_000 + i * 3),
            elenoet=str(1000 + i % 98000),
            ine=ine,
            nom=nom,
            prenom=rng.choice(first_names),
            prenom2=rng.choice(first_names) if rng.random() < 0.5 else None,
            prenom3=rng.choice(first_names) if rng.random() < 0.1 else None,
            sexe="2" if girl else "1",
            naissance=naissance,
            mef=level.mef,
            regime=rng.choice(("0", "29", "29", "24", "21", "31")),
            doublement=doublement,
            entree=entree,
            sortie=sortie,
            motif_sortie=motif,
            structures=structures,
            options=options,
            tel_portable=_phone(rng, True) if rng.random() < 0.3 else None,
            mel=None,
            adresse_id=str(5_000_000 + i * 4),
            address=address,
            index=i,
        )

    def _enrolment(
        self, rng: random.Random, level: _Level, division: str
    ) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[int, str, str], ...]]:
        structures: list[tuple[str, str]] = [(division, "D")]
        options: list[tuple[int, str, str]] = [(1, "S", "030201")]
        d = level.digit
        if d == "6":
            structures.append((f"{d}AP{rng.randint(1, 2)}", "G"))
        else:
            lv2 = rng.choice((("ESP", "030602"), ("ALL", "030502")))
            structures.append((f"{d}{lv2[0]}", "G"))
            options.append((2, "O", lv2[1]))
            if rng.random() < 0.15:
                structures.append((f"{d}LAT", "G"))
                options.append((3, "F", "020300"))
        rng.shuffle(structures)  # G before D happens: readers must filter on TYPE_STRUCTURE
        return tuple(structures), tuple(options)

    def persons(self, student: _Student) -> tuple[_Person, ...]:
        """The responsables of one student, from their own random stream: the Élèves
        file never pays for them."""
        i, nom, address = student.index, student.nom, student.address
        rng = random.Random(f"{self.seed}:{i}:responsables")
        count = rng.choices((1, 2, 3), weights=(20, 72, 8))[0]
        persons: list[_Person] = []
        for k in range(count):
            if k < 2:
                woman = (k == 0) == (rng.random() < 0.7)
                parente = "10" if woman else "20"  # SIECLE: 10 mère, 20 père
                niveau, legal = 1, str(k + 1)
            else:
                woman = rng.random() < 0.5
                parente, niveau, legal = rng.choice(("39", "90", "50")), 3, "0"
            person_nom = nom if (k == 0 or rng.random() < 0.6) else rng.choice(SURNAMES)
            prenom = rng.choice(ADULT_WOMEN if woman else ADULT_MEN)
            persons.append(
                _Person(
                    personne_id=str(3_000_000 + i * 4 + k),
                    civilite="MME" if woman else "M.",
                    nom=person_nom,
                    prenom=prenom,
                    tel_portable=_phone(rng, True),
                    tel_pro=_phone(rng, False) if rng.random() < 0.4 else None,
                    mel=f"{_ascii(prenom)}.{_ascii(person_nom)}{i}@exemple.fr"
                    if rng.random() < 0.8 else None,
                    profession=rng.choice(PROFESSIONS),
                    adresse_id=str(5_000_000 + i * 4 + k + 1),
                    code_parente=parente,
                    niveau=niveau,
                    resp_legal=legal,
                    paie=k == 0,
                    prioritaire=k == 0,
                    address=address if k < 2 and rng.random() < 0.8 else _address(rng),
                )
            )
        return tuple(persons)


# --- streamed XML writing --------------------------------------------------------------------


class _Out:
    """Buffers text and writes ISO-8859-15 bytes in chunks: memory flat, few syscalls."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.parts: list[str] = []
        self.size = 0

    def raw(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= _FLUSH_AT:
            self.flush()

    def el(self, indent: int, tag: str, value: object | None) -> None:
        """``<TAG>value</TAG>``; ``None`` → absent tag, like SIECLE's NULL."""
        if value is None:
            return
        self.raw(f"{'  ' * indent}<{tag}>{escape(str(value))}</{tag}>\n")

    def flush(self) -> None:
        if self.parts:
            # Characters outside Latin-9 become character references, never errors.
            self.stream.write("".join(self.parts).encode(ENCODING, "xmlcharrefreplace"))
            self.parts.clear()
            self.size = 0


def _d(date: dt.date | None) -> str | None:
    return None if date is None else date.strftime("%d/%m/%Y")


def _head(out: _Out, root: str, version: str, school: _School, exported: dt.date) -> None:
    out.raw(f'<?xml version="1.0" encoding="{ENCODING}"?>\n')
    out.raw(f'<{root} VERSION="{version}">\n  <PARAMETRES>\n')
    out.el(2, "UAJ", school.uai)
    out.el(2, "ANNEE_SCOLAIRE", school.year)
    out.el(2, "DATE_EXPORT", _d(exported))
    out.el(2, "HORODATAGE", f"{_d(exported)} 18:42:07")
    out.raw("  </PARAMETRES>\n  <DONNEES>\n")


def _default_export_date(year: int) -> dt.date:
    return dt.date(year, 10, 15)


def _address_block(out: _Out, adresse_id: str, address: tuple[str, str, str, str]) -> None:
    line1, postcode, town, insee = address
    out.raw(f'      <ADRESSE ADRESSE_ID="{adresse_id}">\n')
    out.el(4, "LIGNE1_ADRESSE", line1)
    out.raw("        <LIGNE2_ADRESSE></LIGNE2_ADRESSE>\n")  # empty tags happen: readers cope
    out.el(4, "CODE_POSTAL", postcode)
    out.el(4, "CODE_PAYS", "100")
    out.el(4, "CODE_COMMUNE_INSEE", insee)
    out.el(4, "LL_PAYS", "FRANCE")
    out.el(4, "CODE_DEPARTEMENT", insee[:3] if insee.startswith("97") else insee[:2].zfill(3))
    out.el(4, "LIBELLE_POSTAL", town)
    out.raw("      </ADRESSE>\n")


def write_eleves(
    stream: IO[bytes], uai: str, year: int, n_students: int, seed: int, *,
    avec_adresses: bool = True, ancien_format: bool = False, date_export: dt.date | None = None,
) -> None:  # fmt: skip
    """Write a ``BEE_ELEVES`` export, block after block, regenerating each student."""
    school = _School(uai, year, n_students, seed)
    out = _Out(stream)
    _head(out, "BEE_ELEVES", "1.8" if ancien_format else "3.0", school,
          date_export or _default_export_date(year))  # fmt: skip
    out.raw("    <ELEVES>\n")
    for s in school.students():
        out.raw(f'      <ELEVE ELEVE_ID="{s.eleve_id}" ELENOET="{s.elenoet}">\n')
        out.el(4, "ID_NATIONAL", s.ine)
        out.el(4, "ELENOET", s.elenoet)
        out.el(4, "ID_ELEVE_ETAB", f"{int(s.elenoet):05d}{uai[1:7]}")
        out.el(4, "NOM" if ancien_format else "NOM_DE_FAMILLE", s.nom)
        out.el(4, "PRENOM", s.prenom)
        out.el(4, "PRENOM2", s.prenom2)
        out.el(4, "PRENOM3", s.prenom3)
        out.el(4, "DATE_NAISS", _d(s.naissance))
        out.el(4, "DOUBLEMENT", "1" if s.doublement else "0")
        out.el(4, "CODE_PAYS", "100")
        out.el(4, "ACCEPTE_SMS", "0")
        out.el(4, "DATE_SORTIE", _d(s.sortie))
        out.el(4, "MEL", s.mel)
        out.el(4, "CODE_REGIME", s.regime)
        out.el(4, "DATE_ENTREE", _d(s.entree))
        out.el(4, "VILLE_NAISS", s.address[2])
        if avec_adresses:
            out.el(4, "ADRESSE_ID", s.adresse_id)
        out.el(4, "CODE_MOTIF_SORTIE", s.motif_sortie)
        out.el(4, "TEL_PORTABLE", s.tel_portable)
        out.el(4, "CODE_SEXE", s.sexe)
        out.el(4, "CODE_PAYS_NAT", "100")
        out.el(4, "CODE_MEF", s.mef)
        out.el(4, "CODE_COMMUNE_INSEE_NAISS", s.address[3])
        out.el(4, "ADHESION_TRANSPORT", "0")
        out.el(4, "CODE_STATUT", "ST")
        out.raw("      </ELEVE>\n")
    out.raw("    </ELEVES>\n    <OPTIONS>\n")
    for s in school.students():
        out.raw(f'      <OPTION ELEVE_ID="{s.eleve_id}" ELENOET="{s.elenoet}">\n')
        for num, modalite, matiere in s.options:
            out.raw("        <OPTIONS_ELEVE>\n")
            out.el(5, "NUM_OPTION", num)
            out.el(5, "CODE_MODALITE_ELECT", modalite)
            out.el(5, "CODE_MATIERE", matiere)
            out.raw("        </OPTIONS_ELEVE>\n")
        out.raw("      </OPTION>\n")
    out.raw("    </OPTIONS>\n    <STRUCTURES>\n")
    for s in school.students():
        out.raw(f'      <STRUCTURES_ELEVE ELEVE_ID="{s.eleve_id}" ELENOET="{s.elenoet}">\n')
        for code, kind in s.structures:
            out.raw("        <STRUCTURE>\n")
            out.el(5, "CODE_STRUCTURE", code)
            out.el(5, "TYPE_STRUCTURE", kind)
            out.raw("        </STRUCTURE>\n")
        out.raw("      </STRUCTURES_ELEVE>\n")
    out.raw("    </STRUCTURES>\n    <BOURSES />\n")
    if avec_adresses:
        out.raw("    <ADRESSES>\n")
        for s in school.students():
            _address_block(out, s.adresse_id, s.address)
        out.raw("    </ADRESSES>\n")
    out.raw("  </DONNEES>\n</BEE_ELEVES>\n")
    out.flush()


def write_responsables(
    stream: IO[bytes], uai: str, year: int, n_students: int, seed: int, *,
    avec_adresses: bool = True, ancien_format: bool = False, date_export: dt.date | None = None,
) -> None:  # fmt: skip
    """Write a ``BEE_RESPONSABLES`` export (PERSONNES, RESPONSABLES, ADRESSES)."""
    school = _School(uai, year, n_students, seed)
    out = _Out(stream)
    _head(out, "BEE_RESPONSABLES", "1.5" if ancien_format else "2.1", school,
          date_export or _default_export_date(year))  # fmt: skip
    out.raw("    <PERSONNES>\n")
    for s in school.students():
        for p in school.persons(s):
            out.raw(f'      <PERSONNE PERSONNE_ID="{p.personne_id}">\n')
            out.el(4, "LC_CIVILITE", p.civilite)
            out.el(4, "LL_CIVILITE", "Madame" if p.civilite == "MME" else "Monsieur")
            out.el(4, "NOM" if ancien_format else "NOM_DE_FAMILLE", p.nom)
            out.el(4, "PRENOM", p.prenom)
            out.el(4, "TEL_PORTABLE", p.tel_portable)
            out.el(4, "ACCEPTE_SMS", "1")
            out.el(4, "TEL_PROFESSIONNEL", p.tel_pro)
            out.el(4, "MEL", p.mel)
            out.el(4, "COMMUNICATION_ADRESSE", "1")
            if avec_adresses:
                out.el(4, "ADRESSE_ID", p.adresse_id)
            out.el(4, "CODE_PROFESSION", p.profession)
            out.raw("      </PERSONNE>\n")
    out.raw("    </PERSONNES>\n    <RESPONSABLES>\n")
    for s in school.students():
        for p in school.persons(s):
            out.raw("      <RESPONSABLE_ELEVE>\n")
            out.el(4, "ELEVE_ID", s.eleve_id)
            out.el(4, "PERSONNE_ID", p.personne_id)
            if ancien_format:
                out.el(4, "RESP_LEGAL", p.resp_legal)
                out.el(4, "CODE_PARENTE", p.code_parente[0])
                out.el(4, "RESP_FINANCIER", "1" if p.paie else "0")
                out.el(4, "PERS_PAIEMENT", "1" if p.paie else "0")
                out.el(4, "PERS_CONTACT", "1" if p.prioritaire else "0")
            else:
                out.el(4, "CODE_PARENTE", p.code_parente)
                out.el(4, "NIVEAU_RESPONSABILITE", p.niveau)
                out.el(4, "PAIE_FRAIS_SCOLAIRES", "1" if p.paie else "0")
                out.el(4, "PERCOIT_LES_AIDES", "1" if p.paie else "0")
                out.el(4, "HEBERGE_ELEVE", "true" if p.niveau == 1 else "false")
                out.el(4, "A_CONTACTER_EN_PRIORITE", "true" if p.prioritaire else "false")
            out.raw("      </RESPONSABLE_ELEVE>\n")
    out.raw("    </RESPONSABLES>\n")
    if avec_adresses:
        out.raw("    <ADRESSES>\n")
        for s in school.students():
            for p in school.persons(s):
                _address_block(out, p.adresse_id, p.address)
        out.raw("    </ADRESSES>\n")
    out.raw("  </DONNEES>\n</BEE_RESPONSABLES>\n")
    out.flush()


def write_nomenclatures(
    stream: IO[bytes], uai: str, year: int, n_students: int, seed: int, *,
    date_export: dt.date | None = None,
) -> None:  # fmt: skip
    """Write a ``BEE_NOMENCLATURES`` export: MEFs, matières, programmes, modalités."""
    school = _School(uai, year, n_students, seed)
    out = _Out(stream)
    _head(out, "BEE_NOMENCLATURES", "3.1", school, date_export or _default_export_date(year))
    out.raw("    <MEFS>\n")
    for _digit, mef, formation, label in LEVELS:
        out.raw(f'      <MEF CODE_MEF="{mef}">\n')
        out.el(4, "FORMATION", formation)
        out.el(4, "LIBELLE_LONG", label)
        out.el(4, "LIBELLE_EDITION", label.capitalize())
        out.el(4, "MEF_RATTACHEMENT", mef)
        out.el(4, "CODE_MEFSTAT", "2111" + mef[2])
        out.el(4, "DATE_OUVERTURE", "01/09/2016")
        out.el(4, "DATE_FERMETURE", "31/12/9999")
        out.raw("      </MEF>\n")
    out.raw("    </MEFS>\n    <MATIERES>\n")
    for code, gestion, court, long_ in MATIERES:
        out.raw(f'      <MATIERE CODE_MATIERE="{code}">\n')
        out.el(4, "CODE_GESTION", gestion)
        out.el(4, "LIBELLE_COURT", court)
        out.el(4, "LIBELLE_LONG", long_)
        out.el(4, "LIBELLE_EDITION", long_.capitalize())
        out.el(4, "MATIERE_ETP", "0")
        out.raw("      </MATIERE>\n")
    out.raw("    </MATIERES>\n    <PROGRAMMES>\n")
    for digit, mef, _formation, _label in LEVELS:
        rows = [(m, "S", "3.00") for m in _TRONC]
        if digit != "6":
            rows += [("030602", "O", "2.50"), ("030502", "O", "2.50"), ("020300", "F", "1.00")]
            rows.append(("020300", "S", "0.50"))  # same subject both S and F: the key is a triple
        for matiere, modalite, horaire in rows:
            out.raw("      <PROGRAMME>\n")
            out.el(4, "CODE_MEF", mef)
            out.el(4, "CODE_MATIERE", matiere)
            out.el(4, "CODE_MODALITE_ELECT", modalite)
            out.el(4, "HORAIRE", horaire)
            out.raw("      </PROGRAMME>\n")
    out.raw("    </PROGRAMMES>\n    <MODALITES_ELECTION>\n")
    for code, court, long_ in MODALITES:
        out.raw(f'      <MODALITE_ELECTION CODE_MODALITE_ELECT="{code}">\n')
        out.el(4, "LIBELLE_COURT", court)
        out.el(4, "LIBELLE_LONG", long_)
        out.raw("      </MODALITE_ELECTION>\n")
    out.raw("    </MODALITES_ELECTION>\n  </DONNEES>\n</BEE_NOMENCLATURES>\n")
    out.flush()


def write_structures(
    stream: IO[bytes], uai: str, year: int, n_students: int, seed: int, *,
    date_export: dt.date | None = None,
) -> None:  # fmt: skip
    """Write a ``BEE_STRUCTURES`` export: every division and group the students use."""
    school = _School(uai, year, n_students, seed)
    out = _Out(stream)
    _head(out, "BEE_STRUCTURES", "2.0", school, date_export or _default_export_date(year))
    out.raw("    <DIVISIONS>\n")
    for level in school.levels:
        for code in level.divisions:
            out.raw(f'      <DIVISION CODE_STRUCTURE="{code}">\n')
            out.el(4, "LIBELLE_LONG", f"{level.digit}EME {code[1:].strip()}")
            out.raw("        <MEFS_APPARTENANCE>\n          <MEF_APPARTENANCE>\n")
            out.el(6, "CODE_MEF", level.mef)
            out.raw("          </MEF_APPARTENANCE>\n        </MEFS_APPARTENANCE>\n")
            out.raw("      </DIVISION>\n")
    out.raw("    </DIVISIONS>\n    <GROUPES>\n")
    for level in school.levels:
        for code, label in _level_groups(level):
            out.raw(f'      <GROUPE CODE_STRUCTURE="{code}">\n')
            out.el(4, "LIBELLE_LONG", label)
            out.raw("        <MEFS_APPARTENANCE>\n          <MEF_APPARTENANCE>\n")
            out.el(6, "CODE_MEF", level.mef)
            out.raw("          </MEF_APPARTENANCE>\n        </MEFS_APPARTENANCE>\n")
            out.raw("        <DIVISIONS_APPARTENANCE>\n")
            for division in level.divisions:
                out.raw("          <DIVISION_APPARTENANCE>\n")
                out.el(6, "CODE_STRUCTURE", division)
                out.raw("          </DIVISION_APPARTENANCE>\n")
            out.raw("        </DIVISIONS_APPARTENANCE>\n")
            out.raw("      </GROUPE>\n")
    out.raw("    </GROUPES>\n  </DONNEES>\n</BEE_STRUCTURES>\n")
    out.flush()


# --- whole exports ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiecleExport:
    """The four files of one school and year, as SIECLE would export them."""

    eleves: bytes
    responsables: bytes
    nomenclatures: bytes
    structures: bytes


def member_name(kind: SiecleKind, avec_adresses: bool = True) -> str:
    """The XML name inside SIECLE's ZIP (siecle-formats.md §1, « Delivery »)."""
    variant = "AvecAdresses" if avec_adresses else "SansAdresses"
    return {
        SiecleKind.ELEVES: f"Eleves{variant}.xml",
        SiecleKind.RESPONSABLES: f"Responsables{variant}.xml",
        SiecleKind.NOMENCLATURES: "Nomenclature.xml",
        SiecleKind.STRUCTURES: "Structures.xml",
    }[kind]


def zip_name(kind: SiecleKind, avec_adresses: bool = True) -> str:
    """``ExportXML_ElevesAvecAdresses.zip`` and the like."""
    return "ExportXML_" + member_name(kind, avec_adresses).removesuffix(".xml") + ".zip"


def generate_siecle(
    uai: str, year: int, n_students: int, seed: int, *,
    avec_adresses: bool = True, ancien_format: bool = False, date_export: dt.date | None = None,
) -> SiecleExport:  # fmt: skip
    """The four files in memory: for tests and small demos (use :func:`write_siecle` for big)."""
    buffers = [io.BytesIO() for _ in range(4)]
    write_eleves(buffers[0], uai, year, n_students, seed, avec_adresses=avec_adresses,
                 ancien_format=ancien_format, date_export=date_export)  # fmt: skip
    write_responsables(buffers[1], uai, year, n_students, seed, avec_adresses=avec_adresses,
                       ancien_format=ancien_format, date_export=date_export)  # fmt: skip
    write_nomenclatures(buffers[2], uai, year, n_students, seed, date_export=date_export)
    write_structures(buffers[3], uai, year, n_students, seed, date_export=date_export)
    return SiecleExport(*(b.getvalue() for b in buffers))


def write_siecle(
    directory: str | os.PathLike[str], uai: str, year: int, n_students: int, seed: int, *,
    avec_adresses: bool = True, ancien_format: bool = False, zipped: bool = False,
    date_export: dt.date | None = None,
) -> dict[SiecleKind, Path]:  # fmt: skip
    """Stream the four files into ``directory`` (as SIECLE's ZIPs if ``zipped``)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written: dict[SiecleKind, Path] = {}
    for kind in SiecleKind:
        xml_path = target / member_name(kind, avec_adresses)
        with open(xml_path, "wb") as stream:
            if kind is SiecleKind.ELEVES:
                write_eleves(stream, uai, year, n_students, seed, avec_adresses=avec_adresses,
                             ancien_format=ancien_format, date_export=date_export)  # fmt: skip
            elif kind is SiecleKind.RESPONSABLES:
                write_responsables(stream, uai, year, n_students, seed,
                                   avec_adresses=avec_adresses, ancien_format=ancien_format,
                                   date_export=date_export)  # fmt: skip
            elif kind is SiecleKind.NOMENCLATURES:
                write_nomenclatures(stream, uai, year, n_students, seed, date_export=date_export)
            else:
                write_structures(stream, uai, year, n_students, seed, date_export=date_export)
        if zipped:
            zip_path = target / zip_name(kind, avec_adresses)
            write_siecle_zip(xml_path, zip_path, xml_path.name)
            xml_path.unlink()
            written[kind] = zip_path
        else:
            written[kind] = xml_path
    return written


def build_siecle_zip(xml: bytes, member: str = "ElevesAvecAdresses.xml") -> bytes:
    """A ZIP like SIECLE's manual exports: one deflated XML member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, xml)
    return buffer.getvalue()


def write_siecle_zip(
    xml_path: str | os.PathLike[str], zip_path: str | os.PathLike[str], member: str | None = None
) -> Path:
    """Zip an XML file already on disk, streaming it (no whole copy in memory)."""
    target = Path(zip_path)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(xml_path, arcname=member or Path(xml_path).name)
    return target
