"""The sandbox's demo data: SIECLE and STS exports generated once, cached on disk.

Files live under ``donnees/<UAI>-<AAAA>-s<seed>-n<students>/`` so a sandbox
restarted with the same parameters reuses them, and different parameters
never collide. Generation streams to a temporary file renamed into place, so
an interrupted run never leaves a half file that would be served later.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from app.demo import siecle
from app.domain.siecle import SiecleKind
from app.domain.sts import StsData
from app.formats.sts.reader import read_sts_edt
from app.netsynchro.sandbox.checks import SieclePicture, read_siecle_picture

_SIECLE_FLUX = {
    "sco-eleves-adr": SiecleKind.ELEVES,
    "sco-responsables-adr": SiecleKind.RESPONSABLES,
    "sco-nomenclatures": SiecleKind.NOMENCLATURES,
    "sco-structures": SiecleKind.STRUCTURES,
}
STS_FLUX = "sts-emp"


@dataclass(frozen=True)
class Establishment:
    uai: str
    name: str


class DemoData:
    def __init__(
        self,
        directory: Path,
        establishments: list[Establishment],
        year: int,
        seed: int,
        students: int,
    ) -> None:
        self.directory = directory
        self.establishments = {e.uai: e for e in establishments}
        self.year = year
        self.seed = seed
        self.students = students
        self._lock = threading.Lock()  # one generation at a time; others wait for its file
        self._sts: dict[str, StsData] = {}
        self._pictures: dict[str, SieclePicture] = {}

    def _folder(self, uai: str) -> Path:
        folder = self.directory / f"{uai}-{self.year}-s{self.seed}-n{self.students}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def member_name(self, flux: str, uai: str) -> str:
        if flux == STS_FLUX:
            return f"sts_emp_{uai}_{self.year}.xml"
        return siecle.member_name(_SIECLE_FLUX[flux])

    def export_file(self, flux: str, uai: str, *, zipped: bool) -> Path:
        """The XML (or its one-member ZIP) for this flux, generated on first use."""
        folder = self._folder(uai)
        xml = folder / self.member_name(flux, uai)
        with self._lock:
            if not xml.exists():
                self._generate(flux, uai, xml)
            if not zipped:
                return xml
            archive = xml.with_suffix(".zip")
            if not archive.exists():
                tmp = _temp_beside(archive)
                siecle.write_siecle_zip(xml, tmp, xml.name)
                os.replace(tmp, archive)
            return archive

    def install(self, flux: str, uai: str, source: Path) -> Path:
        """Serve ``source`` (moved into the cache) instead of generated data.

        For big-file tests and for demos with a real, anonymised export.
        """
        folder = self._folder(uai)
        xml = folder / self.member_name(flux, uai)
        with self._lock:
            xml.with_suffix(".zip").unlink(missing_ok=True)
            os.replace(source, xml)
        self._sts.pop(uai, None)
        self._pictures.pop(uai, None)
        return xml

    def forget(self, flux: str, uai: str) -> None:
        """Drop the cached file: the next request generates it again."""
        xml = self._folder(uai) / self.member_name(flux, uai)
        with self._lock:
            xml.unlink(missing_ok=True)
            xml.with_suffix(".zip").unlink(missing_ok=True)
        self._sts.pop(uai, None)
        self._pictures.pop(uai, None)

    def _generate(self, flux: str, uai: str, target: Path) -> None:
        tmp = _temp_beside(target)
        try:
            with open(tmp, "wb") as stream:
                if flux == STS_FLUX:
                    from app.demo.sts import generate_sts_edt

                    stream.write(generate_sts_edt(uai, self.year, self.seed))
                else:
                    writer = {
                        SiecleKind.ELEVES: siecle.write_eleves,
                        SiecleKind.RESPONSABLES: siecle.write_responsables,
                        SiecleKind.NOMENCLATURES: siecle.write_nomenclatures,
                        SiecleKind.STRUCTURES: siecle.write_structures,
                    }[_SIECLE_FLUX[flux]]
                    writer(stream, uai, self.year, self.students, self.seed)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def sts_data(self, uai: str) -> StsData:
        """The establishment's STS data, as uploads are checked against it."""
        if uai not in self._sts:
            path = self.export_file(STS_FLUX, uai, zipped=False)
            self._sts[uai] = read_sts_edt(path, expected_uai=uai, expected_year=self.year)
        return self._sts[uai]

    def siecle_picture(self, uai: str) -> SieclePicture:
        if uai not in self._pictures:
            self._pictures[uai] = read_siecle_picture(
                self.export_file("sco-eleves-adr", uai, zipped=False),
                self.export_file("sco-structures", uai, zipped=False),
            )
        return self._pictures[uai]


def _temp_beside(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    os.close(fd)
    return Path(name)
