"""« Établir les correspondances »: local timetable resources ↔ STS-Web items.

Automatic matching first, then the user's manual choices, both persisted on
the local resource (``sts_code``, ``origine`` auto/manuel). Rules:

* teachers: same nom (usage or patronymique) and prénom, accents, case,
  hyphens and spaces ignored; several STS people with that name → the date of
  birth decides; still ambiguous → left for the user;
* subjects: local code = STS code, then = code gestion, then local libellé =
  STS libellé (long or court);
* divisions and groupes: same code (exact, then ignoring case and spaces),
  same nature preferred;
* modalities: same code (a course without modality is sent as « CG »).

Automatic matching never touches a resource the user matched or un-matched
by hand (origine ``manuel``). A match pointing to an STS item that a later
retrieval no longer contains counts as missing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from app.domain.sts import Individu, StsData
from app.errors import PasserelleError
from app.services.sts import timetable_store as tts
from app.services.sts.text import norm
from app.services.sts.timetable_store import TimetableData

log = logging.getLogger(__name__)

TEACHER = "enseignant"
SUBJECT = "matiere"
STRUCTURE = "structure"
MODALITY = "modalite"
KINDS = (TEACHER, SUBJECT, STRUCTURE, MODALITY)
KIND_LABELS = {
    TEACHER: "Professeurs",
    SUBJECT: "Matières",
    STRUCTURE: "Classes et groupes",
    MODALITY: "Modalités de cours",
}
AUTO = "auto"
MANUAL = "manuel"
DEFAULT_MODALITY = "CG"


def structure_key(nature: str, code: str) -> str:
    """Key of an STS structure in :class:`StsItem` (codes are unique per nature only)."""
    return f"{nature}:{code}"


@dataclass(frozen=True, slots=True)
class StsItem:
    """One STS-Web item of a resource type; ``unmatched`` ones are shown in bold."""

    key: str  # the STS code; ``nature:code`` for structures
    code: str
    label: str
    nature: str | None = None
    unmatched: bool = True


@dataclass(frozen=True, slots=True)
class LocalItem:
    id: int
    code: str
    label: str
    sts_key: str | None  # None: no match (or a manual "no match")
    origine: str | None
    sts_label: str | None = None  # None when the match is missing in the current STS data

    @property
    def matched(self) -> bool:
        return self.sts_label is not None


@dataclass(frozen=True, slots=True)
class KindCorrespondances:
    kind: str
    label: str
    local_items: tuple[LocalItem, ...]
    sts_items: tuple[StsItem, ...]

    @property
    def missing(self) -> int:
        """Local items without a valid STS match (their courses cannot be sent)."""
        return sum(1 for item in self.local_items if not item.matched)

    @property
    def unmatched_sts(self) -> int:
        return sum(1 for item in self.sts_items if item.unmatched)


@dataclass(frozen=True, slots=True)
class Correspondances:
    kinds: dict[str, KindCorrespondances]

    def missing_counts(self) -> dict[str, int]:
        return {kind: view.missing for kind, view in self.kinds.items()}

    @property
    def complete(self) -> bool:
        return all(view.missing == 0 for view in self.kinds.values())


# ------------------------------------------------------------- STS catalogue


def _civilite(individu: Individu) -> str:
    return {"1": "M.", "2": "Mme"}.get(individu.sexe or "", "")


def individu_label(individu: Individu) -> str:
    return f"{individu.nom_usage} {individu.prenom}".strip()


def sts_catalogue(sts: StsData | None) -> dict[str, dict[str, StsItem]]:
    """Every STS item per resource type, by key (``unmatched`` not yet set)."""
    out: dict[str, dict[str, StsItem]] = {kind: {} for kind in KINDS}
    if sts is None:
        return out
    for i in sts.individus:
        out[TEACHER][i.id] = StsItem(i.id, i.id, individu_label(i))
    for m in sts.matieres:
        label = f"{m.code_gestion or m.code} – {m.libelle_long}"
        out[SUBJECT][m.code] = StsItem(m.code, m.code, label)
    for d in sts.divisions:
        key = structure_key("division", d.code)
        out[STRUCTURE][key] = StsItem(key, d.code, f"{d.code} (division)", "division")
    for g in sts.groupes:
        key = structure_key("groupe", g.code)
        out[STRUCTURE][key] = StsItem(key, g.code, f"{g.code} (groupe)", "groupe")
    for mod in sts.mods_cours:
        out[MODALITY][mod.code] = StsItem(mod.code, mod.code, mod.libelle_long or mod.code)
    return out


def local_key(kind: str, resource: Any) -> str | None:
    if resource.sts_code is None:
        return None
    if kind == STRUCTURE:
        return structure_key(resource.sts_nature or "division", resource.sts_code)
    return str(resource.sts_code)


def resources_of(data: TimetableData, kind: str) -> dict[int, Any]:
    tables: dict[str, dict[int, Any]] = {
        TEACHER: data.teachers, SUBJECT: data.subjects, STRUCTURE: data.structures,
        MODALITY: data.modalities,
    }
    return tables[kind]


def view(data: TimetableData, sts: StsData | None) -> Correspondances:
    """For each resource type: local items with their match, STS items with ``unmatched``."""
    catalogue = sts_catalogue(sts)
    kinds: dict[str, KindCorrespondances] = {}
    for kind in KINDS:
        items = catalogue[kind]
        used: set[str] = set()
        local_items: list[LocalItem] = []
        for resource in sorted(resources_of(data, kind).values(), key=lambda r: r.code):
            key = local_key(kind, resource)
            target = items.get(key) if key is not None else None
            if target is not None:
                used.add(target.key)
            local_items.append(LocalItem(resource.id, resource.code, resource.label, key,
                                         resource.origine,
                                         target.label if target else None))  # fmt: skip
        sts_items = tuple(
            StsItem(i.key, i.code, i.label, i.nature, i.key not in used)
            for i in sorted(items.values(), key=lambda i: (i.nature or "", i.code))
        )
        kinds[kind] = KindCorrespondances(kind, KIND_LABELS[kind], tuple(local_items), sts_items)
    return Correspondances(kinds)


# ------------------------------------------------------------ automatic matching


def _unique(candidates: Iterable[str]) -> str | None:
    found = list(dict.fromkeys(candidates))
    return found[0] if len(found) == 1 else None


def _auto_teachers(data: TimetableData, sts: StsData) -> list[dict[str, Any]]:
    by_name: dict[tuple[str, str], list[Individu]] = defaultdict(list)
    for i in sts.individus:
        for nom in {norm(i.nom_usage), norm(i.nom_patronymique)}:
            by_name[(nom, norm(i.prenom))].append(i)
    matches = []
    for t in data.teachers.values():
        if t.origine is not None:
            continue
        if t.code in {i.id for i in sts.individus}:
            matches.append({"id": t.id, "sts_code": t.code})
            continue
        candidates = list({i.id: i for i in by_name.get((norm(t.nom), norm(t.prenom)), [])}
                          .values())  # fmt: skip
        if len(candidates) > 1 and t.date_naissance is not None:
            candidates = [i for i in candidates if i.date_naissance == t.date_naissance]
        if len(candidates) == 1:
            matches.append({"id": t.id, "sts_code": candidates[0].id})
    return matches


def _auto_subjects(data: TimetableData, sts: StsData) -> list[dict[str, Any]]:
    codes = {m.code for m in sts.matieres}
    by_gestion: dict[str, list[str]] = defaultdict(list)
    by_label: dict[str, list[str]] = defaultdict(list)
    for m in sts.matieres:
        if m.code_gestion:
            by_gestion[norm(m.code_gestion)].append(m.code)
        for label in {norm(m.libelle_long), norm(m.libelle_court)} - {""}:
            by_label[label].append(m.code)
    matches = []
    for s in data.subjects.values():
        if s.origine is not None:
            continue
        found = (
            s.code if s.code in codes else
            _unique(by_gestion.get(norm(s.code), ()))
            or _unique(by_label.get(norm(s.libelle), ()))
            or _unique(by_label.get(norm(s.code), ()))
        )  # fmt: skip
        if found is not None:
            matches.append({"id": s.id, "sts_code": found})
    return matches


def _auto_structures(data: TimetableData, sts: StsData) -> list[dict[str, Any]]:
    exact = {("division", d.code) for d in sts.divisions} | {("groupe", g.code)
                                                             for g in sts.groupes}
    loose: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for nature, code in sorted(exact):
        loose[norm(code).replace(" ", "")].append((nature, code))
    matches = []
    for s in data.structures.values():
        if s.origine is not None:
            continue
        other = "groupe" if s.nature == "division" else "division"
        found: tuple[str, str] | None = None
        for nature in (s.nature, other):
            if (nature, s.code) in exact:
                found = (nature, s.code)
                break
        if found is None:
            candidates = loose.get(norm(s.code).replace(" ", ""), [])
            same = [c for c in candidates if c[0] == s.nature]
            pick = same if len(same) == 1 else candidates
            found = pick[0] if len(pick) == 1 else None
        if found is not None:
            matches.append({"id": s.id, "sts_code": found[1], "sts_nature": found[0]})
    return matches


def _auto_modalities(data: TimetableData, sts: StsData) -> list[dict[str, Any]]:
    by_code: dict[str, list[str]] = defaultdict(list)
    for m in sts.mods_cours:
        by_code[norm(m.code)].append(m.code)
    matches = []
    for local in data.modalities.values():
        found = _unique(by_code.get(norm(local.code), ()))
        if local.origine is None and found is not None:
            matches.append({"id": local.id, "sts_code": found})
    return matches


def auto_match(conn: Connection, data: TimetableData, sts: StsData) -> dict[str, int]:
    """Fill the automatic matches of resources nobody matched by hand; return how many
    were added per resource type. Resources already matched automatically to an item
    that still exists are kept; stale automatic matches are re-evaluated."""
    catalogue = sts_catalogue(sts)
    stale: dict[str, list[int]] = {}
    for kind in KINDS:
        resources = resources_of(data, kind)
        stale[kind] = [
            r.id for r in resources.values()
            if r.origine == AUTO and local_key(kind, r) not in catalogue[kind]
        ]  # fmt: skip
        for rid in stale[kind]:
            tts.set_match(conn, kind, rid, None, None)
    fresh = tts.load(conn, data.uai, data.annee) if any(stale.values()) else data
    added: dict[str, int] = {}
    for kind, finder in ((TEACHER, _auto_teachers), (SUBJECT, _auto_subjects),
                         (STRUCTURE, _auto_structures), (MODALITY, _auto_modalities)):  # fmt: skip
        matches = finder(fresh, sts)
        tts.set_matches(conn, kind, matches)
        added[kind] = len(matches)
    log.info("auto matching uai=%s annee=%s added=%s", data.uai, data.annee, added)
    return added


def check_manual_target(kind: str, sts_key: str, sts: StsData | None) -> StsItem:
    if kind not in KINDS:
        raise PasserelleError(f"Type de ressource inconnu : « {kind} ».", code="EDT_TYPE")
    item = sts_catalogue(sts)[kind].get(sts_key)
    if item is None:
        raise PasserelleError(
            f"« {sts_key} » n'est pas dans les données STSWEB de l'établissement : "
            "récupérez les données de STSWEB, puis choisissez un élément de la liste.",
            code="EDT_CORRESPONDANCE_INCONNUE",
        )
    return item
