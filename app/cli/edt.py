"""``passerelle edt …``: the annual timetable (import, check, correspondances, export, send)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli._common import open_base, print_json
from app.domain.school_year import year_label
from app.errors import PasserelleError
from app.netsynchro.protocol import TaskState
from app.services.sts import edt, send, timetable_import
from app.services.sts.compliance import ComplianceReport
from app.services.sts.correspondances import Correspondances


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("edt", help="emplois du temps annuels à remonter vers STSWEB")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                parser_class=type(parser))  # fmt: skip

    imp = sub.add_parser("importer", help="importer un emploi du temps (EDT_STS ou CSV)",
                         description="Remplace les cours de l'année scolaire par ceux du fichier "
                         "(EDT_STS en XML ou ZIP, ou export CSV des cours : voir "
                         "docs/format-csv-cours.md). Tout ou rien, après une copie de la base.")
    imp.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    imp.add_argument("fichier", metavar="FICHIER", type=Path, help="fichier EDT_STS ou CSV")
    imp.set_defaults(handler=_import)

    demo = sub.add_parser("demo", help="charger l'emploi du temps de démonstration",
                          description="Construit un emploi du temps annuel sur les données "
                          "STSWEB de la base (récupérez-les d'abord).")
    demo.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    demo.set_defaults(handler=_demo)

    ver = sub.add_parser("verifier", help="lister les cours non exportables et leur raison")
    ver.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    ver.add_argument("--json", action="store_true", help="résultat en JSON")
    ver.set_defaults(handler=_verify)

    cor = sub.add_parser("correspondances", help="ce qui manque dans les correspondances")
    cor.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    cor.add_argument("--json", action="store_true", help="résultat en JSON")
    cor.add_argument("--auto", action="store_true",
                     help="établir d'abord les correspondances automatiques")
    cor.set_defaults(handler=_correspondances)

    exp = sub.add_parser("exporter", help="écrire le fichier EDT_STS pour STSWEB",
                         description="Écrit les cours exportables dans un fichier EDT_STS "
                         "validé (les autres sont laissés de côté et comptés).")
    exp.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    exp.add_argument("--fichier", metavar="SORTIE", type=Path, required=True,
                     help="fichier à écrire, ou dossier (nom proposé emp_sts_<UAI>_<AAAA>.xml)")
    exp.set_defaults(handler=_export)

    env = sub.add_parser("envoyer", help="envoyer les emplois du temps vers STSWEB (NetSynchro)",
                         description="Vérifie les cours, les envoie par NetSynchro et attend le "
                         "compte rendu. Code de sortie 1 si l'envoi est bloqué ou rejeté.")
    env.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    env.add_argument("--json", action="store_true", help="résultat en JSON")
    env.set_defaults(handler=_send)


def _import(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        done = timetable_import.import_file(ctx.db, args.uai, args.fichier)
    finally:
        ctx.close()
    print(f"Emploi du temps importé ({done.source}) : {done.courses} cours.")
    missing = {k: n for k, n in done.auto_matched.items()}
    if missing:
        print("Correspondances automatiques ajoutées : "
              + ", ".join(f"{k} {n}" for k, n in missing.items()))
    return 0


def _demo(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        done = timetable_import.import_demo(ctx.db, args.uai)
    finally:
        ctx.close()
    print(f"Emploi du temps de démonstration chargé : {done.courses} cours.")
    return 0


def verification_json(report: ComplianceReport) -> dict[str, Any]:
    return {
        "exportables": len(report.exportable),
        "non_exportables": [{"cours": s.description, "raison": s.reason_text}
                            for s in report.blocked],
        "avertissements": [{"cours": s.description,
                            "avertissement": " ; ".join(w.message for w in s.warnings)}
                           for s in report.warnings],
    }  # fmt: skip


def _verify(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        report = edt.verify(ctx.db, args.uai)
    finally:
        ctx.close()
    if args.json:
        print_json(verification_json(report))
        return 0
    print(f"Cours exportables : {len(report.exportable)}")
    print(f"Cours non exportables : {len(report.blocked)}")
    for status in report.blocked:
        print(f"  {status.description} : {status.reason_text}")
    for status in report.warnings:
        print(f"  Attention — {status.description} : "
              + " ; ".join(w.message for w in status.warnings))
    return 0


def correspondances_json(view: Correspondances) -> dict[str, Any]:
    return {
        kind: {
            "sans_correspondance": k.missing,
            "stsweb_non_relies": k.unmatched_sts,
            "locaux_sans_correspondance": [i.code for i in k.local_items if not i.matched],
            "stsweb_non_relies_liste": [i.key for i in k.sts_items if i.unmatched],
        }
        for kind, k in view.kinds.items()
    }


def _correspondances(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        if args.auto:
            edt.run_auto_match(ctx.db, args.uai)
        view = edt.correspondances(ctx.db, args.uai)
    finally:
        ctx.close()
    if args.json:
        print_json(correspondances_json(view))
        return 0
    for k in view.kinds.values():
        print(f"{k.label} : {k.missing} sans correspondance sur {len(k.local_items)}, "
              f"{k.unmatched_sts} élément(s) STSWEB non relié(s)")
        for item in k.local_items:
            if not item.matched:
                print(f"  - {item.label}")
    return 0


def _export(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        done = edt.export_to_file(ctx.db, args.uai, args.fichier)
    finally:
        ctx.close()
    print(f"Fichier écrit : {done.path} ({done.courses} cours)")
    if done.left_out:
        print(f"{done.left_out} cours non exportables laissés de côté "
              "(passerelle edt verifier pour le détail).")
    return 0


def _send(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        result = send.send_timetable(ctx.db, args.uai)
    finally:
        ctx.close()
    if result.blocked:
        ready = result.readiness
        if args.json:
            print_json({"bloque": True, "problemes": ready.problems,
                        "non_exportables": [{"cours": s.description, "raison": s.reason_text}
                                            for s in ready.blocked]})  # fmt: skip
        for problem in ready.problems:
            print(problem, file=sys.stderr)
        if ready.blocked:
            print(f"{len(ready.blocked)} cours ne peuvent pas être envoyés (passerelle edt "
                  "verifier pour le détail) : rien n'a été envoyé.", file=sys.stderr)
        return 1
    report = result.report
    if report is None:  # pragma: no cover - blocked handled above
        raise PasserelleError("Envoi sans compte rendu.")
    c = report.counters
    if args.json:
        print_json({"bloque": False, "tache": str(report.tache_id), "etat": report.state.value,
                    "compteurs": {"lus": c.lus, "complets": c.complets, "partiels": c.partiels,
                                  "rejetes": c.rejetes},
                    "anomalies": [{"type": a.kind.value, "code": a.code,
                                   "reference": a.reference, "message": a.message}
                                  for a in report.anomalies],
                    "rapport": str(result.report_path)})  # fmt: skip
    else:
        state = "rejeté" if report.state is TaskState.REJETEE else "traité"
        print(f"Envoi {state} par STSWEB ({year_label(report.year)}) : {c.lus} services lus, "
              f"{c.complets} complets, {c.partiels} partiels, {c.rejetes} rejetés.")
        for a in report.anomalies:
            print(f"  [{a.kind.value}] {a.reference} : {a.message}")
        print(f"Compte rendu : {result.report_path}")
    if result.rejected:
        if not args.json:
            print("L'envoi a été rejeté par STSWEB : voir le compte rendu.", file=sys.stderr)
        return 1
    return 0
