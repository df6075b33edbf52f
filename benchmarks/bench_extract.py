"""Extraction throughput: radfuse's overhead over bare PyRadiomics, workers, pool start-up, cache.

On a synthetic cohort (US, MG 2D; T2, DCE 3D with the DCE mask mapped onto
T2), all seven feature classes:

* radfuse (hashing, checks, mask mapping, table building) vs a plain loop over
  ``RadiomicsFeatureExtractor.execute`` doing the same reading and mapping,
  on the whole cohort, and per case: the extra time of 24 cases over 2 on
  each side, which leaves out what a run costs once (manifest checks, table,
  provenance: a large share beside this cohort's tiny images, little beside
  real ones) (target: at most 3% overhead, i.e. ratio >= 0.97);
* the same on PyRadiomics' own test images (brain1, brain2, breast1, beside
  the repository in ``../shared``; rows left out when absent): per case
  (brain1 and brain2 three times each, plus breast1, minus breast1 alone),
  against a peer loop that holds each case's images until the next are read
  and one that frees them first, as radfuse's work items do (the order of
  frees alone moves glibc's page faults, and the time, by a few percent);
  one brain1 image inside the worker against reading and extracting it
  alone; and radfuse's own work per image timed in place, inside
  ``extract_features``, against its reading and PyRadiomics' time there;
* ``n_jobs=2`` vs ``n_jobs=1`` throughput on the whole cohort (target: at
  least 1.8x on 2 cores), with the worker pool forced (the cohort is below
  the work for which ``extract_features`` starts one) and already running;
* the cost of starting a pool: 2 cases (8 items) with a pool forced on a cold start
  (loky workers spawned, PyRadiomics imported there) vs the same 2 cases in
  this process; ``extract_features`` starts a pool only when splitting the
  work left over the workers is projected to save more than ``_POOL_START_S``;
* 2 cases with ``n_jobs=2`` as a user runs them (no pool: ratio ~1);
* a re-run served entirely from the cache, with ``n_jobs=2`` (no pool).

Each row: median of ``benchmarks.PAIRS`` interleaved pairs (the side that
runs first alternating) with their range, after a warm-up that builds the
PyRadiomics extractors (schema parsing, ~0.1 s each), so extractor
construction is counted on neither side. The overhead row also gives each
side's median CPU time of this process, which other processes on a shared
machine disturb less than the wall clock, and the range of the per-pair
ratios, the honest error bar there. The machine load is stated before and
after the whole benchmark.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from statistics import median
from unittest import mock

from benchmarks import interleaved, interleaved_clocks, print_rows, stop_worker_pool, timing_row

N_CASES = 24
MODALITIES = ("US", "MG", "T2", "DCE")
#: PyRadiomics' own test images, beside the repository (``../shared``).
REAL_IMAGES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pyradiomics"
#: Cases made of each of brain1 and brain2 in the real-image per-case row.
REAL_COPIES = 3
#: Runs of the in-place timing of radfuse's own per-image work.
OWN_WORK_RUNS = 5
ALL_CLASSES = {
    "setting": {"binWidth": 25},
    "imageType": {"Original": {}},
    "featureClass": {name: [] for name in ("firstorder", "shape", "glcm", "glrlm", "glszm", "gldm", "ngtdm")},
}


def _peer_image(row, extractors):
    """One manifest row with PyRadiomics and SimpleITK alone: its features and its images."""
    import SimpleITK as sitk

    image = sitk.ReadImage(row.image)
    mask = sitk.ReadImage(row.mask)
    if row.block == "T2":
        mask = sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0)
    values = extractors[row.block].execute(image, mask, label=1)
    features = {f"{row.block}__{name}": float(value) for name, value in values.items()
                if not name.startswith("diagnostics_")}
    return features, (image, mask)


def _direct_pyradiomics(manifest, extractors, *, hold_images=True):
    """The peer: what a user would write with PyRadiomics and SimpleITK alone.

    With ``hold_images`` each row's images live until the next row's are
    read, as in a loop whose variables are reassigned; without, they are
    freed first, as when each row is a function call (radfuse's work items
    are). The order of frees changes how often glibc's allocator hands
    memory back to the system and faults it in again (minor page faults):
    on brain1 and brain2 the two styles of the same code differ by ~2%.
    """
    rows = {}
    for row in manifest.itertuples(index=False):
        features, images = _peer_image(row, extractors)
        if not hold_images:
            del images
        rows.setdefault(row.case_id, {}).update(features)
    return rows


def _real_images_row() -> list[dict]:
    """Per-case overhead on PyRadiomics' own brain1, brain2 and breast1 images, all feature classes.

    As the synthetic per-case row: each side's time for brain1 and brain2,
    ``REAL_COPIES`` cases each, plus breast1, minus its time for breast1
    alone, which leaves out what a run costs once (manifest checks, table,
    provenance). Six cases instead of two make the difference large beside
    the run-to-run noise of either time. Empty when the images are not
    beside the repository.
    """
    import pandas as pd
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    from radfuse.extract import _extractor, extract_features

    if not REAL_IMAGES.is_dir():
        return []

    def case(name, case_id):
        return {"case_id": case_id, "block": "MRI", "image": str(REAL_IMAGES / f"{name}_image.nrrd"),
                "mask": str(REAL_IMAGES / f"{name}_label.nrrd")}

    small = pd.DataFrame([case("breast1", "breast1")])
    copies = [case(name, f"{name}-{copy}") for copy in range(REAL_COPIES) for name in ("brain1", "brain2")]
    manifest = pd.concat([pd.DataFrame(copies), small], ignore_index=True)
    extractors = {"MRI": RadiomicsFeatureExtractor(ALL_CLASSES)}

    def ours(cases):
        def extract():
            with warnings.catch_warnings():
                # The copies share their files on purpose; radfuse warns about that.
                warnings.simplefilter("ignore", UserWarning)
                extract_features(cases, ALL_CLASSES, n_jobs=1, progress=False)
        return extract

    def bare(cases, hold_images=True):
        return lambda: _direct_pyradiomics(cases, extractors, hold_images=hold_images)

    def per_case(hold_images):
        """Per-case seconds of each side and clock: (all - small) / cases added."""
        clocks = {"all": interleaved_clocks(ours(manifest), bare(manifest, hold_images), pairs=7),
                  "small": interleaved_clocks(ours(small), bare(small, hold_images), pairs=7)}
        whole = 100 * (median(clocks["all"]["wall"][0]) / median(clocks["all"]["wall"][1]) - 1)
        return whole, {
            clock: [[(big - few) / (len(manifest) - 1)
                     for big, few in zip(clocks["all"][clock][side], clocks["small"][clock][side])]
                    for side in (0, 1)]
            for clock in ("wall", "cpu")
        }

    def cpu_overhead(times):
        return 100 * (median(times["cpu"][0]) / median(times["cpu"][1]) - 1)

    ours(manifest)()  # warm-up: the shared extractor is built before the clock starts
    whole, held = per_case(hold_images=True)
    whole_freed, freed = per_case(hold_images=False)

    # One image inside a worker: hashing, reading, checks, extraction and value
    # conversion, against reading and extracting alone.
    params = _extractor.ExtractionParams.from_pyradiomics(ALL_CLASSES)
    brain1 = manifest.iloc[0]
    item = _extractor.WorkItem("brain1", "MRI", "reader1", brain1["image"], brain1["mask"], 1, params,
                               (), 1, 1e-4, None)
    worker = interleaved(lambda: _extractor.run_work_item(item), bare(manifest.iloc[:1]), pairs=11)
    own, shared = _own_work_in_place(ours(manifest))
    return [
        timing_row(
            f"per case, PyRadiomics' brain1+brain2 x {REAL_COPIES} (+breast1 - breast1), wall (target >= 0.97)",
            *held["wall"],
            f"per-case CPU overhead {cpu_overhead(held):+.1f}%; whole run of the {len(manifest)} images "
            f"{whole:+.1f}% wall (fixed costs included); peer loop holds each case's images until the "
            "next are read; all 7 feature classes, bin width 25",
        ),
        timing_row(
            "the same, peer freeing each case's images before the next (as radfuse's work items)",
            *freed["wall"],
            f"per-case CPU overhead {cpu_overhead(freed):+.1f}%; whole run {whole_freed:+.1f}% wall",
        ),
        timing_row("one brain1 image in the worker vs read + execute (target >= 0.97)", *worker,
                   "radfuse's per-image work alone: hashing, checks, value conversion"),
        {
            "what": "radfuse's own work per image inside extract_features, vs its reading + PyRadiomics",
            "radfuse_s": median(own), "peer_s": median(shared), "ratio": median(shared) / median(own),
            "note": (f"own work {100 * median(own) / median(shared):.2f}% of the shared work "
                     f"(hashing, checks, conversion, bookkeeping of the item; medians over "
                     f"{len(own)} images, {OWN_WORK_RUNS} runs); timed in place, so neither "
                     "the allocator's page faults nor run-to-run noise of two totals enter it"),
        },
    ]


def _own_work_in_place(extract) -> tuple[list[float], list[float]]:
    """Per image: radfuse's own seconds, and its reading plus PyRadiomics' seconds.

    Runs ``extract()`` (an ``extract_features`` call) with its image reading
    and PyRadiomics call timed where they happen; the rest of each work
    item's time (``ItemOutcome.seconds``) is radfuse's own work.
    """
    from radfuse.extract import _extractor

    spent, own, shared = [], [], []

    def timed(function):
        def call(*args, **kwargs):
            start = time.perf_counter()
            result = function(*args, **kwargs)
            spent[-1] += time.perf_counter() - start
            return result
        return call

    run_item = _extractor.run_work_item

    def item_with_clock(*args, **kwargs):
        spent.append(0.0)
        outcome = run_item(*args, **kwargs)
        own.append(outcome.seconds - spent[-1])
        shared.append(spent[-1])
        return outcome

    with mock.patch.multiple(_extractor, read_image=timed(_extractor.read_image),
                             _compute_features=timed(_extractor._compute_features),
                             run_work_item=item_with_clock):
        for _ in range(OWN_WORK_RUNS):
            extract()
    return own, shared


def run(n_cases: int = N_CASES) -> list[dict]:
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    from radfuse.datasets.imaging import imaging_cohort_params, make_imaging_cohort
    from radfuse.extract import MapMaskToImage, extract_features
    from radfuse.extract import _extractor

    load_before = os.getloadavg()
    logging.getLogger("radiomics").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        manifest, _ = make_imaging_cohort(
            folder, n_cases=n_cases, modalities=MODALITIES, second_reader_fraction=0
        )
        small = manifest[manifest["case_id"].isin(manifest["case_id"].unique()[:2])]
        params = imaging_cohort_params(MODALITIES)
        steps = {"T2": [MapMaskToImage()]}

        def extract(n_jobs, cases=manifest, cache_dir=None):
            return extract_features(
                cases, params, preprocessing=steps, n_jobs=n_jobs, cache_dir=cache_dir,
                progress=False,
            )

        def forced_pool(cases=small):
            with mock.patch.object(_extractor, "_POOL_START_S", 0.0):
                extract(2, cases)

        extract(1)  # warm-up: PyRadiomics imported, extractors built in this process
        # Both sides reuse extractors built before the clock starts: radfuse keeps
        # one per parameter set and process, the peer gets them handed in.
        extractors = {block: RadiomicsFeatureExtractor(p) for block, p in params.items()}
        clocks = interleaved_clocks(lambda: extract(1),
                                    lambda: _direct_pyradiomics(manifest, extractors))
        serial, direct = clocks["wall"]
        serial_cpu, direct_cpu = clocks["cpu"]
        small_clocks = interleaved_clocks(lambda: extract(1, small),
                                          lambda: _direct_pyradiomics(small, extractors))

        pool_start, small_serial = interleaved(forced_pool, lambda: extract(1, small),
                                               setup=stop_worker_pool)
        stop_worker_pool()
        small_two, small_one = interleaved(lambda: extract(2, small), lambda: extract(1, small))

        forced_pool(manifest)  # warm-up of the pool for the throughput row
        parallel, serial_again = interleaved(lambda: forced_pool(manifest), lambda: extract(1))

        cache_dir = os.path.join(folder, "cache")
        extract(1, cache_dir=cache_dir)
        stop_worker_pool()
        cached, fresh = interleaved(lambda: extract(2, cache_dir=cache_dir), lambda: extract(1))
    load_after = os.getloadavg()

    cases = (f"{n_cases} cases x {len(MODALITIES)} blocks; load (1, 5, 15 min) before "
             f"{load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, after "
             f"{load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")
    overhead = 100 * (median(serial) / median(direct) - 1)
    overhead_cpu = 100 * (median(serial_cpu) / median(direct_cpu) - 1)
    ratios = [ours / theirs for ours, theirs in zip(serial, direct)]
    per_case = {
        clock: [[big - few for big, few in zip(clocks[clock][side], small_clocks[clock][side])]
                for side in (0, 1)]
        for clock in ("wall", "cpu")
    }
    per_case_wall = 100 * (median(per_case["wall"][0]) / median(per_case["wall"][1]) - 1)
    pool_cost = median(pool_start) - median(small_serial)
    return [
        timing_row("extract_features n_jobs=1 vs bare PyRadiomics loop (target >= 0.97)",
                   serial, direct,
                   f"overhead {overhead:+.1f}% wall (per pair {100 * (min(ratios) - 1):+.1f}% to "
                   f"{100 * (max(ratios) - 1):+.1f}%), {overhead_cpu:+.1f}% CPU time (medians "
                   f"{median(serial_cpu):.3g} vs {median(direct_cpu):.3g} s); {cases}"),
        *_real_images_row(),
        timing_row("per case: CPU time of 24 cases minus 2, vs bare loop (target >= 0.97)",
                   *per_case["cpu"],
                   f"wall-clock per-case overhead {per_case_wall:+.1f}%; 2 cases alone: CPU "
                   f"{median(small_clocks['cpu'][0]):.3g} s vs {median(small_clocks['cpu'][1]):.3g} s; "
                   f"{cases}"),
        timing_row("extract_features n_jobs=2 vs n_jobs=1 (speed-up, target >= 1.8)",
                   parallel, serial_again, f"pool forced and running; {cases}"),
        timing_row("2 cases, pool forced from cold vs serial (pool start cost)",
                   pool_start, small_serial,
                   f"pool start-up ~{pool_cost:.2f} s (median difference); {cases}"),
        timing_row("2 cases, n_jobs=2 vs n_jobs=1 (no pool: target ~1)",
                   small_two, small_one, cases),
        timing_row("re-run from a full cache, n_jobs=2, vs fresh serial extraction",
                   cached, fresh, cases),
    ]


if __name__ == "__main__":
    print_rows(run())
