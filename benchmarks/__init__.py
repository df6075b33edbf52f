"""Performance benchmarks: radfuse against the peer implementation it replaces.

Run ``python -m benchmarks`` (or ``make bench``) for all of them, or
``python -m benchmarks mrmr delong`` for a selection. Benchmarks are never
timed unit tests: they print ratios, they do not assert.
"""

import time

HEADER = f"{'benchmark':<58} {'radfuse [s]':>12} {'peer [s]':>12} {'ratio':>9}  note"


def format_row(row: dict) -> str:
    """One benchmark measurement as a table row (``ratio`` = peer / radfuse)."""
    return (
        f"{row['what']:<58} {row['radfuse_s']:>12.4g} {row['peer_s']:>12.4g} "
        f"{row['ratio']:>8.1f}x  {row.get('note', '')}"
    )


def print_rows(rows) -> None:
    """Print measurements under the table header, as they arrive."""
    print(HEADER)
    print("-" * len(HEADER))
    for row in rows:
        print(format_row(row), flush=True)


def best_time(function, repeat: int) -> float:
    """Fastest of ``repeat`` wall-clock timings of ``function()``, in seconds."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return min(timings)
