"""STS-Web timetable exchange files: ``STS_EDT`` (read) and ``EDT_STS`` (read and write).

See ``sts-formats.md``: UAJ and ANNEE_SCOLAIRE are attributes in STS_EDT and
text in EDT_STS; both files are ISO-8859-15.
"""

from app.formats.sts.reader import (
    detect_kind,
    read_edt_sts,
    read_sts_edt,
    read_sts_file,
)
from app.formats.sts.writer import (
    edt_sts_problems,
    timetable_problems,
    validate_edt_sts,
    write_edt_sts,
)

__all__ = [
    "detect_kind",
    "edt_sts_problems",
    "read_edt_sts",
    "read_sts_edt",
    "read_sts_file",
    "timetable_problems",
    "validate_edt_sts",
    "write_edt_sts",
]
