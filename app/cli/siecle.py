"""``passerelle siecle analyser FICHIER…``: check SIECLE exports without touching the base."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.domain.school_year import year_label
from app.domain.siecle import Anomaly, SiecleKind
from app.formats.errors import FormatError
from app.formats.siecle import (
    FileSummary,
    analyse,
    inconsistent_headers,
    links_to_unknown_students,
    read_responsables,
)

MAX_SHOWN = 50  # human output: beyond this, --json gives everything


def register(subparsers: Any) -> None:
    siecle = subparsers.add_parser("siecle", help="fichiers SIECLE (Base élèves)")
    sub = siecle.add_subparsers(dest="action", metavar="ACTION", required=True,
                                parser_class=type(siecle))  # fmt: skip
    analyser = sub.add_parser(
        "analyser",
        help="vérifier des exports SIECLE (XML ou ZIP) sans rien importer",
        description="Lit des exports SIECLE (Élèves, Responsables, Nomenclatures, Structures), "
        "en XML ou dans le ZIP de SIECLE, compte leur contenu et signale les anomalies. La "
        "base n'est pas utilisée.",
    )
    analyser.add_argument("fichiers", metavar="FICHIER", nargs="+", type=Path,
                          help="export SIECLE (.xml ou .zip)")  # fmt: skip
    analyser.add_argument("--json", action="store_true", help="sortie JSON")
    analyser.add_argument("--uai", help="refuser les fichiers d'un autre établissement")
    analyser.add_argument("--annee", metavar="AAAA", type=int,
                          help="refuser les fichiers d'une autre année scolaire (2026 pour "
                          "2026-2027)")  # fmt: skip
    analyser.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    summaries: list[FileSummary] = []
    paths: dict[str, Path] = {}
    refused = False
    for path in args.fichiers:
        try:
            summary = analyse(path, expected_uai=args.uai, expected_year=args.annee)
        except FormatError as exc:
            refused = True
            print(f"{Path(path).name} : {exc.message}", file=sys.stderr)
            continue
        summaries.append(summary)
        paths[summary.fichier] = path
    anomalies: list[tuple[str | None, Anomaly]] = [
        (s.fichier, a) for s in summaries for a in s.anomalies
    ]
    anomalies += [(None, a) for a in inconsistent_headers([(s.fichier, s.header)
                                                            for s in summaries])]  # fmt: skip
    anomalies += _cross_links(summaries, paths)
    if args.json:
        _print_json(summaries, anomalies)
    else:
        _print_text(summaries, anomalies)
    return 1 if refused else 0


def _cross_links(
    summaries: list[FileSummary], paths: dict[str, Path]
) -> list[tuple[str | None, Anomaly]]:
    """Links to students absent from the Élèves file, when both files were given."""
    eleves = [s for s in summaries if s.kind is SiecleKind.ELEVES]
    if len(eleves) != 1:
        return []  # with two Élèves files there is no single reference list
    found: list[tuple[str | None, Anomaly]] = []
    for summary in summaries:
        if summary.kind is not SiecleKind.RESPONSABLES:
            continue
        with read_responsables(paths[summary.fichier]) as opened:
            for anomaly in links_to_unknown_students(eleves[0].eleve_ids, opened.links()):
                found.append((summary.fichier, anomaly))
    return found


def _anomaly_json(fichier: str | None, anomaly: Anomaly) -> dict[str, str]:
    item = {"code": anomaly.code, "message": anomaly.message_fr, "gravite": anomaly.severity}
    if fichier is not None:
        item["fichier"] = fichier
    if anomaly.eleve_id is not None:
        item["eleve_id"] = anomaly.eleve_id
    return item


def _print_json(
    summaries: list[FileSummary], anomalies: list[tuple[str | None, Anomaly]]
) -> None:
    files: list[dict[str, Any]] = []
    for s in summaries:
        item: dict[str, Any] = {"fichier": s.fichier, "type": s.header.root}
        item.update(uai=s.header.uai, annee=s.header.annee, **s.counts)
        files.append(item)
    value = {"fichiers": files, "anomalies": [_anomaly_json(f, a) for f, a in anomalies]}
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


_COUNT_LABELS = {
    "eleves": "élèves",
    "eleves_sortis": "dont sortis",
    "sans_ine": "sans INE",
    "divisions": "divisions",
    "groupes": "groupes",
    "personnes": "personnes",
    "liens": "liens responsable-élève",
    "mefs": "MEF",
    "matieres": "matières",
}


def _print_text(
    summaries: list[FileSummary], anomalies: list[tuple[str | None, Anomaly]]
) -> None:
    for s in summaries:
        print(f"{s.fichier} : export {s.kind.label_fr} ({s.header.root}), établissement "
              f"{s.header.uai}, année {year_label(s.header.annee)}")  # fmt: skip
        for key, value in s.counts.items():
            print(f"  {_COUNT_LABELS.get(key, key)} : {value}")
    if not anomalies:
        if summaries:
            print("Aucune anomalie.")
        return
    errors = sum(1 for _f, a in anomalies if a.severity == "erreur")
    print(f"Anomalies : {len(anomalies)} (dont {errors} erreur{'s' if errors > 1 else ''})")
    for fichier, anomaly in anomalies[:MAX_SHOWN]:
        where = f"{fichier} : " if fichier else ""
        print(f"  [{anomaly.severity}] {anomaly.code} — {where}{anomaly.message_fr}")
    if len(anomalies) > MAX_SHOWN:
        print(f"  … et {len(anomalies) - MAX_SHOWN} autres (option --json pour tout voir).")
