"""Rows are paired by case: pandas inputs whose indexes disagree are refused, never silently mispaired.

Policy (README, "Input checks"): radfuse pairs rows by position, as scikit-learn
does; when the inputs carry case ids (pandas indexes) they must list the same
cases in the same order. The same cases in another order are refused with the
fix (``y.loc[X.index]``); different cases are refused naming a few ids.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from radfuse._validation import check_same_cases
from radfuse.blocks import load_embeddings
from radfuse.datasets.wdbc import load_wdbc_blocks
from radfuse.fusion import StackingFusion, WeightedEnsemble
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.select import CorrelationPruner
from radfuse.select import LassoSelector
from radfuse.select import MRMRSelector
from radfuse.select import UnivariateFilter
from radfuse.stats import cohen_kappa
from radfuse.stats import calibration
from radfuse.stats import biopsy_impact, decision_curve
from radfuse.stats import diagnostic_metrics, mcnemar_test, youden_threshold
from radfuse.stats import idi, nri
from radfuse.stats import auc_ci, delong_test, delong_test_unpaired

REORDERED = r"holds the same \d+ cases as .* in another order .*\.loc\["
DIFFERENT = r"hold different cases: 3 id\(s\) only in .*\['p0', 'p1', 'p2'\]; 3 only in .*\['x0', 'x1', 'x2'\]"


@pytest.fixture(scope="module")
def data():
    X, y = load_wdbc_blocks(return_X_y=True)
    ids = pd.Index([f"p{i}" for i in range(len(X))], name="case_id")
    X = X.set_axis(ids).iloc[:120]
    y = y.set_axis(ids).iloc[:120]
    return X, y


def shuffled(y):
    return y.sample(frac=1, random_state=0)


def other_cases(obj):
    return obj.rename(index={f"p{i}": f"x{i}" for i in range(3)})


def _blocks():
    return {name: LogisticRegression(max_iter=5000) for name in ("mean", "se", "worst")}


ESTIMATORS = {
    "UnivariateFilter": lambda: UnivariateFilter(),
    "CorrelationPruner": lambda: CorrelationPruner(),
    "MRMRSelector": lambda: MRMRSelector(n_features=3),
    "LassoSelector": lambda: LassoSelector(cv=3),
    "WeightedEnsemble": lambda: WeightedEnsemble(_blocks(), cv=3),
    "StackingFusion": lambda: StackingFusion(_blocks(), cv=3),
    "pipeline (SMOTE first)": lambda: make_radiomics_pipeline(lasso=False, mrmr={"n_features": 3}),
    "pipeline (no SMOTE)": lambda: make_radiomics_pipeline(smote=False, lasso=False, mrmr={"n_features": 3}),
}
STEP = {"pipeline (SMOTE first)": "SMOTE", "pipeline (no SMOTE)": "UnivariateFilter"}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_refuse_y_in_another_order(data, name):
    X, y = data
    step = STEP.get(name, name)
    with pytest.raises(ValueError, match=rf"{step}: y {REORDERED}X\.index\]"):
        ESTIMATORS[name]().fit(X, shuffled(y))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_refuse_y_of_other_cases(data, name):
    X, y = data
    with pytest.raises(ValueError, match=rf"{STEP.get(name, name)}: X and y {DIFFERENT}"):
        ESTIMATORS[name]().fit(X, other_cases(y))


@pytest.mark.parametrize("name", ["UnivariateFilter", "WeightedEnsemble"])
def test_matching_or_unindexed_y_is_accepted(data, name):
    X, y = data
    by_index = ESTIMATORS[name]().fit(X, y)
    by_position = ESTIMATORS[name]().fit(X, y.to_numpy())
    assert np.array_equal(by_index.predict_proba(X) if hasattr(by_index, "predict_proba")
                          else by_index.get_support(),
                          by_position.predict_proba(X) if hasattr(by_position, "predict_proba")
                          else by_position.get_support())


def _scores(data):
    X, y = data
    score = X["mean__radius"].rename("score")
    other = X["worst__texture"].rename("other")
    return y, score, other


STATS = {
    "auc_ci": lambda y, s, o: auc_ci(y, s),
    "delong_test": lambda y, s, o: delong_test(y, s, o),
    "delong_test_unpaired": lambda y, s, o: delong_test_unpaired(y, s, y.iloc[:60], s.iloc[:60]),
    "diagnostic_metrics": lambda y, s, o: diagnostic_metrics(y, s, threshold=15.0),
    "youden_threshold": lambda y, s, o: youden_threshold(y, s),
    "mcnemar_test": lambda y, s, o: mcnemar_test(y, (s > 15).astype(int), (o > 25).astype(int)),
    "calibration": lambda y, s, o: calibration(y, s / s.max()),
    "decision_curve": lambda y, s, o: decision_curve(y, {"model": s / s.max()}),
    "biopsy_impact": lambda y, s, o: biopsy_impact(y, s, threshold=15.0),
    "nri": lambda y, s, o: nri(y, s / s.max(), o / o.max()),
    "idi": lambda y, s, o: idi(y, s / s.max(), o / o.max()),
    "cohen_kappa": lambda y, s, o: cohen_kappa(y, (s > 15).astype(int)),
}


@pytest.mark.parametrize("name", STATS)
def test_statistics_refuse_scores_in_another_order(data, name):
    y, score, other = _scores(data)
    with pytest.raises(ValueError, match=rf"{name}: \S+ {REORDERED}"):
        STATS[name](y, shuffled(score), other)
    with pytest.raises(ValueError, match=rf"{name}: .* hold different cases: 3 id\(s\) only in"):
        STATS[name](y, other_cases(score), other)


def test_statistics_give_the_same_result_for_matching_series_and_arrays(data):
    y, score, _ = _scores(data)
    assert auc_ci(y, score).estimate == auc_ci(y.to_numpy(), score.to_numpy()).estimate


def test_before_the_check_a_shuffled_y_changed_the_auc(data):
    """What the check prevents: pairing by position with a shuffled y."""
    y, score, _ = _scores(data)
    right = auc_ci(y, score).estimate
    wrong = auc_ci(shuffled(y).to_numpy(), score.to_numpy()).estimate
    assert right > 0.8 and abs(right - wrong) > 0.2


def test_duplicated_ids_cannot_be_matched():
    X = pd.DataFrame({"f": [1.0, 2.0, 3.0]}, index=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"fit: X and y have different indexes and duplicated case id\(s\) \['a'\]"):
        check_same_cases("fit", X=X, y=pd.Series([0, 1, 1], index=["a", "b", "c"]))


def test_embedding_batches_are_matched_by_column_name(tmp_path):
    first = pd.DataFrame({"case_id": ["a", "b"], "d0": [1.0, 2.0], "d1": [10.0, 20.0]})
    second = pd.DataFrame({"case_id": ["c"], "d1": [30.0], "d0": [3.0]})  # columns swapped
    first.to_csv(tmp_path / "b1.csv", index=False)
    second.to_csv(tmp_path / "b2.csv", index=False)
    table = load_embeddings([tmp_path / "b1.csv", tmp_path / "b2.csv"], "cnn")
    assert table.loc["c"].tolist() == [3.0, 30.0]
    second.rename(columns={"d1": "d2"}).to_csv(tmp_path / "b3.csv", index=False)
    with pytest.raises(ValueError, match=r"load_embeddings: .*b3\.csv and .*b1\.csv name different dimensions: 1 missing \['d1'\], 1 extra \['d2'\]"):
        load_embeddings([tmp_path / "b1.csv", tmp_path / "b3.csv"], "cnn")
