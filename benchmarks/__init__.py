"""Performance benchmarks: radfuse against the peer implementation it replaces.

Run ``python -m benchmarks`` (or ``make bench``) for all of them, or
``python -m benchmarks mrmr delong`` for a selection. Benchmarks are never
timed unit tests: they print ratios, they do not assert.

Both sides of every comparison are timed the same way: :func:`interleaved`
runs radfuse and the peer alternately (so a load spike hits both), and
:func:`timing_row` reports the median of each side with its range, the BLAS
thread count and the machine load (:func:`machine_note`).
"""

import os
import statistics
import time

HEADER = f"{'benchmark':<58} {'radfuse [s]':>12} {'peer [s]':>12} {'ratio':>9}  note"
PAIRS = 3


def format_row(row: dict) -> str:
    """One benchmark measurement as a table row (``ratio`` = peer / radfuse)."""
    return (
        f"{row['what']:<58} {row['radfuse_s']:>12.4g} {row['peer_s']:>12.4g} "
        f"{row['ratio']:>8.2f}x  {row.get('note', '')}"
    )


def print_rows(rows) -> None:
    """Print measurements under the table header, as they arrive."""
    print(HEADER)
    print("-" * len(HEADER))
    for row in rows:
        print(format_row(row), flush=True)


def wall_time(function) -> float:
    """Wall-clock seconds of one call of ``function()``."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def best_time(function, repeat: int) -> float:
    """Fastest of ``repeat`` wall-clock timings of ``function()``, in seconds.

    For a quantity with no peer; comparisons use :func:`interleaved`.
    """
    return min(wall_time(function) for _ in range(repeat))


def interleaved_clocks(radfuse, peer, pairs: int = PAIRS, *, setup=None) -> dict:
    """Time ``radfuse()`` and ``peer()`` alternately, ``pairs`` times each, on two clocks.

    The side that runs first alternates too, so neither profits from a warm
    cache or loses to a load spike more than the other. ``setup()``, when
    given, runs untimed before each pair (e.g. to shut a worker pool down).
    Returns ``{"wall": (radfuse, peer), "cpu": (radfuse, peer)}``: lists of
    wall-clock and of this process's CPU seconds (``time.process_time``, all
    threads, not child processes), the latter less sensitive to other
    processes on a shared machine.
    """
    wall, cpu = ([], []), ([], [])
    for index in range(pairs):
        if setup is not None:
            setup()
        for side, function in ((0, radfuse), (1, peer)) if index % 2 == 0 else ((1, peer), (0, radfuse)):
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            function()
            wall[side].append(time.perf_counter() - wall_start)
            cpu[side].append(time.process_time() - cpu_start)
    return {"wall": wall, "cpu": cpu}


def interleaved(radfuse, peer, pairs: int = PAIRS, *, setup=None) -> tuple[list[float], list[float]]:
    """Wall-clock seconds of :func:`interleaved_clocks`: ``(radfuse, peer)`` lists."""
    return interleaved_clocks(radfuse, peer, pairs, setup=setup)["wall"]


def stop_worker_pool() -> None:
    """Shut joblib's reusable loky executor down, so the next pool starts cold (untimed)."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def blas_threads() -> str:
    """Threads of the BLAS libraries loaded in this process, e.g. ``"openblas 2"``."""
    from threadpoolctl import threadpool_info

    pools = [f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info()
             if pool["user_api"] == "blas"]
    return ", ".join(pools) or "no BLAS loaded"


def machine_note() -> str:
    """BLAS threads, cores and the 1-minute load average, for the record."""
    return (f"BLAS {blas_threads()}; {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.2f}")


def timing_row(what: str, ours: list[float], theirs: list[float], note: str = "") -> dict:
    """A table row from interleaved timings: medians, their ratio and ranges.

    ``ratio`` is peer / radfuse (above 1: radfuse is faster).
    """
    radfuse_s, peer_s = statistics.median(ours), statistics.median(theirs)
    spread = (f"median of {len(ours)} interleaved pairs; radfuse {min(ours):.4g}-"
              f"{max(ours):.4g} s, peer {min(theirs):.4g}-{max(theirs):.4g} s; "
              f"{machine_note()}")
    return {
        "what": what,
        "radfuse_s": radfuse_s,
        "peer_s": peer_s,
        "ratio": peer_s / radfuse_s,
        "note": f"{note}; {spread}" if note else spread,
    }
