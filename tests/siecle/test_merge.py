"""Merge rules of « Récupérer les données des élèves », on both engines.

Students are matched by ELEVE_ID, then INE, then name + first name + birth date
(accents and case ignored); created, updated field by field or marked as left,
never deleted; class history kept; only the ticked data are touched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.errors import PasserelleError, UserCancelled
from app.services import journal
from app.services import students_import as si
from app.services.context import AppContext
from app.store.tables.siecle import (
    siecle_eleves,
    siecle_eleves_divisions,
    siecle_eleves_groupes,
    siecle_eleves_options,
    siecle_liens,
    siecle_personnes,
)

from .builders import UAI, Eleve, Lien, Personne, eleves_xml, responsables_xml, write
from .conftest import data_dump

D = si.DataChoice


def run(
    ctx: AppContext, paths: list[Path], options: si.ImportOptions | None = None
) -> tuple[si.ImportPreview, si.ImportResult]:
    preview = si.prepare(
        ctx.db,
        UAI,
        si.FromFiles(tuple(paths)),
        options
        or si.ImportOptions(
            donnees=frozenset({D.ELEVES, D.ADRESSES_ELEVES, D.STRUCTURES, D.OPTIONS})
        ),
    )
    try:
        assert preview.blocking == []
        return preview, si.apply(ctx.db, preview)
    finally:
        preview.close()


def eleves_file(tmp: Path, year: int, students: list[Eleve], name: str = "e.xml") -> Path:
    return write(tmp, name, eleves_xml(students, year))


def rows(ctx: AppContext, table: sa.Table = siecle_eleves) -> list[Any]:
    with ctx.db.read() as conn:
        return [r._mapping for r in conn.execute(sa.select(table))]


def student(ctx: AppContext, eleve_id: str) -> Any:
    with ctx.db.read() as conn:
        return (
            conn.execute(sa.select(siecle_eleves).where(siecle_eleves.c.eleve_id == eleve_id))
            .one()
            ._mapping
        )


def history(ctx: AppContext, sid: int) -> list[tuple[str, dt.date, dt.date | None]]:
    h = siecle_eleves_divisions
    with ctx.db.read() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(h.c.division, h.c.du, h.c.au).where(h.c.eleve == sid).order_by(h.c.id)
            )
        ]


@pytest.fixture
def three(year: int) -> list[Eleve]:
    return [
        Eleve(
            "100",
            "LEBŒUF",
            "Anaïs",
            ine="111111111AA",
            groupes=("6ESP",),
            options=((1, "S", "030201"), (2, "O", "030602")),
            adresse=("1 rue Hugo", "75011", "PARIS"),
        ),
        Eleve("101", "MARTIN", "Noé", ine="222222222BB", sexe="1", division="6B"),
        Eleve("102", "DURAND", "Léa", ine=None, naissance="03/04/2011", division="5A"),
    ]


def test_first_import_creates_everything(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert (result.crees, result.mis_a_jour, result.sortis, result.inchanges) == (3, 0, 0, 0)
    assert {c.kind for c in preview.changes} == {"creation"}
    s = student(ctx, "100")
    assert (s["nom"], s["prenom"], s["ine"], s["division"], s["sexe"]) == (
        "LEBŒUF",
        "Anaïs",
        "111111111AA",
        "6A",
        "F",
    )
    assert s["adr_ligne1"] == "1 rue Hugo" and s["sorti_le"] is None
    assert history(ctx, s["id"]) == [("6A", history(ctx, s["id"])[0][1], None)]
    assert [r["groupe"] for r in rows(ctx, siecle_eleves_groupes) if r["eleve"] == s["id"]] == [
        "6ESP"
    ]
    opts = sorted(
        (r["rang"], r["modalite"], r["code_matiere"])
        for r in rows(ctx, siecle_eleves_options)
        if r["eleve"] == s["id"]
    )
    assert opts == [(1, "S", "030201"), (2, "O", "030602")]
    [entry] = [e for e in journal.entries(ctx.db) if e.nature == "import_siecle"]
    assert entry.details["crees"] == 3 and result.journal_id == entry.id
    # The journal names no student (CONTRIBUTING: identifiers and counts only).
    assert "LEBŒUF" not in repr(entry) and "111111111AA" not in repr(entry)


def _count_writes(ctx: AppContext) -> tuple[list[str], Any]:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip().split(None, 3)
        if head and head[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", before)
    return seen, before


def test_reimport_of_the_same_files_writes_nothing(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    persons = [
        Personne(
            "P1", "LEBŒUF", "Hélène", tel="+33600000000", adresse=("1 rue Hugo", "75011", "PARIS")
        ),
        Personne("P2", "MARTIN", "Éric"),
    ]
    links = [Lien("100", "P1"), Lien("101", "P2", parente="10")]
    paths = [
        eleves_file(tmp_path, year, three),
        write(tmp_path, "r.xml", responsables_xml(persons, links, year)),
    ]
    everything = si.ImportOptions(donnees=frozenset(si.DataChoice) - {D.NOMENCLATURES})
    run(ctx, paths, everything)
    before = data_dump(ctx.db)
    seen, listener = _count_writes(ctx)
    try:
        preview, result = run(ctx, paths, everything)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", listener)
    assert (result.crees, result.mis_a_jour, result.sortis, result.inchanges) == (0, 0, 0, 3)
    assert preview.changes == [] and preview.other_changes == {}
    # Zero writes to the data: only the lock row and the journal entry.
    data_writes = [s for s in seen if "siecle_" in s]
    assert data_writes == []
    assert result.copy_path is None  # nothing to protect, no copy
    assert data_dump(ctx.db) == before


def test_match_by_eleve_id_updates_field_by_field(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    sid = student(ctx, "101")["id"]
    three[1].prenom = "Noël"
    three[1].regime = "3"
    preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert (result.crees, result.mis_a_jour, result.inchanges) == (0, 1, 2)
    [change] = preview.changes
    assert change.eleve_id == "101" and change.kind == "mise_a_jour"
    assert {(c.field, c.old, c.new) for c in change.changes} == {
        ("Prénom", "Noé", "Noël"),
        ("Régime", "Demi-pensionnaire (2)", "Interne (3)"),
    }
    s = student(ctx, "101")
    assert (s["id"], s["prenom"], s["code_regime"]) == (sid, "Noël", "3")


def test_match_by_ine_keeps_the_row_and_takes_the_new_eleve_id(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    sid = student(ctx, "100")["id"]
    three[0].eleve_id = "900"  # SIECLE re-registered her
    _preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert (result.crees, result.mis_a_jour, result.sortis) == (0, 1, 0)
    assert student(ctx, "900")["id"] == sid
    assert len(rows(ctx)) == 3


def test_match_by_identity_ignores_accents_and_case(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    sid = student(ctx, "102")["id"]
    three[2] = Eleve("777", "Durand", "LEA", ine=None, naissance="03/04/2011", division="5A")
    _preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert (result.crees, result.sortis) == (0, 0)
    s = student(ctx, "777")
    assert s["id"] == sid and s["nom"] == "Durand"


def test_identity_needs_the_same_birth_date(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    three[2] = Eleve("777", "DURAND", "Léa", ine=None, naissance="04/04/2011", division="5A")
    _preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert (result.crees, result.sortis) == (1, 1)  # another Léa Durand; the first one left


def test_leaver_with_date_sortie_closes_the_class(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    sid = student(ctx, "101")["id"]
    leaving = dt.date.today() - dt.timedelta(days=3)
    three[1].sortie = leaving.strftime("%d/%m/%Y")
    three[1].motif = "DEM"
    preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert (result.sortis, result.mis_a_jour, result.inchanges) == (1, 0, 2)
    [change] = preview.changes
    assert change.kind == "sortie"
    s = student(ctx, "101")
    assert s["sorti_le"] == leaving and s["date_sortie"] == leaving and s["motif_sortie"] == "DEM"
    [(division, du, au)] = history(ctx, sid)
    assert division == "6B" and au == max(leaving, du)
    present = si.list_students(ctx.db, uai=UAI, include_left=False)
    assert sorted(r.eleve_id for r in present) == ["100", "102"]


def test_absent_from_the_export_is_marked_left_never_deleted(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    _preview, result = run(ctx, [eleves_file(tmp_path, year, three[:2])])
    assert (result.sortis, result.inchanges) == (1, 2)
    s = student(ctx, "102")
    assert s["sorti_le"] == dt.date.today()
    assert history(ctx, s["id"])[-1][2] == dt.date.today()
    assert len(rows(ctx)) == 3
    # Back in the next export: present again, and a new class entry opens.
    _preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert result.mis_a_jour == 1 and student(ctx, "102")["sorti_le"] is None
    assert history(ctx, s["id"])[-1][2] is None


def test_class_change_closes_and_opens_history(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    sid = student(ctx, "100")["id"]
    three[0].division = "6C"
    three[0].groupes = ("6ALL",)
    preview, _result = run(ctx, [eleves_file(tmp_path, year, three)])
    [change] = preview.changes
    assert {c.field for c in change.changes} == {"Division", "Groupes"}
    entries = history(ctx, sid)
    assert [(e[0], e[2] is None) for e in entries] == [("6A", False), ("6C", True)]
    assert entries[0][2] == dt.date.today() == entries[1][1]
    assert [r["groupe"] for r in rows(ctx, siecle_eleves_groupes) if r["eleve"] == sid] == ["6ALL"]


def test_options_are_replaced_when_they_change(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    sid = student(ctx, "100")["id"]
    three[0].options = ((1, "S", "030201"), (2, "F", "020300"))
    preview, _r = run(ctx, [eleves_file(tmp_path, year, three)])
    assert [c.field for c in preview.changes[0].changes] == ["Options"]
    assert sorted(
        r["code_matiere"] for r in rows(ctx, siecle_eleves_options) if r["eleve"] == sid
    ) == ["020300", "030201"]


def test_unticked_data_are_not_touched(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three)])
    before = data_dump(ctx.db)
    three[0].division = "6C"
    three[0].options = ()
    three[0].adresse = ("2 rue Zola", "69003", "LYON")
    only_identity = si.ImportOptions(donnees=frozenset({D.ELEVES}))
    _preview, result = run(ctx, [eleves_file(tmp_path, year, three)], only_identity)
    assert (result.mis_a_jour, result.inchanges) == (0, 3)
    assert data_dump(ctx.db) == before
    # Addresses alone: only the address moves.
    _preview, result = run(
        ctx,
        [eleves_file(tmp_path, year, three)],
        si.ImportOptions(donnees=frozenset({D.ADRESSES_ELEVES})),
    )
    s = student(ctx, "100")
    assert (s["adr_libelle_postal"], s["division"]) == ("LYON", "6A")
    assert result.crees == 0 and result.sortis == 0


def test_create_and_update_options_off(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    run(ctx, [eleves_file(tmp_path, year, three[:2])])
    three[0].nom = "LEBOEUF"
    frozen = si.ImportOptions(
        donnees=frozenset({D.ELEVES}), creer=False, mettre_a_jour=False, marquer_sortis=False
    )
    before = data_dump(ctx.db)
    preview, result = run(ctx, [eleves_file(tmp_path, year, three[1:])], frozen)
    assert (result.crees, result.mis_a_jour, result.sortis) == (0, 0, 0)
    assert preview.other_changes == {"eleves_non_crees": 1}
    assert data_dump(ctx.db) == before


def test_responsables_links_are_replaced_for_present_students(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    options = si.ImportOptions(
        donnees=frozenset({D.ELEVES, D.RESPONSABLES, D.ADRESSES_RESPONSABLES})
    )
    persons = [
        Personne("P1", "LEBŒUF", "Hélène", adresse=("1 rue Hugo", "75011", "PARIS")),
        Personne("P2", "LEBŒUF", "Marc"),
        Personne("P3", "MARTIN", "Éric"),
    ]
    links = [Lien("100", "P1"), Lien("100", "P2", parente="10"), Lien("101", "P3")]
    e = eleves_file(tmp_path, year, three)
    _p, result = run(
        ctx, [e, write(tmp_path, "r.xml", responsables_xml(persons, links, year))], options
    )
    assert result.other_changes["liens_ajoutes"] == 3
    assert result.other_changes["responsables_crees"] == 3
    # P2 no longer responsible, P1 now pays nothing, P3 changes phone.
    persons[2].tel = "+33611111111"
    links = [Lien("100", "P1", paie="0"), Lien("101", "P3")]
    preview, result = run(
        ctx, [e, write(tmp_path, "r.xml", responsables_xml(persons, links, year))], options
    )
    assert preview.other_changes == {
        "liens_modifies": 1,
        "liens_supprimes": 1,
        "responsables_modifies": 1,
    }
    sid = student(ctx, "100")["id"]
    detail = si.student_detail(ctx.db, sid)
    assert [(r.prenom, r.paie_frais) for r in detail.responsables] == [("Hélène", False)]
    assert detail.responsables[0].adresse == "1 rue Hugo, 75011 PARIS"
    assert len(rows(ctx, siecle_personnes)) == 3  # persons are kept
    assert len(rows(ctx, siecle_liens)) == 2


def test_cancel_during_apply_leaves_the_base_as_before(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    import threading

    run(ctx, [eleves_file(tmp_path, year, three[:1])])
    before = data_dump(ctx.db)
    preview = si.prepare(
        ctx.db,
        UAI,
        si.FromFiles((eleves_file(tmp_path, year, three),)),
        si.ImportOptions(donnees=frozenset({D.ELEVES, D.STRUCTURES})),
    )
    cancel = threading.Event()
    calls: list[int] = []

    def progress(done: int, total: int, text: str) -> None:
        calls.append(done)
        if done > 0:
            cancel.set()  # the secretary presses « Annuler » once writing has started

    try:
        with pytest.raises(UserCancelled):
            si.apply(ctx.db, preview, progress=progress, cancel=cancel)
    finally:
        preview.close()
    assert data_dump(ctx.db) == before
    last = max(journal.entries(ctx.db), key=lambda e: e.id)
    assert (last.nature, last.resultat) == ("import_siecle", "annule")


def test_stale_preview_is_refused(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    paths = [eleves_file(tmp_path, year, three)]
    options = si.ImportOptions(donnees=frozenset({D.ELEVES}))
    first = si.prepare(ctx.db, UAI, si.FromFiles(tuple(paths)), options)
    second = si.prepare(ctx.db, UAI, si.FromFiles(tuple(paths)), options)
    try:
        si.apply(ctx.db, first)
        before = data_dump(ctx.db)
        with pytest.raises(PasserelleError) as info:
            si.apply(ctx.db, second)
        assert info.value.code == "APERCU_PERIME"
        assert data_dump(ctx.db) == before
    finally:
        first.close()
        second.close()


def test_missing_file_blocks_apply(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    paths = (eleves_file(tmp_path, year, three),)
    options = si.ImportOptions(donnees=frozenset({D.ELEVES, D.RESPONSABLES}))
    assert si.missing_files(paths, options) == [
        "Il manque l'export Responsables (ExportXML_ResponsablesAvecAdresses.zip) pour les "
        "données cochées (Responsables)."
    ]
    preview = si.prepare(ctx.db, UAI, si.FromFiles(paths), options)
    try:
        assert preview.blocking and preview.crees == 3
        with pytest.raises(PasserelleError) as info:
            si.apply(ctx.db, preview)
        assert info.value.code == "SIECLE_IMPORT_BLOQUE"
    finally:
        preview.close()
    assert si.list_students(ctx.db) == []


def test_sans_adresses_blocks_when_addresses_are_ticked(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    path = write(tmp_path, "ElevesSansAdresses.xml", eleves_xml(three, year, avec_adresses=False))
    options = si.ImportOptions(donnees=frozenset({D.ELEVES, D.ADRESSES_ELEVES}))
    assert "ElevesAvecAdresses" in si.missing_files([path], options)[0]
    preview = si.prepare(ctx.db, UAI, si.FromFiles((path,)), options)
    try:
        assert "ElevesAvecAdresses" in preview.blocking[0]
    finally:
        preview.close()


def test_queries_and_reports(
    ctx: AppContext, year: int, tmp_path: Path, three: list[Eleve]
) -> None:
    preview, result = run(ctx, [eleves_file(tmp_path, year, three)])
    assert si.divisions(ctx.db, UAI) == ["5A", "6A", "6B"]
    [row] = si.list_students(ctx.db, uai=UAI, search="leboeuf anais")
    assert row.eleve_id == "100" and row.regime == "Demi-pensionnaire (2)"
    assert [r.eleve_id for r in si.list_students(ctx.db, division="6B")] == ["101"]
    html = si.write_report(preview, result, tmp_path / "r.html", "html").read_text("utf-8")
    assert "LEBŒUF Anaïs (6A)" in html and "Import effectué" in html
    csv_text = si.write_report(preview, None, tmp_path / "r.csv", "csv").read_text("utf-8-sig")
    assert csv_text.splitlines()[0] == "ELEVE_ID;Élève;Nature;Donnée;Avant;Après"
    assert len(csv_text.splitlines()) == 1 + 3 + len(preview.anomalies)
