"""The ``radfuse`` command line.

Each sub-command lives next to the code it drives, in a module exposing
``register(subparsers)``; this module only assembles them, so ``radfuse --help``
never imports PyRadiomics or fits anything.
"""

from __future__ import annotations

import argparse
import importlib
import sys

_COMMAND_MODULES = ("radfuse.extract._cli", "radfuse._cli_study")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="radfuse", description="Leak-free radiomics studies from the command line."
    )
    parser.add_argument("--version", action="version", version=f"radfuse {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as error:
        print(f"radfuse {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
