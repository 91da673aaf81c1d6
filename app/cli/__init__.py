"""``passerelle``: the command line (French help).

Exit codes: 0 done, 1 refused (a French message on stderr), 2 usage error.
Without a command, the graphical application starts.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from app import __version__
from app.errors import PasserelleError, UserCancelled

# One module per command group, each exposing register(subparsers).
COMMAND_MODULES = (
    "app.cli.base",
    "app.cli.gui",
    "app.cli.netsynchro",
    "app.cli.certificat",
    "app.cli.sandbox",
    "app.cli.siecle",
    "app.cli.eleves",
    "app.cli.sts",
    "app.cli.edt",
    "app.cli.diagnostic",
)

log = logging.getLogger(__name__)


class FrenchArgumentParser(argparse.ArgumentParser):
    """argparse with its own messages in French."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message: str) -> None:  # type: ignore[override]
        replacements = {
            "the following arguments are required": "arguments obligatoires manquants",
            "unrecognized arguments": "arguments non reconnus",
            "invalid choice": "choix invalide",
            "expected one argument": "une valeur est attendue",
            "invalid int value": "nombre entier attendu",
            "choose from": "choisir parmi",
            "argument": "argument",
        }
        for english, french in replacements.items():
            message = message.replace(english, french)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {message}\n")

    def format_help(self) -> str:
        text = super().format_help()
        return (
            text.replace("usage:", "utilisation :")
            .replace("positional arguments:", "arguments :")
            .replace("options:", "options :")
        )

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "utilisation :")


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(
        prog="passerelle",
        description="Passerelle : échanges NetSynchro (SIECLE, STSWEB) pour le secrétariat. "
        "Sans commande, l'application s'ouvre.",
    )
    parser.add_argument("--version", action="version", version=f"Passerelle {__version__}",
                        help="afficher la version et quitter")
    parser.add_argument(
        "--base",
        metavar="FICHIER_OU_URL",
        help="base à utiliser : un fichier SQLite ou une adresse postgresql+psycopg://… "
        "(par défaut PASSERELLE_BASE, sinon la base du dossier de données)",
    )
    parser.add_argument(
        "--fermer-apres",
        metavar="MS",
        type=int,
        help=argparse.SUPPRESS,  # smoke tests of the frozen build: quit after MS milliseconds
    )
    subparsers = parser.add_subparsers(
        dest="commande", metavar="COMMANDE", title="commandes ", parser_class=FrenchArgumentParser
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from app.logsetup import setup_logging

    if argv is None:
        argv = sys.argv[1:]
    if list(argv) == ["--version"]:
        # Answer without importing every command group (the frozen build's smoke test).
        print(f"Passerelle {__version__}")
        return 0
    setup_logging(console=False)
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        from app.cli.gui import run_gui

        return run_gui(args)
    try:
        code = int(handler(args))
    except PasserelleError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except UserCancelled:
        print("Opération annulée.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error in command %s", getattr(args, "commande", "?"))
        from app.paths import logs_dir

        print(
            "Erreur inattendue : l'opération n'a pas abouti. Le détail technique est dans "
            f"le journal de l'application ({logs_dir()}).",
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
