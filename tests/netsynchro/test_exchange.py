"""Client ↔ sandbox over real mutual TLS: exports, imports, tasks, idempotence."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from pathlib import Path

import pytest

from app.demo.sts import generate_timetable
from app.domain.timetable import Timetable, TimetableEnseignant
from app.formats.archive import extract_single_xml
from app.formats.sts.reader import read_sts_edt
from app.formats.sts.writer import write_edt_sts
from app.formats.xmlsafe import root_tag
from app.netsynchro.client import NetSynchroClient
from app.netsynchro.errors import NetSynchroTimeout, ServerErrorResponse, TaskRejected
from app.netsynchro.protocol import METIER, AnomalyKind, TaskState
from app.netsynchro.sandbox import Sandbox

from .conftest import OTHER_UAI, UAI, YEAR, ClientFactory, leftovers


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()


def _timetable(sandbox: Sandbox, uai: str = UAI) -> Timetable:
    return generate_timetable(sandbox.data.sts_data(uai), seed=3)


# --- exports --------------------------------------------------------------------


def test_plain_export_streams_the_served_file(
    client: NetSynchroClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    seen: list[tuple[int, int | None]] = []
    path = client.export("sco-eleves-adr", UAI, YEAR, zipped=False, destination_dir=tmp_path,
                         progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    served = sandbox.data.export_file("sco-eleves-adr", UAI, zipped=False)
    assert path == tmp_path / f"sco-eleves-adr_{UAI}_{YEAR}.xml"
    assert _sha256(path) == _sha256(served)
    assert root_tag(path) == "BEE_ELEVES"
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
    size = served.stat().st_size
    assert seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert leftovers(tmp_path) == [path.name]


@pytest.mark.parametrize("flux", ["sco-structures", "sco-responsables-adr", "sco-nomenclatures"])
def test_zipped_export_gives_the_same_xml(
    client: NetSynchroClient, sandbox: Sandbox, tmp_path: Path, flux: str
) -> None:
    path = client.export(flux, UAI, YEAR, zipped=True, destination_dir=tmp_path)
    assert _sha256(path) == _sha256(sandbox.data.export_file(flux, UAI, zipped=False))
    assert sandbox.requests[-1].path.endswith(f"/{flux}/{UAI}/{YEAR}")
    assert leftovers(tmp_path) == [path.name]


def test_sts_export_is_the_establishments_sts_edt(
    client: NetSynchroClient, tmp_path: Path
) -> None:
    path = client.export("sts-emp", UAI, YEAR, destination_dir=tmp_path)
    data = read_sts_edt(path, expected_uai=UAI, expected_year=YEAR)
    assert data.service_count > 50
    assert len(data.individus) > 10


def test_export_replaces_an_older_copy_atomically(client: NetSynchroClient, tmp_path: Path) -> None:
    old = tmp_path / f"sco-structures_{UAI}_{YEAR}.xml"
    old.write_bytes(b"ancienne version")
    path = client.export("sco-structures", UAI, YEAR, destination_dir=tmp_path)
    assert path == old
    assert root_tag(path) == "BEE_STRUCTURES"


# --- imports and tasks --------------------------------------------------------------


def test_timetable_upload_is_accepted_then_reported(
    client: NetSynchroClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    timetable = _timetable(sandbox)
    file = tmp_path / "emp_sts.xml"
    file.write_bytes(write_edt_sts(timetable))
    sent: list[int] = []
    tache = client.upload("edt-sts", UAI, YEAR, file, progress=lambda d, t: sent.append(d))
    assert sent[-1] == file.stat().st_size
    report = client.wait_for_task(tache, timeout=30, poll_initial=0.05, poll_max=0.2)
    services = sum(len(services) for _, _, services in timetable.structures())
    assert report.state is TaskState.TERMINEE
    assert report.tache_id == tache and report.uai == UAI and report.year == YEAR
    assert report.counters.lus == services == report.counters.complets
    assert report.anomalies == ()
    # The server saw EN_COURS first: at least two polls, the first not finished.
    polls = [r for r in sandbox.requests if r.path.endswith(str(tache))]
    assert len(polls) >= 2


def test_task_stays_en_cours_until_processed(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    sandbox.task_delay = 60.0
    try:
        tache = client.upload("edt-sts", UAI, YEAR, write_edt_sts(_timetable(sandbox)))
    finally:
        sandbox.task_delay = 0.2
    assert client.task(tache).state is TaskState.EN_COURS
    with pytest.raises(NetSynchroTimeout) as caught:
        client.wait_for_task(tache, timeout=0.3, poll_initial=0.05, poll_max=0.1)
    assert "continue" in caught.value.message


def test_compte_rendu_lists_par_mod_and_rej(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    timetable = _timetable(sandbox)
    division = timetable.divisions[0]
    first, second, *rest = division.services
    ghost = TimetableEnseignant("99999999", cours=first.enseignants[0].cours)
    first = dataclasses.replace(first, enseignants=(*first.enseignants, ghost))  # → PAR
    second = dataclasses.replace(second, code_mod_cours=None)  # → MOD
    unknown = dataclasses.replace(timetable.divisions[1], code="ZZZ")  # → REJ for each service
    divisions = (dataclasses.replace(division, services=(first, second, *rest)), unknown,
                 *timetable.divisions[2:])  # fmt: skip
    changed = dataclasses.replace(timetable, divisions=divisions)

    tache = client.upload("edt-sts", UAI, YEAR, write_edt_sts(changed))
    report = client.wait_for_task(tache, timeout=30, poll_initial=0.05, poll_max=0.2)

    total = sum(len(services) for _, _, services in changed.structures())
    rejected = len(unknown.services)
    assert report.state is TaskState.TERMINEE
    assert report.counters.lus == total
    assert report.counters.rejetes == rejected
    assert report.counters.partiels == 1
    assert report.counters.complets == total - rejected - 1
    [par] = report.anomalies_of(AnomalyKind.PAR)
    assert par.code == "ENSEIGNANT_INCONNU" and "99999999" in par.message
    assert par.reference == f"division {division.code} / matière {first.code_matiere}"
    [mod] = report.anomalies_of(AnomalyKind.MOD)
    assert mod.code == "MODALITE_PAR_DEFAUT"
    rej = report.anomalies_of(AnomalyKind.REJ)
    assert len(rej) == rejected and {a.code for a in rej} == {"STRUCTURE_INCONNUE"}


def test_another_establishments_timetable_is_rejected(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    foreign = write_edt_sts(_timetable(sandbox, OTHER_UAI))
    tache = client.upload("edt-sts", UAI, YEAR, foreign)
    with pytest.raises(TaskRejected) as caught:
        client.wait_for_task(tache, timeout=30, poll_initial=0.05, poll_max=0.2)
    report = caught.value.report
    assert report.state is TaskState.REJETEE
    [rej] = report.anomalies
    assert rej.kind is AnomalyKind.REJ and rej.code == "STS_MAUVAIS_UAI"
    assert "rejeté" in caught.value.message and OTHER_UAI in caught.value.message


def test_eleve_groupe_upload_reports_each_student(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    picture = sandbox.data.siecle_picture(UAI)
    ids = sorted(picture.eleve_ids)[:3]
    group = sorted(picture.groupes)[0]

    def eleve(ident: str, groups: list[str]) -> str:
        links = "".join(f"<GROUPE><CODE_GROUPE>{g}</CODE_GROUPE></GROUPE>" for g in groups)
        return (f"<ELEVE><ELEVE_ID>{ident}</ELEVE_ID><NOM_DE_FAMILLE>X</NOM_DE_FAMILLE>"
                f"<PRENOM>Y</PRENOM><DATE_NAISS>2012-01-01</DATE_NAISS>"
                f"<GROUPES>{links}</GROUPES></ELEVE>")  # fmt: skip

    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<IMPORT_ELEVES VERSION="1.4"><PARAMETRES>'
        f"<UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>{YEAR}</ANNEE_SCOLAIRE>"
        "<DATE_IMPORT>20/09/2025</DATE_IMPORT></PARAMETRES><DONNEES><ELEVES>"
        + eleve(ids[0], [group]) + eleve(ids[1], [group]) + eleve(ids[2], [group, "INCONNU"])
        + eleve("999999999", [group])
        + "</ELEVES></DONNEES></IMPORT_ELEVES>"
    ).encode()
    tache = client.upload("eleve-groupe", UAI, YEAR, body)
    report = client.wait_for_task(tache, timeout=30, poll_initial=0.05, poll_max=0.2)
    assert (report.counters.lus, report.counters.complets) == (4, 2)
    assert (report.counters.partiels, report.counters.rejetes) == (1, 1)
    assert [a.kind for a in report.anomalies] == [AnomalyKind.PAR, AnomalyKind.REJ]
    assert report.anomalies[1].reference == "élève 999999999"


# --- idempotence ------------------------------------------------------------------------


def _task_ids(sandbox: Sandbox) -> list[uuid.UUID]:
    return [t.tache_id for t in sandbox.tasks()]


def test_reset_mid_upload_then_retry_creates_one_task(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    before = set(_task_ids(sandbox))
    sandbox.faults.reset("PUT */imports/*", after_bytes=4096, count=1)
    tache = client.upload("edt-sts", UAI, YEAR, write_edt_sts(_timetable(sandbox)))
    puts = [r for r in sandbox.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [0, 202]  # cut, then accepted on the retry
    assert set(_task_ids(sandbox)) - before == {tache}


def test_answer_lost_after_processing_then_retry_creates_one_task(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    before = set(_task_ids(sandbox))
    sandbox.faults.reset_after_processing("PUT */imports/*", count=1)
    tache = client.upload("edt-sts", UAI, YEAR, write_edt_sts(_timetable(sandbox)))
    puts = [r for r in sandbox.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [0, 202]
    # The first attempt had created the task; the retry found it instead of adding one.
    assert set(_task_ids(sandbox)) - before == {tache}
    report = client.wait_for_task(tache, timeout=30, poll_initial=0.05, poll_max=0.2)
    assert report.state is TaskState.TERMINEE


def test_resending_with_the_same_tache_id_is_idempotent(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    data = write_edt_sts(_timetable(sandbox))
    before = len(sandbox.tasks())
    first = client.upload("edt-sts", UAI, YEAR, data)
    again = client.upload("edt-sts", UAI, YEAR, data, tache_id=first)
    assert again == first
    assert len(sandbox.tasks()) == before + 1


def test_same_tache_id_for_another_file_is_refused(
    client: NetSynchroClient, sandbox: Sandbox
) -> None:
    timetable = _timetable(sandbox)
    first = client.upload("edt-sts", UAI, YEAR, write_edt_sts(timetable))
    other = dataclasses.replace(timetable, divisions=timetable.divisions[1:])
    with pytest.raises(ServerErrorResponse) as caught:
        client.upload("edt-sts", UAI, YEAR, write_edt_sts(other), tache_id=first)
    assert caught.value.status == 409
    assert caught.value.erreur is not None and caught.value.erreur.type == METIER
    assert str(first) in caught.value.message
    assert len([r for r in sandbox.requests if r.method == "PUT"]) == 2  # no retry on 4xx


def test_a_task_is_invisible_to_another_establishment(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    tache = make_client().upload("edt-sts", UAI, YEAR, write_edt_sts(_timetable(sandbox)))
    with pytest.raises(ServerErrorResponse) as caught:
        make_client(OTHER_UAI).task(tache)
    assert caught.value.status == 404


def test_zipped_upload_is_accepted(
    client: NetSynchroClient, sandbox: Sandbox, tmp_path: Path
) -> None:
    import zipfile

    archive = tmp_path / "emp.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("emp_sts.xml", write_edt_sts(_timetable(sandbox)))
    tache = client.upload("edt-sts", UAI, YEAR, archive)
    report = client.wait_for_task(tache, timeout=30, poll_initial=0.05, poll_max=0.2)
    assert report.state is TaskState.TERMINEE and report.counters.rejetes == 0
    # What the server stored is the XML, not the archive.
    stored = sandbox.directory / "imports" / f"{tache}.xml"
    assert extract_single_xml(archive, tmp_path / "x").read_bytes() == stored.read_bytes()
