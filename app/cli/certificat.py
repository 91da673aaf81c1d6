"""``passerelle certificat``: import, show and delete the NetSynchro certificate."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from app.cli._common import confirm, open_base, print_json
from app.domain.uai import validate_uai
from app.errors import PasserelleError, UserCancelled
from app.security.certificates import CertificateInfo
from app.security.errors import CertificateNeedsConfirmation
from app.services import certificates as certificate_service


def register(subparsers: Any) -> None:
    cert = subparsers.add_parser(
        "certificat", help="certificat NetSynchro de l'établissement (sur ce poste)"
    )
    sub = cert.add_subparsers(dest="action", metavar="ACTION", required=True,
                              parser_class=type(cert))

    imp = sub.add_parser("importer", help="importer un certificat .p12 ou .pfx")
    imp.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    imp.add_argument("fichier", metavar="FICHIER", type=Path, help="fichier .p12 ou .pfx")
    imp.add_argument("--mot-de-passe-stdin", action="store_true",
                     help="lire le mot de passe sur l'entrée standard (scripts) au lieu de "
                     "le demander")
    imp.add_argument("--confirmer-sans-uai", action="store_true",
                     help="accepter un certificat qui ne mentionne aucun code UAI")
    imp.set_defaults(handler=_import)

    show = sub.add_parser("afficher", help="afficher le certificat enregistré")
    show.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    show.add_argument("--json", action="store_true", help="sortie JSON")
    show.set_defaults(handler=_show)

    delete = sub.add_parser("supprimer", help="supprimer le certificat de ce poste")
    delete.add_argument("uai", metavar="UAI", help="code UAI de l'établissement")
    delete.add_argument("--oui", action="store_true", help="ne pas demander de confirmation")
    delete.set_defaults(handler=_delete)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        # Only the line ending is removed: spaces may belong to the password.
        return line.removesuffix("\n").removesuffix("\r")
    try:
        return getpass.getpass("Mot de passe du certificat : ")
    except EOFError as exc:
        raise UserCancelled from exc


def _print_info(info: CertificateInfo) -> None:
    print(f"Établissement : {info.uai}")
    print(f"Titulaire : {info.titulaire}")
    print(f"Émis par : {info.emetteur}")
    print(f"Numéro de série : {info.numero_serie}")
    print(f"Valable du {info.valide_du.astimezone():%d/%m/%Y %H:%M} "
          f"au {info.valide_au.astimezone():%d/%m/%Y %H:%M}")
    if info.expire:
        print("État : EXPIRÉ")
    elif info.pas_encore_valide:
        print("État : pas encore valable")
    else:
        print(f"État : valable ({info.jours_restants} jour(s) restant(s))")
    print(f"Empreinte SHA-256 : {info.empreinte_sha256}")
    print(f"UAI lu dans le certificat : {info.uai_certificat or 'aucun'}")
    for warning in info.avertissements:
        print(f"Attention : {warning}")


def _import(args: argparse.Namespace) -> int:
    password = _read_password(args.mot_de_passe_stdin)
    ctx = open_base(args)
    try:
        try:
            info = certificate_service.import_certificate_file(
                ctx.db, args.uai, args.fichier, password,
                confirm_without_uai=args.confirmer_sans_uai,
            )
        except CertificateNeedsConfirmation as question:
            print(question.message, file=sys.stderr)
            if not confirm("Enregistrer quand même ce certificat pour cet établissement ?"):
                raise PasserelleError(
                    "Certificat non enregistré. Pour l'accepter sans code UAI, relancez "
                    "avec --confirmer-sans-uai.",
                    code=question.code,
                ) from None
            info = certificate_service.import_certificate_file(
                ctx.db, args.uai, args.fichier, password, confirm_without_uai=True
            )
    finally:
        ctx.close()
    print("Certificat enregistré (protégé par le trousseau du système ; le mot de passe "
          "saisi n'est pas conservé).")
    _print_info(info)
    return 0


def _show(args: argparse.Namespace) -> int:
    uai = validate_uai(args.uai)
    info = certificate_service.certificate_info(uai)
    if info is None:
        raise PasserelleError(
            f"Aucun certificat NetSynchro n'est enregistré sur ce poste pour "
            f"l'établissement {uai}.",
            code="CERTIFICAT_ABSENT",
        )
    if args.json:
        print_json(certificate_service.info_fields(info))
    else:
        _print_info(info)
    return 0


def _delete(args: argparse.Namespace) -> int:
    uai = validate_uai(args.uai)
    if not args.oui and not confirm(
        f"Supprimer de ce poste le certificat NetSynchro de l'établissement {uai} ?"
    ):
        raise UserCancelled
    ctx = open_base(args)
    try:
        removed = certificate_service.delete_certificate(ctx.db, uai)
    finally:
        ctx.close()
    if removed:
        print(f"Certificat de l'établissement {uai} supprimé de ce poste.")
    else:
        print(f"Aucun certificat n'était enregistré sur ce poste pour l'établissement {uai}.")
    return 0
