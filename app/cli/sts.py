"""``passerelle sts …``: STS-Web timetable files (``analyser`` leaves the base alone) and
« Récupérer les données de STSWEB » (``recuperer``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.domain.school_year import year_label
from app.domain.sts import StsData
from app.domain.timetable import Timetable
from app.formats.sts.reader import EDT_STS, STS_EDT, read_sts_file

_KIND_LABELS = {
    STS_EDT: "export STSWEB pour l'emploi du temps (STS_EDT)",
    EDT_STS: "emploi du temps à remonter vers STSWEB (EDT_STS)",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sts",
        help="fichiers STSWEB d'emploi du temps (STS_EDT, EDT_STS)",
        description="Fichiers échangés entre STSWEB et le logiciel d'emploi du temps.",
    )
    commands = parser.add_subparsers(dest="sts_commande", metavar="COMMANDE", required=True)
    analyser = commands.add_parser(
        "analyser",
        help="résumer un fichier STS_EDT ou EDT_STS (ZIP accepté) sans rien importer",
        description="Lit le fichier, le vérifie et affiche ce qu'il contient. La base n'est "
        "pas modifiée.",
    )
    analyser.add_argument("fichier", metavar="FICHIER", type=Path, help="fichier XML ou ZIP")
    analyser.add_argument("--json", action="store_true", help="résultat en JSON")
    analyser.add_argument("--uai", help="refuser le fichier s'il est d'un autre établissement")
    analyser.add_argument(
        "--annee", type=int, help="refuser le fichier s'il est d'une autre année (ex. 2026)"
    )
    analyser.set_defaults(handler=handler)
    recuperer = commands.add_parser(
        "recuperer",
        help="récupérer les données de STSWEB (fichier sts_emp ou NetSynchro) dans la base",
        description="Remplace les données STSWEB de l'établissement pour l'année scolaire de "
        "la base, après une copie automatique de la base. L'opération est notée au journal.",
    )
    recuperer.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    source = recuperer.add_mutually_exclusive_group(required=True)
    source.add_argument("--fichier", type=Path, metavar="FICHIER",
                        help="export STSWEB sts_emp_<UAI>_<AAAA>.xml (ou son ZIP)")
    source.add_argument("--netsynchro", action="store_true",
                        help="télécharger l'export par NetSynchro (certificat nécessaire)")
    source.add_argument("--demo", action="store_true", help="données de démonstration")
    recuperer.add_argument("--json", action="store_true", help="résultat en JSON")
    recuperer.set_defaults(handler=_retrieve)


def summarize(data: StsData | Timetable) -> dict[str, Any]:
    """Counts shown by ``sts analyser`` (``cours``: courses, a co-taught slot counts once)."""
    if isinstance(data, StsData):
        return {
            "type": STS_EDT,
            "uai": data.uai,
            "annee": data.annee,
            "individus": len(data.individus),
            "matieres": len(data.matieres),
            "divisions": len(data.divisions),
            "groupes": len(data.groupes),
            "services": data.service_count,
            "cours": 0,
        }
    people = {i.id for i in data.individus}
    subjects: set[str] = set()
    for _, _, services in data.structures():
        for service in services:
            subjects.add(service.code_matiere)
            people.update(e.id for e in service.enseignants)
    return {
        "type": EDT_STS,
        "uai": data.uai,
        "annee": data.annee,
        "individus": len(people),
        "matieres": len(subjects),
        "divisions": len(data.divisions),
        "groupes": len(data.groupes),
        "services": data.service_count(),
        "cours": len(data.courses()),
    }


def handler(args: argparse.Namespace) -> int:
    """Refusals propagate as FormatError: ``app.cli`` prints the French message, exit 1."""
    data = read_sts_file(args.fichier, expected_uai=args.uai, expected_year=args.annee)
    summary = summarize(data)
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    annee = summary["annee"]
    lines = [
        f"Fichier : {args.fichier.name} — {_KIND_LABELS[summary['type']]}",
        f"Établissement : {summary['uai']}",
        f"Année scolaire : {year_label(annee) if annee is not None else 'non indiquée'}",
        f"Individus : {summary['individus']}",
        f"Matières : {summary['matieres']}",
        f"Divisions : {summary['divisions']}",
        f"Groupes : {summary['groupes']}",
        f"Services : {summary['services']}",
    ]
    if summary["type"] == EDT_STS:
        lines.append(f"Cours : {summary['cours']}")
    print("\n".join(lines))
    return 0


def _retrieve(args: argparse.Namespace) -> int:
    from app.cli._common import open_base, print_json
    from app.services.sts import retrieval

    ctx = open_base(args)
    try:
        if args.fichier is not None:
            done = retrieval.retrieve_from_file(ctx.db, args.uai, args.fichier)
        elif args.netsynchro:
            done = retrieval.retrieve_by_netsynchro(ctx.db, args.uai)
        else:
            done = retrieval.retrieve_demo(ctx.db, args.uai)
    finally:
        ctx.close()
    if args.json:
        print_json({"uai": done.uai, "annee": done.annee, "source": done.source,
                    "modifie": done.changed, **done.counts})  # fmt: skip
        return 0
    c = done.counts
    print(f"Données STSWEB {year_label(done.annee)} de {done.uai} récupérées : "
          f"{c['individus']} personnels, {c['matieres']} matières, {c['divisions']} divisions, "
          f"{c['groupes']} groupes, {c['services']} services.")
    if not done.changed:
        print("Elles sont identiques aux précédentes : rien n'a changé.")
    return 0
