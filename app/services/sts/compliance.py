"""« Mettre les cours en conformité »: which courses can be sent to STS-Web, and why not.

Each course is exportable or not, with reasons a secretary understands:

* a teacher, the subject or the class/group has no STS-Web correspondance;
* the course has no teacher;
* no modality: the course's modality is not matched, or it has none and
  STS-Web has no « CG »;
* co-teaching on a modality whose ``CO_ENS`` is false (several teachers);
* the course is not annual (see :func:`annual_problem`: only annual timetables
  are sent);
* it starts before or ends after the establishment's hours that day (or the
  establishment has no hours that day);
* the same teacher is in two places at once: a *warning*, it does not block.

Hours: per teacher, the weekly hours of the timetable (a course on an
alternance of at most 60 % of the school weeks, such as Semaine A / Semaine B,
counts for half) against the hours of their STS services (``HEURES_AGENT``);
per division and groupe, against ``HEURES_STRUCTURE``.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.school_year import year_bounds
from app.domain.sts import Division, Individu, StsData
from app.domain.timetable import DAY_NAMES, format_clock, school_mondays
from app.services.sts.correspondances import DEFAULT_MODALITY, STRUCTURE, local_key
from app.services.sts.timetable_store import CourseRow, TimetableData

# The annual rule (documented in docs/format-csv-cours.md § Cours annuels).
MIN_WEEKS = 14
LAST_FIRST_WEEK = (9, 30)  # the first week must start by 30 September
FIRST_LAST_WEEK = (6, 1)  # the last week must start on or after 1 June
MAX_GAP_WEEKS = 4  # never more than 4 weeks in a row without the course
HALF_WEIGHT_SHARE = 0.6  # at most 60 % of the school weeks: counted as half

# Reason codes (stable, for the GUI's icons and the tests).
NO_TEACHER = "SANS_ENSEIGNANT"
TEACHER_UNMATCHED = "ENSEIGNANT_SANS_CORRESPONDANCE"
SUBJECT_UNMATCHED = "MATIERE_SANS_CORRESPONDANCE"
STRUCTURE_UNMATCHED = "CLASSE_SANS_CORRESPONDANCE"
NO_MODALITY = "SANS_MODALITE"
CO_TEACHING = "CO_ENSEIGNEMENT_INTERDIT"
NOT_ANNUAL = "NON_ANNUEL"
OUTSIDE_HOURS = "HORS_HORAIRES"
TEACHER_CLASH = "ENSEIGNANT_DEJA_OCCUPE"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class CourseStatus:
    course: CourseRow
    description: str  # « lundi 08h00–09h00 MATHS 6A (M. DUPONT) »
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = ()

    @property
    def exportable(self) -> bool:
        return not self.reasons

    @property
    def reason_text(self) -> str:
        return " ; ".join(r.message for r in self.reasons)


@dataclass(frozen=True, slots=True)
class HoursLine:
    """Weekly hours of one teacher or structure: timetable vs STS services."""

    key: str  # local teacher code, or structure code
    label: str
    timetable: Decimal
    sts: Decimal | None  # None: no matched STS item

    @property
    def difference(self) -> Decimal | None:
        return None if self.sts is None else self.timetable - self.sts


@dataclass(frozen=True)
class ComplianceReport:
    statuses: list[CourseStatus]
    teacher_hours: list[HoursLine] = field(default_factory=list)
    structure_hours: list[HoursLine] = field(default_factory=list)
    # Resolved STS codes of the exportable courses, for the file builder.
    resolved: dict[int, ResolvedCourse] = field(default_factory=dict)

    @property
    def exportable(self) -> list[CourseStatus]:
        return [s for s in self.statuses if s.exportable]

    @property
    def blocked(self) -> list[CourseStatus]:
        return [s for s in self.statuses if not s.exportable]

    @property
    def warnings(self) -> list[CourseStatus]:
        return [s for s in self.statuses if s.warnings]

    def reason_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for status in self.statuses:
            for reason in status.reasons:
                counts[reason.code] += 1
        return dict(counts)


@dataclass(frozen=True, slots=True)
class ResolvedCourse:
    """A course in STS-Web terms."""

    code_matiere: str
    code_mod_cours: str
    structure_kind: str
    structure_code: str
    teacher_ids: tuple[str, ...]


def annual_problem(weeks: Sequence[dt.date], annee: int) -> str | None:
    """Why an alternance is not annual (French), or None when it is.

    Annual means: every week inside the school year, at least 14 weeks, the
    first one starting by 30 September, the last one on or after 1 June, and
    never more than 4 weeks in a row without the course. Weekly and A/B
    fortnights pass (holidays are at most 2 weeks); a term, a semester, or one
    week in four do not.
    """
    if not weeks:
        return "son alternance ne contient aucune semaine"
    ordered = sorted(weeks)
    first_day, last_day = year_bounds(annee)
    first_monday = first_day - dt.timedelta(days=first_day.weekday())
    outside = [w for w in ordered if not first_monday <= w <= last_day]
    if outside:
        return f"son alternance contient la semaine du {outside[0]:%d/%m/%Y}, hors de l'année"
    if len(ordered) < MIN_WEEKS:
        return (f"il n'a lieu que {len(ordered)} semaine{'s' if len(ordered) > 1 else ''} "
                "dans l'année : seuls les emplois du temps annuels sont envoyés")  # fmt: skip
    if ordered[0] > dt.date(annee, *LAST_FIRST_WEEK):
        return (f"il ne commence que la semaine du {ordered[0]:%d/%m/%Y} : seuls les emplois "
                "du temps annuels sont envoyés")  # fmt: skip
    if ordered[-1] < dt.date(annee + 1, *FIRST_LAST_WEEK):
        return (f"il s'arrête la semaine du {ordered[-1]:%d/%m/%Y} : seuls les emplois du "
                "temps annuels sont envoyés")  # fmt: skip
    for before, after in itertools.pairwise(ordered):
        gap = (after - before).days // 7 - 1
        if gap > MAX_GAP_WEEKS:
            return (f"il s'interrompt {gap} semaines après la semaine du {before:%d/%m/%Y} : "
                    "seuls les emplois du temps annuels sont envoyés")  # fmt: skip
    return None


@functools.cache
def _school_week_count(annee: int) -> int:
    return len(school_mondays(annee))


def week_weight(weeks: Sequence[dt.date], annee: int) -> Decimal:
    """1 for a weekly course, 0.5 for a fortnightly one (A/B weeks)."""
    if len(weeks) > HALF_WEIGHT_SHARE * _school_week_count(annee):
        return Decimal(1)
    return Decimal("0.5")


def _person_label(individu: Individu | None, fallback: str) -> str:
    if individu is None:
        return fallback
    civilite = {"1": "M.", "2": "Mme"}.get(individu.sexe or "", "")
    return f"{civilite} {individu.nom_usage}".strip()


class _Context:
    """Lookups computed once per check (the check must stay linear in courses)."""

    def __init__(self, data: TimetableData, sts: StsData | None) -> None:
        self.data = data
        self.individus = {i.id: i for i in sts.individus} if sts else {}
        self.matieres = {m.code for m in sts.matieres} if sts else set()
        self.mods = {m.code: m.co_ens for m in sts.mods_cours} if sts else {}
        self.structures: set[tuple[str, str]] = set()
        if sts:
            self.structures = {("division", d.code) for d in sts.divisions} | {
                ("groupe", g.code) for g in sts.groupes
            }
        self.teacher_sts = {
            t.id: t.sts_code for t in data.teachers.values()
            if t.sts_code is not None and t.sts_code in self.individus
        }  # fmt: skip
        self.teacher_label = {
            t.id: _person_label(self.individus.get(self.teacher_sts.get(t.id, "")), t.nom)
            for t in data.teachers.values()
        }
        self.subject_sts = {
            s.id: s.sts_code for s in data.subjects.values() if s.sts_code in self.matieres
        }
        self.structure_sts: dict[int, tuple[str, str]] = {}
        for s in data.structures.values():
            key = local_key(STRUCTURE, s)
            if key is not None and (s.sts_nature or "division", s.sts_code) in self.structures:
                self.structure_sts[s.id] = (s.sts_nature or "division", str(s.sts_code))
        self.modality_sts = {
            m.id: m.sts_code for m in data.modalities.values() if m.sts_code in self.mods
        }
        self.alternance_problem = {
            a.id: annual_problem(a.weeks, data.annee) for a in data.alternances.values()
        }
        self.weights = {a.id: week_weight(a.weeks, data.annee) for a in data.alternances.values()}
        self.weeks = {a.id: frozenset(a.weeks) for a in data.alternances.values()}

    def describe(self, c: CourseRow) -> str:
        subject = self.data.subjects[c.matiere_id]
        name = subject.code if not subject.code.isdigit() else subject.libelle
        teachers = ", ".join(self.teacher_label[t] for t in c.teacher_ids) or "sans professeur"
        return (f"{DAY_NAMES[c.day]} {format_clock(c.start)}–{format_clock(c.end)} {name} "
                f"{self.data.structures[c.structure_id].code} ({teachers})")  # fmt: skip


def check(data: TimetableData, sts: StsData | None) -> ComplianceReport:
    ctx = _Context(data, sts)
    clashes = _teacher_clashes(data, ctx)
    statuses: list[CourseStatus] = []
    resolved: dict[int, ResolvedCourse] = {}
    for c in data.courses:
        reasons = _reasons(c, ctx)
        warnings = tuple(clashes.get(c.id, ()))
        statuses.append(CourseStatus(c, ctx.describe(c), tuple(reasons), warnings))
        if not reasons:
            kind, code = ctx.structure_sts[c.structure_id]
            resolved[c.id] = ResolvedCourse(
                code_matiere=ctx.subject_sts[c.matiere_id],
                code_mod_cours=_modality_code(c, ctx) or DEFAULT_MODALITY,
                structure_kind=kind,
                structure_code=code,
                teacher_ids=tuple(sorted({ctx.teacher_sts[t] for t in c.teacher_ids})),
            )
    return ComplianceReport(
        statuses,
        teacher_hours=_teacher_hours(data, ctx, sts),
        structure_hours=_structure_hours(data, ctx, sts),
        resolved=resolved,
    )


def _modality_code(c: CourseRow, ctx: _Context) -> str | None:
    if c.modalite_id is None:
        return DEFAULT_MODALITY if DEFAULT_MODALITY in ctx.mods else None
    return ctx.modality_sts.get(c.modalite_id)


def _reasons(c: CourseRow, ctx: _Context) -> list[Reason]:
    data = ctx.data
    reasons: list[Reason] = []
    if not c.teacher_ids:
        reasons.append(Reason(NO_TEACHER, "le cours n'a pas de professeur"))
    for t in c.teacher_ids:
        if t not in ctx.teacher_sts:
            reasons.append(Reason(TEACHER_UNMATCHED,
                                  f"le professeur {data.teachers[t].label} n'a pas de "
                                  "correspondance dans STSWEB"))  # fmt: skip
    if c.matiere_id not in ctx.subject_sts:
        reasons.append(Reason(SUBJECT_UNMATCHED,
                              f"la matière {data.subjects[c.matiere_id].label} n'a pas de "
                              "correspondance dans STSWEB"))  # fmt: skip
    if c.structure_id not in ctx.structure_sts:
        structure = data.structures[c.structure_id]
        what = "la classe" if structure.nature == "division" else "le groupe"
        reasons.append(Reason(STRUCTURE_UNMATCHED,
                              f"{what} {structure.code} n'a pas de correspondance dans "
                              "STSWEB"))  # fmt: skip
    code = _modality_code(c, ctx)
    if code is None:
        if c.modalite_id is None:
            message = ("le cours n'a pas de modalité et STSWEB ne connaît pas la modalité "
                       "« CG » (cours général)")  # fmt: skip
        else:
            message = (f"la modalité {data.modalities[c.modalite_id].label} n'a pas de "
                       "correspondance dans STSWEB")  # fmt: skip
        reasons.append(Reason(NO_MODALITY, message))
    elif len(c.teacher_ids) > 1 and not ctx.mods.get(code, False):
        reasons.append(Reason(CO_TEACHING,
                              f"co-enseignement à {len(c.teacher_ids)} professeurs, mais "
                              f"la modalité {code} ne l'autorise pas dans STSWEB"))  # fmt: skip
    problem = ctx.alternance_problem.get(c.alternance_id)
    if problem is not None:
        reasons.append(Reason(NOT_ANNUAL, problem))
    if data.horaires:
        horaire = data.horaires.get(c.day)
        if horaire is None:
            reasons.append(Reason(OUTSIDE_HOURS,
                                  f"l'établissement n'a pas d'horaires le {DAY_NAMES[c.day]}"))
        elif c.start < horaire.debut or c.end > horaire.fin:
            reasons.append(Reason(OUTSIDE_HOURS,
                                  f"le cours sort des horaires de l'établissement "
                                  f"({format_clock(horaire.debut)}–{format_clock(horaire.fin)})"))
    return reasons


def _teacher_clashes(data: TimetableData, ctx: _Context) -> dict[int, list[Reason]]:
    by_slot: dict[tuple[int, int], list[CourseRow]] = defaultdict(list)
    for c in data.courses:
        for t in c.teacher_ids:
            by_slot[(t, c.day)].append(c)
    found: dict[int, list[Reason]] = defaultdict(list)
    for (teacher, _day), courses in by_slot.items():
        if len(courses) < 2:
            continue
        courses.sort(key=lambda c: c.start)
        for i, a in enumerate(courses):
            for b in courses[i + 1:]:
                if b.start >= a.end:
                    break
                if ctx.weeks[a.alternance_id] & ctx.weeks[b.alternance_id]:
                    who = ctx.teacher_label[teacher]
                    for this, other in ((a, b), (b, a)):
                        found[this.id].append(Reason(
                            TEACHER_CLASH,
                            f"{who} a un autre cours au même moment "
                            f"({DAY_NAMES[other.day]} {format_clock(other.start)}, "
                            f"{data.structures[other.structure_id].code})"))  # fmt: skip
    return found


def _hours(c: CourseRow, ctx: _Context) -> Decimal:
    return Decimal(c.duration) / 60 * ctx.weights.get(c.alternance_id, Decimal(1))


def _teacher_hours(data: TimetableData, ctx: _Context, sts: StsData | None) -> list[HoursLine]:
    timetable: dict[int, Decimal] = defaultdict(Decimal)
    for c in data.courses:
        hours = _hours(c, ctx)
        for t in c.teacher_ids:
            timetable[t] += hours
    sts_hours: dict[str, Decimal] = defaultdict(Decimal)
    if sts:
        for _, service in sts.services():
            for e in service.enseignants:
                sts_hours[e.id] += e.heures_agent or Decimal(0)
    lines = []
    for teacher in sorted(data.teachers.values(), key=lambda t: t.label):
        sts_id = ctx.teacher_sts.get(teacher.id)
        lines.append(HoursLine(teacher.code, teacher.label, _q(timetable[teacher.id]),
                               None if sts_id is None else _q(sts_hours[sts_id])))  # fmt: skip
    return lines


def _structure_hours(data: TimetableData, ctx: _Context, sts: StsData | None) -> list[HoursLine]:
    timetable: dict[int, Decimal] = defaultdict(Decimal)
    for c in data.courses:
        timetable[c.structure_id] += _hours(c, ctx)
    sts_hours: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    if sts:
        for structure, service in sts.services():
            kind = "division" if isinstance(structure, Division) else "groupe"
            sts_hours[(kind, structure.code)] += service.heures_structure or Decimal(0)
    lines = []
    for s in sorted(data.structures.values(), key=lambda s: (s.nature, s.code)):
        key = ctx.structure_sts.get(s.id)
        lines.append(HoursLine(s.code, s.code, _q(timetable[s.id]),
                               None if key is None else _q(sts_hours[key])))  # fmt: skip
    return lines


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))
