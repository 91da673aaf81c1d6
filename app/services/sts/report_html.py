"""The printable compte rendu of a send, as a self-contained HTML file in ``rapports/``."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from app import paths
from app.domain.school_year import year_label
from app.netsynchro.protocol import AnomalyKind, TaskReport, TaskState

KIND_TEXT = {
    AnomalyKind.PAR: "Partiellement importé",
    AnomalyKind.MOD: "Importé après modification",
    AnomalyKind.REJ: "Rejeté",
}
STATE_TEXT = {
    TaskState.TERMINEE: "Traitement terminé",
    TaskState.REJETEE: "Envoi rejeté",
    TaskState.EN_COURS: "Traitement en cours",
}


def report_html(report: TaskReport, etablissement: str) -> str:
    c = report.counters
    rows = "".join(
        f"<tr><td>{escape(KIND_TEXT[a.kind])}</td><td>{escape(a.reference)}</td>"
        f"<td>{escape(a.message)}</td><td>{escape(a.code)}</td></tr>"
        for a in report.anomalies
    )
    anomalies = (
        "<table><thead><tr><th>Type</th><th>Concerne</th><th>Message</th><th>Code</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        if report.anomalies else "<p>Aucune anomalie.</p>"
    )  # fmt: skip
    received = report.received.astimezone().strftime("%d/%m/%Y %H:%M") if report.received else "—"
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Compte rendu d'envoi vers STSWEB – {escape(report.uai)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #888; padding: 4px 8px; text-align: left; vertical-align: top; }}
@media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>Compte rendu d'envoi des emplois du temps vers STSWEB</h1>
<p>Établissement : {escape(etablissement)}<br>
Année scolaire : {escape(year_label(report.year))}<br>
Tâche : {escape(str(report.tache_id))}<br>
Reçu par le serveur : {escape(received)}<br>
État : <strong>{escape(STATE_TEXT[report.state])}</strong></p>
<h2>Services</h2>
<p>Lus : {c.lus} — complets : {c.complets} — partiels : {c.partiels} — rejetés : {c.rejetes}</p>
<h2>Anomalies</h2>
{anomalies}
</body></html>
"""


def save_report(report: TaskReport, etablissement: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"compte-rendu-edt-{report.uai}-{stamp}-{report.tache_id.hex[:8]}.html"
    path = paths.reports_dir() / name
    path.write_text(report_html(report, etablissement), encoding="utf-8")
    return path
