"""The demo: base, cité scolaire, a live local NetSynchro the base points at."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.security.certificates import CertificateStore
from app.security.memory_keyring import MemoryKeyring
from app.services import base_admin, netsynchro_access, netsynchro_settings
from app.services.demo import DEMO_ESTABLISHMENTS, demo_banner, open_demo


def test_demo_base_and_sandbox_work_together(tmp_path: Path) -> None:
    ctx, session = open_demo()
    try:
        assert [e.uai for e in base_admin.establishments(ctx.db)] == [
            e.uai for e in DEMO_ESTABLISHMENTS
        ]
        settings = netsynchro_settings.load(ctx.db)
        assert session.sandbox is not None
        assert settings.url == session.sandbox.url
        assert settings.ca_pem and "BEGIN CERTIFICATE" in settings.ca_pem
        banner = demo_banner(session)
        uai = DEMO_ESTABLISHMENTS[0].uai
        cert_file = session.sandbox.certificate_file(uai)
        password = session.sandbox.passwords[uai]
        assert str(cert_file) in banner and password in banner

        # What a newcomer does by hand: import the demo certificate, test the link.
        store = CertificateStore(tmp_path / "certs", backend=MemoryKeyring())
        store.import_pkcs12(uai, cert_file.read_bytes(), password)
        diagnosis = netsynchro_access.test_connection(
            ctx.db, uai, base_admin.school_year(ctx.db), store=store
        )
        assert diagnosis.ok, diagnosis.text_fr()
    finally:
        session.close()
        ctx.close()


def test_demo_reopens_with_a_fresh_sandbox() -> None:
    ctx, session = open_demo()
    first_url = session.sandbox.url if session.sandbox else None
    session.close()
    ctx.close()
    ctx, session = open_demo()
    try:
        assert len(base_admin.establishments(ctx.db)) == 2
        assert session.sandbox is not None and first_url is not None
        assert netsynchro_settings.load(ctx.db).url == session.sandbox.url
    finally:
        session.close()
        ctx.close()


def test_passerelle_demo_opens_and_quits(data_dir: Path) -> None:
    """`make demo` in miniature: the window opens offscreen and quits by itself."""
    exe = Path(sys.executable).with_name("passerelle")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PASSERELLE_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [str(exe), "--fermer-apres", "300", "demo"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (data_dir / "demo" / "passerelle-demo.db").exists()
