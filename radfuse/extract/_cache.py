"""Content-addressed cache of work-item results, one JSON file per item.

The key hashes everything that can change a feature value (image and mask
bytes, label, parameters, preprocessing, library versions), so a stale entry
can never be read back; a changed input simply misses. Files are written to a
temporary name and renamed, so a run killed mid-write leaves no torn entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

CACHE_FORMAT = 1


def cache_key(material: dict) -> str:
    """SHA-256 of the canonical JSON of ``material``."""
    text = json.dumps({"format": CACHE_FORMAT, **material}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load(cache_dir: str, key: str) -> dict | None:
    """The stored values for ``key``, or None when absent or unreadable."""
    path = Path(cache_dir) / f"{key}.json"
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)["values"]
    except (OSError, ValueError, KeyError):
        return None


def store(cache_dir: str, key: str, values: dict, material: dict) -> None:
    """Write ``values`` atomically under ``key``; ``material`` is kept for inspection."""
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", dir=folder, prefix=f".{key}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            json.dump({"key_material": material, "values": values}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, folder / f"{key}.json")
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
