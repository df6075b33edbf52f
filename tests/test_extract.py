"""radfuse.extract: manifest, settings, preprocessing, checks, parallel and resumable runs."""

import hashlib
import json
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sitk = pytest.importorskip("SimpleITK")
pytest.importorskip("radiomics")

from radiomics import featureextractor  # noqa: E402
from scipy import stats  # noqa: E402

from radfuse.cli import main as cli_main  # noqa: E402
from radfuse.datasets.imaging import imaging_cohort_params, make_imaging_cohort  # noqa: E402
from radfuse.extract import _dependencies  # noqa: E402
from radfuse.extract import (  # noqa: E402
    ExtractionError,
    IntensityWindow,
    MapMaskToImage,
    N4BiasFieldCorrection,
    PercentileNormalization,
    Resample,
    ZScoreNormalization,
    extract_features,
    load_features,
    load_params,
    read_manifest,
    step_from_dict,
)
from radfuse.extract import _extractor as extractor_module  # noqa: E402

FIRSTORDER = {"featureClass": {"firstorder": []}, "setting": {"binWidth": 10}}
MODALITIES = ("US", "T2", "DCE")
MAP_T2 = {"T2": [MapMaskToImage()]}


def _write(path, array, spacing=None):
    image = sitk.GetImageFromArray(array)
    if spacing is not None:
        image.SetSpacing(spacing)
    sitk.WriteImage(image, str(path))
    return str(path)


def _textured(shape, seed=0):
    return np.random.default_rng(seed).normal(200, 30, shape).round().astype(np.int16)


def _square_mask(shape, label=1):
    mask = np.zeros(shape, np.uint8)
    mask[tuple(slice(n // 4, 3 * n // 4) for n in shape)] = label
    return mask


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cohort")
    manifest, labels = make_imaging_cohort(
        folder, n_cases=6, modalities=MODALITIES, random_state=3, second_reader_fraction=0.5
    )
    return folder, manifest, labels


@pytest.fixture(scope="module")
def reference(cohort):
    """Uninterrupted serial run without cache: the table the other runs must equal."""
    _, manifest, _ = cohort
    return extract_features(manifest, FIRSTORDER, preprocessing=MAP_T2, progress=False)


# --------------------------------------------------------------------------- manifest


def _manifest_frame(**columns):
    base = {"case_id": ["a", "b"], "block": ["US", "US"], "image": ["a.nrrd", "b.nrrd"],
            "mask": ["am.nrrd", "bm.nrrd"]}
    base.update(columns)
    return pd.DataFrame(base)


def test_manifest_resolves_relative_paths_against_csv_folder(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    _manifest_frame().to_csv(folder / "manifest.csv", index=False)
    table = read_manifest(folder / "manifest.csv")
    assert table["image"].tolist() == [str(folder / "a.nrrd"), str(folder / "b.nrrd")]
    assert table["reader"].tolist() == ["R1", "R1"]
    assert table["label"].isna().all()


@pytest.mark.parametrize(
    "frame, message",
    [
        (_manifest_frame().drop(columns="mask"), r"lacks column\(s\) \['mask'\]"),
        (_manifest_frame(case_id=["a", "a"]), r"repeated: \[\('a', 'US', 'R1'\)\]"),
        (_manifest_frame(block=["US__2", "US__2"]), "contain '__'"),
        (_manifest_frame(label=[1, 0]), "positive integer"),
        (_manifest_frame(image=["a.nrrd", None]), r"'image' is empty in manifest row\(s\) \[1\]"),
        (_manifest_frame(reader=["R2", "R1"]), r"primary reader 'R2'.*\('b', 'US'\)"),
    ],
)
def test_manifest_rejects_bad_tables(frame, message):
    with pytest.raises(ValueError, match=message):
        read_manifest(frame)


def test_manifest_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_manifest(tmp_path / "nope.csv")
    with pytest.raises(TypeError, match="CSV path or a DataFrame"):
        read_manifest([1, 2])


# --------------------------------------------------------------------------- settings


def test_load_params_shared_per_block_and_from_yaml(tmp_path):
    shared = load_params(FIRSTORDER, ["US", "T2"])
    assert shared["US"] is shared["T2"]
    assert shared["US"].settings["binWidth"] == 10
    # PyRadiomics' own defaults are filled in and recorded.
    assert shared["US"].settings["label"] == 1 and shared["US"].settings["padDistance"] == 5

    (tmp_path / "us.yaml").write_text(yaml.safe_dump({"featureClass": {"shape2D": []}}))
    (tmp_path / "params.yaml").write_text(
        yaml.safe_dump({"US": "us.yaml", "T2": {"setting": {"binWidth": 3}}})
    )
    per_block = load_params(tmp_path / "params.yaml", ["US", "T2"])
    assert list(per_block["US"].feature_classes) == ["shape2D"]
    assert per_block["T2"].settings["binWidth"] == 3

    defaults = load_params(None, ["US"])["US"]
    assert defaults.image_types == {"Original": {}}
    assert "shape2D" not in defaults.feature_classes


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"US": FIRSTORDER}, ValueError, r"nothing for block\(s\) \['T2'\]"),
        ({"setting": {"binWidth": 5}, "US": {}}, ValueError, "mix PyRadiomics sections"),
        (
            {"US": {"setting": {"binWidth": "wide"}}, "T2": {}},
            ValueError,
            "rejected the parameters for block 'US'",
        ),
        (42, TypeError, "must be None, a YAML/JSON path or a dict"),
    ],
)
def test_load_params_errors(params, error, message):
    with pytest.raises(error, match=message):
        load_params(params, ["US", "T2"])


# --------------------------------------------------------------------------- preprocessing


def test_resample_linear_ramp_is_exact_and_mask_stays_labels():
    # Linear interpolation reproduces a linear intensity ramp exactly.
    size_x, size_y = 20, 12
    ramp = np.add.outer(np.arange(size_y) * 0.5, np.arange(size_x) * 2.0).astype(np.float32)
    image = sitk.GetImageFromArray(ramp)
    image.SetSpacing((1.0, 1.0))
    mask = sitk.GetImageFromArray(_square_mask((size_y, size_x), label=3))
    out_image, out_mask = Resample(spacing=(0.5, 2.0), interpolator="linear").apply(image, mask)
    assert out_image.GetSize() == (40, 6) and out_mask.GetSize() == (40, 6)
    values = sitk.GetArrayFromImage(out_image)
    x = np.arange(40) * 0.5
    y = np.arange(6) * 2.0
    inside = x <= size_x - 1
    expected = np.add.outer(y * 0.5, x[inside] * 2.0)
    np.testing.assert_allclose(values[:, inside], expected, atol=1e-4)
    assert set(np.unique(sitk.GetArrayFromImage(out_mask))) == {0, 3}


# Older hypothesis (6.80-6.90, the minimum environment) overruns its buffer
# while drawing these bounded floats and aborts on a health check about the
# generator, not about the code; the examples it does draw are all checked.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(st.tuples(st.floats(0.4, 3.0), st.floats(0.4, 3.0), st.floats(0.4, 3.0)))
def test_resample_keeps_field_of_view_and_labels(spacing):
    image = sitk.GetImageFromArray(_textured((10, 12, 14)).astype(np.float32))
    image.SetSpacing((1.0, 1.5, 2.0))
    mask = sitk.GetImageFromArray(_square_mask((10, 12, 14), label=2))
    mask.CopyInformation(image)
    out_image, out_mask = Resample(spacing=spacing).apply(image, mask)
    extent = np.array(image.GetSize()) * np.array(image.GetSpacing())
    new_extent = np.array(out_image.GetSize()) * np.array(spacing)
    assert np.all(np.abs(new_extent - extent) <= np.array(spacing) / 2 + 1e-9)
    assert set(np.unique(sitk.GetArrayFromImage(out_mask))) <= {0, 2}
    assert out_mask.GetSize() == out_image.GetSize()


def test_map_mask_to_image_matches_nearest_neighbour_lookup():
    dce_mask = np.zeros((24, 32, 32), np.uint8)  # numpy (z, y, x); spacing (1, 1, 1.5)
    dce_mask[6:18, 8:24, 10:20] = 1
    mask = sitk.GetImageFromArray(dce_mask)
    mask.SetSpacing((1.0, 1.0, 1.5))
    t2 = sitk.Image([26, 26, 18], sitk.sitkInt16)
    t2.SetSpacing((1.25, 1.25, 2.0))
    _, mapped = MapMaskToImage().apply(t2, mask)
    # Independent lookup: each T2 voxel centre -> nearest DCE voxel index.
    z, y, x = np.meshgrid(
        np.arange(18) * 2.0, np.arange(26) * 1.25, np.arange(26) * 1.25, indexing="ij"
    )
    iz, iy, ix = (np.floor(c / s + 0.5).astype(int) for c, s in ((z, 1.5), (y, 1.0), (x, 1.0)))
    valid = (iz < 24) & (iy < 32) & (ix < 32)
    expected = np.zeros(z.shape, np.uint8)
    expected[valid] = dce_mask[iz[valid], iy[valid], ix[valid]]
    np.testing.assert_array_equal(sitk.GetArrayFromImage(mapped), expected)


def test_intensity_normalisations_match_numpy_and_scipy():
    values = _textured((6, 7, 8)).astype(np.float64)
    values[0, 0, :3] = [-50, 1800, 2500]
    image = sitk.GetImageFromArray(values)
    mask_array = _square_mask(values.shape)
    mask = sitk.GetImageFromArray(mask_array)

    window, _ = IntensityWindow(0, 1500).apply(image, mask)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(window), np.clip(values, 0, 1500))

    zscored, _ = ZScoreNormalization(region="mask", scale=100).apply(image, mask)
    inside = mask_array != 0
    expected = (values - values[inside].mean()) / values[inside].std() * 100
    np.testing.assert_allclose(sitk.GetArrayFromImage(zscored), expected, rtol=1e-5, atol=1e-3)
    whole, _ = ZScoreNormalization().apply(image, mask)
    expected = stats.zscore(values, axis=None)
    np.testing.assert_allclose(sitk.GetArrayFromImage(whole), expected, atol=1e-5)

    step = PercentileNormalization(lower=2, upper=98, out_range=(0, 100))
    stretched, _ = step.apply(image, mask)
    low, high = np.percentile(values, [2, 98])
    np.testing.assert_allclose(
        sitk.GetArrayFromImage(stretched), np.interp(values, [low, high], [0, 100]), atol=1e-3
    )


def test_n4_removes_a_multiplicative_bias_field():
    rng = np.random.default_rng(0)
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, n) for n in (16, 32, 32)), indexing="ij")
    tissue = 500 + rng.normal(0, 5, x.shape)
    bias = np.exp(0.35 * x + 0.2 * y)
    image = sitk.GetImageFromArray((tissue * bias).astype(np.float32))
    corrected, _ = N4BiasFieldCorrection(shrink_factor=2, iterations=(20, 20)).apply(image, image)
    out = sitk.GetArrayFromImage(corrected)
    before = (tissue * bias).std() / (tissue * bias).mean()
    after = out.std() / out.mean()
    assert after < 0.5 * before


def test_steps_are_frozen_validated_and_recorded():
    step = Resample(spacing=[1, 1, 2])
    assert step.to_dict() == {
        "step": "Resample", "spacing": [1.0, 1.0, 2.0], "interpolator": "bspline"
    }
    window = json.loads(json.dumps(IntensityWindow().to_dict()))
    assert window == {"step": "IntensityWindow", "lower": 0.0, "upper": 1500.0}
    with pytest.raises(AttributeError):
        step.spacing = (2.0,)
    with pytest.raises(ValueError, match="Resample: spacing must be positive"):
        Resample(spacing=(1, 0))
    with pytest.raises(ValueError, match="ZScoreNormalization: region"):
        ZScoreNormalization(region="roi")
    with pytest.raises(ValueError, match="lower < upper"):
        PercentileNormalization(lower=90, upper=10)


@pytest.mark.parametrize(
    "step",
    [
        Resample(spacing=(0.5, 0.5, 1.0), interpolator="linear"),
        MapMaskToImage(),
        N4BiasFieldCorrection(shrink_factor=2, iterations=(10, 10)),
        ZScoreNormalization(region="mask", scale=100),
        PercentileNormalization(lower=1, upper=99, out_range=(0, 1500)),
        IntensityWindow(0, 1500),
    ],
)
def test_steps_round_trip_through_their_dict(step):
    assert step_from_dict(json.loads(json.dumps(step.to_dict()))) == step


def test_step_from_dict_rejects_unknown_steps_and_parameters():
    with pytest.raises(ValueError, match="unknown preprocessing step 'Blur'"):
        step_from_dict({"step": "Blur"})
    with pytest.raises(ValueError, match="bad parameters for IntensityWindow"):
        step_from_dict({"step": "IntensityWindow", "width": 3})


# --------------------------------------------------------------------------- extraction checks


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    """Cases with a good T2 row and a DCE row showing one failure kind each."""
    folder = tmp_path_factory.mktemp("bad")
    shape = (12, 16, 16)
    image = _write(folder / "image.nrrd", _textured(shape))
    mask = _write(folder / "mask.nrrd", _square_mask(shape))
    two_labels = _square_mask(shape)
    two_labels[0, 0, 0] = 3
    (folder / "garbage.nrrd").write_text("not an image")
    few = np.zeros(shape, np.uint8)
    few[5, 5, 5:8] = 1
    slab = np.zeros(shape, np.uint8)
    slab[6, 2:14, 2:14] = 1
    dce_rows = {
        "good": (image, mask, None, None),
        "missing": (str(folder / "absent.nrrd"), mask, None, "missing_file"),
        "unreadable": (str(folder / "garbage.nrrd"), mask, None, "unreadable_file"),
        "empty": (
            image, _write(folder / "empty.nrrd", np.zeros(shape, np.uint8)), None, "empty_mask"
        ),
        "nolabel": (image, _write(folder / "labels13.nrrd", two_labels), 2, "label_absent"),
        "offgrid": (
            image,
            _write(folder / "coarse.nrrd", _square_mask(shape), (2.0, 2.0, 2.0)),
            None,
            "geometry_mismatch",
        ),
        "tiny": (image, _write(folder / "few.nrrd", few), None, "too_few_voxels"),
        "flat": (_write(folder / "flat.nrrd", np.full(shape, 100, np.int16)), mask, None,
                 "preprocessing_error"),
        "slab": (image, _write(folder / "slab.nrrd", slab), None, "extraction_error"),
    }
    rows = []
    for case, (dce_image, dce_mask, label, _) in dce_rows.items():
        rows.append(
            {"case_id": case, "block": "DCE", "image": dce_image, "mask": dce_mask, "label": label}
        )
        rows.append({"case_id": case, "block": "T2", "image": image, "mask": mask, "label": None})
    rows.append({"case_id": "lonely", "block": "DCE", "image": image, "mask": mask, "label": None})
    manifest = pd.DataFrame(rows).astype({"label": "Int64"})
    expected = {case: ("DCE", kind) for case, (_, _, _, kind) in dce_rows.items() if kind}
    expected["lonely"] = ("T2", "block_missing")
    return manifest, expected


# 'slab' is one voxel thick, which PyRadiomics refuses under minimumROIDimensions=3;
# 'flat' is a constant image, which z-scoring cannot normalise.
BAD_PARAMS = {"featureClass": {"firstorder": []}, "setting": {"minimumROIDimensions": 3}}
BAD_STEPS = {"DCE": [ZScoreNormalization(scale=100)]}


def _record_bad(manifest, **options):
    return extract_features(
        manifest,
        BAD_PARAMS,
        preprocessing=BAD_STEPS,
        on_error="record",
        progress=False,
        min_voxels=5,
        **options,
    )


def test_every_failure_kind_is_recorded_and_nothing_dropped(bad_inputs):
    manifest, expected = bad_inputs
    result = _record_bad(manifest)
    # Every case keeps the block that was extracted; the failed one is NaN.
    assert sorted(result.features.index) == sorted(result.cases)
    dce = [c for c in result.features.columns if c.startswith("DCE__")]
    t2 = [c for c in result.features.columns if c.startswith("T2__")]
    assert dce and t2
    for case, (block, _) in expected.items():
        failed, kept = (dce, t2) if block == "DCE" else (t2, dce)
        assert result.features.loc[case, failed].isna().all()
        assert result.features.loc[case, kept].notna().all()
    assert result.features.loc["good"].notna().all()
    assert _record_bad(manifest, complete_cases=True).features.index.tolist() == ["good"]
    failures = result.failures.set_index("case_id")
    assert sorted(failures.index) == sorted(expected)
    for case, (block, kind) in expected.items():
        assert (failures.loc[case, "block"], failures.loc[case, "kind"]) == (block, kind)
    assert set(result.cases) == set(result.features.index) | set(failures.index)


def test_failure_reasons_name_the_culprit(bad_inputs):
    manifest, _ = bad_inputs
    reasons = _record_bad(manifest).failures.set_index("case_id")["reason"]
    assert "absent.nrrd" in reasons["missing"] and "does not exist" in reasons["missing"]
    assert "garbage.nrrd" in reasons["unreadable"]
    assert "empty.nrrd" in reasons["empty"]
    assert "labels present: [1, 3]" in reasons["nolabel"]
    assert "spacing" in reasons["offgrid"] and "MapMaskToImage" in reasons["offgrid"]
    assert "has 3 voxel(s) with label 1" in reasons["tiny"] and "min_voxels=5" in reasons["tiny"]
    assert "ZScoreNormalization" in reasons["flat"] and "flat.nrrd" in reasons["flat"]
    assert "slab.nrrd" in reasons["slab"] and "PyRadiomics failed" in reasons["slab"]
    assert "no 'T2' row" in reasons["lonely"]


@pytest.mark.parametrize(
    "case",
    ["missing", "unreadable", "empty", "nolabel", "offgrid", "tiny", "flat", "slab", "lonely"],
)
def test_on_error_raise_names_case_block_and_kind(bad_inputs, case):
    manifest, expected = bad_inputs
    block, kind = expected[case]
    rows = manifest[manifest["case_id"].isin(["good", case])]
    with pytest.raises(ExtractionError, match=rf"case '{case}', block '{block}'.*\[{kind}\]"):
        extract_features(rows, BAD_PARAMS, preprocessing=BAD_STEPS, progress=False, min_voxels=5)


def test_good_case_matches_direct_pyradiomics_for_a_chosen_label(tmp_path):
    shape = (12, 16, 16)
    image = _write(tmp_path / "image.nrrd", _textured(shape, seed=4))
    labels = _square_mask(shape)
    labels[2:5, 2:6, 2:6] = 2
    mask = _write(tmp_path / "mask.nrrd", labels)
    manifest = pd.DataFrame(
        [{"case_id": "p", "block": "CT", "image": image, "mask": mask, "label": 2}]
    )
    ours = extract_features(manifest, FIRSTORDER, progress=False).features.loc["p"]
    direct = featureextractor.RadiomicsFeatureExtractor(FIRSTORDER).execute(image, mask, label=2)
    expected = {
        f"CT__{name}": float(value)
        for name, value in direct.items()
        if not name.startswith("diagnostics_")
    }
    assert ours.to_dict() == expected


# --------------------------------------------------------------------------- parallel, dask, cache


def test_cohort_mapping_needed_and_features_named_by_block(cohort, reference):
    _, manifest, labels = cohort
    assert reference.failures.empty
    assert reference.features.index.tolist() == labels.index.tolist()
    assert {c.split("__")[0] for c in reference.features.columns} == set(MODALITIES)
    assert reference.features.notna().all().all()
    unmapped = extract_features(manifest, FIRSTORDER, on_error="record", progress=False)
    assert set(unmapped.failures["kind"]) == {"geometry_mismatch"}
    assert set(unmapped.failures["block"]) == {"T2"}
    # The other blocks are kept; T2, extracted for no case, has no column.
    assert {c.split("__")[0] for c in unmapped.features.columns} == set(MODALITIES) - {"T2"}
    assert unmapped.features.notna().all().all() and len(unmapped.features) == len(labels)
    assert "cases=0/6" in repr(unmapped)


def test_parallel_joblib_and_dask_give_identical_tables(cohort, reference, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    # Six small cases would run in-process; make every run after the first item parallel.
    monkeypatch.setattr("radfuse.extract._extractor._POOL_START_S", 0.0)

    _, manifest, _ = cohort
    loky = extract_features(manifest, FIRSTORDER, preprocessing=MAP_T2, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(loky.features, reference.features, check_exact=True)
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster):
        with parallel_config(backend="dask"):
            on_dask = extract_features(
                manifest, FIRSTORDER, preprocessing=MAP_T2, n_jobs=2, progress=False
            )
        # The CLI's --dask-scheduler connects its own client to the same cluster.
        folder = cohort[0]
        output = folder / "dask_us.parquet"
        params = folder / "firstorder.yaml"
        params.write_text(yaml.safe_dump(FIRSTORDER))
        code = cli_main(
            ["extract", str(_us_only_manifest(folder)), "--params", str(params), "-o", str(output),
             "--dask-scheduler", cluster.scheduler_address, "--no-progress"]
        )
    pd.testing.assert_frame_equal(on_dask.features, reference.features, check_exact=True)
    assert code == 0
    us_columns = [c for c in reference.features.columns if c.startswith("US__")]
    pd.testing.assert_frame_equal(
        load_features(output)[0], reference.features[us_columns], check_exact=True
    )


class _Killed(KeyboardInterrupt):
    pass


_COMPUTE_FEATURES = extractor_module._compute_features


def _counting(monkeypatch, kill_after=None):
    """Count PyRadiomics calls; optionally die like a killed run after ``kill_after`` of them."""
    calls = []
    original = _COMPUTE_FEATURES

    def compute(*args, **kwargs):
        if kill_after is not None and len(calls) == kill_after:
            raise _Killed
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(extractor_module, "_compute_features", compute)
    return calls


def _extract_cached(manifest, cache):
    return extract_features(
        manifest, FIRSTORDER, preprocessing=MAP_T2, cache_dir=cache, progress=False
    )


def test_killed_run_resumes_without_recomputing(cohort, reference, tmp_path, monkeypatch):
    _, manifest, _ = cohort
    cache = tmp_path / "cache"
    n_items = len(manifest)
    _counting(monkeypatch, kill_after=5)
    with pytest.raises(_Killed):
        _extract_cached(manifest, cache)
    assert len(list(cache.glob("*.json"))) == 5
    assert not list(cache.glob(".*.tmp"))  # atomic writes leave no partial files

    calls = _counting(monkeypatch)
    resumed = _extract_cached(manifest, cache)
    assert len(calls) == n_items - 5
    statuses = resumed.work_items["status"].value_counts().to_dict()
    assert statuses == {"extracted": n_items - 5, "cached": 5}
    pd.testing.assert_frame_equal(resumed.features, reference.features, check_exact=True)

    calls = _counting(monkeypatch)
    again = _extract_cached(manifest, cache)
    assert calls == [] and set(again.work_items["status"]) == {"cached"}
    pd.testing.assert_frame_equal(again.features, reference.features, check_exact=True)

    # Changing a setting or a preprocessing step changes the key: everything is recomputed.
    calls = _counting(monkeypatch)
    other = {"featureClass": {"firstorder": []}, "setting": {"binWidth": 20}}
    extract_features(manifest, other, preprocessing=MAP_T2, cache_dir=cache, progress=False)
    assert len(calls) == n_items
    calls = _counting(monkeypatch)
    window = {"T2": [MapMaskToImage(), IntensityWindow(0, 1500)]}
    extract_features(manifest, FIRSTORDER, preprocessing=window, cache_dir=cache, progress=False)
    assert len(calls) == sum(manifest["block"] == "T2")


# --------------------------------------------------------------------------- result object


def test_reader_tables_feed_an_icc_filter(cohort, reference):
    _, manifest, _ = cohort
    first, second = reference.reader_tables()
    repeated = manifest.loc[manifest["reader"] == "R2", "case_id"].unique().tolist()
    assert first.index.tolist() == second.index.tolist() == repeated
    assert first.columns.equals(second.columns)
    assert first.columns.equals(reference.features.columns)
    pd.testing.assert_frame_equal(first, reference.features.loc[repeated])
    # A one-voxel change of outline moves the lesion's mean intensity, but only a little.
    mean = "DCE__original_firstorder_Mean"
    assert not np.array_equal(first[mean], second[mean])
    np.testing.assert_allclose(second[mean], first[mean], rtol=0.2)
    only_dce = reference.reader_tables(blocks=["DCE"])
    assert all(c.startswith("DCE__") for c in only_dce[0].columns)


def test_reader_tables_need_two_readers(cohort):
    _, manifest, _ = cohort
    single = extract_features(
        manifest[manifest["reader"] == "R1"], FIRSTORDER, preprocessing=MAP_T2, progress=False
    )
    with pytest.raises(ValueError, match="names one reader"):
        single.reader_tables()


def test_provenance_records_versions_settings_and_file_hashes(cohort, reference):
    import radiomics

    provenance = reference.provenance
    assert provenance["versions"]["pyradiomics"] == radiomics.__version__
    assert provenance["versions"]["SimpleITK"] == sitk.Version_VersionString()
    assert provenance["params"]["US"]["setting"]["binWidth"] == 10
    assert provenance["preprocessing"]["T2"] == [{"step": "MapMaskToImage"}]
    assert provenance["preprocessing"]["US"] == []
    assert provenance["primary_reader"] == "R1"
    entry = provenance["inputs"][0]
    with open(entry["image"], "rb") as handle:
        assert entry["image_sha256"] == hashlib.sha256(handle.read()).hexdigest()
    with open(entry["mask"], "rb") as handle:
        assert entry["mask_sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert len(provenance["inputs"]) == len(cohort[1])


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_save_and_load_round_trip_exactly(reference, tmp_path, suffix):
    table, sidecar = reference.save(tmp_path / f"features{suffix}")
    assert sidecar.name == f"features{suffix}.provenance.json"
    features, provenance = load_features(table)
    pd.testing.assert_frame_equal(features, reference.features, check_exact=True)
    assert provenance["failures"] == [] and provenance["params"] == reference.provenance["params"]


def test_save_rejects_unknown_suffix(reference, tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        reference.save(tmp_path / "features.xlsx")


def test_diagnostics_are_optional_columns(cohort, reference):
    _, manifest, _ = cohort
    us = manifest[manifest["block"] == "US"]
    with_diagnostics = extract_features(us, FIRSTORDER, include_diagnostics=True, progress=False)
    diagnostic = [c for c in with_diagnostics.features.columns if "__diagnostics_" in c]
    assert "US__diagnostics_Mask-original_VoxelNum" in diagnostic
    plain = with_diagnostics.features.drop(columns=diagnostic).astype(float)
    us_columns = [c for c in reference.features.columns if c.startswith("US__")]
    pd.testing.assert_frame_equal(plain, reference.features[us_columns], check_exact=True)


def test_progress_bar_only_when_asked(cohort, capsys):
    _, manifest, _ = cohort
    rows = manifest[manifest["block"] == "US"].iloc[:2]
    extract_features(rows, FIRSTORDER, progress=True)
    assert "radfuse extract" in capsys.readouterr().err
    extract_features(rows, FIRSTORDER, progress=False)
    assert "radfuse extract" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"on_error": "ignore"}, "on_error must be one of"),
        ({"min_voxels": 0}, "min_voxels must be a positive integer"),
        (
            {"preprocessing": {"MR": [Resample((1, 1))]}},
            r"block\(s\) \['MR'\] that are not in the manifest",
        ),
        ({"preprocessing": [IntensityWindow(), "zscore"]}, "holds non-steps"),
    ],
)
def test_extract_features_argument_errors(cohort, kwargs, message):
    _, manifest, _ = cohort
    with pytest.raises((ValueError, TypeError), match=message):
        extract_features(manifest, FIRSTORDER, progress=False, **kwargs)


def test_missing_pyradiomics_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "radiomics", None)
    monkeypatch.setitem(sys.modules, "radiomics.featureextractor", None)
    with pytest.raises(ImportError, match=r"radfuse\[extract\].*--no-build-isolation"):
        _dependencies.import_featureextractor()


# --------------------------------------------------------------------------- CLI


def _us_only_manifest(folder):
    manifest = pd.read_csv(folder / "manifest.csv")
    path = folder / "manifest_us.csv"
    manifest[manifest["block"] == "US"].to_csv(path, index=False)
    return path


def test_cli_extract_writes_table_and_provenance(cohort, reference, tmp_path, capsys):
    folder, manifest, _ = cohort
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(FIRSTORDER))
    output = tmp_path / "out" / "features.parquet"
    code = cli_main(
        ["extract", str(_us_only_manifest(folder)), "--params", str(params), "-o", str(output),
         "--jobs", "1", "--cache", str(tmp_path / "cache"), "--no-progress", "--on-error", "raise"]
    )
    assert code == 0
    features, provenance = load_features(output)
    us_columns = [c for c in reference.features.columns if c.startswith("US__")]
    pd.testing.assert_frame_equal(features, reference.features[us_columns], check_exact=True)
    assert provenance["failures"] == []
    assert len(list((tmp_path / "cache").glob("*.json"))) == sum(manifest["block"] == "US")
    assert "6 of 6 cases" in capsys.readouterr().err

    steps = tmp_path / "steps.yaml"
    steps.write_text(yaml.safe_dump({"T2": [{"step": "MapMaskToImage"}]}))
    arguments = ["extract", str(folder / "manifest.csv"), "--params", str(params), "--no-progress"]
    assert cli_main([*arguments, "--preprocessing", str(steps), "-o", str(tmp_path / "all.csv")]) == 0
    features, provenance = load_features(tmp_path / "all.csv")
    pd.testing.assert_frame_equal(features, reference.features, check_exact=True)
    assert provenance["preprocessing"]["T2"] == [{"step": "MapMaskToImage"}]

    # Without the mapping the T2 rows fail; they are listed on stderr and in the sidecar.
    assert cli_main([*arguments, "-o", str(tmp_path / "unmapped.csv")]) == 5  # finished, cases failed
    _, provenance = load_features(tmp_path / "unmapped.csv")
    assert {f["kind"] for f in provenance["failures"]} == {"geometry_mismatch"}
    assert "geometry_mismatch" in capsys.readouterr().err


def test_cli_reports_errors_with_exit_code(tmp_path, capsys):
    code = cli_main(["extract", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "f.parquet")])
    assert code == 1
    assert "manifest file" in capsys.readouterr().err


def test_cohort_params_give_one_shape_class_per_dimension(cohort):
    _, manifest, _ = cohort
    params = imaging_cohort_params(MODALITIES)
    rows = manifest[(manifest["case_id"] == "case000") & (manifest["reader"] == "R1")]
    result = extract_features(rows, params, preprocessing=MAP_T2, progress=False)
    columns = result.features.columns
    assert any(c.startswith("US__original_shape2D_") for c in columns)
    assert not any(c.startswith("US__original_shape_") for c in columns)
    assert any(c.startswith("DCE__original_shape_") for c in columns)


# ------------------------------------------------ what was asked vs extracted
@pytest.fixture(scope="module")
def one_volume(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one")
    shape = (12, 16, 16)
    image = _write(folder / "image.nrrd", _textured(shape))
    mask = _write(folder / "mask.nrrd", _square_mask(shape))
    return pd.DataFrame([{"case_id": c, "block": "MR", "image": image, "mask": mask} for c in ("a", "b")])


@pytest.mark.parametrize(
    ("image_type", "module", "package"),
    [("LBP2D", "skimage", "scikit-image"), ("LBP3D", "trimesh", "trimesh")],
)
def test_an_image_type_whose_package_is_missing_is_an_error_naming_it(monkeypatch, one_volume, image_type,
                                                                      module, package):
    # Before: PyRadiomics logged a warning and the table silently lacked the image type.
    monkeypatch.setitem(sys.modules, module, None)  # import fails, whatever is installed
    params = {"imageType": {"Original": {}, image_type: {}}, "featureClass": {"firstorder": []}}
    with pytest.raises(ImportError, match=rf"{image_type} needs {package}"):
        extract_features(one_volume, params, progress=False)


def test_a_feature_class_that_yields_nothing_is_an_error(one_volume):
    # shape2D needs force2D: on a 3D image PyRadiomics skips it with a log message.
    params = {"featureClass": {"firstorder": [], "shape2D": []}}
    with pytest.raises(ExtractionError, match=r"block 'MR': feature class 'shape2D' yielded no features"):
        extract_features(one_volume, params, progress=False)


def test_provenance_records_what_was_extracted(one_volume):
    params = {"imageType": {"Original": {}, "Square": {}}, "featureClass": {"firstorder": [], "shape": []}}
    result = extract_features(one_volume, params, progress=False)
    extracted = result.provenance["extracted"]["MR"]
    columns = pd.Series(result.features.columns.str.removeprefix("MR__"))
    assert extracted["n_features"] == len(columns)
    assert extracted["image_types"] == {
        "Original": int(columns.str.startswith("original_").sum()),
        "Square": int(columns.str.startswith("square_").sum()),
    }
    assert extracted["feature_classes"] == {
        "firstorder": int(columns.str.contains("_firstorder_").sum()),
        "shape": int(columns.str.contains("_shape_").sum()),
    }
    assert extracted["image_types"]["Square"] == extracted["feature_classes"]["firstorder"] // 2
