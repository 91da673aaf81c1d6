"""``passerelle eleves recuperer|lister``: import students from SIECLE, list them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli._common import open_base, print_json
from app.domain.school_year import year_label
from app.errors import PasserelleError
from app.services import students_import as si

MAX_SHOWN = 30  # human output; --json gives everything


def register(subparsers: Any) -> None:
    eleves = subparsers.add_parser("eleves", help="élèves : récupération depuis SIECLE, liste")
    sub = eleves.add_subparsers(dest="action", metavar="ACTION", required=True,
                                parser_class=type(eleves))  # fmt: skip
    recuperer = sub.add_parser(
        "recuperer",
        help="récupérer les données des élèves depuis SIECLE (fichiers ou NetSynchro)",
        description="Lit les exports SIECLE (ou les télécharge par NetSynchro), montre ce qui "
        "va changer, puis l'enregistre en une seule fois après une copie de la base. Les "
        "élèves ne sont jamais supprimés : ceux qui sont partis sont marqués « sortis ».",
    )
    recuperer.add_argument("uai", metavar="UAI", help="établissement (7 chiffres et une lettre)")
    source = recuperer.add_mutually_exclusive_group(required=True)
    source.add_argument("--fichiers", metavar="FICHIER", nargs="+", type=Path,
                        help="exports SIECLE (.xml ou .zip : Élèves, Responsables, "
                        "Nomenclature, Structures)")  # fmt: skip
    source.add_argument("--netsynchro", action="store_true",
                        help="télécharger les exports par NetSynchro (certificat installé)")
    choices = ", ".join(c.value for c in si.DataChoice)
    recuperer.add_argument("--donnees", metavar="LISTE",
                           help=f"données à récupérer, séparées par des virgules ({choices}) ; "
                           "par défaut toutes")  # fmt: skip
    recuperer.add_argument("--apercu", action="store_true",
                           help="montrer ce qui changerait, sans rien enregistrer")
    recuperer.add_argument("--sans-creation", action="store_true",
                           help="ne pas créer les nouveaux élèves")
    recuperer.add_argument("--sans-mise-a-jour", action="store_true",
                           help="ne pas mettre à jour les élèves déjà connus")
    recuperer.add_argument("--sans-sorties", action="store_true",
                           help="ne pas marquer les élèves sortis")
    recuperer.add_argument("--rapport", metavar="FICHIER", type=Path,
                           help="écrire un rapport (.html ou .csv)")
    recuperer.add_argument("--json", action="store_true", help="sortie JSON")
    recuperer.set_defaults(handler=recuperer_handler)

    lister = sub.add_parser("lister", help="lister les élèves d'un établissement")
    lister.add_argument("uai", metavar="UAI")
    lister.add_argument("--division", help="une seule division")
    lister.add_argument("--recherche", default="", help="nom, prénom, ELEVE_ID ou INE")
    lister.add_argument("--presents", action="store_true", help="sans les élèves sortis")
    lister.add_argument("--json", action="store_true", help="sortie JSON")
    lister.set_defaults(handler=lister_handler)


def parse_donnees(text: str | None) -> frozenset[si.DataChoice]:
    if text is None:
        return si.ALL_DATA
    chosen: set[si.DataChoice] = set()
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        try:
            chosen.add(si.DataChoice(item))
        except ValueError:
            known = ", ".join(c.value for c in si.DataChoice)
            raise PasserelleError(
                f"Donnée inconnue : « {item} ». Valeurs possibles : {known}.",
                code="DONNEE_INCONNUE",
            ) from None
    if not chosen:
        raise PasserelleError("--donnees : donnez au moins une donnée.", code="DONNEE_INCONNUE")
    return frozenset(chosen)


def _progress(done: int, total: int, text: str) -> None:
    # Progress goes to stderr, and only on a terminal: scripts read stdout (JSON).
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{text[:78]:<78}")
        sys.stderr.flush()


def recuperer_handler(args: argparse.Namespace) -> int:
    options = si.ImportOptions(
        donnees=parse_donnees(args.donnees),
        creer=not args.sans_creation,
        mettre_a_jour=not args.sans_mise_a_jour,
        marquer_sortis=not args.sans_sorties,
    )
    source: si.Source = si.FromNetSynchro() if args.netsynchro else si.FromFiles(
        tuple(args.fichiers)
    )
    ctx = open_base(args)
    try:
        preview = si.prepare(ctx.db, args.uai, source, options, progress=_progress)
        try:
            if sys.stderr.isatty():
                sys.stderr.write("\r" + " " * 78 + "\r")
            result: si.ImportResult | None = None
            if not args.apercu:
                if preview.blocking:
                    raise PasserelleError(
                        "Import impossible : " + " ".join(preview.blocking),
                        code="SIECLE_IMPORT_BLOQUE",
                    )
                result = si.apply(ctx.db, preview, progress=_progress)
            if args.rapport is not None:
                csv = args.rapport.suffix.lower() == ".csv"
                si.write_report(preview, result, args.rapport, "csv" if csv else "html")
            if args.json:
                print_json(_json(preview, result))
            else:
                _print_text(preview, result)
            return 1 if (args.apercu and preview.blocking) else 0
        finally:
            preview.close()
    finally:
        ctx.close()


def _json(preview: si.ImportPreview, result: si.ImportResult | None) -> dict[str, Any]:
    return {
        "uai": preview.uai,
        "annee": preview.annee,
        "apercu": result is None,
        "crees": preview.crees,
        "mis_a_jour": preview.mis_a_jour,
        "sortis": preview.sortis,
        "inchanges": preview.inchanges,
        "anomalies": len(preview.anomalies),
        "anomalies_detail": [
            {
                "code": a.code,
                "message": a.message_fr,
                "eleve_id": a.eleve_id,
                "gravite": a.severity,
            }
            for a in preview.anomalies
        ],
        "autres": preview.other_changes,
        "bloquant": preview.blocking,
        "fichiers": [{"fichier": f.name, "type": f.kind, **f.counts} for f in preview.files],
        "journal": result.journal_id if result is not None else None,
        "copie": str(result.copy_path) if result is not None and result.copy_path else None,
    }


def _print_text(preview: si.ImportPreview, result: si.ImportResult | None) -> None:
    print(f"Établissement {preview.uai}, année {year_label(preview.annee)} — "
          f"{preview.source_label}")  # fmt: skip
    verb = "Aperçu (rien n'est enregistré)" if result is None else "Import enregistré"
    print(f"{verb} : {preview.crees} créé(s), {preview.mis_a_jour} mis à jour, "
          f"{preview.sortis} sorti(s), {preview.inchanges} inchangé(s).")  # fmt: skip
    for key, value in preview.other_changes.items():
        print(f"  {key.replace('_', ' ')} : {value}")
    for reason in preview.blocking:
        print(f"Bloquant : {reason}")
    for change in preview.changes[:MAX_SHOWN]:
        detail = "; ".join(f"{c.field} : {c.old or '—'} → {c.new or '—'}" for c in change.changes)
        print(f"  [{change.kind}] ELEVE_ID {change.eleve_id} {change.label} {detail}".rstrip())
    if preview.changes_total > MAX_SHOWN:
        print(f"  … et {preview.changes_total - MAX_SHOWN} autre(s) (--json ou --rapport).")
    if preview.anomalies:
        print(f"Anomalies : {len(preview.anomalies)}")
        for a in preview.anomalies[:MAX_SHOWN]:
            print(f"  [{a.severity}] {a.code} — {a.message_fr}")
    if result is not None and result.copy_path is not None:
        print(f"Copie de la base faite avant l'import : {result.copy_path}")


def lister_handler(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        rows = si.list_students(
            ctx.db, uai=args.uai.strip().upper(), division=args.division,
            search=args.recherche, include_left=not args.presents,
        )  # fmt: skip
    finally:
        ctx.close()
    if args.json:
        print_json([
            {"eleve_id": r.eleve_id, "ine": r.ine, "nom": r.nom, "prenom": r.prenom,
             "date_naissance": r.date_naissance.isoformat() if r.date_naissance else None,
             "division": r.division,
             "sorti_le": r.sorti_le.isoformat() if r.sorti_le else None}
            for r in rows
        ])  # fmt: skip
        return 0
    for r in rows:
        born = r.date_naissance.strftime("%d/%m/%Y") if r.date_naissance else ""
        left = f" — sorti le {r.sorti_le.strftime('%d/%m/%Y')}" if r.sorti_le else ""
        print(f"{r.division or '—':<8} {r.eleve_id:<10} {r.nom} {r.prenom} {born}{left}")
    print(f"{len(rows)} élève(s).")
    return 0
