"""Shared or not: engine, network drives, the per-PC certificate notice."""

from __future__ import annotations

from pathlib import Path

from app.services.shared import (
    CERTIFICATE_PER_PC_NOTICE,
    is_shared_base,
    mount_fstype,
    sqlite_on_network_share,
)
from app.store.database import Database

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
//serveur/partage /mnt/commun cifs rw,relatime 0 0
serveur:/export /mnt/commun/nfs nfs4 rw 0 0
/dev/sdb1 /mnt/commun/local\\040disque ext4 rw 0 0
"""


def test_is_shared_base(sqlite_url: str) -> None:
    lite = Database(sqlite_url)
    pg = Database("postgresql+psycopg://passerelle@serveur/passerelle")  # no connection made
    try:
        assert not is_shared_base(lite)
        assert is_shared_base(pg)
        assert not sqlite_on_network_share(lite)
        assert not sqlite_on_network_share(pg)
    finally:
        lite.dispose()
        pg.dispose()


def test_mount_type_of_the_longest_mount_point() -> None:
    assert mount_fstype(Path("/home/secretariat/passerelle.db"), MOUNTS) == "ext4"
    assert mount_fstype(Path("/mnt/commun/passerelle.db"), MOUNTS) == "cifs"
    assert mount_fstype(Path("/mnt/commun/nfs/base.db"), MOUNTS) == "nfs4"
    assert mount_fstype(Path("/mnt/commun/local disque/base.db"), MOUNTS) == "ext4"
    assert mount_fstype(Path("/mnt/communal/base.db"), MOUNTS) == "ext4"


def test_certificate_notice_is_french_and_says_per_pc() -> None:
    assert "chaque poste" in CERTIFICATE_PER_PC_NOTICE
