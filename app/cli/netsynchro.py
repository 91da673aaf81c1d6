"""``passerelle netsynchro configurer|tester``: the platform's address and a connection test."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from app.cli._common import open_base
from app.services import netsynchro_access, netsynchro_settings


def register(subparsers: Any) -> None:
    ns = subparsers.add_parser("netsynchro", help="adresse de NetSynchro et test de connexion")
    ns_sub = ns.add_subparsers(dest="action", metavar="ACTION", required=True,
                               parser_class=type(ns))
    conf = ns_sub.add_parser("configurer", help="enregistrer l'adresse de la plateforme")
    conf.add_argument("url", metavar="URL", help="adresse https:// de la plateforme")
    conf.add_argument("--ca", metavar="FICHIER", type=Path,
                      help="certificat d'autorité (PEM) du serveur, si ce n'est pas une "
                      "autorité reconnue par le système")
    conf.set_defaults(handler=_configure)
    show = ns_sub.add_parser("afficher", help="afficher la configuration")
    show.set_defaults(handler=_show)
    test = ns_sub.add_parser(
        "tester", help="tester la connexion d'un établissement (certificat de ce poste, "
        "année de la base)",
        description="Teste la connexion à NetSynchro d'un établissement : serveur joignable, "
        "certificat de ce poste accepté, établissement et année scolaire de la base ouverts. "
        "Le test est inscrit au journal des échanges. Code de sortie : 0 si la connexion est "
        "réussie, 1 sinon.",
    )
    test.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    test.set_defaults(handler=_test)


def _configure(args: argparse.Namespace) -> int:
    ca = netsynchro_settings.read_ca_file(args.ca) if args.ca else None
    ctx = open_base(args)
    try:
        netsynchro_settings.configure(ctx.db, args.url, ca)
    finally:
        ctx.close()
    print(f"Adresse NetSynchro enregistrée : {netsynchro_settings.validate_url(args.url)}")
    if ca:
        print("Autorité de certification du serveur enregistrée dans la base.")
    return 0


def _show(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        current = netsynchro_settings.load(ctx.db)
    finally:
        ctx.close()
    print(f"Adresse : {current.url or '(non configurée)'}")
    print("Autorité : " + ("fournie (dans la base)" if current.ca_pem else "celle du système"))
    return 0


def _test(args: argparse.Namespace) -> int:
    ctx = open_base(args)
    try:
        diagnosis = netsynchro_access.diagnose_connection(ctx.db, args.uai)
    finally:
        ctx.close()
    if diagnosis.ok:
        print(diagnosis.text_fr())
        return 0
    # The checklist is the report (stdout); the reason of the failure is the
    # refusal message, on stderr like every other refusal of the CLI.
    print(dataclasses.replace(diagnosis, error=None).text_fr())
    assert diagnosis.error is not None
    print(diagnosis.error.message, file=sys.stderr)
    return 1
