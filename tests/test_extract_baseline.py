"""radfuse.extract reproduces PyRadiomics' published baseline feature values.

The reference is PyRadiomics' own test baseline (``data/baseline/baseline_<class>.csv``
in AIM-Harvard/pyradiomics): rows are features, columns are test cases, and
the ``diagnostics_Configuration_*`` rows give the settings and image types
each case was computed with. As in PyRadiomics' ``tests/testUtils.py``, each
case is extracted with exactly those settings on the "original" image, here
through ``extract_features`` (manifest -> hashing -> SimpleITK -> checks ->
PyRadiomics). Relative error = |value / baseline - 1| (absolute difference
when the baseline is 0). Tolerance 1e-3, and 2e-3 for the mesh-based shape
features, which move by ~1e-3 across SimpleITK versions.
"""

import ast

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("radiomics")

from radfuse.extract import extract_features  # noqa: E402

CASES = ("brain1", "brain2", "breast1")
CLASSES = ("firstorder", "shape", "glcm", "glrlm", "glszm", "gldm", "ngtdm")
MESH_FEATURES = ("SurfaceArea", "Sphericity", "SurfaceVolumeRatio", "MeshVolume")
TOLERANCE = 1e-3
MESH_TOLERANCE = 2e-3


@pytest.fixture(scope="module")
def baselines(shared_dir):
    folder = shared_dir / "data" / "pyradiomics" / "baseline"
    return {name: pd.read_csv(folder / f"baseline_{name}.csv", index_col=0) for name in CLASSES}


def _configuration(baselines, case):
    """The settings and image types of ``case``; they must agree across classes."""
    settings = {
        name: baselines[name].loc["diagnostics_Configuration_Settings", case] for name in CLASSES
    }
    image_types = {
        name: baselines[name].loc["diagnostics_Configuration_EnabledImageTypes", case]
        for name in CLASSES
    }
    assert len(set(settings.values())) == 1, f"{case}: settings differ between classes"
    assert len(set(image_types.values())) == 1, f"{case}: image types differ between classes"
    return ast.literal_eval(settings["glcm"]), ast.literal_eval(image_types["glcm"])


@pytest.fixture(scope="module")
def extracted(shared_dir, baselines):
    """One radfuse extraction per case (all seven classes), with diagnostics."""
    data = shared_dir / "data" / "pyradiomics"
    rows = {}
    for case in CASES:
        settings, image_types = _configuration(baselines, case)
        assert image_types == {"Original": {}}
        params = {
            "imageType": image_types,
            "featureClass": {name: [] for name in CLASSES},
            "setting": settings,
        }
        manifest = pd.DataFrame(
            {
                "case_id": [case],
                "block": ["MR"],
                "image": [str(data / f"{case}_image.nrrd")],
                "mask": [str(data / f"{case}_label.nrrd")],
            }
        )
        result = extract_features(manifest, params, progress=False, include_diagnostics=True)
        assert result.failures.empty
        rows[case] = result.features.loc[case]
    return rows


@pytest.fixture(scope="module")
def relative_errors(baselines, extracted):
    records = []
    for name, baseline in baselines.items():
        features = [row for row in baseline.index if row.startswith(f"original_{name}_")]
        for case in CASES:
            for feature in features:
                expected = float(baseline.loc[feature, case])
                value = float(extracted[case][f"MR__{feature}"])
                error = abs(value - expected) if expected == 0 else abs(value / expected - 1)
                records.append((case, name, feature, expected, value, error))
    return pd.DataFrame(
        records, columns=["case", "feature_class", "feature", "baseline", "radfuse", "rel_error"]
    )


@pytest.mark.parametrize("case", CASES)
def test_same_input_voxels_as_the_baseline(baselines, extracted, case):
    # PyRadiomics records SimpleITK's hash of the voxel data it was given.
    for kind in ("Image", "Mask"):
        expected = baselines["glcm"].loc[f"diagnostics_{kind}-original_Hash", case]
        assert extracted[case][f"MR__diagnostics_{kind}-original_Hash"] == expected


@pytest.mark.parametrize("feature_class", CLASSES)
@pytest.mark.parametrize("case", CASES)
def test_reproduces_pyradiomics_baseline(
    relative_errors, extracted, baselines, case, feature_class
):
    baseline = baselines[feature_class]
    expected_names = [f"MR__{row}" for row in baseline.index if row.startswith("original_")]
    assert expected_names, f"no baseline features for {feature_class}"
    missing = [name for name in expected_names if name not in extracted[case].index]
    assert not missing

    errors = relative_errors[
        (relative_errors["case"] == case) & (relative_errors["feature_class"] == feature_class)
    ]
    assert len(errors) == len(expected_names)
    is_mesh = errors["feature"].str.rsplit("_", n=1).str[-1].isin(MESH_FEATURES)
    tolerance = np.where(is_mesh, MESH_TOLERANCE, TOLERANCE)
    too_far = errors[~(errors["rel_error"] <= tolerance)]
    assert too_far.empty, too_far.to_string()
    print(f"{case:8s} {feature_class:10s} max relative error {errors['rel_error'].max():.2e}")


def test_max_relative_error_per_class(relative_errors):
    summary = relative_errors.groupby("feature_class")["rel_error"].max()
    print("\nmax relative error per feature class (brain1, brain2, breast1):")
    print(summary.map("{:.2e}".format).to_string())
    assert set(summary.index) == set(CLASSES)
    assert summary.drop("shape").max() <= TOLERANCE
    assert summary["shape"] <= MESH_TOLERANCE
