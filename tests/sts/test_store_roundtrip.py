"""STS data and timetable in the base, on both engines: stored as read, written back whole."""

from __future__ import annotations

from pathlib import Path

from app.demo.sts import generate_sts_data, generate_timetable, sts_edt_bytes
from app.domain.sts import Service
from app.formats.sts import read_edt_sts, write_edt_sts
from app.services.sts import edt, retrieval, sts_store, timetable_import
from app.store.database import Database

from .helpers import UAI, YEAR, small_sts


def _services(services: tuple[Service, ...]) -> frozenset[object]:
    return frozenset((s.code_matiere, s.code_mod_cours, s.heures_structure, s.co_ens,
                      frozenset(s.enseignants)) for s in services)  # fmt: skip


def _same_sts(a: object, b: object) -> None:
    from app.domain.sts import StsData

    assert isinstance(a, StsData) and isinstance(b, StsData)
    assert set(a.matieres) == set(b.matieres)
    assert set(a.mods_cours) == set(b.mods_cours)
    assert set(a.mefs) == set(b.mefs)
    assert set(a.individus) == set(b.individus)
    assert {(d.code, d.libelle, d.mefs, _services(d.services)) for d in a.divisions} == {
        (d.code, d.libelle, d.mefs, _services(d.services)) for d in b.divisions
    }
    assert {(g.code, g.libelle, frozenset(g.divisions_appartenance), _services(g.services))
            for g in a.groupes} == {(g.code, g.libelle, frozenset(g.divisions_appartenance),
                                     _services(g.services)) for g in b.groupes}  # fmt: skip


def test_sts_data_stored_as_read(db: Database, tmp_path: Path) -> None:
    data = generate_sts_data(UAI, YEAR, 11, n_teachers=20, n_divisions=4, n_groups=3)
    path = tmp_path / f"sts_emp_{UAI}_{YEAR}.xml"
    path.write_bytes(sts_edt_bytes(data, pad_values=True))
    done = retrieval.retrieve_from_file(db, UAI, path)
    assert done.changed and done.counts["services"] == data.service_count
    with db.read() as conn:
        stored = sts_store.load(conn, UAI, YEAR)
        fresh = sts_store.freshness(conn, UAI, YEAR)
    _same_sts(stored, data)
    assert fresh is not None and fresh.source == "fichier" and fresh.fichier == path.name


def test_edt_sts_round_trip_keeps_every_course(db: Database, tmp_path: Path) -> None:
    sts = generate_sts_data(UAI, YEAR, 5, n_teachers=30, n_divisions=6, n_groups=5)
    retrieval.store_sts_data(db, sts, source="demo")
    timetable = generate_timetable(sts, 9)
    source = tmp_path / "emp_sts.xml"
    source.write_bytes(write_edt_sts(timetable))

    imported = timetable_import.import_file(db, UAI, source)
    assert imported.courses == len(timetable.courses())
    report = edt.verify(db, UAI)
    assert report.blocked == []
    out = edt.export_to_file(db, UAI, tmp_path)
    assert out.path.name == f"emp_sts_{UAI}_{YEAR}.xml"
    back = read_edt_sts(out.path, expected_uai=UAI, expected_year=YEAR)
    assert set(back.courses()) == set(timetable.courses())
    assert back.cours_count() == timetable.cours_count()
    assert {a.code: a.week_starts for a in back.alternances} == {
        a.code: a.week_starts for a in timetable.alternances
    }
    assert back.horaires == timetable.horaires


def test_reimporting_the_same_edt_sts_changes_no_course(lite_db: Database, tmp_path: Path) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    sts = generate_sts_data(UAI, YEAR, 2, n_teachers=10, n_divisions=2, n_groups=1)
    path = tmp_path / "edt.xml"
    path.write_bytes(write_edt_sts(generate_timetable(sts, 1)))
    first = timetable_import.import_file(lite_db, UAI, path)
    second = timetable_import.import_file(lite_db, UAI, path)
    assert first.courses == second.courses
    assert all(n == 0 for n in second.created.values())


def test_deleting_the_establishment_cascades(lite_db: Database) -> None:
    import sqlalchemy as sa

    from app.store.tables.foundation import etablissements

    from .helpers import dump

    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    with lite_db.write() as conn:
        conn.execute(sa.delete(etablissements).where(etablissements.c.uai == UAI))
    assert all(rows == [] for rows in dump(lite_db).values())
