"""Automatic then manual correspondances, persisted; STS items flagged unmatched."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.errors import PasserelleError
from app.services.sts import correspondances as corr
from app.services.sts import edt, retrieval, timetable_import
from app.store.database import Database
from app.store.tables.sts import edt_enseignants

from .helpers import UAI, csv_bytes, small_sts


def _items(db: Database, kind: str) -> dict[str, corr.LocalItem]:
    return {i.code: i for i in edt.correspondances(db, UAI).kinds[kind].local_items}


def test_teachers_match_ignoring_accents_and_case(db: Database) -> None:
    retrieval.store_sts_data(db, small_sts(), source="demo")
    timetable_import.import_csv(db, UAI, csv_bytes(
        "lundi;08h00;1h;MATHS;dupont JEAN;6A;;",
        "lundi;09h00;1h;FRANC;MARTIN Elodie;6a;;",
        "lundi;10h00;1h;FRANC;LE GALL Anne Sophie;6GR1;;",
        "lundi;11h00;1h;FRANC;PETIT Marie;6 b;;",
    ))  # fmt: skip
    teachers = _items(db, corr.TEACHER)
    assert teachers["dupont JEAN"].sts_key == "101"
    assert teachers["MARTIN Elodie"].sts_key == "102"
    assert teachers["LE GALL Anne Sophie"].sts_key == "105"
    # Two PETIT Marie in STS and no birth date here: left to the user.
    assert teachers["PETIT Marie"].sts_key is None and not teachers["PETIT Marie"].matched
    structures = _items(db, corr.STRUCTURE)
    assert "6a" not in structures  # same class as 6A, whatever the case
    assert structures["6 b"].sts_key == "division:6B"
    assert structures["6GR1"].sts_key == "groupe:6GR1"
    view = edt.correspondances(db, UAI).kinds[corr.TEACHER]
    unmatched = {i.key for i in view.sts_items if i.unmatched}
    assert unmatched == {"103", "104"}
    assert view.missing == 1


def test_birth_date_breaks_the_tie(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes("lundi;11h00;1h;FRANC;PETIT Marie;6B;;"))
    with lite_db.write() as conn:
        conn.execute(sa.update(edt_enseignants).values(date_naissance=dt.date(1990, 7, 2)))
    added = edt.run_auto_match(lite_db, UAI)
    assert added[corr.TEACHER] == 1
    assert _items(lite_db, corr.TEACHER)["PETIT Marie"].sts_key == "104"


def test_subjects_by_code_gestion_then_libelle(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes(
        "lundi;08h00;1h;Mathématiques;DUPONT Jean;6A;;",
        "lundi;09h00;1h;franc;DUPONT Jean;6A;;",
        "lundi;10h00;1h;TEST 2NDE MATHS;DUPONT Jean;6A;;",
    ))  # fmt: skip
    subjects = {i.label: i for i in edt.correspondances(lite_db, UAI)
                .kinds[corr.SUBJECT].local_items}  # fmt: skip
    assert subjects["MATHEMATIQUES"].sts_key == "061300"
    assert subjects["FRANCAIS"].sts_key == "020700"
    assert subjects["TEST 2NDE MATHS"].sts_key is None


def test_manual_match_persists_and_auto_leaves_it(db: Database) -> None:
    retrieval.store_sts_data(db, small_sts(), source="demo")
    timetable_import.import_csv(db, UAI, csv_bytes(
        "lundi;08h00;1h;MATHS;PETIT Marie;6A;;",
        "lundi;09h00;1h;MATHS;DUPONT Jean;6A;;",
    ))  # fmt: skip
    petit = _items(db, corr.TEACHER)["PETIT Marie"]
    item = edt.set_correspondance(db, UAI, corr.TEACHER, petit.id, "103")
    assert item.sts_key == "103" and item.origine == "manuel" and item.matched
    dupont = _items(db, corr.TEACHER)["DUPONT Jean"]
    edt.set_correspondance(db, UAI, corr.TEACHER, dupont.id, None)  # "no match", by hand
    edt.run_auto_match(db, UAI)
    retrieval.store_sts_data(db, small_sts(), source="fichier")  # same data again
    teachers = _items(db, corr.TEACHER)
    assert teachers["PETIT Marie"].sts_key == "103"
    assert teachers["DUPONT Jean"].sts_key is None and teachers["DUPONT Jean"].origine == "manuel"
    edt.reset_correspondance(db, UAI, corr.TEACHER, dupont.id)
    edt.run_auto_match(db, UAI)
    assert _items(db, corr.TEACHER)["DUPONT Jean"].sts_key == "101"


def test_manual_match_to_unknown_item_refused(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes("lundi;08h00;1h;MATHS;X Y;6A;;"))
    local = _items(lite_db, corr.TEACHER)["X Y"]
    with pytest.raises(PasserelleError, match="pas dans les données STSWEB"):
        edt.set_correspondance(lite_db, UAI, corr.TEACHER, local.id, "999")


def test_match_to_vanished_sts_item_counts_as_missing(lite_db: Database) -> None:
    retrieval.store_sts_data(lite_db, small_sts(), source="demo")
    timetable_import.import_csv(lite_db, UAI, csv_bytes("lundi;08h00;1h;MATHS;DUPONT Jean;6A;;"))
    data = small_sts()
    smaller = type(data)(data.uai, data.annee, data.matieres, data.mods_cours, data.mefs,
                         data.individus[1:], data.divisions, data.groupes)  # fmt: skip
    retrieval.store_sts_data(lite_db, smaller, source="demo")
    item = _items(lite_db, corr.TEACHER)["DUPONT Jean"]
    assert item.sts_key == "101" and not item.matched
    assert edt.correspondances(lite_db, UAI).kinds[corr.TEACHER].missing == 1
