"""Extraction that loses nothing and trusts nothing blindly: atomic tables, verified caches, edge cases."""

import errno
import json
import os
import stat
import warnings

import numpy as np
import pandas as pd
import pytest

sitk = pytest.importorskip("SimpleITK")
pytest.importorskip("radiomics")

from radfuse.extract import _cache  # noqa: E402
from radfuse.extract import (  # noqa: E402
    ExtractionError,
    extract_features,
    load_features,
    provenance_path,
)

FIRSTORDER = {"featureClass": {"firstorder": []}, "setting": {"binWidth": 10}}
SHAPE = (10, 14, 14)


def _write(path, array, spacing=None, origin=None):
    image = sitk.GetImageFromArray(array)
    if spacing is not None:
        image.SetSpacing(spacing)
    if origin is not None:
        image.SetOrigin(origin)
    sitk.WriteImage(image, str(path))
    return str(path)


def _image(seed, shape=SHAPE):
    return np.random.default_rng(seed).normal(200, 30, shape).astype(np.float32)


def _mask(shape=SHAPE):
    mask = np.zeros(shape, np.uint8)
    mask[tuple(slice(n // 4, 3 * n // 4) for n in shape)] = 1
    return mask


def _cohort(folder, n_cases=4):
    mask = _write(folder / "mask.nrrd", _mask())
    rows = [
        {"case_id": f"c{i}", "block": "CT", "image": _write(folder / f"c{i}.nrrd", _image(i)), "mask": mask}
        for i in range(n_cases)
    ]
    return pd.DataFrame(rows)


def _extract(manifest, **options):
    return extract_features(manifest, FIRSTORDER, progress=False, **options)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return _extract(_cohort(tmp_path_factory.mktemp("cohort")))


# ------------------------------------------------------------------ feature table + sidecar


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_disk_full_while_saving_keeps_the_previous_pair_loadable(result, tmp_path, monkeypatch, suffix):
    path = tmp_path / f"features{suffix}"
    result.save(path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    writer = "to_csv" if suffix == ".csv" else "to_parquet"
    original = getattr(pd.DataFrame, writer)

    def full_disk(frame, target, *args, **kwargs):
        original(frame.iloc[:1], target, *args, **kwargs)  # a torn table on disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, writer, full_disk)
    with pytest.raises(OSError, match="No space left"):
        result.save(path)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    features, _ = load_features(path)
    assert features.shape == result.features.shape


def test_disk_full_while_writing_the_sidecar_keeps_the_previous_pair(result, tmp_path, monkeypatch):
    path = tmp_path / "features.csv"
    result.save(path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(json, "dumps", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(OSError, match="No space left"):
        result.save(path)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_table_not_matching_its_sidecar_is_refused(result, tmp_path):
    path = tmp_path / "features.csv"
    result.save(path)
    table = pd.read_csv(path)
    table.iloc[:-1].to_csv(path, index=False)  # one case lost, sidecar unchanged
    with pytest.raises(ValueError, match=r"load_features: .*features\.csv' does not match its provenance sidecar"):
        load_features(path)


def test_sidecar_records_the_table_hash(result, tmp_path):
    import hashlib

    path, sidecar = result.save(tmp_path / "features.parquet")
    recorded = json.loads(sidecar.read_text())["table_sha256"]
    assert recorded == hashlib.sha256(path.read_bytes()).hexdigest()


def test_save_checks_its_destination_before_writing(result, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=r"ExtractionResult.save: cannot write .*file' is a file"):
        result.save(blocker / "features.csv")
    monkeypatch.setattr(pd.io.parquet, "get_engine", lambda engine: (_ for _ in ()).throw(ImportError("no engine")))
    with pytest.raises(ImportError, match=r"ExtractionResult.save: .*needs pyarrow"):
        result.save(tmp_path / "features.parquet")
    assert not provenance_path(tmp_path / "features.parquet").exists()


# ------------------------------------------------------------------ verified cache


def _entries(cache):
    return sorted(cache.glob("*.json"))


def test_corrupted_cache_entry_is_recomputed_and_reported(result, tmp_path):
    manifest = _cohort(tmp_path)
    cache = tmp_path / "cache"
    first = _extract(manifest, cache_dir=cache)
    entry = _entries(cache)[0]
    original = entry.read_text()
    stored = json.loads(original)
    stored["values"]["original_firstorder_Mean"] += 1.0  # one digit changed, nothing else
    entry.write_text(json.dumps(stored))
    with pytest.warns(UserWarning, match=r"extract_features: the cache had problems for 1 item.*does not match its checksum; recomputed"):
        again = _extract(manifest, cache_dir=cache)
    assert sorted(again.work_items["status"]) == ["cached"] * 3 + ["recomputed"]
    pd.testing.assert_frame_equal(again.features, first.features, check_exact=True)
    assert json.loads(entry.read_text()) == json.loads(original)


def test_unreadable_json_cache_entry_is_recomputed(tmp_path):
    manifest = _cohort(tmp_path, n_cases=2)
    cache = tmp_path / "cache"
    _extract(manifest, cache_dir=cache)
    _entries(cache)[0].write_text('{"values": {"original_firstorder_Mean": 1')
    with pytest.warns(UserWarning, match="is not valid"):
        again = _extract(manifest, cache_dir=cache)
    assert sorted(again.work_items["status"]) == ["cached", "recomputed"]


def test_unwritable_cache_folder_degrades_to_an_uncached_run(result, tmp_path):
    manifest = _cohort(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _extract(manifest, cache_dir=blocker / "cache", on_error="record")
    messages = [str(w.message) for w in caught if "cache" in str(w.message)]
    assert len(messages) == 1 and "not-a-folder/cache" in messages[0] and "without a cache" in messages[0]
    assert set(outcome.work_items["status"]) == {"extracted"}
    pd.testing.assert_frame_equal(outcome.features, result.features.set_axis(outcome.features.index), check_exact=True)


def test_cache_filling_up_mid_run_warns_once_and_loses_nothing(tmp_path, monkeypatch):
    manifest = _cohort(tmp_path)
    cache = tmp_path / "cache"

    def full_disk(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_cache, "write_text", full_disk)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _extract(manifest, cache_dir=cache, on_error="record")
    messages = [str(w.message) for w in caught if "cache" in str(w.message)]
    assert len(messages) == 1
    assert f"cannot write to cache folder {str(cache)!r}" in messages[0] and "No space left" in messages[0]
    assert len(outcome.features) == 4 and outcome.failures.empty


def test_cache_files_are_readable_by_the_group(tmp_path):
    manifest = _cohort(tmp_path, n_cases=1)
    previous = os.umask(0o022)
    try:
        _extract(manifest, cache_dir=tmp_path / "cache")
    finally:
        os.umask(previous)
    mode = _entries(tmp_path / "cache")[0].stat().st_mode
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH


# ------------------------------------------------------------------ extraction edge cases


def test_one_2d_case_in_a_3d_cohort_is_that_case_failure(tmp_path):
    manifest = _cohort(tmp_path)
    flat = _write(tmp_path / "flat.nrrd", _image(9, SHAPE[1:]))
    flat_mask = _write(tmp_path / "flat_mask.nrrd", _mask(SHAPE[1:]))
    manifest.loc[2, ["image", "mask"]] = [flat, flat_mask]
    params = {"featureClass": {"firstorder": [], "shape": []},
              "setting": {"binWidth": 10, "force2D": False}}
    recorded = extract_features(manifest, params, progress=False, on_error="record")
    assert recorded.features.index.tolist() == ["c0", "c1", "c3"]
    failure = recorded.failures.set_index("case_id").loc["c2"]
    assert failure["kind"] == "inconsistent_features" and "2D vs 3D" in failure["reason"]
    with pytest.raises(ExtractionError, match=r"case 'c2', block 'CT'.*\[inconsistent_features\]"):
        extract_features(manifest, params, progress=False)


def test_two_case_ids_for_the_same_files_warn(tmp_path):
    manifest = _cohort(tmp_path, n_cases=3)
    manifest.loc[2, "image"] = manifest.loc[0, "image"]
    with pytest.warns(UserWarning, match=r"extract_features: 1 group\(s\) of case ids point at identical image and mask files.*\['c0', 'c2'\]"):
        _extract(manifest)


def test_a_mask_radfuse_accepts_is_accepted_by_pyradiomics(tmp_path):
    image = _write(tmp_path / "image.nrrd", _image(0))
    # 5e-5 of a voxel off: inside radfuse's default tolerance (1e-4), outside ITK's default (1e-6).
    shifted = _write(tmp_path / "shifted.nrrd", _mask(), origin=(5e-5, 0.0, 0.0))
    manifest = pd.DataFrame([{"case_id": "a", "block": "CT", "image": image, "mask": shifted}])
    outcome = _extract(manifest, on_error="record")
    assert outcome.failures.empty, outcome.failures["reason"].tolist()
    assert len(outcome.features) == 1


def test_geometry_tolerance_scales_with_the_first_spacing_like_itk(tmp_path):
    spacing = (0.5, 0.5, 5.0)
    image = _write(tmp_path / "image.nrrd", _image(0), spacing=spacing)
    # z origin off by 2e-4 mm: 4e-5 of a 5 mm slice, but 4e-4 of ITK's reference (0.5 mm).
    mask = _write(tmp_path / "mask.nrrd", _mask(), spacing=spacing, origin=(0.0, 0.0, 2e-4))
    manifest = pd.DataFrame([{"case_id": "a", "block": "CT", "image": image, "mask": mask}])
    outcome = _extract(manifest, on_error="record")
    assert outcome.failures["kind"].tolist() == ["geometry_mismatch"]


def test_nan_voxels_inside_the_mask_are_the_case_failure(tmp_path):
    manifest = _cohort(tmp_path, n_cases=3)
    holes = _image(1)
    holes[5, 7, 7] = np.nan  # inside the lesion
    manifest.loc[1, "image"] = _write(tmp_path / "holes.nrrd", holes)
    outside = _image(2)
    outside[0, 0, 0] = np.nan  # outside the lesion: harmless
    manifest.loc[2, "image"] = _write(tmp_path / "outside.nrrd", outside)
    outcome = _extract(manifest, on_error="record")
    assert outcome.features.index.tolist() == ["c0", "c2"]
    failure = outcome.failures.set_index("case_id").loc["c1"]
    assert failure["kind"] == "nan_in_mask" and "holes.nrrd" in failure["reason"] and "1 NaN" in failure["reason"]
