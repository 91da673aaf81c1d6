"""Commands about the base itself: establishments, year, copies, journal, menus."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app import menus
from app.cli._common import open_base, print_json
from app.domain.school_year import year_label
from app.services import base_admin, journal


def register(subparsers: Any) -> None:
    etab = subparsers.add_parser("etablissement", help="établissements de la base")
    etab_sub = etab.add_subparsers(dest="action", metavar="ACTION", required=True,
                                   parser_class=type(etab))
    add = etab_sub.add_parser("ajouter", help="ajouter un établissement (UAI et nom)")
    add.add_argument("uai", metavar="UAI", help="code UAI : 7 chiffres et une lettre")
    add.add_argument("nom", metavar="NOM", nargs="+", help="nom de l'établissement")
    add.set_defaults(handler=_add_establishment)
    lst = etab_sub.add_parser("lister", help="lister les établissements")
    lst.add_argument("--json", action="store_true", help="sortie JSON")
    lst.set_defaults(handler=_list_establishments)

    annee = subparsers.add_parser("annee", help="afficher ou changer l'année scolaire de la base")
    annee.add_argument("annee", metavar="AAAA", nargs="?", type=int,
                       help="première année de l'année scolaire (2026 pour 2026-2027)")
    annee.set_defaults(handler=_year)

    base = subparsers.add_parser("base", help="copies de la base")
    base_sub = base.add_subparsers(dest="action", metavar="ACTION", required=True,
                                   parser_class=type(base))
    copy = base_sub.add_parser("copier", help="créer une copie de la base")
    copy.add_argument("destination", metavar="DESTINATION", nargs="?", type=Path,
                      help="fichier ou dossier de la copie (par défaut le dossier des copies)")
    copy.set_defaults(handler=_copy)
    restore = base_sub.add_parser("restaurer", help="remplacer la base par une copie")
    restore.add_argument("fichier", metavar="FICHIER", type=Path, help="copie à restaurer")
    restore.set_defaults(handler=_restore)
    lst_copies = base_sub.add_parser("copies", help="lister les copies disponibles")
    lst_copies.set_defaults(handler=_list_copies)
    transfer = base_sub.add_parser(
        "migrer-vers",
        help="copier toute la base dans une base neuve, par exemple sur un serveur PostgreSQL "
        "partagé par plusieurs postes",
    )
    transfer.add_argument("url", metavar="URL",
                          help="adresse de la base de destination (postgresql+psycopg://…)")
    transfer.set_defaults(handler=_migrate_to)

    jnl = subparsers.add_parser("journal", help="afficher le journal des échanges")
    jnl.add_argument("--json", action="store_true", help="sortie JSON")
    jnl.add_argument("--uai", help="seulement cet établissement")
    jnl.set_defaults(handler=_journal)

    mn = subparsers.add_parser("menus", help="afficher l'arbre des menus de la fenêtre")
    mn.set_defaults(handler=_menus)


def _add_establishment(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        e = base_admin.add_establishment(ctx.db, args.uai, " ".join(args.nom))
    finally:
        ctx.close()
    print(f"Établissement ajouté : {e.uai} {e.nom}")
    return 0


def _list_establishments(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        items = base_admin.establishments(ctx.db)
    finally:
        ctx.close()
    if args.json:
        print_json([{"uai": e.uai, "nom": e.nom} for e in items])
    elif not items:
        print("Aucun établissement dans la base.")
    else:
        for e in items:
            print(f"{e.uai}  {e.nom}")
    return 0


def _year(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        if args.annee is not None:
            base_admin.set_school_year(ctx.db, args.annee)
        year = base_admin.school_year(ctx.db)
    finally:
        ctx.close()
    print(f"{year} ({year_label(year)})")
    return 0


def _copy(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        path = base_admin.copy_base(ctx.db, args.destination)
    finally:
        ctx.close()
    print(f"Copie créée : {path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        saved = base_admin.restore_base(ctx.db, args.fichier)
    finally:
        ctx.close()
    print(f"Base restaurée depuis {args.fichier}.")
    if saved:
        print(f"L'ancienne base a été copiée dans {saved}.")
    return 0


def _list_copies(args: argparse.Namespace) -> int:
    from app.store.backup import list_copies

    copies = list_copies()
    if not copies:
        print("Aucune copie.")
    for path in copies:
        print(path)
    return 0


def _migrate_to(args: argparse.Namespace) -> int:
    from app.services.shared import transfer_base

    ctx = open_base(args)
    try:
        report = transfer_base(ctx.db, args.url)
    finally:
        ctx.close()
    print(f"Base copiée vers {report.target}")
    for name, count in report.counts.items():
        print(f"  {name:<28} {count:>9} ligne{'s' if count > 1 else ''}")
    print(f"Total : {report.total} ligne{'s' if report.total > 1 else ''}, "
          "nombres vérifiés dans les deux bases.")
    print("Sur chaque poste, utilisez désormais cette adresse (variable PASSERELLE_BASE ou "
          "option --base, voir docs/deploiement-reseau.md). L'ancienne base reste intacte : "
          "ne la modifiez plus, ses changements ne seraient pas recopiés.")
    return 0


def _journal(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        items = journal.entries(ctx.db, uai=args.uai.upper() if args.uai else None)
    finally:
        ctx.close()
    if args.json:
        print_json(
            [
                {
                    "id": e.id,
                    "horodatage": e.horodatage.isoformat(),
                    "uai": e.uai,
                    "nature": e.nature,
                    "resultat": e.resultat,
                    "resume": e.resume,
                    "details": e.details,
                    "poste": e.poste,
                }
                for e in items
            ]
        )
        return 0
    if not items:
        print("Le journal des échanges est vide.")
    for e in items:
        when = e.horodatage.astimezone().strftime("%d/%m/%Y %H:%M")
        print(f"{when}  {e.uai or '—':8}  {e.nature_label:28}  {e.resultat_label:12}  {e.resume}")
    return 0


def _menus(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        tree = menus.build_menu_tree(
            base_admin.school_year(ctx.db),
            base_admin.establishments(ctx.db),
            menus.AVAILABLE_ACTIONS,
        )
    finally:
        ctx.close()
    for line in menus.render_tree(tree):
        print(line)
    return 0
