"""Content-addressed, verified cache of work-item results, one JSON file per item.

The key hashes everything that can change a feature value (image and mask
bytes, label, parameters, preprocessing, library versions), so a stale entry
can never be read back; a changed input simply misses. Each entry also stores
a checksum over its inputs and values: an entry edited or damaged on disk is
detected, recomputed and reported instead of being trusted. Entries are
written atomically (:func:`radfuse._files.atomic_path`) with the umask's
permissions, so a group can share a cache folder. A cache that cannot be
written never stops a run: the run continues uncached with one warning that
names the folder.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

from .._files import atomic_path, write_text
from .._validation import preview

CACHE_FORMAT = 2


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True).encode()


def cache_key(material: dict) -> str:
    """SHA-256 of the canonical JSON of ``material``."""
    return hashlib.sha256(_canonical({"format": CACHE_FORMAT, **material})).hexdigest()


def _checksum(material: dict, values: dict) -> str:
    return hashlib.sha256(_canonical({"key_material": material, "values": values})).hexdigest()


class CorruptEntry(Exception):
    """A cache file exists but its content does not match its checksum or key."""


def load(cache_dir: str, key: str) -> dict | None:
    """The verified values stored under ``key``, or None when there is no entry.

    Raises
    ------
    CorruptEntry
        When the entry cannot be parsed, or its checksum or key does not
        match its content (one digit of a value changed).
    """
    path = Path(cache_dir) / f"{key}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CorruptEntry(f"cache entry {str(path)!r} cannot be read ({error})") from error
    try:
        entry = json.loads(text)
        material, values = entry["key_material"], entry["values"]
        intact = entry["checksum"] == _checksum(material, values) and cache_key(material) == key
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptEntry(f"cache entry {str(path)!r} is not valid ({error})") from error
    if not intact:
        raise CorruptEntry(f"cache entry {str(path)!r} does not match its checksum")
    return values


def store(cache_dir: str, key: str, values: dict, material: dict) -> None:
    """Write ``values`` atomically under ``key`` with their inputs and checksum."""
    entry = {"key_material": material, "values": values, "checksum": _checksum(material, values)}
    write_text(Path(cache_dir) / f"{key}.json", json.dumps(entry))


def lookup_or_compute(cache_dir: str | None, key_material, compute):
    """Values for one work item from the cache, or from ``compute()``.

    ``key_material()`` gives the inputs that identify the item's values (see
    :func:`cache_key`); it is only called when there is a cache.

    Returns
    -------
    values : dict
    status : {"cached", "extracted", "recomputed"}
        "recomputed" when a corrupt entry was found and replaced.
    note : str or None
        What went wrong with the cache (a corrupt entry, a failed write), for
        the client to report; the values are valid either way.
    """
    if cache_dir is None:
        return compute(), "extracted", None
    material = key_material()
    key = cache_key(material)
    status, note = "extracted", None
    try:
        values = load(cache_dir, key)
    except CorruptEntry as problem:
        values, status, note = None, "recomputed", f"{problem}; recomputed"
    if values is not None:
        return values, "cached", None
    values = compute()
    try:
        store(cache_dir, key, values, material)
    except OSError as error:
        note = f"cannot write to cache folder {cache_dir!r} ({error}); result not cached"
    return values, status, note


def usable_cache_dir(cache_dir, *, step: str) -> str | None:
    """``cache_dir`` as a string if an entry can be written there, else None with a warning.

    Probes by writing (and removing) a file, so a read-only or misplaced
    folder is found before the first extraction instead of after it.
    """
    if cache_dir is None:
        return None
    folder = Path(cache_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / ".radfuse-write-probe") as probe:
            probe.write_bytes(b"ok")
        (folder / ".radfuse-write-probe").unlink()
    except OSError as error:
        warnings.warn(
            f"{step}: cache folder {str(folder)!r} cannot be written ({error}); extracting "
            "without a cache.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return str(folder)


def warn_about_problems(notes: list[tuple[str, str]], *, step: str) -> None:
    """One warning summarising cache problems met by the work items, if any.

    ``notes`` holds ``(case_id, note)`` pairs.
    """
    if not notes:
        return
    cases = list(dict.fromkeys(case for case, _ in notes))
    warnings.warn(
        f"{step}: the cache had problems for {len(notes)} item(s) of case(s) {preview(cases)}; "
        f"every value was extracted afresh where needed. First: {notes[0][1]}.",
        UserWarning,
        stacklevel=3,
    )
