"""Tests of the WDBC block loader and the synthetic multimodal cohort.

References: scikit-learn's ``load_breast_cancer`` and the UCI description of
WDBC (569 cases, 212 malignant, 357 benign); for the generator, the
population AUC Phi(delta / sqrt(2)) of a feature shifted by delta standard
deviations (scipy), scikit-learn's ``roc_auc_score`` and scipy's Spearman
correlation and skewness.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm, skew, spearmanr
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score

from radfuse.blocks import list_blocks, select_block
from radfuse.datasets.multimodal import RADIOMIC_FEATURE_NAMES, make_multimodal_table
from radfuse.datasets.wdbc import load_wdbc_blocks

# --------------------------------------------------------------------------
# WDBC
# --------------------------------------------------------------------------


def test_wdbc_blocks_match_sklearn_with_malignant_positive():
    data = load_wdbc_blocks()
    source = load_breast_cancer(as_frame=True)
    assert data.data.shape == (569, 30)
    assert list_blocks(data.data) == ["mean", "se", "worst"]
    renames = {"mean radius": "mean__radius", "radius error": "se__radius", "worst concave points": "worst__concave_points",
               "fractal dimension error": "se__fractal_dimension", "mean fractal dimension": "mean__fractal_dimension"}
    for sklearn_name, ours in renames.items():
        np.testing.assert_array_equal(data.data[ours].to_numpy(), source.data[sklearn_name].to_numpy())
    np.testing.assert_array_equal(data.data.to_numpy(), source.data.to_numpy())
    # scikit-learn: 0 = malignant; radfuse: 1 = malignant (212 of 569 per UCI).
    np.testing.assert_array_equal(data.target.to_numpy(), 1 - source.target.to_numpy())
    assert int(data.target.sum()) == 212
    assert data.target_names[data.target.iloc[0]] == "malignant"
    assert source.target_names[source.target.iloc[0]] == "malignant"
    assert data.data.index[[0, -1]].tolist() == ["case_0001", "case_0569"]
    assert data.blocks["worst"] == [c for c in data.data.columns if c.startswith("worst__")]
    assert len(data.blocks["se"]) == 10
    assert data.frame.columns[-1] == "malignant"
    assert "1 = malignant" in data.DESCR


def test_wdbc_return_forms():
    X, y = load_wdbc_blocks(return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series) and y.name == "malignant"
    array_data = load_wdbc_blocks(as_frame=False)
    assert isinstance(array_data.data, np.ndarray) and array_data.frame is None
    np.testing.assert_array_equal(array_data.data, X.to_numpy())
    np.testing.assert_array_equal(array_data.target, y.to_numpy())
    assert array_data.feature_names.tolist() == X.columns.tolist()


# --------------------------------------------------------------------------
# make_multimodal_table
# --------------------------------------------------------------------------


def test_table_layout_and_determinism():
    cohort = make_multimodal_table(n_cases=270, blocks={"US": 1000, "MG": 1000, "MRI": 1000}, n_embedding=64)
    X = cohort.data
    assert X.shape == (270, 3064)
    assert list_blocks(X) == ["US", "MG", "MRI", "cnn"]
    assert X.index[[0, -1]].tolist() == ["case_0001", "case_0270"]
    assert X.columns[0] == "US__original_firstorder_10Percentile"
    assert X.columns[1000 + 93] == "MG__wavelet-LLH_firstorder_10Percentile"
    assert X.columns[-1] == "cnn__f0063"
    assert X.columns.is_unique and np.isfinite(X.to_numpy()).all()
    assert cohort.target.index.equals(X.index)
    again = make_multimodal_table(n_cases=270, blocks={"US": 1000, "MG": 1000, "MRI": 1000}, n_embedding=64)
    pd.testing.assert_frame_equal(again.data, X)
    other_seed = make_multimodal_table(n_cases=270, blocks={"US": 1000, "MG": 1000, "MRI": 1000}, random_state=1)
    assert not np.allclose(other_seed.data.to_numpy(), X.to_numpy())


def test_class_balance_follows_weights():
    for n_cases, weights, positives in [(322, (112 / 322, 210 / 322), 210), (101, None, 50), (10, (0.7, 0.3), 3)]:
        y = make_multimodal_table(n_cases=n_cases, blocks={"US": 5}, n_embedding=0, weights=weights).target
        assert int(y.sum()) == positives and len(y) == n_cases


@pytest.fixture(scope="module")
def large_cohort():
    return make_multimodal_table(
        n_cases=4000,
        blocks={"US": 60, "MRI": 60},
        n_embedding=16,
        n_informative=4,
        class_sep={"US": 0.5, "MRI": 1.2, "cnn": 1.5},
        random_state=3,
    )


def test_informative_features_reach_the_population_auc(large_cohort):
    """AUC of a delta-SD shift is Phi(delta / sqrt(2)); SE at n=4000 is ~0.009, tolerance 0.03."""
    y = large_cohort.target
    for block, delta in [("US", 0.5), ("MRI", 1.2)]:
        table = select_block(large_cohort.data, block)
        aucs = pd.Series([roc_auc_score(y, table[c]) for c in table.columns], index=table.columns)
        informative = large_cohort.informative[block]
        assert len(informative) == 4
        np.testing.assert_allclose(aucs[informative], norm.cdf(delta / np.sqrt(2)), atol=0.03)
        noise = aucs.drop(informative)
        assert np.abs(noise - 0.5).max() < 0.045  # 56 features, SE ~0.009


def test_radiomic_marginals_are_grouped_skewed_and_multiscale(large_cohort):
    table = select_block(large_cohort.data, "US").to_numpy()
    rho = spearmanr(table).statistic
    pairs = np.abs(rho[np.triu_indices_from(rho, k=1)])
    # Groups of ~10 features sharing a factor: about 1 pair in 7 correlated
    # (rho = lambda_j * lambda_k >= 0.16), the rest independent (|rho| < 0.06 at n=4000).
    assert 0.05 < np.mean(pairs > 0.12) < 0.3
    assert np.mean((pairs > 0.06) & (pairs < 0.12)) < 0.02
    skewness = skew(table, axis=0)
    assert np.sum(skewness > 1) >= 10 and np.sum(np.abs(skewness) < 0.2) >= 10
    scales = np.log10(table.std(axis=0))
    assert scales.max() - scales.min() > 4


def test_embedding_block_is_relu_like_with_signal(large_cohort):
    embedding = select_block(large_cohort.data, "cnn").to_numpy()
    assert embedding.min() == 0.0
    assert 0.2 < np.mean(embedding == 0) < 0.8
    best_auc = max(abs(roc_auc_score(large_cohort.target, column) - 0.5) for column in embedding.T)
    assert best_auc > 0.15


def test_no_signal_without_class_separation():
    cohort = make_multimodal_table(n_cases=2000, blocks={"US": 40}, n_embedding=8, class_sep=0.0)
    aucs = [roc_auc_score(cohort.target, cohort.data[c]) for c in cohort.data.columns]
    assert np.abs(np.array(aucs) - 0.5).max() < 0.05  # 48 features, SE ~0.013


def test_generator_errors():
    with pytest.raises(ValueError, match=f"between 1 and {len(RADIOMIC_FEATURE_NAMES)}"):
        make_multimodal_table(blocks={"US": 5000})
    with pytest.raises(ValueError, match="n_informative=5 exceeds the 3 features of block 'US'"):
        make_multimodal_table(blocks={"US": 3})
    with pytest.raises(ValueError, match=r"missing \['cnn'\]"):
        make_multimodal_table(blocks={"US": 10}, class_sep={"US": 1.0})
    with pytest.raises(ValueError, match="two positive class proportions"):
        make_multimodal_table(weights=(0.5, 0.6))
    with pytest.raises(ValueError, match="fewer than two cases"):
        make_multimodal_table(n_cases=10, weights=(0.95, 0.05))
    with pytest.raises(ValueError, match="contains '__'"):
        make_multimodal_table(blocks={"MG__CC": 10})
    with pytest.raises(ValueError, match="also a radiomic block"):
        make_multimodal_table(blocks={"cnn": 10})
