"""Reading case tables, and writing output files so that a failure never leaves a torn or half-replaced file.

Every radfuse output (feature tables and their sidecars, cache entries, model
files, study reports) is written to a temporary file in the destination's own
folder, flushed to disk, and only then renamed over the destination. A rename
within one file system is atomic (POSIX ``rename``), so a crash or a full
disk leaves either the complete new file or the complete previous one.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

# Honours the umask (0644 under the usual 022) instead of tempfile's 0600,
# so outputs and cache entries stay readable by a group sharing them.
_FILE_MODE = 0o666

#: Table formats radfuse reads and writes, by file suffix.
TABLE_SUFFIXES = (".csv", ".parquet")


def read_csv_exact(path, **options):
    """``pandas.read_csv`` that reads back every float64 written by ``to_csv`` bit for bit.

    pandas < 3 needs the round-trip parser for that; pandas 3 parses exactly
    by default and deprecates the ``float_precision`` option.
    """
    import pandas as pd

    if int(pd.__version__.split(".")[0]) < 3:
        options["float_precision"] = "round_trip"
    return pd.read_csv(path, **options)


def read_case_table(path, id_column=None, *, source: str, remedy: str = "name it"):
    """A CSV or Parquet table, indexed by its case-id column with the ids as text.

    Ids are text whatever the file stores, so tables read from a CSV and a
    Parquet file of the same cohort index the same cases alike. A Parquet
    file may hold the ids as its index instead of a column.

    Parameters
    ----------
    path : str or Path
    id_column : str, default=None
        The case-id column; None keeps the file's own index.
    source : str
        What the table is, for errors (``"data.labels"``, ``"--features"``).
    remedy : str, default="name it"
        How to name the id column, for the missing-column error.
    """
    import pandas as pd

    from ._validation import preview

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{source}: no file at {path}.")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{source}: cannot read {path.name}: use a .csv or .parquet file.")
    if suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = read_csv_exact(path, dtype={id_column: str} if id_column else None)
    if id_column is None:
        return table
    if id_column in table.columns:
        table = table.set_index(id_column)
    elif table.index.name != id_column:
        raise ValueError(
            f"{source} {path.name}: no id column {id_column!r} among its columns "
            f"{preview(list(table.columns))}; {remedy}."
        )
    table.index = table.index.astype(str)
    return table


def fsync_file(path) -> None:
    """Flush a closed file's content to disk (before renaming it into place)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sha256_of_file(path) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB chunks; equals ``sha256sum``."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The caller writes the complete content to the yielded path (any writer
    that takes a file name: pandas, skops, matplotlib). When the block exits
    normally the file is fsynced and renamed over ``path``; when it raises
    (e.g. ``OSError(ENOSPC)``) the temporary file is removed and ``path`` is
    untouched. Writers must not infer the format from the (``.tmp``) suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from radfuse._files import atomic_path
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(target) as temporary:
    ...     _ = temporary.write_text("a,b\\n1,2\\n")
    >>> target.read_text()
    'a,b\\n1,2\\n'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _FILE_MODE))
    try:
        yield temporary
        fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    path = Path(path)
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        handle.write(data)
    return path


def write_text(path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    return write_bytes(path, text.encode("utf-8"))


class UnwritableDestinationError(ValueError, OSError):
    """A destination that is a folder where a file is needed, a file where a folder is, or lies under a file.

    A ``ValueError`` for the library's callers (the path given is wrong) and an
    ``OSError`` for the command line, which exits with its file-system code.
    """


def check_destination(path, *, step: str, folder: bool = False) -> Path:
    """Fail before any work when ``path`` cannot be written.

    Catches the cases that otherwise surface only after hours of extraction
    or model fitting: a parent that is a file, a folder without write
    permission, a destination that is a folder (or, with ``folder=True``, a
    file). The first and last raise :class:`UnwritableDestinationError`, the
    folder without permission ``PermissionError``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from radfuse._files import check_destination
    >>> blocker = pathlib.Path(tempfile.mkdtemp()) / "taken"
    >>> _ = blocker.write_text("x")
    >>> check_destination(blocker / "features.csv", step="save")
    Traceback (most recent call last):
    ...
    radfuse._files.UnwritableDestinationError: save: cannot write '...features.csv': '...taken' is a file, not a folder.
    """
    path = Path(path)
    if folder and path.is_file():
        raise UnwritableDestinationError(f"{step}: {str(path)!r} is a file; give a folder to write into.")
    if not folder and path.is_dir():
        raise UnwritableDestinationError(f"{step}: {str(path)!r} is a folder; give a file name.")
    existing = path if folder and path.is_dir() else path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UnwritableDestinationError(
            f"{step}: cannot write {str(path)!r}: {str(existing)!r} is a file, not a folder."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(
            f"{step}: cannot write {str(path)!r}: folder {str(existing)!r} cannot be written (no write permission)."
        )
    return path


def check_table_destination(path, *, step: str, suffixes=TABLE_SUFFIXES) -> Path:
    """Fail before any work when a feature table cannot be written to ``path``.

    Checks the suffix (one of ``suffixes``), that Parquet has an engine, and
    that the folder can be written (:func:`check_destination`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise ValueError(f"{step}: cannot tell the format of {str(path)!r}; use a {' or '.join(suffixes)} suffix.")
    if suffix == ".parquet":
        import pandas as pd

        try:
            pd.io.parquet.get_engine("auto")
        except ImportError as error:
            raise ImportError(
                f"{step}: writing {str(path)!r} needs pyarrow (pip install pyarrow), or use a .csv suffix."
            ) from error
    return check_destination(path, step=step)
