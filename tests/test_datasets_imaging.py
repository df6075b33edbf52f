"""radfuse.datasets.imaging: a deterministic synthetic lesion cohort with real signal."""

import hashlib

import numpy as np
import pandas as pd
import pytest

sitk = pytest.importorskip("SimpleITK")

from scipy import stats  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from radfuse.datasets.imaging import imaging_cohort_params, make_imaging_cohort  # noqa: E402
from radfuse.extract import read_manifest  # noqa: E402


def _digest(folder):
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _array(path):
    return sitk.GetArrayFromImage(sitk.ReadImage(path))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("imaging")
    manifest, labels = make_imaging_cohort(
        folder, n_cases=10, modalities=("US", "MG", "T2", "DCE")
    )
    return folder, manifest, labels


def test_same_seed_writes_identical_files(tmp_path):
    kwargs = {"n_cases": 3, "modalities": ("US", "DCE"), "random_state": 7}
    first, _ = make_imaging_cohort(tmp_path / "a", **kwargs)
    second, _ = make_imaging_cohort(tmp_path / "b", **kwargs)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert first.drop(columns=["image", "mask"]).equals(second.drop(columns=["image", "mask"]))
    make_imaging_cohort(tmp_path / "c", **{**kwargs, "random_state": 8})
    assert _digest(tmp_path / "a")["case000/US.nrrd"] != _digest(tmp_path / "c")["case000/US.nrrd"]


def test_manifest_layout_readers_and_labels(cohort):
    folder, manifest, labels = cohort
    n_second = round(0.3 * 10)
    assert manifest.columns.tolist() == ["case_id", "block", "image", "mask", "label", "reader"]
    assert manifest["reader"].value_counts().to_dict() == {"R1": 40, "R2": 4 * n_second}
    assert manifest["reader"].iloc[0] == "R1"
    assert labels.index.tolist() == [f"case{i:03d}" for i in range(10)]
    assert labels.sum() == 5 and set(labels.unique()) == {0, 1}
    written = pd.read_csv(folder / "labels.csv", index_col="case_id")["malignant"]
    assert written.tolist() == labels.tolist()
    # manifest.csv holds relative paths that read_manifest resolves to the same files.
    pd.testing.assert_frame_equal(
        read_manifest(folder / "manifest.csv").drop(columns="label"),
        read_manifest(manifest).drop(columns="label"),
    )
    mri = manifest[manifest["block"] == "T2"]
    assert mri["mask"].str.endswith(tuple(f"DCE_mask_{r}.nrrd" for r in ("R1", "R2"))).all()


def test_images_are_2d_or_3d_with_binary_nonempty_masks(cohort):
    _, manifest, _ = cohort
    first = manifest.drop_duplicates("block").set_index("block")
    for block, dimension in {"US": 2, "MG": 2, "T2": 3, "DCE": 3}.items():
        image = sitk.ReadImage(first.loc[block, "image"])
        assert image.GetDimension() == dimension
    for mask_path in manifest["mask"].unique():
        mask = _array(mask_path)
        assert set(np.unique(mask)) == {0, 1}
        assert mask.sum() >= 30
    t2 = sitk.ReadImage(first.loc["T2", "image"])
    dce = sitk.ReadImage(first.loc["DCE", "image"])
    assert t2.GetSpacing() != dce.GetSpacing()  # masks drawn on DCE need mapping


def test_second_reader_masks_are_one_voxel_perturbations(cohort):
    _, manifest, _ = cohort
    pairs = manifest.pivot_table(
        index=["case_id", "block"], columns="reader", values="mask", aggfunc="first"
    )
    pairs = pairs.dropna().drop_duplicates()
    assert len(pairs) > 0
    for first_path, second_path in pairs[["R1", "R2"]].itertuples(index=False):
        first, second = _array(first_path).astype(bool), _array(second_path).astype(bool)
        dice = 2 * (first & second).sum() / (first.sum() + second.sum())
        assert 0.5 < dice < 1.0


def test_lesion_intensity_carries_class_signal(tmp_path):
    # Independent of radfuse.extract: the mean DCE intensity inside the lesion,
    # computed with numpy, separates the classes (malignant lesions enhance).
    manifest, labels = make_imaging_cohort(
        tmp_path, n_cases=30, modalities=("DCE",), second_reader_fraction=0, class_separation=3.0
    )
    means = pd.Series(
        [_array(row.image)[_array(row.mask) == 1].mean() for row in manifest.itertuples()],
        index=manifest["case_id"],
    )
    assert roc_auc_score(labels, means.loc[labels.index]) > 0.85
    test = stats.mannwhitneyu(means[labels.index[labels == 1]], means[labels.index[labels == 0]])
    assert test.pvalue < 0.01


def test_no_separation_means_no_planted_signal(tmp_path):
    manifest, labels = make_imaging_cohort(
        tmp_path, n_cases=30, modalities=("DCE",), second_reader_fraction=0, class_separation=0.0
    )
    means = [_array(row.image)[_array(row.mask) == 1].mean() for row in manifest.itertuples()]
    assert 0.25 < roc_auc_score(labels, means) < 0.75


def test_params_pick_shape_class_by_dimension():
    params = imaging_cohort_params(("US", "DCE"))
    assert "shape2D" in params["US"]["featureClass"]
    assert "shape" not in params["US"]["featureClass"]
    assert "shape" in params["DCE"]["featureClass"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"modalities": ("CT",)}, "unknown modality"),
        ({"n_cases": 1}, "n_cases must be an integer >= 2"),
        ({"second_reader_fraction": 1.5}, "second_reader_fraction"),
        ({"positive_fraction": 1.0}, "positive_fraction"),
    ],
)
def test_argument_errors(tmp_path, kwargs, message):
    arguments = {"n_cases": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        make_imaging_cohort(tmp_path, **arguments)
