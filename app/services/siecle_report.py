"""The import report the secretary can keep: HTML (to read, print) or CSV (for a spreadsheet).

It names students (it is a document for the school, like SIECLE's own lists);
logs and the journal never do.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
from pathlib import Path
from typing import Literal

from app.domain.school_year import year_label
from app.errors import PasserelleError
from app.services.students_import import ImportPreview, ImportResult

_KINDS = {"creation": "Création", "mise_a_jour": "Mise à jour", "sortie": "Sortie"}


def write_report(
    preview: ImportPreview,
    result: ImportResult | None,
    path: Path,
    fmt: Literal["html", "csv"],
) -> Path:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            _write_csv(preview, target)
        elif fmt == "html":
            _write_html(preview, result, target)
        else:
            raise ValueError(fmt)
    except OSError as exc:
        raise PasserelleError(
            f"Impossible d'écrire le rapport « {target} » ({exc.strerror or exc}).",
            code="RAPPORT_ECRITURE",
        ) from exc
    return target


def _write_csv(preview: ImportPreview, target: Path) -> None:
    # utf-8-sig and « ; »: what a French spreadsheet opens without questions.
    with open(target, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["ELEVE_ID", "Élève", "Nature", "Donnée", "Avant", "Après"])
        for change in preview.iter_changes():
            kind = _KINDS.get(change.kind, change.kind)
            if not change.changes:
                out.writerow([change.eleve_id, change.label, kind, "", "", ""])
            for c in change.changes:
                out.writerow([change.eleve_id, change.label, kind, c.field, c.old, c.new])
        for a in preview.anomalies:
            nature = "Erreur" if a.severity == "erreur" else "Avertissement"
            out.writerow([a.eleve_id or "", "", f"Anomalie {a.code}", nature, "", a.message_fr])


def _write_html(preview: ImportPreview, result: ImportResult | None, target: Path) -> None:
    e = html.escape
    title = f"Import SIECLE – {preview.uai} – {year_label(preview.annee)}"
    status = (
        "Import effectué" + (f" (journal n° {result.journal_id})" if result.journal_id else "")
        if result is not None
        else "Aperçu : rien n'a encore été modifié"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;text-align:left}"
        ".bloquant{color:#a00;font-weight:bold}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{e(status)} – {e(dt.datetime.now().strftime('%d/%m/%Y %H:%M'))}</p>",
        f"<p>Source : {e(preview.source_label)}</p>",
        "<table><tr><th>Créés</th><th>Mis à jour</th><th>Sortis</th><th>Inchangés</th></tr>",
        f"<tr><td>{preview.crees}</td><td>{preview.mis_a_jour}</td><td>{preview.sortis}</td>"
        f"<td>{preview.inchanges}</td></tr></table>",
        "<h2>Fichiers</h2><ul>",
    ]
    for info in preview.files:
        counts = ", ".join(f"{k} : {v}" for k, v in info.counts.items())
        parts.append(f"<li>{e(info.name)} ({e(info.kind)}) {e(counts)}</li>")
    parts.append("</ul>")
    if preview.other_changes:
        parts.append("<h2>Autres changements</h2><ul>")
        parts.extend(f"<li>{e(k)} : {v}</li>" for k, v in preview.other_changes.items())
        parts.append("</ul>")
    if preview.blocking:
        parts.append("<h2>Import impossible</h2><ul>")
        parts.extend(f'<li class="bloquant">{e(b)}</li>' for b in preview.blocking)
        parts.append("</ul>")
    parts.append(f"<h2>Changements par élève ({preview.changes_total})</h2>")
    parts.append("<table><tr><th>ELEVE_ID</th><th>Élève</th><th>Nature</th><th>Détail</th></tr>")
    for change in preview.iter_changes():
        detail = "<br>".join(
            f"{e(c.field)} : {e(c.old) or '—'} → {e(c.new) or '—'}" for c in change.changes
        )
        parts.append(
            f"<tr><td>{e(change.eleve_id)}</td><td>{e(change.label)}</td>"
            f"<td>{e(_KINDS.get(change.kind, change.kind))}</td><td>{detail}</td></tr>"
        )
    parts.append("</table>")
    parts.append(f"<h2>Anomalies ({len(preview.anomalies)})</h2>")
    parts.append("<table><tr><th>Code</th><th>ELEVE_ID</th><th>Gravité</th><th>Message</th></tr>")
    for a in preview.anomalies:
        parts.append(
            f"<tr><td>{e(a.code)}</td><td>{e(a.eleve_id or '')}</td><td>{e(a.severity)}</td>"
            f"<td>{e(a.message_fr)}</td></tr>"
        )
    parts.append("</table></body></html>")
    target.write_text("\n".join(parts), encoding="utf-8")
