"""Building the ``EDT_STS`` file from the base: only exportable courses, validated.

Services are grouped per structure / subject / modality with their teachers
and their COURS_RATTACHES (:func:`assemble_timetable`). HEURES_STRUCTURE and
HEURES_AGENT are the weekly hours of the timetable itself (A/B weeks as half),
because in STS-Web the services *come from* the timetable software
(sts-formats.md §2 rule 4); CO_ENS is true on services holding a co-taught
course. Groupes carry their libellé and divisions d'appartenance from STS.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from app.domain.sts import IndividuType, StsData
from app.domain.timetable import (
    Alternance,
    Course,
    DivisionAppartenance,
    EnseignantInfo,
    Salle,
    ServiceInfo,
    ServiceKey,
    StructureKind,
    Timetable,
    TimetableGroupe,
    assemble_timetable,
)
from app.formats.sts.writer import write_edt_sts
from app.services.sts.compliance import ComplianceReport, week_weight
from app.services.sts.timetable_store import TimetableData


@dataclass(frozen=True)
class EdtFile:
    data: bytes
    timetable: Timetable
    courses: int  # exportable courses written
    left_out: int  # non-exportable courses not written


def suggested_name(uai: str, annee: int) -> str:
    """``emp_sts_<UAI>_<AAAA>.xml`` (mirrors STS-Web's ``sts_emp_…``; no official name)."""
    return f"emp_sts_{uai}_{annee}.xml"


def build_timetable(
    data: TimetableData, sts: StsData | None, report: ComplianceReport
) -> Timetable:
    courses: list[Course] = []
    service_hours: dict[ServiceKey, Decimal] = defaultdict(Decimal)
    agent_hours: dict[ServiceKey, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    co_taught: set[ServiceKey] = set()
    used_alternances: set[int] = set()
    used_rooms: set[int] = set()
    weights = {a.id: week_weight(a.weeks, data.annee) for a in data.alternances.values()}
    for status in report.exportable:
        c = status.course
        r = report.resolved[c.id]
        kind = StructureKind(r.structure_kind)
        room = data.rooms[c.salle_id].code if c.salle_id is not None else None
        courses.append(Course(
            code_matiere=r.code_matiere, teacher_ids=r.teacher_ids, structure_code=r.structure_code,
            structure_kind=kind, day=c.day, start=c.start, duration=c.duration,
            alternance=data.alternances[c.alternance_id].code, room=room,
            code_mod_cours=r.code_mod_cours,
        ))  # fmt: skip
        used_alternances.add(c.alternance_id)
        if c.salle_id is not None:
            used_rooms.add(c.salle_id)
        key: ServiceKey = (kind, r.structure_code, r.code_matiere, r.code_mod_cours)
        hours = Decimal(c.duration) / 60 * weights[c.alternance_id]
        service_hours[key] += hours
        for teacher in r.teacher_ids:
            agent_hours[key][teacher] += hours
        if len(r.teacher_ids) > 1:
            co_taught.add(key)
    types = {i.id: i.type for i in sts.individus} if sts else {}
    services = {
        key: ServiceInfo(
            heures_structure=_q(service_hours[key]),
            co_ens=key in co_taught,
            enseignants=tuple(
                EnseignantInfo(t, types.get(t, IndividuType.EPP).value, _q(h))
                for t, h in sorted(agent_hours[key].items())
            ),
        )
        for key in service_hours
    }
    groupes = []
    if sts:
        used_groupes = {k[1] for k in services if k[0] is StructureKind.GROUPE}
        groupes = [
            TimetableGroupe(
                code=g.code, libelle_long=g.libelle,
                divisions_appartenance=tuple(DivisionAppartenance(d)
                                             for d in g.divisions_appartenance),
            )
            for g in sts.groupes if g.code in used_groupes
        ]  # fmt: skip
    return assemble_timetable(
        data.uai,
        data.annee,
        courses,
        horaires=data.horaires.values(),
        alternances=[
            Alternance(a.code, a.libelle_court, a.libelle_long, a.weeks)
            for a in data.alternances.values() if a.id in used_alternances
        ],
        salles=[
            Salle(r.code, r.groupe_salle, r.localisation)
            for r in data.rooms.values() if r.id in used_rooms
        ],
        services=services,
        groupes=groupes,
    )


def build_file(data: TimetableData, sts: StsData | None, report: ComplianceReport) -> EdtFile:
    """The validated EDT_STS bytes (raises FormatError, in French, if invalid)."""
    timetable = build_timetable(data, sts, report)
    exportable = len(report.exportable)
    return EdtFile(write_edt_sts(timetable), timetable, exportable,
                   len(report.statuses) - exportable)  # fmt: skip


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))
