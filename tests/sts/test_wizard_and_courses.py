"""The send assistant's navigation, headless; course editing with French refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.demo.sts import generate_sts_data, sts_edt_bytes
from app.errors import PasserelleError
from app.services.sts import correspondances as corr
from app.services.sts import courses, edt, retrieval, timetable_import
from app.services.sts_wizard import SendWizard, Step
from app.store.database import Database

from .helpers import UAI, YEAR, csv_bytes, small_sts


def test_wizard_steps_and_rules(lite_db: Database, tmp_path: Path) -> None:
    wizard = SendWizard(lite_db, UAI)
    assert wizard.step is Step.ETABLISSEMENT and not wizard.can_go_back()
    assert not wizard.can_go_next() and "STSWEB" in wizard.state().message
    with pytest.raises(PasserelleError):
        wizard.next()
    sts_file = tmp_path / "sts.xml"
    sts_file.write_bytes(sts_edt_bytes(small_sts()))
    wizard.retrieve_sts_from_file(sts_file)  # explicit write
    assert not wizard.can_go_next()  # still no course
    timetable_import.import_csv(lite_db, UAI, csv_bytes(
        "lundi;08h00;1h;MATHS;DUPONT Jean;6A;;", "mardi;08h00;1h;MATHS;PETIT Marie;6A;;"))
    wizard.refresh()
    fresh = wizard.freshness()
    assert fresh.age_days == 0 and not fresh.stale and fresh.year_label == "2025-2026"
    assert wizard.next() is Step.CORRESPONDANCES
    assert wizard.missing_correspondances() == {"enseignant": 1, "matiere": 0, "structure": 0,
                                                "modalite": 0}  # fmt: skip
    assert not wizard.can_go_next()
    assert wizard.back() is Step.ETABLISSEMENT
    wizard.next()
    petit = next(i for i in wizard.snapshot.correspondances.kinds[corr.TEACHER].local_items
                 if i.code == "PETIT Marie")  # fmt: skip
    wizard.set_correspondance(corr.TEACHER, petit.id, "103")
    assert wizard.can_go_next()
    assert wizard.next() is Step.CONFORMITE and wizard.state().valid
    assert wizard.next() is Step.RECAPITULATIF
    summary = wizard.summary()
    assert summary is not None and summary.courses == 2 and summary.teachers == 2
    assert summary.divisions == 1 and summary.groupes == 0
    assert wizard.next() is Step.ENVOI
    assert not wizard.can_go_next()  # nothing sent yet
    assert not wizard.is_last


def test_wizard_conformity_step_lists_reasons(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes("lundi;08h00;1h;Latin;DUPONT Jean;6A;;"))
    wizard = SendWizard(lite_db, UAI)
    wizard.next()
    assert not wizard.can_go_next()  # Latin has no match
    latin = next(i for i in wizard.snapshot.correspondances.kinds[corr.SUBJECT].local_items)
    wizard.set_correspondance(corr.SUBJECT, latin.id, None)  # decided: no match
    assert not wizard.can_go_next()
    wizard.step = Step.CONFORMITE
    state = wizard.state()
    assert not state.valid and "matière Latin" in state.details[0]


def test_stale_sts_data_is_flagged(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=45)
    wizard = SendWizard(lite_db, UAI, now=lambda: later)
    assert wizard.freshness().stale and wizard.freshness().age_days == 45


def test_readiness_without_the_assistant(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes("lundi;08h00;1h;Latin;DUPONT Jean;6A;;"))
    blocked = edt.check_before_send(lite_db, UAI)
    assert not blocked.ready and len(blocked.blocked) == 1 and blocked.summary is None
    timetable_import.import_csv(lite_db, UAI, csv_bytes("lundi;08h00;1h;MATHS;DUPONT Jean;6A;;"))
    ready = edt.check_before_send(lite_db, UAI)
    assert ready.ready and ready.summary is not None and ready.summary.courses == 1


def test_course_editing(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes(
        "lundi;08h00;1h;MATHS;DUPONT Jean;6A;S1;", "mardi;09h00;1h;FRANC;MARTIN Élodie;6B;S2;"))
    data = courses.resources(lite_db, UAI)
    dupont = next(t.id for t in data.teachers.values() if t.nom == "DUPONT")
    assert [c.horaire for c in courses.list_courses(lite_db, UAI, teacher_id=dupont)] == [
        "08h00–09h00"]
    assert len(courses.list_courses(lite_db, UAI, day=2)) == 1
    room = next(r.id for r in data.rooms.values() if r.code == "S2")
    assert [c.structure for c in courses.list_courses(lite_db, UAI, salle_id=room)] == ["6B"]
    first = data.courses[0]
    draft = courses.CourseDraft(first.matiere_id, first.structure_id, 3, 600, 90,
                                first.alternance_id, (dupont,))  # fmt: skip
    new_id = courses.add_course(lite_db, UAI, draft)
    view = next(c for c in courses.list_courses(lite_db, UAI) if c.id == new_id)
    assert (view.day_label, view.horaire, view.teachers) == ("mercredi", "10h00–11h30",
                                                            ("DUPONT Jean",))  # fmt: skip
    bad = courses.CourseDraft(first.matiere_id, 9999, 8, 1430, 60, 9999, (dupont, dupont))
    with pytest.raises(PasserelleError) as refused:
        courses.add_course(lite_db, UAI, bad)
    for part in ("jour 8", "minuit", "classe ou un groupe", "alternance", "deux fois"):
        assert part in refused.value.message
    courses.update_course(lite_db, UAI, new_id, courses.CourseDraft(
        first.matiere_id, first.structure_id, 4, 600, 60, first.alternance_id, ()))
    assert next(c for c in courses.list_courses(lite_db, UAI) if c.id == new_id).teachers == ()
    courses.delete_course(lite_db, UAI, new_id)
    with pytest.raises(PasserelleError, match="n'existe plus"):
        courses.delete_course(lite_db, UAI, new_id)
    assert len(courses.list_courses(lite_db, UAI)) == 2


def test_demo_timetable_needs_sts_data(lite_db: Database) -> None:
    with pytest.raises(PasserelleError, match="récupérez-les d'abord"):
        timetable_import.import_demo(lite_db, UAI)
    sts = generate_sts_data(UAI, YEAR, 1, n_teachers=10, n_divisions=2, n_groups=1)
    retrieval.store_sts_data(lite_db, sts, source="demo")
    done = timetable_import.import_demo(lite_db, UAI)
    assert done.courses > 0 and edt.verify(lite_db, UAI).blocked == []
