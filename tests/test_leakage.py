"""Leak-proof evaluation: noise stays at chance, SMOTE stays in training, tuning is nested.

On pure noise every honest estimate of the AUC is 0.5 up to sampling error;
an estimate far above it can only come from information that crossed from
validation or test cases into training. Each test below tracks either that
number or the case identities directly.
"""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from radfuse.fusion import StackingFusion
from radfuse.pipeline import fit_resample_transform, make_radiomics_pipeline
from radfuse.report import methods_text
from radfuse.study import Study

N_CASES, N_FEATURES, SEEDS = 200, 1000, (0, 1, 2, 3)
# Under H0 the AUC of n0 negatives vs n1 positives has standard error
# sqrt((n0 + n1 + 1) / (12 n0 n1)) (Mann-Whitney U): 0.077 for the 60-case hold-out
# (40 % positive), 0.039 for the mean of four seeds, so +-0.06 is ~1.6 standard
# errors. The leaky estimate must beat chance by far more than sampling error can.
CHANCE_TOLERANCE = 0.06
LEAKY_MINIMUM = 0.75


def noise_study_data(seed, n_cases=N_CASES, n_features=N_FEATURES):
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"case{i:03d}" for i in range(n_cases)], name="case_id")
    columns = [f"noise__f{j:04d}" for j in range(n_features)]
    X = pd.DataFrame(rng.normal(size=(n_cases, n_features)), index=ids, columns=columns)
    # Random labels, deliberately unbalanced (40 % positive) so that SMOTE has work to do.
    y = pd.Series(rng.random(n_cases) < 0.4, index=ids, name="label").astype(int)
    return X, y


def quick_protocol(classifier, random_state):
    """The full protocol (SMOTE, z-score, univariate, Spearman, mRMR, LASSO) with cheap settings."""
    return make_radiomics_pipeline(
        classifier, mrmr={"n_features": 30}, lasso={"cv": 5, "n_alphas": 30}, random_state=random_state
    )


def leaky_cv_auc(X, y, seed):
    """The common mistake: select on ALL cases, then cross-validate only the classifier."""
    selection = quick_protocol("lr", seed)[:-1]
    fit_resample_transform(selection, X, y)
    selected = list(selection.get_feature_names_out())
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=seed)
    return cross_val_score(classifier, X[selected], y, cv=cv, scoring="roc_auc").mean()


@pytest.fixture(scope="module")
def noise_aucs():
    rows = []
    for seed in SEEDS:
        X, y = noise_study_data(seed)
        result = Study(
            X, y, {"noise": ["noise"]}, pipeline=quick_protocol, classifiers=["lr"], split=0.3,
            cv=RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=seed),
            random_state=seed, progress=False,
        ).run()
        cv_auc = result.metrics("cv").query("metric == 'auc'")["mean"].item()
        test_auc = result.metrics("test").query("metric == 'auc'")["estimate"].item()
        rows.append({"seed": seed, "radfuse_cv": cv_auc, "radfuse_test": test_auc,
                     "leaky_cv": leaky_cv_auc(X, y, seed)})
    return pd.DataFrame(rows).set_index("seed")


def test_full_protocol_stays_at_chance_on_noise(noise_aucs):
    means = noise_aucs.mean()
    assert abs(means["radfuse_cv"] - 0.5) <= CHANCE_TOLERANCE, noise_aucs
    assert abs(means["radfuse_test"] - 0.5) <= CHANCE_TOLERANCE, noise_aucs


def test_selecting_before_cross_validation_is_optimistic(noise_aucs):
    assert noise_aucs["leaky_cv"].min() >= LEAKY_MINIMUM, noise_aucs
    assert (noise_aucs["leaky_cv"] - noise_aucs["radfuse_cv"]).min() > 0.2, noise_aucs


# ---------------------------------------------------------------- SMOTE probe
EVENTS: list[tuple[str, np.ndarray]] = []


class RowProbe(ClassifierMixin, BaseEstimator):
    """Logistic regression that logs the ``case_number`` of every row it sees.

    Case numbers are integers; SMOTE interpolates between two minority cases
    with a random gap in (0, 1), so a synthetic row carries a fractional case
    number and is recognisable wherever it travels.
    """

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y):
        EVENTS.append(("fit", X["case_number"].to_numpy().copy()))
        self.model_ = LogisticRegression(C=self.C, max_iter=5000).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        EVENTS.append(("predict", X["case_number"].to_numpy().copy()))
        return self.model_.predict_proba(X)

    def predict(self, X):
        EVENTS.append(("predict", X["case_number"].to_numpy().copy()))
        return self.model_.predict(X)


def probe_data(n_cases=60, seed=0):
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"case{i:03d}" for i in range(n_cases)], name="case_id")
    X = pd.DataFrame(rng.normal(size=(n_cases, 3)), index=ids, columns=["a__x", "a__y", "b__z"])
    X.insert(0, "case_number", np.arange(n_cases, dtype=float))
    y = pd.Series((rng.random(n_cases) < 0.3).astype(int), index=ids)
    return X, y


def smote_only(classifier, random_state):
    """SMOTE as the only step, so case numbers reach the probe unscaled."""
    return make_radiomics_pipeline(
        RowProbe(), zscore=False, univariate=False, spearman=False, mrmr=False, lasso=False,
        random_state=random_state,
    )


def is_synthetic(numbers):
    return numbers != np.round(numbers)


def test_smote_never_reaches_validation_or_test_cases():
    EVENTS.clear()
    X, y = probe_data()
    result = Study(
        X, y, {"all": list(X.columns)}, pipeline=smote_only, classifiers=["lr"], split=0.3,
        cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0), progress=False,
    ).run()
    fits = [numbers for kind, numbers in EVENTS if kind == "fit"]
    predicts = [numbers for kind, numbers in EVENTS if kind == "predict"]
    assert len(fits) == 1 + 6  # final refit + 3 folds x 2 repeats
    for numbers in predicts:
        assert not is_synthetic(numbers).any()
    train_numbers = X.loc[result.y_train.index, "case_number"].to_numpy()
    test_numbers = X.loc[result.y_test.index, "case_number"].to_numpy()
    cv_rows = result.predictions.query("split == 'cv'")
    validation_sets = [
        X.loc[part["case_id"], "case_number"].to_numpy() for _, part in cv_rows.groupby("fold", sort=True)
    ]
    # final refit: fit on training cases + synthetic, then predict train and test
    assert set(fits[0][~is_synthetic(fits[0])]) == set(train_numbers)
    assert set(predicts[0]) == set(train_numbers) and set(predicts[1]) == set(test_numbers)
    for fit_numbers, validation in zip(fits[1:], validation_sets):
        original = fit_numbers[~is_synthetic(fit_numbers)]
        assert set(original) == set(train_numbers) - set(validation)
        n_minority = int(y.loc[X.index[original.astype(int)]].sum())
        assert is_synthetic(fit_numbers).sum() == original.size - 2 * n_minority
    assert [set(p) for p in predicts[2:]] == [set(v) for v in validation_sets]


def test_external_cohorts_only_pass_through_the_final_models():
    EVENTS.clear()
    X, y = probe_data(n_cases=90)
    cohort_b, cohort_c = (
        (part.assign(case_number=part["case_number"] + offset).rename(index=lambda i: f"{name}{i}"),
         labels.rename(index=lambda i: f"{name}{i}"))
        for name, offset, (part, labels) in (("B", 1000, probe_data(seed=1)), ("C", 2000, probe_data(seed=2)))
    )
    result = Study(
        X, y, {"all": list(X.columns)}, pipeline=smote_only, classifiers=["lr"],
        split={"internal": 0.3, "centre_B": cohort_b, "centre_C": cohort_c},
        cv=StratifiedKFold(3, shuffle=True, random_state=0), progress=False,
    ).run()
    fits = [numbers for kind, numbers in EVENTS if kind == "fit"]
    predicts = [numbers for kind, numbers in EVENTS if kind == "predict"]
    train_numbers = set(X.loc[result.y_train.index, "case_number"])
    assert len(fits) == 1 + 3
    for numbers in fits:  # SMOTE and the classifier only ever see training cases
        assert set(numbers[~is_synthetic(numbers)]) <= train_numbers
        assert numbers.max() < 1000
    # the final refit scores train, internal, centre_B and centre_C, in that order, with no refit between
    assert [kind for kind, _ in EVENTS[:5]] == ["fit", "predict", "predict", "predict", "predict"]
    cohort_numbers = [set(cohort[0]["case_number"]) for cohort in (cohort_b, cohort_c)]
    assert [set(p) for p in predicts[2:4]] == cohort_numbers
    assert all(numbers.max() < 1000 for numbers in predicts[4:])  # CV folds: training cases only


def test_smote_inside_stacking_blocks_only_resamples_training_folds():
    EVENTS.clear()
    X, y = probe_data()
    block = smote_only("probe", 0)
    columns = {"a": ["case_number", "a__x", "a__y"], "b": ["case_number", "b__z"]}
    StackingFusion({"a": block, "b": block}, cv=4, block_columns=columns).fit(X, y)
    fits = [numbers for kind, numbers in EVENTS if kind == "fit"]
    predicts = [numbers for kind, numbers in EVENTS if kind == "predict"]
    assert len(fits) == 2 * (4 + 1)  # per block: 4 out-of-fold fits + the refit
    assert all(is_synthetic(numbers).any() for numbers in fits)
    assert not any(is_synthetic(numbers).any() for numbers in predicts)
    # the out-of-fold predictions of each block cover every case exactly once
    for block_predicts in (predicts[:4], predicts[4:8]):
        assert np.array_equal(np.sort(np.concatenate(block_predicts)), X["case_number"].to_numpy())


# -------------------------------------------------------------- nested tuning
def probe_only(classifier, random_state):
    return make_radiomics_pipeline(
        RowProbe(), smote=False, zscore=False, univariate=False, spearman=False, mrmr=False,
        lasso=False, random_state=random_state,
    )


def test_tuning_is_nested_inside_each_outer_training_part():
    EVENTS.clear()
    X, y = probe_data(n_cases=45)
    grid = {"clf__C": [0.1, 1.0]}
    inner_splits, outer_splits = 3, 3

    result = Study(
        X, y, {"all": list(X.columns)}, pipeline=probe_only, classifiers=["probe"], split=0.3,
        cv=StratifiedKFold(outer_splits, shuffle=True, random_state=0),
        tuning={"cv": inner_splits, "param_grid": {"probe": grid}}, progress=False,
    ).run()

    assert result.settings["tuning"].startswith("nested")
    assert re.search(r"inner.*\b3\b", result.settings["tuning"])  # the inner scheme is named
    assert result.settings["tuning"] in methods_text(result)  # the report states the scheme
    assert sorted(result.tuning["fold"].unique()) == [-1, 0, 1, 2]
    assert set(result.tuning["clf__C"]) <= set(grid["clf__C"])

    train_numbers = set(X.loc[result.y_train.index, "case_number"])
    cv_rows = result.predictions.query("split == 'cv'")
    outer_validation = [set(X.loc[part["case_id"], "case_number"]) for _, part in cv_rows.groupby("fold")]
    # Per task: grid points x inner splits (fit, predict) pairs, the refit, then the
    # evaluation predictions (train + test for the final refit, validation for a fold).
    # Tasks run largest first, so each is recognised by its refit's training cases.
    per_grid = 2 * len(grid["clf__C"]) * inner_splits
    tasks = [(train_numbers, 2)] + [(train_numbers - v, 1) for v in outer_validation]
    position = 0
    while tasks:
        refit_kind, refitted = EVENTS[position + per_grid]
        assert refit_kind == "fit"
        outer_train, n_evaluated = tasks.pop([train for train, _ in tasks].index(set(refitted)))
        inner = EVENTS[position:position + per_grid]
        for (fit_kind, fitted), (predict_kind, predicted) in zip(inner[::2], inner[1::2]):
            assert (fit_kind, predict_kind) == ("fit", "predict")
            assert set(fitted).isdisjoint(predicted)
            assert set(fitted) | set(predicted) == outer_train  # never an outer validation case
        position += per_grid + 1 + n_evaluated
    assert position == len(EVENTS)
