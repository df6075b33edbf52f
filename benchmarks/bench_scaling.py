"""Study parallel efficiency: the same Study with more joblib workers.

The issue's scaling case: 270 cases x 3000 features (three 900-feature
radiomic blocks and a 300-dimensional CNN block), 5 x 5 repeated stratified
CV, 3 feature sets x 8 classifiers, LASSO 20 x 10 CV inside every fold: 75
fold tasks and 3 refits. Each row times the Study with the fewest workers
asked for, ``W0`` (the "peer" column), interleaved with ``W`` workers (the
"radfuse" column), and reports the parallel efficiency

    E = (T_W0 * W0) / (T_W * W),

1 for perfect scaling (the issue's target: E >= 0.75 from 2 to 16 workers).
The ratio column is T_W0 / T_W, the speed-up. The predictions must be equal
at every worker count: the benchmark asserts it.

How to check the scaling on any machine: ``python -m benchmarks.bench_scaling
--jobs 2 4 8 16`` (worker counts above the machine's cores are skipped;
joblib's process workers each get cores / W BLAS threads). Under a Dask
cluster, run the Study inside ``joblib.parallel_config(backend="dask")``
instead; the tasks are the same.

``--project 2 16`` answers the question a machine with fewer cores cannot
measure: how well the Study's work units would fill W workers. It times
every task of one single-process run, in dispatch order, and replays them
on W workers the way joblib hands them out (each task to the first free
worker). Projected time = the run's serial part (the main process before
and after the tasks) + that schedule's length. The projection leaves out
what only the larger machine shows: its cores' speed, memory-bandwidth
contention, and starting the pool (its cold start is printed as its own
row: every worker imports the task's modules once).
"""

from __future__ import annotations

import heapq
import os
import time
from unittest import mock

import pandas as pd
from joblib import Parallel, delayed
from sklearn.model_selection import RepeatedStratifiedKFold

from benchmarks import PAIRS, interleaved, machine_note, print_rows, stop_worker_pool, timing_row, wall_time
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.models import PROTOCOL_CLASSIFIERS
from radfuse.pipeline import make_radiomics_pipeline
import radfuse.study._study as study_module
from radfuse.study import Study

SEED = 0
FEATURE_SETS = {
    "radiomics": ["US", "MG", "MRI"],
    "deep": ["cnn"],
    "combined": ["US", "MG", "MRI", "cnn"],
}


def _study(n_jobs, n_cases=270, n_repeats=5):
    X, y = make_multimodal_table(
        n_cases, {"US": 900, "MG": 900, "MRI": 900}, n_embedding=300,
        weights=(153 / 270, 117 / 270), random_state=SEED, return_X_y=True,
    )
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=n_repeats, random_state=SEED)
    return Study(X, y, FEATURE_SETS, cv=cv, random_state=SEED, n_jobs=n_jobs, progress=False)


def run(jobs=(1, 2), pairs: int = PAIRS, n_repeats: int = 5) -> list[dict]:
    """Efficiency of each worker count in ``jobs`` against the smallest.

    Parameters
    ----------
    jobs : sequence of int
        Worker counts; those above ``os.cpu_count()`` are skipped.
    pairs : int
        Interleaved (smallest, larger) timings per row.
    n_repeats : int
        Repeats of the outer 5-fold CV (the issue's: 5).
    """
    usable = sorted(n for n in set(jobs) if n <= (os.cpu_count() or 1))
    if len(usable) < 2:
        raise SystemExit(f"bench_scaling: need two worker counts within {os.cpu_count()} cores; got {list(jobs)}")
    fewest, rows = usable[0], []
    baseline = _study(fewest, n_repeats=n_repeats)
    reference = baseline.run().predictions
    for workers in usable[1:]:
        study = _study(workers, n_repeats=n_repeats)
        pd.testing.assert_frame_equal(study.run().predictions, reference, check_exact=True)
        ours, theirs = interleaved(study.run, baseline.run, pairs=pairs)
        row = timing_row(
            f"Study efficiency, {workers} vs {fewest} workers, 270 x 3000, {n_repeats}x5 CV",
            ours, theirs,
        )
        efficiency = row["ratio"] * fewest / workers
        row["note"] = (f"efficiency {efficiency:.2f} (target >= 0.75); ratio = speed-up; "
                       f"predictions equal; {row['note']}")
        rows.append(row)
    return rows


def task_times(n_repeats: int = 5) -> tuple[list[float], float]:
    """Wall seconds of each task of a single-process Study, in dispatch order, and of the run."""
    times, run_task = [], study_module.run_task

    def timed(*args, **kwargs):
        start = time.perf_counter()
        outcome = run_task(*args, **kwargs)
        times.append(time.perf_counter() - start)
        return outcome

    with mock.patch.object(study_module, "run_task", timed):
        total = wall_time(_study(1, n_repeats=n_repeats).run)
    return times, total


def schedule_length(times, workers: int) -> float:
    """Makespan of ``times`` handed out in order, each to the first free of ``workers``."""
    free_at = [0.0] * workers
    for seconds in times:
        heapq.heappush(free_at, heapq.heappop(free_at) + seconds)
    return max(free_at)


def pool_start(workers: int) -> float:
    """Seconds to start ``workers`` fresh joblib workers that load the protocol's classifiers."""
    templates = [make_radiomics_pipeline(name, random_state=SEED) for name in PROTOCOL_CLASSIFIERS]
    stop_worker_pool()
    return wall_time(lambda: Parallel(n_jobs=workers)(delayed(len)(templates) for _ in range(workers)))


def project(jobs=(2, 16), n_repeats: int = 5) -> list[dict]:
    """Projected efficiency of each worker count in ``jobs`` against the smallest (see the module docstring)."""
    times, total = task_times(n_repeats)
    serial = total - sum(times)
    fewest, *more = sorted(set(jobs))
    projected = {workers: serial + schedule_length(times, workers) for workers in (fewest, *more)}
    rows = []
    for workers in more:
        efficiency = projected[fewest] * fewest / (projected[workers] * workers)
        rows.append({
            "what": f"Study projected on {workers} vs {fewest} workers, 270 x 3000, {n_repeats}x5 CV",
            "radfuse_s": projected[workers],
            "peer_s": projected[fewest],
            "ratio": projected[fewest] / projected[workers],
            "note": (f"projected efficiency {efficiency:.2f} (warm pool); {len(times)} tasks of "
                     f"{min(times):.2f}-{max(times):.2f} s, serial part {serial:.2f} s, "
                     f"from one 1-worker run of {total:.1f} s; {machine_note()}"),
        })
    started = min(os.cpu_count() or 1, fewest)
    start = pool_start(started)
    rows.append({
        "what": f"cold start of {started} workers loading the classifiers",
        "radfuse_s": start, "peer_s": float("nan"), "ratio": float("nan"),
        "note": f"one run; paid once per pool, by the first Study after the worker count changes; {machine_note()}",
    })
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--project", type=int, nargs="+", metavar="W",
                        help="project these worker counts from one single-process run instead")
    args = parser.parse_args()
    print_rows(project(args.project, args.repeats) if args.project else run(args.jobs, args.pairs, args.repeats))
