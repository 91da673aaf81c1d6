"""Safe extraction of the single XML file inside a SIECLE/STSWEB ZIP.

Manual SIECLE exports are always zipped; NetSynchro may zip too. We accept
exactly one XML member, cap its uncompressed size and the compression ratio
(ZIP bombs), ignore hidden/system entries (``__MACOSX``) and never write a
member path to disk, so path traversal cannot happen.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from app.formats.errors import FormatError

MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 200  # real XML exports compress about 10 to 30 times
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


def looks_like_zip(path: str | Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4)
    return head in (ZIP_MAGIC, EMPTY_ZIP_MAGIC)


def _visible(info: zipfile.ZipInfo) -> bool:
    name = PurePosixPath(info.filename)
    return not info.is_dir() and not any(
        part.startswith((".", "__MACOSX")) for part in name.parts
    )


def single_xml_member(
    archive: str | Path, *, max_size: int = MAX_UNCOMPRESSED
) -> zipfile.ZipInfo:
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [i for i in zf.infolist() if _visible(i)]
    except (zipfile.BadZipFile, ValueError) as exc:
        # ValueError: a name flagged UTF-8 that is not (UnicodeDecodeError), and other
        # corrupt header fields the zipfile module reports as values.
        raise FormatError(
            "Cette archive ZIP est endommagée ou incomplète : téléchargez-la de nouveau.",
            code="ZIP_ENDOMMAGE",
        ) from exc
    if not members:
        raise FormatError("Cette archive ZIP ne contient aucun fichier.", code="ZIP_VIDE")
    if len(members) > 1:
        names = ", ".join(PurePosixPath(m.filename).name for m in members[:5])
        raise FormatError(
            f"Cette archive ZIP contient plusieurs fichiers ({names}) : une exportation SIECLE "
            "ou STSWEB n'en contient qu'un. Donnez les fichiers un par un.",
            code="ZIP_PLUSIEURS",
        )
    member = members[0]
    if not member.filename.lower().endswith(".xml"):
        raise FormatError(
            f"L'archive contient « {PurePosixPath(member.filename).name} », qui n'est pas un "
            "fichier XML.",
            code="ZIP_PAS_XML",
        )
    if member.flag_bits & 0x1:
        raise FormatError("Cette archive ZIP est protégée par un mot de passe.", code="ZIP_CHIFFRE")
    _check_sizes(member, max_size)
    return member


def _check_sizes(member: zipfile.ZipInfo, max_size: int) -> None:
    if member.file_size > max_size:
        raise FormatError(
            f"Le fichier de l'archive est trop gros ({member.file_size // 1_000_000} Mo, "
            f"limite {max_size // 1_000_000} Mo).",
            code="ZIP_TROP_GROS",
        )
    if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
        raise FormatError(
            "Cette archive ZIP est anormalement compressée (archive piégée ?) : refusée.",
            code="ZIP_BOMBE",
        )


def extract_single_xml(
    archive: str | Path,
    destination_dir: str | Path | None = None,
    *,
    max_size: int = MAX_UNCOMPRESSED,
) -> Path:
    """Copy the one XML member into a fresh file and return its path.

    The output name is chosen by us, never taken from the archive. Reading
    stops as soon as more than ``max_size`` bytes come out, whatever the header
    claims.
    """
    member = single_xml_member(archive, max_size=max_size)
    out_dir = Path(destination_dir) if destination_dir else Path(tempfile.mkdtemp(prefix="pz-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "extrait.xml"
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(target, "wb") as dst:
            _bounded_copy(src, dst, max_size)
    except zipfile.BadZipFile as exc:
        target.unlink(missing_ok=True)
        raise FormatError(
            "Cette archive ZIP est endommagée (somme de contrôle incorrecte).",
            code="ZIP_ENDOMMAGE",
        ) from exc
    except FormatError:
        target.unlink(missing_ok=True)
        raise
    except (OSError, EOFError, NotImplementedError, ValueError, zlib.error) as exc:
        # zlib.error: a corrupted deflate stream inside an intact archive directory;
        # ValueError: a local header whose name is flagged UTF-8 but is not.
        target.unlink(missing_ok=True)
        raise FormatError(
            "Cette archive ZIP est tronquée ou utilise une compression non prise en charge.",
            code="ZIP_ENDOMMAGE",
        ) from exc
    return target


def _bounded_copy(src: IO[bytes], dst: IO[bytes], max_size: int) -> None:
    copied = 0
    while chunk := src.read(1024 * 1024):
        copied += len(chunk)
        if copied > max_size:
            raise FormatError(
                "Le fichier de l'archive dépasse la taille autorisée (archive piégée ?).",
                code="ZIP_TROP_GROS",
            )
        dst.write(chunk)


def remove_extracted(path: Path) -> None:
    """Delete a file made by :func:`extract_single_xml` and its temporary folder."""
    parent = path.parent
    path.unlink(missing_ok=True)
    if parent.name.startswith("pz-"):
        shutil.rmtree(parent, ignore_errors=True)
