"""Centre (scanner) effects of the synthetic cohorts.

The table's centre effects must follow the ComBat model exactly: per centre,
each feature is a positive affine map of the same table without centres
(checked by least squares, numpy). The imaging cohort's scanners map
intensities affinely per centre and modality (checked on the written images,
up to the integer rounding of the pixels). Centre effects must be visible to
scipy's Kruskal-Wallis test.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kruskal

from radfuse.datasets import make_imaging_cohort, make_multimodal_table

sitk = pytest.importorskip("SimpleITK")


def test_table_centre_effects_are_affine_per_centre_and_feature():
    plain = make_multimodal_table(n_cases=120, blocks={"US": 30}, n_embedding=6, random_state=3)
    multi = make_multimodal_table(n_cases=120, blocks={"US": 30}, n_embedding=6, random_state=3,
                                  centres={"A": 0.5, "B": 0.3, "C": 0.2}, centre_shift=0.8)
    pd.testing.assert_series_equal(multi.target, plain.target)
    assert multi.centre.value_counts().to_dict() == {"A": 60, "B": 36, "C": 24}
    assert plain.centre is None
    slopes = {}
    for centre in "ABC":
        rows = (multi.centre == centre).to_numpy()
        x, x_centre = plain.data.to_numpy()[rows], multi.data.to_numpy()[rows]
        for j in range(x.shape[1]):
            if np.ptp(x[:, j]) == 0:  # a ReLU embedding feature that is 0 at every case here
                continue
            design = np.column_stack([np.ones(rows.sum()), x[:, j]])
            coef, *_ = np.linalg.lstsq(design, x_centre[:, j], rcond=None)
            np.testing.assert_allclose(design @ coef, x_centre[:, j], rtol=1e-9,
                                       atol=1e-9 * np.abs(x_centre[:, j]).max())
            assert coef[1] > 0
            slopes[centre, j] = coef[1]
    shared = [j for j in range(36) if ("A", j) in slopes and ("B", j) in slopes]
    assert not np.allclose([slopes["A", j] for j in shared], [slopes["B", j] for j in shared])
    p_values = [kruskal(*[multi.data.loc[multi.centre == c, column] for c in "ABC"]).pvalue
                for column in multi.data.columns]
    assert np.mean(np.asarray(p_values) < 0.05) > 0.5


def test_table_centre_arguments_are_checked():
    with pytest.raises(ValueError, match="centre shares must be positive and sum to 1"):
        make_multimodal_table(n_cases=20, blocks={"US": 5}, centres={"A": 0.5, "B": 0.2})
    with pytest.raises(ValueError, match="centre_scale must be a number >= 0"):
        make_multimodal_table(n_cases=20, blocks={"US": 5}, centres=2, centre_scale=-1)
    assert make_multimodal_table(n_cases=21, blocks={"US": 5}, centres=2).centre.value_counts().to_dict() == {
        "C1": 11, "C2": 10}


def test_imaging_scanners_map_intensities_affinely(tmp_path):
    plain, _ = make_imaging_cohort(tmp_path / "plain", n_cases=6, modalities=("US", "T2"),
                                   second_reader_fraction=0, random_state=2)
    multi, labels = make_imaging_cohort(tmp_path / "multi", n_cases=6, modalities=("US", "T2"),
                                        second_reader_fraction=0, random_state=2,
                                        centres={"A": 0.5, "B": 0.5}, centre_shift=3.0,
                                        centre_scale=0.2)
    assert "centre" not in plain.columns
    assert multi.groupby("centre")["case_id"].nunique().to_dict() == {"A": 3, "B": 3}
    for modality in ("US", "T2"):
        maps = {}
        for (_, before), (_, after) in zip(plain[plain.block == modality].iterrows(),
                                           multi[multi.block == modality].iterrows()):
            x = sitk.GetArrayFromImage(sitk.ReadImage(before["image"])).ravel().astype(float)
            y = sitk.GetArrayFromImage(sitk.ReadImage(after["image"])).ravel().astype(float)
            inside = (y > 0) & (y < np.iinfo(np.int16).max)
            slope, intercept = np.polyfit(x[inside], y[inside], 1)
            residual = y[inside] - (slope * x[inside] + intercept)
            assert np.abs(residual).max() <= 1.5  # two roundings to integer pixels
            maps.setdefault(after["centre"], []).append((slope, intercept))
        for centre, fitted in maps.items():
            slopes = np.array(fitted)[:, 0]
            assert np.ptp(slopes) < 1e-3, (modality, centre)
        assert abs(np.mean(maps["A"], axis=0)[0] - np.mean(maps["B"], axis=0)[0]) > 1e-3
