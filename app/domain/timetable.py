"""The annual timetable as Passerelle models it (what an ``EDT_STS`` file carries).

Times are minutes since midnight and durations are minutes everywhere inside
the application; the ``HHMM`` text form (``0830``, ``0130`` = 1 h 30) exists only
at the file boundary, through :func:`parse_hhmm` / :func:`format_hhmm`.

Two views of the same data:

* the *tree* (:class:`Timetable` → divisions/groupes → services → enseignants →
  :class:`CoursSlot`), which is exactly the nesting of the file;
* the *flat* view (:class:`Course`), one row per taught slot, which the base and
  the screens use. A co-taught slot (same slot under several ENSEIGNANT of one
  SERVICE) is one :class:`Course` with several teacher ids.

:func:`assemble_timetable` builds the tree from flat courses. Validation raises
``ValueError`` with a French message; the format layer turns it into a
``FormatError``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

MINUTES_PER_DAY = 24 * 60
_HHMM_RE = re.compile(r"^[0-9]{4}$")
DAY_NAMES = {
    1: "lundi",
    2: "mardi",
    3: "mercredi",
    4: "jeudi",
    5: "vendredi",
    6: "samedi",
    7: "dimanche",
}


def parse_hhmm(text: str) -> int:
    """``"0830"`` → 510 minutes. Refuses anything but four digits, hours > 23, minutes > 59."""
    value = text.strip()
    if not _HHMM_RE.match(value):
        raise ValueError(
            f"« {value} » n'est pas une heure au format HHMM (quatre chiffres, par exemple 0830)."
        )
    hours, minutes = int(value[:2]), int(value[2:])
    if minutes >= 60:
        raise ValueError(f"« {value} » : les minutes doivent être comprises entre 00 et 59.")
    if hours >= 24:
        raise ValueError(f"« {value} » : les heures doivent être comprises entre 00 et 23.")
    return hours * 60 + minutes


def format_hhmm(minutes: int) -> str:
    """510 → ``"0830"``. Refuses negative values and anything past 23:59."""
    if minutes < 0 or minutes >= MINUTES_PER_DAY:
        raise ValueError(
            f"{minutes} minutes ne peuvent pas s'écrire au format HHMM (00:00 à 23:59)."
        )
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def format_clock(minutes: int) -> str:
    """510 → ``"08h30"``, for French messages."""
    return f"{minutes // 60:02d}h{minutes % 60:02d}"


def check_day(day: int) -> None:
    if not 1 <= day <= 7:
        raise ValueError(f"Le jour {day} n'existe pas : 1 = lundi … 7 = dimanche.")


class StructureKind(StrEnum):
    DIVISION = "division"
    GROUPE = "groupe"


@dataclass(frozen=True, slots=True)
class Horaire:
    """Opening hours of one day (``HORAIRE``)."""

    day: int
    debut: int
    fin: int

    def __post_init__(self) -> None:
        check_day(self.day)
        if not 0 <= self.debut < self.fin <= MINUTES_PER_DAY - 1:
            raise ValueError(
                f"Horaires du {DAY_NAMES[self.day]} incohérents : début "
                f"{format_clock(self.debut)}, fin {format_clock(self.fin)}."
            )


@dataclass(frozen=True, slots=True)
class Alternance:
    """A week pattern: the list of Mondays of the weeks it applies to."""

    code: str
    libelle_court: str
    libelle_long: str
    week_starts: tuple[dt.date, ...]

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ValueError("Une alternance n'a pas de code.")
        for day in self.week_starts:
            if day.weekday() != 0:
                raise ValueError(
                    f"Alternance « {self.code} » : le {day:%d/%m/%Y} n'est pas un lundi ; "
                    "chaque semaine est désignée par son lundi."
                )
        if len(set(self.week_starts)) != len(self.week_starts):
            raise ValueError(f"Alternance « {self.code} » : une semaine est répétée.")


@dataclass(frozen=True, slots=True)
class Salle:
    code: str
    groupe_salle: str | None = None
    localisation: str | None = None


@dataclass(frozen=True, slots=True)
class Indemnite:
    """Professeur principal allowance: the division and its MEFSTAT4."""

    code_structure: str
    mefstat4: str


@dataclass(frozen=True, slots=True)
class Are:
    """Hours of an « activité à responsabilité établissement » (codes from TYPES_AHE)."""

    code_are: str
    heures: Decimal


@dataclass(frozen=True, slots=True)
class TimetableIndividu:
    id: str
    indemnites: tuple[Indemnite, ...] = ()
    ares: tuple[Are, ...] = ()


@dataclass(frozen=True, slots=True)
class CoursSlot:
    """One ``COURS`` of one teacher in one service."""

    alternance: str
    day: int
    start: int
    duration: int
    room: str | None = None

    def __post_init__(self) -> None:
        check_slot(self.day, self.start, self.duration)


def check_slot(day: int, start: int, duration: int) -> None:
    check_day(day)
    if not 0 <= start < MINUTES_PER_DAY:
        raise ValueError(f"Heure de début impossible : {start} minutes.")
    if duration <= 0:
        raise ValueError("Un cours doit durer au moins une minute.")
    if start + duration > MINUTES_PER_DAY - 1:
        raise ValueError(
            f"Un cours commençant à {format_clock(start)} ne peut pas durer "
            f"{format_clock(duration)} : il finirait après minuit."
        )


@dataclass(frozen=True, slots=True)
class TimetableEnseignant:
    id: str
    type: str | None = None
    heures_agent: Decimal | None = None
    taux_ponderation: Decimal | None = None
    cours: tuple[CoursSlot, ...] = ()


@dataclass(frozen=True, slots=True)
class TimetableService:
    code_matiere: str
    code_mod_cours: str | None = None
    heures_structure: Decimal | None = None
    co_ens: bool | None = None
    enseignants: tuple[TimetableEnseignant, ...] = ()


@dataclass(frozen=True, slots=True)
class TimetableDivision:
    code: str
    services: tuple[TimetableService, ...] = ()


@dataclass(frozen=True, slots=True)
class DivisionAppartenance:
    code: str | None
    effectif_prevu: int | None = None


@dataclass(frozen=True, slots=True)
class TimetableGroupe:
    code: str
    libelle_long: str | None = None
    effectif_prevu: int | None = None
    effectif_max_edt: int | None = None
    divisions_appartenance: tuple[DivisionAppartenance, ...] = ()
    services: tuple[TimetableService, ...] = ()


@dataclass(frozen=True, slots=True)
class Course:
    """One taught slot, flat: the unit the base, the screens and the tests count."""

    code_matiere: str
    teacher_ids: tuple[str, ...]
    structure_code: str
    structure_kind: StructureKind
    day: int
    start: int
    duration: int
    alternance: str
    room: str | None = None
    code_mod_cours: str | None = None
    id: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check_slot(self.day, self.start, self.duration)
        if not self.teacher_ids:
            raise ValueError("Un cours doit avoir au moins un enseignant.")

    @property
    def end(self) -> int:
        return self.start + self.duration

    def sort_key(self) -> tuple[str, str, str, str, int, int, int, str, str, tuple[str, ...]]:
        return (
            self.structure_kind.value,
            self.structure_code,
            self.code_matiere,
            self.code_mod_cours or "",
            self.day,
            self.start,
            self.duration,
            self.alternance,
            self.room or "",
            self.teacher_ids,
        )


_CourseKey = tuple[StructureKind, str, str, str | None, int, int, int, str, str | None]


@dataclass(frozen=True, slots=True)
class Timetable:
    """Everything an ``EDT_STS`` file carries (the aggregate the writer takes)."""

    uai: str
    annee: int | None
    horaires: tuple[Horaire, ...] = ()
    alternances: tuple[Alternance, ...] = ()
    salles: tuple[Salle, ...] = ()
    individus: tuple[TimetableIndividu, ...] = ()
    divisions: tuple[TimetableDivision, ...] = ()
    groupes: tuple[TimetableGroupe, ...] = ()
    application_source: str | None = None

    def structures(
        self,
    ) -> Iterable[tuple[StructureKind, str, tuple[TimetableService, ...]]]:
        for division in self.divisions:
            yield StructureKind.DIVISION, division.code, division.services
        for groupe in self.groupes:
            yield StructureKind.GROUPE, groupe.code, groupe.services

    def courses(self) -> tuple[Course, ...]:
        """Flat courses, co-taught slots merged, in a stable order."""
        merged: dict[_CourseKey, list[str]] = defaultdict(list)
        for kind, code, services in self.structures():
            for service in services:
                for enseignant in service.enseignants:
                    for slot in enseignant.cours:
                        key: _CourseKey = (
                            kind,
                            code,
                            service.code_matiere,
                            service.code_mod_cours,
                            slot.day,
                            slot.start,
                            slot.duration,
                            slot.alternance,
                            slot.room,
                        )
                        if enseignant.id not in merged[key]:
                            merged[key].append(enseignant.id)
        result = [
            Course(
                structure_kind=key[0],
                structure_code=key[1],
                code_matiere=key[2],
                code_mod_cours=key[3],
                day=key[4],
                start=key[5],
                duration=key[6],
                alternance=key[7],
                room=key[8],
                teacher_ids=tuple(sorted(ids)),
            )
            for key, ids in merged.items()
        ]
        return tuple(sorted(result, key=Course.sort_key))

    def cours_count(self) -> int:
        """Number of ``COURS`` elements (one per teacher of a co-taught slot)."""
        return sum(
            len(enseignant.cours)
            for _, _, services in self.structures()
            for service in services
            for enseignant in service.enseignants
        )

    def service_count(self) -> int:
        return sum(len(services) for _, _, services in self.structures())


ServiceKey = tuple[StructureKind, str, str, str | None]
"""(kind, structure code, CODE_MATIERE, CODE_MOD_COURS) identifies a service."""


@dataclass(frozen=True, slots=True)
class EnseignantInfo:
    id: str
    type: str | None = None
    heures_agent: Decimal | None = None
    taux_ponderation: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """What a service carries besides its courses (hours, co-teaching, teachers)."""

    heures_structure: Decimal | None = None
    co_ens: bool | None = None
    enseignants: tuple[EnseignantInfo, ...] = ()


def assemble_timetable(
    uai: str,
    annee: int | None,
    courses: Iterable[Course],
    *,
    horaires: Iterable[Horaire] = (),
    alternances: Iterable[Alternance] = (),
    salles: Iterable[Salle] = (),
    individus: Iterable[TimetableIndividu] = (),
    services: Mapping[ServiceKey, ServiceInfo] | None = None,
    division_codes: Iterable[str] = (),
    groupes: Iterable[TimetableGroupe] = (),
    application_source: str | None = None,
) -> Timetable:
    """Build the file tree from flat courses.

    ``services`` adds hours and teachers without courses; ``division_codes`` and
    ``groupes`` add structures without courses (a group's libellé and
    appartenances come from ``groupes``; its ``services`` there are ignored).
    Everything is sorted so the same data always gives the same tree.
    """
    services = services or {}
    slots: dict[ServiceKey, dict[str, list[CoursSlot]]] = defaultdict(lambda: defaultdict(list))
    for course in courses:
        key: ServiceKey = (
            course.structure_kind,
            course.structure_code,
            course.code_matiere,
            course.code_mod_cours,
        )
        slot = CoursSlot(course.alternance, course.day, course.start, course.duration, course.room)
        for teacher in course.teacher_ids:
            slots[key][teacher].append(slot)
    for key in services:
        slots.setdefault(key, defaultdict(list))

    by_structure: dict[tuple[StructureKind, str], list[TimetableService]] = defaultdict(list)
    for key in sorted(slots, key=lambda k: (k[0].value, k[1], k[2], k[3] or "")):
        info = services.get(key, ServiceInfo())
        known = {e.id: e for e in info.enseignants}
        teacher_ids = sorted(set(slots[key]) | set(known))
        enseignants = tuple(
            TimetableEnseignant(
                id=tid,
                type=known[tid].type if tid in known else None,
                heures_agent=known[tid].heures_agent if tid in known else None,
                taux_ponderation=known[tid].taux_ponderation if tid in known else None,
                cours=tuple(sorted(slots[key].get(tid, []), key=_slot_key)),
            )
            for tid in teacher_ids
        )
        by_structure[(key[0], key[1])].append(
            TimetableService(
                code_matiere=key[2],
                code_mod_cours=key[3],
                heures_structure=info.heures_structure,
                co_ens=info.co_ens,
                enseignants=enseignants,
            )
        )

    division_set = set(division_codes) | {
        code for kind, code in by_structure if kind is StructureKind.DIVISION
    }
    groupe_meta = {g.code: g for g in groupes}
    groupe_set = set(groupe_meta) | {
        code for kind, code in by_structure if kind is StructureKind.GROUPE
    }
    return Timetable(
        uai=uai,
        annee=annee,
        horaires=tuple(sorted(horaires, key=lambda h: h.day)),
        alternances=tuple(sorted(alternances, key=lambda a: a.code)),
        salles=tuple(sorted(salles, key=lambda s: s.code)),
        individus=tuple(sorted(individus, key=lambda i: i.id)),
        divisions=tuple(
            TimetableDivision(code, tuple(by_structure.get((StructureKind.DIVISION, code), ())))
            for code in sorted(division_set)
        ),
        groupes=tuple(
            TimetableGroupe(
                code=code,
                libelle_long=groupe_meta[code].libelle_long if code in groupe_meta else None,
                effectif_prevu=groupe_meta[code].effectif_prevu if code in groupe_meta else None,
                effectif_max_edt=(
                    groupe_meta[code].effectif_max_edt if code in groupe_meta else None
                ),
                divisions_appartenance=(
                    groupe_meta[code].divisions_appartenance if code in groupe_meta else ()
                ),
                services=tuple(by_structure.get((StructureKind.GROUPE, code), ())),
            )
            for code in sorted(groupe_set)
        ),
        application_source=application_source,
    )


def _slot_key(slot: CoursSlot) -> tuple[int, int, int, str, str]:
    return (slot.day, slot.start, slot.duration, slot.alternance, slot.room or "")


def school_mondays(year: int, *, last_month: int = 7) -> tuple[dt.date, ...]:
    """Mondays of the weeks of a school year, from the week holding 1 September
    to the end of ``last_month`` of the next calendar year."""
    start = dt.date(year, 9, 1)
    start -= dt.timedelta(days=start.weekday())
    stop = dt.date(year + 1, last_month, 1)
    days: list[dt.date] = []
    current = start
    while current < stop:
        days.append(current)
        current += dt.timedelta(days=7)
    return tuple(days)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
