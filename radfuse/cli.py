"""The ``radfuse`` command line.

Each sub-command lives next to the code it drives, in a module exposing
``register(subparsers)``; this module only assembles them, adds the options
every command shares (``-v``, ``-q``, ``--log-file``), turns expected errors
into one line and an exit code, and checks output paths before any work, so
``radfuse --help`` never imports PyRadiomics or fits anything.

Exit codes:

====  ==========================================================================
0     success
1     bad input: a missing or malformed file, column, setting or value
2     bad command line (unknown option, missing argument)
3     a missing optional dependency (e.g. PyRadiomics, pyarrow); the message names
      the extra to install
4     a file-system error: an output folder that cannot be created or written,
      a full disk, a permission denied
5     ``radfuse extract`` finished, but some cases failed (listed in the sidecar);
      ``--allow-failures`` exits 0 instead
130   interrupted (Ctrl-C)
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import re
import sys
import tempfile
from pathlib import Path

from ._files import TABLE_SUFFIXES, UnwritableDestinationError, check_destination, check_table_destination

_COMMAND_MODULES = ("radfuse.extract._cli", "radfuse._cli_study")

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_DEPENDENCY, EXIT_FILESYSTEM, EXIT_FAILED_CASES = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130

_EPILOG = (
    "exit codes: 0 success; 1 bad input; 2 bad command line; 3 missing optional dependency; "
    "4 file-system error (permissions, full disk); 5 extract finished with failed cases; 130 interrupted. "
    "Common options of every command: -v/--verbose, -q/--quiet, --log-file FILE."
)

#: API argument names in library messages, as the command line spells them.
_FLAG_NAMES = (
    (r"pass on_error='record'", "pass --on-error record"),
    (r"on_error='record'", "--on-error record"),
    (r"on_error='raise'", "--on-error raise"),
    (r"\bon_error\b", "--on-error"),
    (r"\bn_jobs\b", "--jobs"),
    (r"\bcache_dir\b", "--cache"),
    (r"\brandom_state\b", "--seed"),
)

log = logging.getLogger("radfuse.cli")


class FailedCases(Exception):
    """A command finished and wrote its output, but some cases failed (exit code 5)."""


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="radfuse", description="Leak-free radiomics studies from the command line.", epilog=_EPILOG
    )
    parser.add_argument("--version", action="version", version=f"radfuse {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    for command in subparsers.choices.values():
        _add_common_options(command)
    return parser


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.epilog = _EPILOG
    group = parser.add_argument_group("output and logging")
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="also show debug messages")
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings, errors and results; no progress bars"
    )
    group.add_argument(
        "--log-file", default=None, metavar="FILE",
        help="also write every message and warning, with time stamps, to FILE",
    )


def show_progress(args) -> bool:
    """Progress bars only for a person watching a terminal: never in logs, pipes or with -q."""
    if getattr(args, "quiet", False) or getattr(args, "no_progress", False):
        return False
    return sys.stderr.isatty()


# ---------------------------------------------------------------- output checks
def check_output_folder(path, flag: str) -> Path:
    """Fail now, not after the work, when ``path`` cannot become a writable folder.

    Applies the library's rule (:func:`radfuse._files.check_destination`),
    then creates the folder (and its parents) and writes and removes a probe
    file in it, which is what the command will do later.
    """
    path = check_destination(path, step=flag, folder=True)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".radfuse-write-check-"):
            pass
    except OSError as error:
        raise OSError(f"{flag} {str(path)!r}: the folder cannot be written ({error.strerror or error}).") from error
    return path


def check_output_table(path, flag: str, suffixes=TABLE_SUFFIXES) -> Path:
    """Fail now when a table cannot be written to ``path``: suffix, its engine, its folder.

    The library's rule (:func:`radfuse._files.check_table_destination`), then
    the folder is created as :func:`check_output_folder` does.
    """
    path = check_table_destination(path, step=flag, suffixes=suffixes)
    check_output_folder(path.parent if str(path.parent) else Path("."), flag)
    return path


# ---------------------------------------------------------------- main
def _as_flags(message: str) -> str:
    for pattern, flag in _FLAG_NAMES:
        message = re.sub(pattern, flag, message)
    return message


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


@contextlib.contextmanager
def _logging(args):
    """Messages of radfuse's loggers and Python warnings to stderr and, with --log-file, to a file."""
    logger = logging.getLogger("radfuse")
    warnings_logger = logging.getLogger("py.warnings")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(message)s"))
    console.setLevel(
        logging.WARNING if getattr(args, "quiet", False) else logging.DEBUG if getattr(args, "verbose", False)
        else logging.INFO
    )
    handlers = [console]
    if getattr(args, "log_file", None):
        log_file = Path(args.log_file)
        check_output_folder(log_file.parent if str(log_file.parent) else Path("."), "--log-file")
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        to_file.setLevel(logging.DEBUG)
        handlers.append(to_file)
    previous = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for handler in handlers:
        logger.addHandler(handler)
        warnings_logger.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for handler in handlers:
            logger.removeHandler(handler)
            warnings_logger.removeHandler(handler)
            handler.close()
        logger.setLevel(previous[0])
        logger.propagate = previous[1]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        with _logging(args):
            try:
                return int(args.func(args) or 0)
            except FailedCases as failed:
                log.error(f"radfuse {args.command}: {_one_line(failed)}")
                return EXIT_FAILED_CASES
            except UnwritableDestinationError as error:  # also a ValueError: the exit code is file-system's
                log.error(f"radfuse {args.command}: error: {_one_line(error)}")
                return EXIT_FILESYSTEM
            except (ValueError, KeyError, FileNotFoundError) as error:
                log.error(f"radfuse {args.command}: error: {_as_flags(_one_line(error))}")
                return EXIT_INPUT
            except ImportError as error:
                log.error(f"radfuse {args.command}: error: missing optional dependency: {_one_line(error)}")
                return EXIT_DEPENDENCY
            except OSError as error:
                log.error(f"radfuse {args.command}: error: {_one_line(error)}")
                return EXIT_FILESYSTEM
            except KeyboardInterrupt:
                log.error(f"radfuse {args.command}: interrupted.")
                return EXIT_INTERRUPTED
    except OSError as error:  # the log file itself
        print(f"radfuse {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_FILESYSTEM


if __name__ == "__main__":
    sys.exit(main())
