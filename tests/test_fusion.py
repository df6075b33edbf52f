"""Tests of radfuse.fusion against scikit-learn references.

References: scikit-learn's ``cross_val_score``/``cross_val_predict`` (block
scores, out-of-fold predictions), ``scipy.special.softmax`` (weights),
scikit-learn's ``StackingClassifier`` on column-selecting pipelines (stacking),
and ``parametrize_with_checks`` (estimator API).
"""

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from scipy.special import softmax
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import StackingClassifier
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
    train_test_split,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from radfuse.datasets.wdbc import load_wdbc_blocks
from radfuse.fusion import StackingFusion, WeightedEnsemble

BLOCKS = ("mean", "se", "worst")


def scaled_logistic(C=1.0):
    return make_pipeline(StandardScaler(), LogisticRegression(C=C))


@pytest.fixture(scope="module")
def wdbc():
    """A stratified 200-case subsample keeps the tests fast."""
    X, y = load_wdbc_blocks(return_X_y=True)
    X, _, y, _ = train_test_split(X, y, train_size=200, stratify=y, random_state=0)
    return X, y


def block_frame(X, block):
    return X.loc[:, [c for c in X.columns if c.startswith(block + "__")]]


def column_picker(columns):
    """A scikit-learn-only way to give a base model one block: the reference."""
    return ColumnTransformer([("block", "passthrough", list(columns))])


# --------------------------------------------------------------------------
# scikit-learn estimator API
# --------------------------------------------------------------------------

def _small_fusions():
    small = {"a": LogisticRegression(), "b": DecisionTreeClassifier(max_depth=3, random_state=0)}
    positions = {"a": [0], "b": [1]}
    return [
        WeightedEnsemble(small, block_columns=positions, cv=3),
        StackingFusion(small, block_columns=positions, cv=3),
    ]


def _expected_failed_checks(estimator):
    if isinstance(estimator, StackingFusion):
        reason = (
            "by design fit_transform returns the out-of-fold meta-features the "
            "meta-learner is trained on, which differ from transform() of the base "
            "models refitted on all data (cross-fitting, as in TargetEncoder)"
        )
        return {
            "check_transformer_general": reason,
            "check_transformer_data_not_an_array": reason,
        }
    return {}


@parametrize_with_checks(_small_fusions(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_transform_is_out_of_fold_and_transform_is_refitted(wdbc):
    """The two documented behaviours behind the expected check failures."""
    X, y = wdbc
    stack = StackingFusion({b: scaled_logistic() for b in BLOCKS})
    out_of_fold = stack.fit_transform(X, y)
    folds = StratifiedKFold(5)
    for j, block in enumerate(BLOCKS):
        reference = cross_val_predict(
            scaled_logistic(), block_frame(X, block), y, cv=folds, method="predict_proba"
        )[:, 1]
        np.testing.assert_allclose(out_of_fold[:, j], reference, rtol=0, atol=1e-12)
        refitted = scaled_logistic().fit(block_frame(X, block), y).predict_proba(block_frame(X, block))[:, 1]
        np.testing.assert_allclose(stack.transform(X)[:, j], refitted, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------
# WeightedEnsemble
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "weighting, scoring, temperature",
    [("softmax_accuracy", "accuracy", 1.0), ("softmax_accuracy", "accuracy", 0.05), ("softmax_auc", "roc_auc", 1.0)],
)
def test_weights_are_softmax_of_sklearn_cv_scores(wdbc, weighting, scoring, temperature):
    X, y = wdbc
    ensemble = WeightedEnsemble(
        {b: scaled_logistic() for b in BLOCKS}, weighting=weighting, temperature=temperature
    ).fit(X, y)
    scores = np.array(
        [
            cross_val_score(scaled_logistic(), block_frame(X, b), y, cv=StratifiedKFold(5), scoring=scoring).mean()
            for b in BLOCKS
        ]
    )
    np.testing.assert_allclose(ensemble.block_scores_.to_numpy(), scores, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ensemble.weights_.to_numpy(), softmax(scores / temperature), rtol=1e-12)
    assert ensemble.weights_.index.tolist() == list(BLOCKS)


def test_ensemble_probability_is_weighted_average_of_refitted_blocks(wdbc):
    X, y = wdbc
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=1)
    ensemble = WeightedEnsemble({b: scaled_logistic() for b in BLOCKS}).fit(X_train, y_train)
    per_block = np.column_stack(
        [
            scaled_logistic().fit(block_frame(X_train, b), y_train).predict_proba(block_frame(X_test, b))[:, 1]
            for b in BLOCKS
        ]
    )
    expected = per_block @ ensemble.weights_.to_numpy()
    np.testing.assert_allclose(ensemble.predict_proba(X_test)[:, 1], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ensemble.predict_proba_blocks(X_test).to_numpy(), per_block, atol=1e-12)
    np.testing.assert_array_equal(ensemble.predict(X_test), (expected > 0.5).astype(int))


def test_equal_weighting_skips_cross_validation(wdbc):
    X, y = wdbc
    ensemble = WeightedEnsemble({b: scaled_logistic() for b in BLOCKS}, weighting="equal").fit(X, y)
    assert ensemble.block_scores_ is None
    np.testing.assert_allclose(ensemble.weights_.to_numpy(), [1 / 3] * 3)
    # A low temperature concentrates the weight on the block with the best score.
    sharp = WeightedEnsemble({b: scaled_logistic() for b in BLOCKS}, temperature=1e-3).fit(X, y)
    assert sharp.weights_.idxmax() == sharp.block_scores_.idxmax()
    assert sharp.weights_.max() > 0.99


# --------------------------------------------------------------------------
# StackingFusion
# --------------------------------------------------------------------------

@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_matches_sklearn_stacking_classifier(wdbc, passthrough):
    X, y = wdbc
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=2)
    meta_learner = make_pipeline(StandardScaler(), LogisticRegression())
    ours = StackingFusion(
        {b: scaled_logistic() for b in BLOCKS}, meta_learner, passthrough=passthrough
    ).fit(X_train, y_train)
    reference = StackingClassifier(
        [(b, make_pipeline(column_picker(block_frame(X, b).columns), scaled_logistic())) for b in BLOCKS],
        final_estimator=meta_learner,
        cv=StratifiedKFold(5),
        stack_method="predict_proba",
        passthrough=passthrough,
    ).fit(X_train, y_train)
    np.testing.assert_allclose(ours.predict_proba(X_test), reference.predict_proba(X_test), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.transform(X_test), reference.transform(X_test), rtol=0, atol=1e-10)
    expected_names = list(BLOCKS) + (X.columns.tolist() if passthrough else [])
    assert ours.get_feature_names_out().tolist() == expected_names


def test_decision_function_stacking_matches_sklearn(wdbc):
    X, y = wdbc
    base = {b: make_pipeline(StandardScaler(), LinearSVC(C=0.1)) for b in BLOCKS}
    ours = StackingFusion(base, stack_method="decision_function").fit(X, y)
    reference = StackingClassifier(
        [(b, make_pipeline(column_picker(block_frame(X, b).columns), clone(base[b]))) for b in BLOCKS],
        cv=StratifiedKFold(5),
        stack_method="decision_function",
    ).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), rtol=0, atol=1e-8)


def test_block_columns_by_name_position_and_prefix_agree(wdbc):
    X, y = wdbc
    blocks = {b: scaled_logistic() for b in BLOCKS}
    by_prefix = StackingFusion(blocks).fit(X, y).predict_proba(X)
    names = {b: block_frame(X, b).columns.tolist() for b in BLOCKS}
    positions = {b: [X.columns.get_loc(c) for c in names[b]] for b in BLOCKS}
    by_name = StackingFusion(blocks, block_columns=names).fit(X, y).predict_proba(X)
    by_position = StackingFusion(blocks, block_columns=positions).fit(X.to_numpy(), y.to_numpy())
    np.testing.assert_allclose(by_name, by_prefix, atol=1e-12)
    np.testing.assert_allclose(by_position.predict_proba(X.to_numpy()), by_prefix, atol=1e-12)
    assert by_position.predict_proba_blocks(X.to_numpy()).columns.tolist() == list(BLOCKS)


def test_unused_columns_are_reported(wdbc):
    X, y = wdbc
    stack = StackingFusion({"mean": scaled_logistic(), "worst": scaled_logistic()}).fit(X, y)
    assert stack.unused_features_.tolist() == block_frame(X, "se").columns.tolist()


def test_imblearn_pipeline_with_smote_as_base_estimator(wdbc):
    X, y = wdbc
    base = make_imblearn_pipeline(
        StandardScaler(), SMOTE(random_state=0), SelectKBest(f_classif, k=4), LogisticRegression()
    )
    stack = StackingFusion({b: base for b in BLOCKS})
    out_of_fold = stack.fit_transform(X, y)
    reference = cross_val_predict(
        clone(base), block_frame(X, "se"), y, cv=StratifiedKFold(5), method="predict_proba"
    )[:, 1]
    np.testing.assert_allclose(out_of_fold[:, 1], reference, atol=1e-12)
    assert roc_auc_score(y, stack.predict_proba(X)[:, 1]) > 0.95


def test_string_labels_positive_class_is_the_larger_label(wdbc):
    X, y = wdbc
    labels = np.where(y.to_numpy() == 1, "malignant", "benign")
    stack = StackingFusion({b: scaled_logistic() for b in BLOCKS}).fit(X, labels)
    numeric = StackingFusion({b: scaled_logistic() for b in BLOCKS}).fit(X, y)
    assert stack.classes_.tolist() == ["benign", "malignant"]
    np.testing.assert_allclose(stack.predict_proba(X), numeric.predict_proba(X), atol=1e-12)
    assert set(stack.predict(X)) <= {"benign", "malignant"}


def test_predict_proba_blocks_keeps_case_index(wdbc):
    X, y = wdbc
    stack = StackingFusion({b: scaled_logistic() for b in BLOCKS}).fit(X, y)
    per_block = stack.predict_proba_blocks(X.iloc[:5])
    assert per_block.index.equals(X.index[:5])
    expected = scaled_logistic().fit(block_frame(X, "worst"), y).predict_proba(block_frame(X, "worst").iloc[:5])[:, 1]
    np.testing.assert_allclose(per_block["worst"], expected, atol=1e-12)


def test_parallel_fit_gives_identical_results(wdbc):
    X, y = wdbc
    blocks = {b: scaled_logistic() for b in BLOCKS}
    serial = StackingFusion(blocks).fit(X, y).predict_proba(X)
    # Threads exercise the joblib code path without the cost of starting processes.
    with parallel_config(backend="threading"):
        parallel = StackingFusion(blocks, n_jobs=2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(serial, parallel)


# --------------------------------------------------------------------------
# Parameters: clone, nested get/set_params, GridSearchCV
# --------------------------------------------------------------------------

@pytest.mark.parametrize("fusion_class", [WeightedEnsemble, StackingFusion])
def test_nested_params_and_clone(fusion_class):
    fusion = fusion_class({"US": scaled_logistic(), "MG": scaled_logistic()})
    params = fusion.get_params(deep=True)
    assert params["blocks__US__logisticregression__C"] == 1.0
    assert params["blocks__MG"] is fusion.blocks["MG"]

    twin = clone(fusion).set_params(blocks__US__logisticregression__C=0.01)
    assert twin.get_params()["blocks__US__logisticregression__C"] == 0.01
    assert fusion.get_params()["blocks__US__logisticregression__C"] == 1.0
    assert twin.blocks["MG"].get_params()["logisticregression__C"] == 1.0

    replacement = LogisticRegression(C=5.0)
    twin.set_params(blocks__MG=replacement)
    assert twin.blocks["MG"] is replacement and "MG" in fusion.blocks
    with pytest.raises(ValueError, match="no block named 'MRI'"):
        twin.set_params(blocks__MRI__C=1.0)


def test_grid_search_tunes_block_and_meta_parameters(wdbc):
    X, y = wdbc
    blocks = {b: scaled_logistic() for b in BLOCKS}
    grid = {"blocks__se__logisticregression__C": [0.01, 1.0], "final_estimator__C": [0.1]}
    search = GridSearchCV(StackingFusion(blocks, LogisticRegression(), cv=3), grid, cv=StratifiedKFold(3), scoring="roc_auc").fit(X, y)
    for i, C in enumerate(search.cv_results_["param_blocks__se__logisticregression__C"]):
        manual = StackingFusion(
            {"mean": scaled_logistic(), "se": scaled_logistic(C=C), "worst": scaled_logistic()},
            final_estimator=LogisticRegression(C=0.1),
            cv=3,
        )
        expected = cross_val_score(manual, X, y, cv=StratifiedKFold(3), scoring="roc_auc").mean()
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(expected, abs=1e-12)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fusion", "param", "value"),
    [
        (WeightedEnsemble, "blocks", [("mean", "estimator")]),
        (WeightedEnsemble, "weighting", "softmax_f1"),
        (WeightedEnsemble, "temperature", 0),
        (WeightedEnsemble, "temperature", "1"),
        (WeightedEnsemble, "cv", 1),
        (WeightedEnsemble, "block_columns", [["mean__radius"]]),
        (WeightedEnsemble, "n_jobs", 1.5),
        (StackingFusion, "blocks", None),
        (StackingFusion, "final_estimator", "lr"),
        (StackingFusion, "cv", "5"),
        (StackingFusion, "stack_method", "predict"),
        (StackingFusion, "passthrough", 1),
        (StackingFusion, "block_columns", "mean"),
        (StackingFusion, "n_jobs", "2"),
    ],
)
def test_invalid_parameters_are_rejected_by_name(wdbc, fusion, param, value):
    params = {"blocks": {"mean": scaled_logistic()}, param: value}
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of {fusion.__name__}"):
        fusion(**params).fit(*wdbc)
    if fusion is StackingFusion:
        with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of StackingFusion"):
            fusion(**params).fit_transform(*wdbc)


def test_clear_errors(wdbc):
    X, y = wdbc
    base = scaled_logistic()
    with pytest.raises(ValueError, match="no column belongs to block 'US'"):
        StackingFusion({"US": base}).fit(X, y)
    with pytest.raises(ValueError, match="no column belongs to block 'mean'"):
        StackingFusion({"mean": base}).fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match=r"missing \['se'\]"):
        StackingFusion({"mean": base, "se": base}, block_columns={"mean": [0]}).fit(X, y)
    with pytest.raises(ValueError, match="contains '__'"):
        WeightedEnsemble({"US__T2": base}).fit(X, y)
    with pytest.raises(TypeError, match="block 'mean' maps to 'passthrough'; expected an estimator"):
        StackingFusion({"mean": "passthrough"}).fit(X, y)
    with pytest.raises(TypeError, match="non-empty dict"):
        WeightedEnsemble({}).fit(X, y)
    with pytest.raises(ValueError, match=r"block\(s\) \['mean'\] have no predict_proba"):
        StackingFusion({"mean": SVC()}).fit(X, y)
    with pytest.raises(ValueError, match="Only binary classification"):
        StackingFusion({"mean": base}).fit(X, np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match="not in X"):
        StackingFusion({"mean": base}, block_columns={"mean": ["mean__radius", "age"]}).fit(X, y)


# --------------------------------------------------------------------------
# Leakage: pure noise, three blocks, flexible base models
# --------------------------------------------------------------------------

def _noise_data(n_cases=160, n_per_block=8, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        rng.standard_normal((n_cases, 3 * n_per_block)),
        columns=[f"{b}__f{j}" for b in ("US", "MG", "MRI") for j in range(n_per_block)],
    )
    y = pd.Series(np.repeat([0, 1], n_cases // 2)[rng.permutation(n_cases)])
    return X, y


def _flexible_blocks():
    """Models that reproduce their training labels: in-sample predictions are perfect."""
    return {
        "US": DecisionTreeClassifier(random_state=0),
        "MG": KNeighborsClassifier(n_neighbors=1),
        "MRI": DecisionTreeClassifier(random_state=1),
    }


class InSampleStacker:
    """The leak under test: a meta-learner fitted on in-sample base predictions."""

    def fit(self, X, y):
        self.bases_ = {b: clone(m).fit(X.filter(like=b + "__"), y) for b, m in _flexible_blocks().items()}
        self.meta_ = LogisticRegression().fit(self.meta_features(X), y)
        return self

    def meta_features(self, X):
        return np.column_stack([m.predict_proba(X.filter(like=b + "__"))[:, 1] for b, m in self.bases_.items()])

    def predict_proba(self, X):
        return self.meta_.predict_proba(self.meta_features(X))


def test_stacking_on_noise_stays_at_chance_unlike_in_sample_stacking():
    """On pure noise the meta-learner must see no signal; the leaky stacker sees a perfect one.

    Both are scored on held-out folds of a 5x5 repeated stratified CV. Held-out
    AUC is ~0.5 for any method on noise, so the leak shows in what each
    meta-learner was *trained* on and in how overconfident that makes it:
    StackingFusion's meta-features (out-of-fold) carry AUC ~0.5 and its held-out
    log-loss stays at the no-information value ln 2, while the in-sample
    stacker trains on meta-features with AUC 1 and pays for that certainty on
    new cases.
    """
    X, y = _noise_data()
    folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=5, random_state=0)
    honest = {"test_auc": [], "train_meta_auc": [], "test_log_loss": []}
    leaky = {"test_auc": [], "train_meta_auc": [], "test_log_loss": []}
    for train, test in folds.split(X, y):
        X_train, y_train, X_test, y_test = X.iloc[train], y.iloc[train], X.iloc[test], y.iloc[test]

        stack = StackingFusion(_flexible_blocks())
        meta = stack.fit_transform(X_train, y_train)
        honest_prob = stack.predict_proba(X_test)[:, 1]
        honest["test_auc"].append(roc_auc_score(y_test, honest_prob))
        honest["train_meta_auc"].append(roc_auc_score(y_train, meta.mean(axis=1)))
        honest["test_log_loss"].append(log_loss(y_test, honest_prob))

        stacker = InSampleStacker().fit(X_train, y_train)
        leaky_prob = stacker.predict_proba(X_test)[:, 1]
        leaky["test_auc"].append(roc_auc_score(y_test, leaky_prob))
        leaky["train_meta_auc"].append(roc_auc_score(y_train, stacker.meta_features(X_train).mean(axis=1)))
        leaky["test_log_loss"].append(log_loss(y_test, leaky_prob))

    honest = {key: float(np.mean(values)) for key, values in honest.items()}
    leaky = {key: float(np.mean(values)) for key, values in leaky.items()}
    # Tolerances: SD of a fold AUC with 32 test cases is ~0.10; the mean of 25
    # folds is within 0.08 of 0.5 far beyond 2 SD.
    assert abs(honest["test_auc"] - 0.5) < 0.08
    assert abs(honest["train_meta_auc"] - 0.5) < 0.08
    assert honest["test_log_loss"] < np.log(2) + 0.05
    assert leaky["train_meta_auc"] == 1.0
    # Observed over seeds: honest 0.71, leaky 1.04-1.14 (SD of the fold mean ~0.04).
    assert leaky["test_log_loss"] > honest["test_log_loss"] + 0.25
    # The leaky stacker's apparent (training) AUC overstates its held-out AUC by ~0.5.
    assert leaky["train_meta_auc"] - leaky["test_auc"] > 0.35
    assert abs(honest["train_meta_auc"] - honest["test_auc"]) < 0.1
