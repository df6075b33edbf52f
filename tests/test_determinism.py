"""Bit-identical results across runs, n_jobs and joblib backends (loky vs dask.distributed).

Every comparison is exact (``check_exact=True`` / ``assert_array_equal``): the
same seed must give the same arithmetic wherever a fold runs. Extraction is
covered by ``tests/test_extract.py`` (loky and a two-process dask cluster) and
is not repeated here.
"""

import sys

import cloudpickle
import joblib
import numpy as np
import pandas as pd
import pytest
from reference_versions import DASK_LOGISTIC_ATOL
from sklearn.datasets import make_classification
from sklearn.model_selection import RepeatedStratifiedKFold

from radfuse.fusion import StackingFusion
from radfuse.models import make_classifier
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.select import LassoSelector
from radfuse.study import Study

distributed = pytest.importorskip("distributed")

# Small folds leave fewer relevant features than mRMR asks for; it says so and keeps them all.
pytestmark = pytest.mark.filterwarnings("ignore:MRMRSelector:UserWarning")

# Dask worker processes cannot import this test module by name; ship its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def dask_client():
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def run_three_ways(compute, dask_client):
    """``compute(n_jobs)`` twice sequentially, with two loky workers and on the dask cluster."""
    first = compute(1)
    again = compute(1)
    loky = compute(2)
    with joblib.parallel_config(backend="dask"):
        on_dask = compute(2)
    return first, [("repeat run", again), ("n_jobs=2", loky), ("dask", on_dask)]


@pytest.fixture(scope="module")
def cohort():
    X, y = make_classification(
        n_samples=90, n_features=16, n_informative=4, weights=[0.65], random_state=3
    )
    ids = pd.Index([f"p{i:02d}" for i in range(len(y))], name="case_id")
    columns = [f"{'US' if j < 8 else 'MG'}__f{j}" for j in range(X.shape[1])]
    return pd.DataFrame(X, index=ids, columns=columns), pd.Series(y, index=ids, name="y")


def tiny_pipeline(classifier, random_state):
    # A small LightGBM keeps the test fast; it stays seeded and stochastic (bagging of rows).
    settings = {"n_estimators": 25, "subsample": 0.8, "subsample_freq": 1} if classifier == "lightgbm" else {}
    return make_radiomics_pipeline(
        make_classifier(classifier, random_state=random_state, **settings),
        mrmr={"n_features": 5}, lasso={"cv": 3, "n_alphas": 20}, random_state=random_state,
    )


def test_study_tables_are_bit_identical(cohort, dask_client):
    X, y = cohort

    def compute(n_jobs):
        result = Study(
            X, y, {"US": ["US"], "both": ["US", "MG"]}, pipeline=tiny_pipeline,
            classifiers=["lr", "lightgbm"], cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=5),
            random_state=11, n_jobs=n_jobs, progress=False,
        ).run()
        return result

    reference, others = run_three_ways(compute, dask_client)
    # feature sets x classifiers x repeats x training cases
    assert reference.predictions["split"].eq("cv").sum() == 2 * 2 * 2 * 63
    for label, other in others:
        # Exact, except logistic fits on a dask worker under scikit-learn < 1.8 (see DASK_LOGISTIC_ATOL).
        close = (
            {"check_exact": False, "rtol": 0, "atol": DASK_LOGISTIC_ATOL}
            if label == "dask" and DASK_LOGISTIC_ATOL
            else {"check_exact": True}
        )
        pd.testing.assert_frame_equal(other.predictions, reference.predictions, obj=label, **close)
        for split in ("cv", "train", "test"):
            pd.testing.assert_frame_equal(other.metrics(split), reference.metrics(split), **close)
        pd.testing.assert_series_equal(other.thresholds, reference.thresholds, **close)
        pd.testing.assert_frame_equal(other.feature_counts(), reference.feature_counts(), check_exact=True)
        pd.testing.assert_frame_equal(other.selected_features(), reference.selected_features(), check_exact=True)
    assert others[-1][1].settings["joblib_backend"] == "DaskDistributedBackend"


def test_stacking_fusion_probabilities_are_bit_identical(cohort, dask_client):
    X, y = cohort
    blocks = {"US": tiny_pipeline("lr", 2), "MG": tiny_pipeline("lightgbm", 2)}

    def compute(n_jobs):
        fusion = StackingFusion(blocks, make_classifier("lr"), cv=4, n_jobs=n_jobs).fit(X, y)
        return fusion.predict_proba(X), fusion.final_estimator_.coef_

    (probabilities, coef), others = run_three_ways(compute, dask_client)
    assert probabilities.shape == (len(y), 2)
    for label, (other_probabilities, other_coef) in others:
        # Exact, except the meta-learner's fit on a dask worker under scikit-learn < 1.8 (see DASK_LOGISTIC_ATOL).
        atol = DASK_LOGISTIC_ATOL if label == "dask" else 0.0
        np.testing.assert_allclose(other_probabilities, probabilities, rtol=0, atol=atol, err_msg=label)
        np.testing.assert_allclose(other_coef, coef, rtol=0, atol=atol, err_msg=label)


def test_lasso_selector_path_is_bit_identical(cohort, dask_client):
    X, y = cohort

    def compute(n_jobs):
        cv = RepeatedStratifiedKFold(n_splits=4, n_repeats=3, random_state=0)
        return LassoSelector(cv=cv, model="logistic", n_alphas=25, n_jobs=n_jobs).fit(X, y)

    reference, others = run_three_ways(compute, dask_client)
    assert reference.cv_errors_.shape == (25, 12)
    for label, other in others:
        np.testing.assert_array_equal(other.cv_errors_, reference.cv_errors_, err_msg=label)
        np.testing.assert_array_equal(other.coef_, reference.coef_, err_msg=label)
        assert other.alpha_ == reference.alpha_
