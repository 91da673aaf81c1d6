"""Reading a CSV export of courses (docs/format-csv-cours.md). Pure: no base.

Semicolon separated, headers exactly
``Jour;Début;Durée;Matière;Professeurs;Classes/Groupes;Salle;Alternance``,
UTF-8 with or without BOM, or Windows-1252 (detected: whatever is not valid
UTF-8 is read as Windows-1252). Every bad line is reported with its line
number; one bad line refuses the whole file (all-or-nothing).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.domain.timetable import DAY_NAMES, MINUTES_PER_DAY
from app.errors import PasserelleError
from app.services.sts.text import norm

HEADERS = ("Jour", "Début", "Durée", "Matière", "Professeurs", "Classes/Groupes", "Salle",
           "Alternance")  # fmt: skip
MAX_BYTES = 20 * 1024 * 1024
MAX_LISTED = 30
_DAYS = {norm(name): number for number, name in DAY_NAMES.items()}
_TIME = re.compile(r"^(\d{1,2})\s*[h:]\s*(\d{2})?$")
_DURATION_HM = re.compile(r"^(\d{1,2})\s*[h:]\s*(\d{2})?$")
_CIVILITES = {"m", "mme", "mlle", "mr", "monsieur", "madame"}


@dataclass(frozen=True, slots=True)
class CsvTeacher:
    nom: str
    prenom: str

    @property
    def code(self) -> str:
        return f"{self.nom} {self.prenom}".strip()


@dataclass(frozen=True, slots=True)
class CsvCourse:
    line: int
    day: int
    start: int
    duration: int
    matiere: str
    teachers: tuple[CsvTeacher, ...]
    structure: str
    salle: str | None
    alternance: str  # a code of ``known_alternances``


class CsvRefused(PasserelleError):
    code = "CSV_REFUSE"


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel « CSV (séparateur : point-virgule) » on Windows writes Windows-1252.
        return data.decode("cp1252", errors="replace")


def parse_day(text: str) -> int:
    value = norm(text)
    if value.isdigit() and 1 <= int(value) <= 7:
        return int(value)
    if value in _DAYS:
        return _DAYS[value]
    raise ValueError(f"jour « {text} » inconnu (lundi … dimanche, ou 1 à 7)")


def parse_time(text: str) -> int:
    match = _TIME.match(text.strip().lower())
    if not match:
        raise ValueError(f"heure de début « {text} » illisible (par exemple 08h30 ou 8:30)")
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours >= 24 or minutes >= 60:
        raise ValueError(f"heure de début « {text} » impossible")
    return hours * 60 + minutes


def parse_duration(text: str) -> int:
    value = text.strip().lower()
    if value.isdigit():
        minutes = int(value)
    else:
        match = _DURATION_HM.match(value)
        if not match:
            raise ValueError(f"durée « {text} » illisible (par exemple 1h30, 90 ou 01:30)")
        if int(match.group(2) or 0) >= 60:
            raise ValueError(f"durée « {text} » : les minutes doivent aller de 00 à 59")
        minutes = int(match.group(1)) * 60 + int(match.group(2) or 0)
    if minutes <= 0:
        raise ValueError(f"durée « {text} » nulle")
    return minutes


def parse_teacher(text: str) -> CsvTeacher:
    """« DUPONT Jean », « LE GALL Anne-Marie », « M. DUPONT »: the name is the words in
    capitals at the start, the first name the rest."""
    words = text.split()
    if words and norm(words[0]).replace(" ", "") in _CIVILITES and len(words) > 1:
        words = words[1:]
    nom: list[str] = []
    for word in words:
        letters = [c for c in word if c.isalpha()]
        if letters and all(c.isupper() for c in letters) and (len(letters) > 1 or not nom):
            nom.append(word)
        else:
            break
    if not nom:
        nom = words[:1]
    return CsvTeacher(" ".join(nom), " ".join(words[len(nom):]))


def parse_teachers(text: str) -> tuple[CsvTeacher, ...]:
    parts = [p.strip() for p in re.split(r"[,/]", text) if p.strip()]
    return tuple(dict.fromkeys(parse_teacher(p) for p in parts))


def read_csv(
    source: bytes | str | Path, known_alternances: Mapping[str, str]
) -> list[CsvCourse]:
    """The courses of the file; :class:`CsvRefused` lists every bad line (numbered from 1,
    the header being line 1). ``known_alternances`` maps normalised codes and libellés to
    alternance codes."""
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CsvRefused(f"Le fichier « {path.name} » est trop gros pour un export de "
                                 "cours (plus de 20 Mo).")  # fmt: skip
            data = path.read_bytes()
        except OSError as exc:
            raise CsvRefused(f"Impossible de lire le fichier « {path.name} » : "
                             f"{exc.strerror or exc}.") from exc  # fmt: skip
    if b"\x00" in data[:4096]:
        raise CsvRefused("Ce fichier n'est pas un fichier texte CSV.")
    reader = csv.reader(io.StringIO(decode(data), newline=""), delimiter=";")
    try:
        header = next(reader)
    except StopIteration:
        raise CsvRefused("Le fichier CSV est vide.") from None
    except csv.Error as exc:
        raise CsvRefused(f"Le fichier CSV est illisible : {exc}.") from None
    header = [h.strip() for h in header]
    if tuple(header) != HEADERS:
        raise CsvRefused(
            "La première ligne du fichier doit être exactement « " + ";".join(HEADERS)
            + f" » ; elle est « {';'.join(header)} ».", code="CSV_ENTETES",
        )  # fmt: skip
    courses: list[CsvCourse] = []
    errors: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            try:
                courses.append(_course(line, row, known_alternances))
            except ValueError as exc:
                errors.append(f"ligne {line} : {exc}")
    except csv.Error as exc:
        errors.append(f"ligne {reader.line_num} : {exc}")
    if errors:
        shown = errors[:MAX_LISTED]
        more = len(errors) - len(shown)
        raise CsvRefused(
            f"Le fichier contient {len(errors)} ligne{'s' if len(errors) > 1 else ''} "
            "incorrecte" + ("s" if len(errors) > 1 else "") + " ; rien n'a été importé.\n"
            + "\n".join(shown) + (f"\n… et {more} autre(s)." if more else ""),
            code="CSV_LIGNES", details="\n".join(errors),
        )  # fmt: skip
    if not courses:
        raise CsvRefused("Le fichier CSV ne contient aucun cours.", code="CSV_VIDE")
    return courses


def _course(line: int, row: list[str], known_alternances: Mapping[str, str]) -> CsvCourse:
    if len(row) != len(HEADERS):
        raise ValueError(f"{len(row)} colonnes au lieu de {len(HEADERS)}")
    jour, debut, duree, matiere, profs, structure, salle, alternance = (c.strip() for c in row)
    day = parse_day(jour)
    start = parse_time(debut)
    duration = parse_duration(duree)
    if start + duration > MINUTES_PER_DAY - 1:
        raise ValueError("le cours finirait après minuit")
    if not matiere:
        raise ValueError("la matière est vide")
    if not structure:
        raise ValueError("la classe ou le groupe est vide")
    if len([c for c in structure.split(",") if c.strip()]) > 1:
        # « / » may belong to a code (« 3 A/B »), « , » never does.
        raise ValueError("une seule classe ou un seul groupe par ligne (pour un cours "
                         "commun à plusieurs classes, donnez le code du groupe)")
    code = known_alternances.get(norm(alternance))
    if code is None:
        raise ValueError(f"alternance « {alternance} » inconnue (Toutes les semaines, "
                         "Semaine A, Semaine B, ou une alternance déjà définie)")  # fmt: skip
    return CsvCourse(line, day, start, duration, matiere, parse_teachers(profs), structure,
                     salle or None, code)  # fmt: skip
