"""What differs when a base is shared by several PCs.

Shared (in the base, hence identical on every PC): school year,
establishments, NetSynchro address, correspondances. Per PC (QSettings):
window geometry, last folders. Per PC *and* per Windows user: certificates,
whose secret lives in that user's keyring.
"""

from __future__ import annotations

import logging
import sys
from contextlib import ExitStack
from pathlib import Path

from app.domain.models import JournalKind, JournalResult
from app.services import journal
from app.services.exclusive import exclusive_use
from app.store import establishments as establishments_store
from app.store.database import Database
from app.store.errors import translate_db_errors
from app.store.transfer import TransferReport, migrate_to

log = logging.getLogger(__name__)

TRANSFER_OPERATION = "Transfert de la base vers un serveur"

CERTIFICATE_PER_PC_NOTICE = (
    "La base est partagée entre plusieurs postes, mais le certificat NetSynchro ne l'est pas : "
    "il est rangé sur ce poste, dans le coffre de mots de passe de cette session Windows. "
    "Importez-le sur chaque poste (et pour chaque utilisateur) qui récupère ou envoie des "
    "données."
)

NETWORK_SQLITE_WARNING = (
    "La base Passerelle est un fichier SQLite placé sur un lecteur réseau. SQLite ne supporte "
    "pas le partage par le réseau et la base peut s'abîmer. Pour travailler à plusieurs "
    "postes, demandez au service informatique une base PostgreSQL (voir "
    "docs/deploiement-reseau.md), puis « passerelle base migrer-vers ADRESSE »."
)

_NETWORK_FS = frozenset(
    {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afs", "9p", "fuse.sshfs", "davfs", "fuse.davfs2"}
)


def is_shared_base(db: Database) -> bool:
    """True for a PostgreSQL base, the only engine several PCs may share."""
    return db.is_postgresql


def mount_fstype(path: Path, mounts_text: str) -> str | None:
    """File-system type of the longest mount point containing ``path`` (/proc/mounts text)."""
    best: tuple[int, str] | None = None
    target = str(path)
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > best[0]):
            best = (len(point), fields[2])
    return best[1] if best else None


def _windows_is_remote(path: Path) -> bool:  # pragma: no cover - Windows only
    text = str(path)
    if text.startswith("\\\\"):
        return True
    if sys.platform == "win32":
        import ctypes

        drive_remote = 4
        root = Path(path.anchor or text[:3])
        return int(ctypes.windll.kernel32.GetDriveTypeW(str(root))) == drive_remote
    return False


def sqlite_on_network_share(db: Database) -> bool:
    """True when a SQLite base sits on a network drive (UNC, mapped drive, NFS/SMB mount)."""
    path = db.sqlite_path
    if path is None:
        return False
    resolved = path.resolve()
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return _windows_is_remote(resolved)
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return (mount_fstype(resolved, mounts) or "") in _NETWORK_FS


def transfer_base(db: Database, target_url: str) -> TransferReport:
    """« passerelle base migrer-vers »: copy the base into a new, empty one.

    Every establishment of the source is held for the duration, so no import
    can commit into the old base after its snapshot was copied (its data would
    be missing from the new one).
    """
    with translate_db_errors(db.describe()), db.read() as conn:
        uais = [e.uai for e in establishments_store.list_all(conn)]
    with ExitStack() as stack:
        for uai in uais:
            stack.enter_context(exclusive_use(db, uai, operation=TRANSFER_OPERATION))
        report = migrate_to(db, target_url)
    try:
        journal.record(
            db,
            JournalKind.BASE_MIGRATE,
            JournalResult.SUCCESS,
            f"Base copiée vers {report.target} ({report.total} lignes vérifiées)",
            details={"destination": report.target, "lignes": report.counts},
        )
    except Exception:
        # The copy is committed; a missing line in the old base's journal must not hide it.
        log.warning("transfer done but not journaled in the source base")
    return report
