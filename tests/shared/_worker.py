"""A second Passerelle process for the multi-PC tests (run with the test's python).

    python _worker.py URL UAI N WAIT TAG PAUSE

Runs ``run_import`` on UAI with a ``work`` that writes N rows into
``parametres`` (keys ``TAG:i``). With PAUSE=1 it prints ``HALF`` after N/2
rows and waits for a line on stdin before writing the rest; it prints
``WAITING`` once if it has to wait for another holder. Prints one JSON
line: {"ok": true} or {"ok": false, "code": …, "message": …}.
"""

from __future__ import annotations

import json
import sys

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.models import JournalKind
from app.errors import PasserelleError
from app.services.exclusive import ExclusiveUseError, Outcome, run_import
from app.store.database import Database
from app.store.tables.foundation import parametres


def main() -> int:
    url, uai, n_text, wait_text, tag, pause = sys.argv[1:7]
    n = int(n_text)
    db = Database(url)

    def work(conn: Connection) -> Outcome[int]:
        for i in range(n):
            if pause == "1" and i == n // 2:
                print("HALF", flush=True)
                sys.stdin.readline()
            conn.execute(sa.insert(parametres).values(cle=f"{tag}:{i}", valeur=str(i)))
        return Outcome(n, f"{n} lignes écrites", topics=["eleves"])

    waiting: list[str] = []

    def on_wait(_busy: ExclusiveUseError) -> None:
        if not waiting:
            waiting.append("oui")
            print("WAITING", flush=True)

    try:
        run_import(db, uai, JournalKind.SIECLE_IMPORT, work, wait=float(wait_text),
                   on_wait=on_wait)
    except PasserelleError as exc:
        print(json.dumps({"ok": False, "code": exc.code, "message": exc.message}), flush=True)
        return 1
    finally:
        db.dispose()
    print(json.dumps({"ok": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
