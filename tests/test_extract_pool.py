"""Extraction starts no worker pool for small or cached work; importing it is light."""

import subprocess
import sys

import pandas as pd
import pytest

pytest.importorskip("SimpleITK")
pytest.importorskip("radiomics")

import radfuse.extract._extractor as extractor_module  # noqa: E402
from radfuse.datasets.imaging import imaging_cohort_params, make_imaging_cohort  # noqa: E402
from radfuse.extract import extract_features  # noqa: E402

FIRSTORDER = {"featureClass": {"firstorder": []}, "setting": {"binWidth": 10}}


def test_import_does_not_load_scikit_learn():
    """Issue 16: `import radfuse.extract` took 1.0 s, most of it scikit-learn."""
    code = "import sys, radfuse.extract; print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


@pytest.fixture(scope="module")
def small_cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pool")
    manifest, _ = make_imaging_cohort(folder, n_cases=3, modalities=("US",), random_state=0,
                                      second_reader_fraction=0)
    return folder, manifest


class PoolSpy:
    """Stands in for joblib.Parallel and records whether a pool was asked for."""

    def __init__(self, monkeypatch):
        self.started = 0
        real = extractor_module.Parallel

        def spy(*args, **kwargs):
            self.started += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(extractor_module, "Parallel", spy)


def test_small_and_cached_work_runs_without_a_pool(small_cohort, monkeypatch):
    folder, manifest = small_cohort
    spy = PoolSpy(monkeypatch)
    cache = folder / "cache"
    fresh = extract_features(manifest, FIRSTORDER, n_jobs=2, cache_dir=cache, progress=False)
    cached = extract_features(manifest, FIRSTORDER, n_jobs=2, cache_dir=cache, progress=False)
    assert spy.started == 0
    assert set(cached.work_items["status"]) == {"cached"}
    pd.testing.assert_frame_equal(cached.features, fresh.features, check_exact=True)


def test_work_worth_a_pool_starts_one_with_the_same_result(small_cohort, monkeypatch):
    _, manifest = small_cohort
    serial = extract_features(manifest, FIRSTORDER, n_jobs=1, progress=False)
    spy = PoolSpy(monkeypatch)
    monkeypatch.setattr(extractor_module, "_POOL_START_S", 0.0)
    parallel = extract_features(manifest, FIRSTORDER, n_jobs=2, progress=False)
    assert spy.started == 1
    pd.testing.assert_frame_equal(parallel.features, serial.features, check_exact=True)


def test_cached_rerun_of_work_worth_a_pool_starts_none(small_cohort, monkeypatch, tmp_path):
    """A pool start cost below what splitting the fresh work would save (so a
    fresh run would start a pool): the cached re-run still runs in-process."""
    _, manifest = small_cohort
    all_classes = imaging_cohort_params(("US",))
    cache = tmp_path / "cache"
    fresh = extract_features(manifest, all_classes, n_jobs=1, cache_dir=cache, progress=False)
    start_cost = fresh.work_items["seconds"].min() / 2
    spy = PoolSpy(monkeypatch)
    monkeypatch.setattr(extractor_module, "_POOL_START_S", start_cost)
    cached = extract_features(manifest, all_classes, n_jobs=2, cache_dir=cache, progress=False)
    assert spy.started == 0
    assert set(cached.work_items["status"]) == {"cached"}
    pd.testing.assert_frame_equal(cached.features, fresh.features, check_exact=True)


@pytest.mark.parametrize(
    ("seconds_per_item", "remaining", "workers", "expected"),
    [
        (60.0, 1, 2, False),  # one item left: a pool runs it no sooner
        (60.0, 2, 2, True),  # two workers save one item's 60 s
        (3.0, 2, 2, False),  # 3 s saved < the pool's start-up
        (3.0, 4, 2, True),  # 6 s saved
        (1.0, 40, 16, True),  # 40 s in here, 4 s + 3 s with the pool
        (1.0, 5, 16, False),  # 5 s in here, 4 s + 1 s with the pool
        (0.002, 100_000, 2, True),  # a huge cached re-run: hashing is worth splitting
    ],
)
def test_pool_starts_only_when_it_saves_more_than_its_start_up(
    seconds_per_item, remaining, workers, expected, monkeypatch
):
    monkeypatch.setattr(extractor_module, "_POOL_START_S", 4.0)
    assert extractor_module._pool_saves_time(seconds_per_item, remaining, workers) is expected


def test_an_uncached_run_builds_no_cache_keys(small_cohort, monkeypatch, tmp_path):
    """Issue 16: each item serialised its parameters into a cache key even without a cache."""
    _, manifest = small_cohort
    built = []
    real = extractor_module._key_material
    monkeypatch.setattr(extractor_module, "_key_material", lambda *a: built.append(1) or real(*a))
    extract_features(manifest, FIRSTORDER, progress=False)
    assert built == []
    extract_features(manifest, FIRSTORDER, cache_dir=tmp_path, progress=False)
    assert len(built) == len(manifest)
