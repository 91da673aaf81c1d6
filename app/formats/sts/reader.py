"""Readers of the STS-Web timetable files (sts-formats.md §1A and §1B).

* :func:`read_sts_edt` reads the STS-Web export ``STS_EDT``
  (``sts_emp_<UAI>_<AAAA>.xml``, possibly zipped) into :class:`StsData`;
* :func:`read_edt_sts` reads an ``EDT_STS`` file (ours, or a timetable
  software's) into :class:`Timetable`.

Both stream through :class:`SafeIterparse` (hardened, flat memory), trim every
value (real files pad them with newlines), ignore unknown elements and never
depend on attribute order. The trap between the two files: UAJ and
ANNEE_SCOLAIRE are *attributes* (``CODE``, ``ANNEE``) in STS_EDT and *text* in
EDT_STS. Every failure is a :class:`FormatError` with a French message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.school_year import year_label
from app.domain.sts import (
    Discipline,
    Division,
    Enseignant,
    Groupe,
    Individu,
    IndividuType,
    Matiere,
    Mef,
    ModCours,
    Service,
    StsData,
)
from app.domain.timetable import (
    Alternance,
    Are,
    CoursSlot,
    DivisionAppartenance,
    Horaire,
    Indemnite,
    Salle,
    Timetable,
    TimetableDivision,
    TimetableEnseignant,
    TimetableGroupe,
    TimetableIndividu,
    TimetableService,
    monday_of,
    parse_hhmm,
)
from app.domain.uai import is_valid_uai, normalize_uai
from app.formats.errors import FormatError
from app.formats.sts._xml import (
    Element,
    Handler,
    Input,
    as_bool,
    as_date,
    as_decimal,
    as_int,
    as_year,
    attr,
    bad_value,
    open_xml,
    required_attr,
    required_text,
    text,
    walk,
    where,
)
from app.formats.xmlsafe import root_tag

STS_EDT = "STS_EDT"
EDT_STS = "EDT_STS"


# ---------------------------------------------------------------- root checks


def _refuse_root(tag: str, expected: str) -> None:
    if tag == expected:
        return
    if expected == STS_EDT and tag == EDT_STS:
        raise FormatError(
            "Ce fichier est un export d'emploi du temps (EDT_STS), pas un export de STSWEB. "
            "Dans STSWEB, prenez « Exports > Emploi du temps » : le fichier s'appelle "
            "sts_emp_<UAI>_<année>.xml.",
            code="STS_EST_EDT_STS",
        )
    if expected == EDT_STS and tag == STS_EDT:
        raise FormatError(
            "Ce fichier est un export de STSWEB (STS_EDT, sts_emp_…), pas un export d'emploi "
            "du temps. Veillez à ne pas inverser les deux fichiers.",
            code="EDT_STS_EST_STS_EDT",
        )
    if tag.startswith("BEE_"):
        raise FormatError(
            f"Ce fichier est un export SIECLE ({tag}), pas un export de STSWEB. "
            "Importez-le avec « Fichier > IMPORTS/EXPORTS > SIECLE > Récupérer les données des "
            "élèves ».",
            code="STS_EST_SIECLE",
        )
    if expected == STS_EDT:
        raise FormatError(
            f"Ce fichier XML n'est pas un export STSWEB pour l'emploi du temps : sa racine est "
            f"« {tag} », elle devrait être « STS_EDT » (fichier sts_emp_<UAI>_<année>.xml).",
            code="STS_RACINE",
        )
    raise FormatError(
        f"Ce fichier XML n'est pas un fichier d'emploi du temps pour STSWEB : sa racine est "
        f"« {tag} », elle devrait être « EDT_STS ».",
        code="EDT_STS_RACINE",
    )


def _check_identity(
    uai_raw: str,
    annee: int | None,
    element: Element,
    expected_uai: str | None,
    expected_year: int | None,
    kind: str,
) -> str:
    uai = normalize_uai(uai_raw)
    if not is_valid_uai(uai):
        raise FormatError(
            f"Le code établissement « {uai_raw} » de ce fichier {kind}{where(element)} n'est pas "
            "un code UAI valide.",
            code="STS_UAI_INVALIDE",
        )
    if expected_uai is not None and uai != normalize_uai(expected_uai):
        raise FormatError(
            f"Ce fichier {kind} est celui de l'établissement {uai}, pas de "
            f"{normalize_uai(expected_uai)}. Vérifiez que vous avez pris l'export du bon "
            "établissement.",
            code="STS_MAUVAIS_UAI",
        )
    if expected_year is not None and annee is not None and annee != expected_year:
        raise FormatError(
            f"Ce fichier {kind} concerne l'année scolaire {year_label(annee)}, pas "
            f"{year_label(expected_year)}. Prenez l'export de l'année {year_label(expected_year)}.",
            code="STS_MAUVAISE_ANNEE",
        )
    return uai


def detect_kind(source: Input) -> str:
    """Root name of an STS file (``STS_EDT``, ``EDT_STS`` or another, refused) after unzipping."""
    with open_xml(source) as xml:
        tag = root_tag(xml)
    if tag not in (STS_EDT, EDT_STS):
        _refuse_root(tag, STS_EDT)
    return tag


def read_sts_file(
    source: Input, *, expected_uai: str | None = None, expected_year: int | None = None
) -> StsData | Timetable:
    """Read either file, chosen by its root."""
    with open_xml(source) as xml:
        tag = root_tag(xml)
        if tag == EDT_STS:
            return _read_edt_sts(xml, expected_uai, expected_year)
        return _read_sts_edt(xml, expected_uai, expected_year)


# ------------------------------------------------------------------- STS_EDT


def read_sts_edt(
    source: Input, *, expected_uai: str | None = None, expected_year: int | None = None
) -> StsData:
    """Read an STS-Web export (path, bytes, plain or zipped).

    ``expected_uai`` / ``expected_year`` refuse another school's or another year's file.
    """
    with open_xml(source) as xml:
        return _read_sts_edt(xml, expected_uai, expected_year)


@dataclass
class _StsState:
    uai: str | None = None
    annee: int | None = None
    parametres: bool = False
    matieres: list[Matiere] = field(default_factory=list)
    mods: list[ModCours] = field(default_factory=list)
    mefs: list[Mef] = field(default_factory=list)
    individus: list[Individu] = field(default_factory=list)
    divisions: list[Division] = field(default_factory=list)
    groupes: list[Groupe] = field(default_factory=list)


def _read_sts_edt(
    xml: str | Path | bytes, expected_uai: str | None, expected_year: int | None
) -> StsData:
    state = _StsState()

    def on_uaj(el: Element) -> None:
        state.uai = required_attr(el, "CODE", "le code UAI de l'établissement")

    def on_annee(el: Element) -> None:
        raw = required_attr(el, "ANNEE", "l'année scolaire")
        state.annee = as_year(el, "ANNEE", raw)

    def on_parametres(el: Element) -> None:
        if state.uai is None or state.annee is None:
            raise FormatError(
                "L'en-tête PARAMETRES de ce fichier STSWEB ne donne pas l'établissement (UAJ) "
                "et l'année scolaire (ANNEE_SCOLAIRE) : fichier incomplet.",
                code="STS_INCOMPLET",
            )
        state.uai = _check_identity(
            state.uai, state.annee, el, expected_uai, expected_year, "STSWEB"
        )
        state.parametres = True

    n = (STS_EDT, "NOMENCLATURES")
    d = (STS_EDT, "DONNEES")
    handlers: dict[tuple[str, ...], Handler] = {
        (STS_EDT, "PARAMETRES", "UAJ"): on_uaj,
        (STS_EDT, "PARAMETRES", "ANNEE_SCOLAIRE"): on_annee,
        (STS_EDT, "PARAMETRES"): on_parametres,
        (*n, "MATIERES", "MATIERE"): lambda el: state.matieres.append(_matiere(el)),
        (*n, "MODS_COURS", "MOD_COURS"): lambda el: state.mods.append(_mod_cours(el)),
        (*n, "MEFS", "MEF"): lambda el: state.mefs.append(_mef(el)),
        (*d, "INDIVIDUS", "INDIVIDU"): lambda el: state.individus.append(_individu(el)),
        (*d, "STRUCTURE", "DIVISIONS", "DIVISION"): lambda el: state.divisions.append(
            _division(el)
        ),
        (*d, "STRUCTURE", "GROUPES", "GROUPE"): lambda el: state.groupes.append(_groupe(el)),
    }

    def on_root(tag: str) -> None:
        _refuse_root(tag, STS_EDT)

    def guard(path: tuple[str, ...], handler: Handler) -> Handler:
        # Identity is checked first: no data is trusted from a file whose header is missing.
        def run(el: Element) -> None:
            if path[1] != "PARAMETRES" and not state.parametres:
                raise FormatError(
                    "Ce fichier STSWEB ne commence pas par son en-tête PARAMETRES "
                    "(établissement et année) : fichier incomplet ou modifié.",
                    code="STS_INCOMPLET",
                )
            handler(el)

        return run

    walk(xml, on_root, {path: guard(path, h) for path, h in handlers.items()})
    if not state.parametres or state.uai is None or state.annee is None:
        raise FormatError(
            "Ce fichier STSWEB n'a pas d'en-tête PARAMETRES (établissement et année) : "
            "fichier incomplet.",
            code="STS_INCOMPLET",
        )
    return StsData(
        uai=state.uai,
        annee=state.annee,
        matieres=tuple(state.matieres),
        mods_cours=tuple(state.mods),
        mefs=tuple(state.mefs),
        individus=tuple(state.individus),
        divisions=tuple(state.divisions),
        groupes=tuple(state.groupes),
    )


def _matiere(el: Element) -> Matiere:
    code = required_attr(el, "CODE", "le code de la matière")
    libelle_long = text(el, "LIBELLE_LONG")
    libelle_court = text(el, "LIBELLE_COURT")
    return Matiere(
        code=code,
        code_gestion=text(el, "CODE_GESTION"),
        libelle_court=libelle_court,
        # LIBELLE_LONG is required by the DTD; fall back rather than refuse a whole file.
        libelle_long=libelle_long or libelle_court or code,
        libelle_edition=text(el, "LIBELLE_EDITION"),
    )


def _mod_cours(el: Element) -> ModCours:
    return ModCours(
        code=required_attr(el, "CODE", "le code de la modalité de cours"),
        libelle_court=text(el, "LIBELLE_COURT"),
        libelle_long=text(el, "LIBELLE_LONG"),
        co_ens=bool(as_bool(el, "CO_ENS", text(el, "CO_ENS"))),
    )


def _mef(el: Element) -> Mef:
    return Mef(
        code=required_attr(el, "CODE", "le code MEF"),
        libelle_long=text(el, "LIBELLE_LONG"),
        libelle_edition=text(el, "LIBELLE_EDITION"),
        formation=text(el, "FORMATION"),
        specialite=text(el, "SPECIALITE"),
        mefstat11=text(el, "MEFSTAT11"),
        mefstat4=text(el, "MEFSTAT4"),
    )


def _individu_type(el: Element, value: str) -> IndividuType:
    try:
        return IndividuType(value.lower())
    except ValueError:
        raise bad_value(el, "TYPE", value, "epp ou local") from None


def _individu(el: Element) -> Individu:
    ident = required_attr(el, "ID", "l'identifiant de la personne")
    kind = _individu_type(el, required_attr(el, "TYPE", "le type de la personne (epp/local)"))
    disciplines = tuple(
        Discipline(
            code=required_attr(d, "CODE", "le code de la discipline"),
            libelle=text(d, "LIBELLE_COURT") or "",
            nb_heures=as_decimal(d, "NB_HEURES", text(d, "NB_HEURES")),
        )
        for d in el.iterfind("DISCIPLINES/DISCIPLINE")
    )
    return Individu(
        id=ident,
        type=kind,
        sexe=text(el, "SEXE"),
        nom_usage=text(el, "NOM_USAGE") or "",
        nom_patronymique=text(el, "NOM_PATRONYMIQUE") or "",
        prenom=text(el, "PRENOM") or "",
        civilite=text(el, "CIVILITE"),
        date_naissance=as_date(el, "DATE_NAISSANCE", text(el, "DATE_NAISSANCE")),
        grade=text(el, "GRADE"),
        fonction=text(el, "FONCTION"),
        disciplines=disciplines,
    )


def _services(el: Element) -> tuple[Service, ...]:
    services: list[Service] = []
    for s in el.iterfind("SERVICES/SERVICE"):
        enseignants = tuple(
            Enseignant(
                id=required_attr(e, "ID", "l'identifiant de l'enseignant"),
                type=_individu_type(e, required_attr(e, "TYPE", "le type de l'enseignant")),
                heures_agent=as_decimal(e, "HEURES_AGENT", text(e, "HEURES_AGENT")),
            )
            for e in s.iterfind("ENSEIGNANTS/ENSEIGNANT")
        )
        services.append(
            Service(
                code_matiere=required_attr(s, "CODE_MATIERE", "la matière du service"),
                code_mod_cours=required_attr(s, "CODE_MOD_COURS", "la modalité du service"),
                heures_structure=as_decimal(s, "HEURES_STRUCTURE", text(s, "HEURES_STRUCTURE")),
                co_ens=as_bool(s, "CO_ENS", text(s, "CO_ENS")),
                enseignants=enseignants,
            )
        )
    return tuple(services)


def _codes(el: Element, path: str) -> tuple[str, ...]:
    return tuple(code for child in el.iterfind(path) if (code := attr(child, "CODE")) is not None)


def _division(el: Element) -> Division:
    return Division(
        code=required_attr(el, "CODE", "le code de la division"),
        libelle=text(el, "LIBELLE_LONG"),
        mefs=_codes(el, "MEFS_APPARTENANCE/MEF_APPARTENANCE"),
        services=_services(el),
    )


def _groupe(el: Element) -> Groupe:
    return Groupe(
        code=required_attr(el, "CODE", "le code du groupe"),
        libelle=text(el, "LIBELLE_LONG"),
        mefs=_codes(el, "MEFS_APPARTENANCE/MEF_APPARTENANCE"),
        divisions_appartenance=_codes(el, "DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE"),
        services=_services(el),
    )


# ------------------------------------------------------------------- EDT_STS


def read_edt_sts(
    source: Input, *, expected_uai: str | None = None, expected_year: int | None = None
) -> Timetable:
    """Read an EDT_STS timetable file (path, bytes, plain or zipped)."""
    with open_xml(source) as xml:
        return _read_edt_sts(xml, expected_uai, expected_year)


@dataclass
class _EdtState:
    uai: str | None = None
    annee: int | None = None
    application_source: str | None = None
    parametres: bool = False
    horaires: list[Horaire] = field(default_factory=list)
    alternances: list[Alternance] = field(default_factory=list)
    salles: list[Salle] = field(default_factory=list)
    individus: list[TimetableIndividu] = field(default_factory=list)
    divisions: list[TimetableDivision] = field(default_factory=list)
    groupes: list[TimetableGroupe] = field(default_factory=list)


def _read_edt_sts(
    xml: str | Path | bytes, expected_uai: str | None, expected_year: int | None
) -> Timetable:
    state = _EdtState()

    def on_parametres(el: Element) -> None:
        uai = required_text(el, "UAJ", "le code UAI de l'établissement")
        year_text = text(el, "ANNEE_SCOLAIRE")
        annee = as_year(el, "ANNEE_SCOLAIRE", year_text) if year_text is not None else None
        state.uai = _check_identity(
            uai, annee, el, expected_uai, expected_year, "d'emploi du temps"
        )
        state.annee = annee
        state.application_source = text(el, "APPLICATION_SOURCE")
        state.parametres = True

    d = (EDT_STS, "DONNEES")
    handlers: dict[tuple[str, ...], Handler] = {
        (EDT_STS, "PARAMETRES"): on_parametres,
        (*d, "HORAIRES", "HORAIRE"): lambda el: state.horaires.append(_horaire(el)),
        (*d, "ALTERNANCES", "ALTERNANCE"): lambda el: state.alternances.append(_alternance(el)),
        (*d, "SALLES_COURS", "SALLE_COURS"): lambda el: state.salles.append(
            Salle(
                code=required_attr(el, "CODE", "le code de la salle"),
                groupe_salle=text(el, "GROUPE_SALLE"),
                localisation=text(el, "LOCALISATION"),
            )
        ),
        (*d, "INDIVIDUS", "INDIVIDU"): lambda el: state.individus.append(_tt_individu(el)),
        (*d, "STRUCTURE", "DIVISIONS", "DIVISION"): lambda el: state.divisions.append(
            TimetableDivision(
                code=required_attr(el, "CODE", "le code de la division"),
                services=_tt_services(el),
            )
        ),
        (*d, "STRUCTURE", "GROUPES", "GROUPE"): lambda el: state.groupes.append(_tt_groupe(el)),
    }

    def on_root(tag: str) -> None:
        _refuse_root(tag, EDT_STS)

    def guard(path: tuple[str, ...], handler: Handler) -> Handler:
        def run(el: Element) -> None:
            if path[1] != "PARAMETRES" and not state.parametres:
                raise FormatError(
                    "Ce fichier d'emploi du temps ne commence pas par son en-tête PARAMETRES "
                    "(établissement et année) : fichier incomplet ou modifié.",
                    code="STS_INCOMPLET",
                )
            handler(el)

        return run

    walk(xml, on_root, {path: guard(path, h) for path, h in handlers.items()})
    if not state.parametres or state.uai is None:
        raise FormatError(
            "Ce fichier d'emploi du temps n'a pas d'en-tête PARAMETRES (établissement et "
            "année) : fichier incomplet.",
            code="STS_INCOMPLET",
        )
    return Timetable(
        uai=state.uai,
        annee=state.annee,
        horaires=tuple(state.horaires),
        alternances=tuple(state.alternances),
        salles=tuple(state.salles),
        individus=tuple(state.individus),
        divisions=tuple(state.divisions),
        groupes=tuple(state.groupes),
        application_source=state.application_source,
    )


def _minutes(el: Element, name: str) -> int:
    raw = required_text(el, name, "une heure au format HHMM")
    try:
        return parse_hhmm(raw)
    except ValueError as exc:
        raise FormatError(f"{name} dans {el.tag}{where(el)} : {exc}", code="STS_VALEUR") from None


def _day(el: Element, value: str | None) -> int:
    day = as_int(el, "JOUR", value)
    if day is None or not 1 <= day <= 7:
        raise bad_value(el, "JOUR", value or "", "un jour de 1 (lundi) à 7 (dimanche)")
    return day


def _horaire(el: Element) -> Horaire:
    day = _day(el, attr(el, "JOUR"))
    try:
        return Horaire(day, _minutes(el, "DEBUT_COURS"), _minutes(el, "FIN_COURS"))
    except ValueError as exc:
        raise FormatError(f"{exc}{where(el)}", code="STS_VALEUR") from None


def _alternance(el: Element) -> Alternance:
    code = required_attr(el, "CODE", "le code de l'alternance")
    weeks: list[dt.date] = []
    for week in el.iterfind("SEMAINES/DATE_DEBUT_SEMAINE"):
        value = as_date(week, "DATE_DEBUT_SEMAINE", (week.text or "").strip() or None)
        if value is None:
            continue
        # Timetable software should write Mondays; like OE we snap any date to its week.
        monday = monday_of(value)
        if monday not in weeks:
            weeks.append(monday)
    return Alternance(
        code=code,
        libelle_court=text(el, "LIBELLE_COURT") or code,
        libelle_long=text(el, "LIBELLE_LONG") or text(el, "LIBELLE_COURT") or code,
        week_starts=tuple(weeks),
    )


def _tt_individu(el: Element) -> TimetableIndividu:
    return TimetableIndividu(
        id=required_attr(el, "ID", "l'identifiant de la personne"),
        indemnites=tuple(
            Indemnite(
                code_structure=required_text(i, "CODE_STRUCTURE", "la division de l'indemnité"),
                mefstat4=text(i, "MEFSTAT4") or "",
            )
            for i in el.iterfind("INDEMNITES/INDEMNITE")
        ),
        ares=tuple(_are(a) for a in el.iterfind("ARES/ARE")),
    )


def _are(el: Element) -> Are:
    code = required_text(el, "CODE_ARE", "le code de l'ARE")
    heures = as_decimal(el, "HEURES", required_text(el, "HEURES", "les heures de l'ARE"))
    assert heures is not None  # required_text never returns None
    return Are(code_are=code, heures=heures)


def _cours(el: Element) -> CoursSlot:
    alternance = required_text(el, "CODE_ALTERNANCE", "l'alternance du cours")
    day = _day(el, text(el, "JOUR"))
    start = _minutes(el, "HEURE_DEBUT")
    duration = _minutes(el, "DUREE")
    try:
        return CoursSlot(alternance, day, start, duration, text(el, "CODE_SALLE"))
    except ValueError as exc:
        raise FormatError(f"{exc}{where(el)}", code="STS_VALEUR") from None


def _tt_services(el: Element) -> tuple[TimetableService, ...]:
    services: list[TimetableService] = []
    for s in el.iterfind("SERVICES/SERVICE"):
        enseignants = tuple(
            TimetableEnseignant(
                id=required_attr(e, "ID", "l'identifiant de l'enseignant"),
                type=attr(e, "TYPE"),
                heures_agent=as_decimal(e, "HEURES_AGENT", text(e, "HEURES_AGENT")),
                taux_ponderation=as_decimal(e, "TAUX_PONDERATION", text(e, "TAUX_PONDERATION")),
                cours=tuple(_cours(c) for c in e.iterfind("COURS_RATTACHES/COURS")),
            )
            for e in s.iterfind("ENSEIGNANTS/ENSEIGNANT")
        )
        services.append(
            TimetableService(
                code_matiere=required_attr(s, "CODE_MATIERE", "la matière du service"),
                code_mod_cours=attr(s, "CODE_MOD_COURS"),
                heures_structure=as_decimal(s, "HEURES_STRUCTURE", text(s, "HEURES_STRUCTURE")),
                co_ens=as_bool(s, "CO_ENS", text(s, "CO_ENS")),
                enseignants=enseignants,
            )
        )
    return tuple(services)


def _tt_groupe(el: Element) -> TimetableGroupe:
    return TimetableGroupe(
        code=required_attr(el, "CODE", "le code du groupe"),
        libelle_long=text(el, "LIBELLE_LONG"),
        effectif_prevu=as_int(el, "EFFECTIF_PREVU", text(el, "EFFECTIF_PREVU")),
        effectif_max_edt=as_int(el, "EFFECTIF_MAX_EDT", text(el, "EFFECTIF_MAX_EDT")),
        divisions_appartenance=tuple(
            DivisionAppartenance(
                code=attr(a, "CODE"),
                effectif_prevu=as_int(a, "EFFECTIF_PREVU", text(a, "EFFECTIF_PREVU")),
            )
            for a in el.iterfind("DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE")
        ),
        services=_tt_services(el),
    )
