"""A 50 MB export goes through TLS to disk with bounded memory (a bound, not a timing)."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import pytest

from app.netsynchro.client import NetSynchroClient
from app.netsynchro.sandbox import Sandbox

from .conftest import UAI, YEAR

SIZE = 50 * 1024 * 1024
ELEVE = (
    '      <ELEVE ELEVE_ID="{i}" ELENOET="{i}">\n'
    "        <ID_NATIONAL>{i:010d}A</ID_NATIONAL>\n"
    "        <NOM_DE_FAMILLE>LEBŒUF</NOM_DE_FAMILLE>\n        <PRENOM>Zoé</PRENOM>\n"
    "        <DATE_NAISS>01/02/2012</DATE_NAISS>\n        <DOUBLEMENT>0</DOUBLEMENT>\n"
    "        <CODE_REGIME>2</CODE_REGIME>\n        <ADHESION_TRANSPORT>0</ADHESION_TRANSPORT>\n"
    "        <CODE_MEF>10010012110</CODE_MEF>\n      </ELEVE>\n"
)


def _write_big_export(path: Path) -> str:
    """A valid BEE_ELEVES of about 50 MB, written in pieces; returns its SHA-256.

    The SIECLE generator would need ~20 s for this size, so this test writes a
    simpler but valid file and installs it as the sandbox's export.
    """
    digest = hashlib.sha256()
    with open(path, "wb") as out:

        def put(text: str) -> None:
            data = text.encode("iso-8859-15")
            digest.update(data)
            out.write(data)

        put('<?xml version="1.0" encoding="ISO-8859-15"?>\n<BEE_ELEVES VERSION="3.0">\n'
            f"  <PARAMETRES><UAJ>{UAI}</UAJ><ANNEE_SCOLAIRE>{YEAR}</ANNEE_SCOLAIRE>"
            "</PARAMETRES>\n  <DONNEES>\n    <ELEVES>\n")  # fmt: skip
        written, i = 0, 0
        while written < SIZE:
            block = "".join(ELEVE.format(i=n) for n in range(i, i + 1000))
            i += 1000
            put(block)
            written += len(block)
        put("    </ELEVES>\n  </DONNEES>\n</BEE_ELEVES>\n")
    return digest.hexdigest()


@pytest.mark.slow
def test_50_mb_export_keeps_memory_bounded(
    sandbox: Sandbox, client: NetSynchroClient, tmp_path: Path
) -> None:
    source = tmp_path / "gros.xml"
    expected = _write_big_export(source)
    sandbox.data.install("sco-eleves-adr", UAI, source)
    try:
        calls = 0

        def progress(done: int, total: int | None) -> None:
            nonlocal calls
            calls += 1

        tracemalloc.start()
        try:
            path = client.export("sco-eleves-adr", UAI, YEAR, zipped=False,
                                 destination_dir=tmp_path / "out", progress=progress)  # fmt: skip
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        sandbox.data.forget("sco-eleves-adr", UAI)

    size = path.stat().st_size
    assert size > SIZE
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == expected
    assert calls > 100  # it really came in pieces
    # Client and server both run in this process and both are traced: together
    # they must stay a small fraction of the body.
    assert peak < 8 * 1024 * 1024, f"pic mémoire {peak / 1e6:.1f} Mo pour {size / 1e6:.0f} Mo"
