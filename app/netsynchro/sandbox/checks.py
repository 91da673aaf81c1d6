"""What the sandbox does with an upload: the compte rendu of an import task.

Rules are the project's model of the server side (docs/netsynchro-protocol.md
§ Compte rendu): a file for another establishment or year, or one that cannot
be read, is rejected as a whole (task REJETEE); otherwise each unit (a service
for ``edt-sts``, a student for ``eleve-groupe``) is complete, partial (PAR),
modified (MOD) or rejected (REJ). Anomaly codes are ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.sts import StsData
from app.domain.timetable import TimetableService
from app.errors import PasserelleError
from app.formats.errors import FormatError
from app.formats.sts.reader import read_edt_sts
from app.formats.sts.writer import edt_sts_problems
from app.formats.xmlsafe import SafeIterparse
from app.netsynchro.protocol import Anomaly, AnomalyKind, Counters, TaskState


@dataclass
class CheckResult:
    state: TaskState
    counters: Counters = field(default_factory=Counters)
    anomalies: list[Anomaly] = field(default_factory=list)


def _rejected_file(code: str, message: str) -> CheckResult:
    return CheckResult(
        TaskState.REJETEE, Counters(), [Anomaly(AnomalyKind.REJ, code, message, "fichier")]
    )


@dataclass
class _Tally:
    lus: int = 0
    complets: int = 0
    partiels: int = 0
    rejetes: int = 0
    anomalies: list[Anomaly] = field(default_factory=list)

    def result(self, empty_message: str) -> CheckResult:
        if self.lus == 0:
            return _rejected_file("FICHIER_VIDE", empty_message)
        counters = Counters(self.lus, self.complets, self.partiels, self.rejetes)
        state = TaskState.REJETEE if self.rejetes == self.lus else TaskState.TERMINEE
        return CheckResult(state, counters, self.anomalies)


# --- EDT_STS --------------------------------------------------------------------


def check_edt_sts(path: Path, sts: StsData, uai: str, year: int) -> CheckResult:
    """Check an annual timetable against the establishment's STS data."""
    try:
        timetable = read_edt_sts(path, expected_uai=uai, expected_year=year)
    except FormatError as exc:
        return _rejected_file(exc.code, exc.message)
    # Like the published service, the file must pass the schema before any unit is looked at.
    problems = edt_sts_problems(path.read_bytes())
    if problems:
        return _rejected_file("SCHEMA", "Fichier EDT_STS non valide : " + " ; ".join(problems[:3]))
    tally = _Tally()
    if timetable.annee is None:
        tally.anomalies.append(
            Anomaly(AnomalyKind.MOD, "ANNEE_ABSENTE",
                    f"Le fichier n'indique pas l'année : l'année {year} de l'adresse a été "
                    "retenue.", "PARAMETRES")
        )  # fmt: skip
    matieres = {m.code for m in sts.matieres}
    mods = {m.code for m in sts.mods_cours}
    individus = {i.id for i in sts.individus}
    divisions = {d.code for d in sts.divisions}
    groupes = {g.code for g in sts.groupes}
    alternances = {a.code for a in timetable.alternances}
    for kind, code, services in timetable.structures():
        known = divisions if kind.value == "division" else groupes
        for service in services:
            _check_service(
                tally, kind.value, code, service, code in known,
                matieres, mods, individus, alternances,
            )  # fmt: skip
    return tally.result("Le fichier ne contient aucun service : rien à importer.")


def _check_service(
    tally: _Tally,
    kind: str,
    structure: str,
    service: TimetableService,
    structure_known: bool,
    matieres: set[str],
    mods: set[str],
    individus: set[str],
    alternances: set[str],
) -> None:
    tally.lus += 1
    ref = f"{kind} {structure} / matière {service.code_matiere}"

    def reject(code: str, message: str) -> None:
        tally.rejetes += 1
        tally.anomalies.append(Anomaly(AnomalyKind.REJ, code, message, ref))

    if not structure_known:
        return reject("STRUCTURE_INCONNUE", f"La {kind} « {structure} » n'existe pas dans STSWEB.")
    if service.code_matiere not in matieres:
        return reject(
            "MATIERE_INCONNUE",
            f"La matière {service.code_matiere} n'est pas dans les nomenclatures de STSWEB.",
        )
    if service.code_mod_cours is None:
        tally.anomalies.append(
            Anomaly(AnomalyKind.MOD, "MODALITE_PAR_DEFAUT",
                    "Modalité de cours absente : « CG » (cours général) a été retenue.", ref)
        )  # fmt: skip
    elif service.code_mod_cours not in mods:
        return reject(
            "MODALITE_INCONNUE", f"La modalité de cours « {service.code_mod_cours} » est inconnue."
        )
    partial = False
    kept = 0
    for enseignant in service.enseignants:
        if enseignant.id not in individus:
            partial = True
            tally.anomalies.append(
                Anomaly(AnomalyKind.PAR, "ENSEIGNANT_INCONNU",
                        f"L'enseignant {enseignant.id} n'est pas connu de STSWEB : ses cours "
                        "n'ont pas été importés.", ref)
            )  # fmt: skip
            continue
        kept += 1
        for alternance in sorted({c.alternance for c in enseignant.cours} - alternances):
            partial = True
            tally.anomalies.append(
                Anomaly(AnomalyKind.PAR, "ALTERNANCE_INCONNUE",
                        f"L'alternance « {alternance} » n'est pas déclarée dans le fichier : "
                        f"les cours de l'enseignant {enseignant.id} qui l'utilisent n'ont pas "
                        "été importés.", ref)
            )  # fmt: skip
    if service.enseignants and kept == 0:
        return reject("AUCUN_ENSEIGNANT", "Aucun enseignant de ce service n'est connu de STSWEB.")
    if partial:
        tally.partiels += 1
    else:
        tally.complets += 1
    return None


# --- eleve-groupe ----------------------------------------------------------------


@dataclass(frozen=True)
class SieclePicture:
    """What the eleve-groupe check needs from the establishment's SIECLE data."""

    eleve_ids: frozenset[str]
    ines: frozenset[str]
    groupes: frozenset[str]


def read_siecle_picture(eleves_xml: Path, structures_xml: Path) -> SieclePicture:
    eleve_ids: set[str] = set()
    ines: set[str] = set()
    groupes: set[str] = set()
    for _, el in SafeIterparse(eleves_xml, events=("end",), tag="ELEVE"):
        if el.get("ELEVE_ID"):
            eleve_ids.add(el.get("ELEVE_ID").strip())
        ine = el.findtext("ID_NATIONAL")
        if ine:
            ines.add(ine.strip())
        SafeIterparse.release(el)
    for _, el in SafeIterparse(structures_xml, events=("end",), tag="GROUPE"):
        code = el.get("CODE_STRUCTURE") or el.findtext("CODE_STRUCTURE")
        if code:
            groupes.add(code.strip())
        SafeIterparse.release(el)
    return SieclePicture(frozenset(eleve_ids), frozenset(ines), frozenset(groupes))


def check_eleve_groupe(path: Path, picture: SieclePicture, uai: str, year: int) -> CheckResult:
    """Check student–group links: unknown student → REJ, unknown group → PAR."""
    tally = _Tally()
    try:
        header_ok = False
        for event, el in SafeIterparse(path, events=("start", "end")):
            if event == "start":
                if el.getparent() is None and el.tag != "IMPORT_ELEVES":
                    return _rejected_file(
                        "RACINE", f"Ce fichier n'est pas un import élève-groupe ({el.tag})."
                    )
                continue
            if el.tag == "PARAMETRES":
                uaj, annee = el.findtext("UAJ"), el.findtext("ANNEE_SCOLAIRE")
                problem = _check_header(uaj, annee, uai, year)
                if problem is not None:
                    return problem
                header_ok = True
            elif el.tag == "ELEVE":
                if not header_ok:
                    return _rejected_file("PARAMETRES", "L'en-tête PARAMETRES manque.")
                _check_eleve(tally, el, picture)
                SafeIterparse.release(el)
    except PasserelleError as exc:
        return _rejected_file(exc.code, exc.message)
    return tally.result("Le fichier ne contient aucun élève : rien à importer.")


def _check_header(
    uaj: str | None, annee: str | None, uai: str, year: int
) -> CheckResult | None:
    if (uaj or "").strip().upper() != uai:
        return _rejected_file(
            "MAUVAIS_UAI", f"Le fichier est celui de l'établissement {uaj}, pas de {uai}."
        )
    if (annee or "").strip() != str(year):
        return _rejected_file("MAUVAISE_ANNEE", f"Le fichier concerne l'année {annee}, pas {year}.")
    return None


def _check_eleve(tally: _Tally, el: Any, picture: SieclePicture) -> None:
    find = el.findtext
    eleve_id = (find("ELEVE_ID") or "").strip()
    ine = (find("ID_NATIONAL") or "").strip()
    ref = f"élève {eleve_id or ine or (find('ID_PRV_ELE') or '').strip() or '?'}"
    tally.lus += 1
    if not ((eleve_id and eleve_id in picture.eleve_ids) or (ine and ine in picture.ines)):
        tally.rejetes += 1
        tally.anomalies.append(
            Anomaly(AnomalyKind.REJ, "ELEVE_INCONNU",
                    "Élève introuvable dans SIECLE : mettez à jour ses identifiants.", ref)
        )  # fmt: skip
        return
    codes: Iterable[str] = (
        (g.findtext("CODE_GROUPE") or "").strip()
        for g in el.iterfind("GROUPES/GROUPE")
    )
    unknown = [c for c in codes if c not in picture.groupes]
    for code in unknown:
        tally.anomalies.append(
            Anomaly(AnomalyKind.PAR, "GROUPE_INCONNU",
                    f"Le groupe « {code} » n'existe pas : ce lien n'a pas été importé.", ref)
        )  # fmt: skip
    if unknown:
        tally.partiels += 1
    else:
        tally.complets += 1
