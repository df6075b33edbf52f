"""Study / StudyResult: equal to one pipeline per classifier, deterministic, leak-free.

References are independent computations: full imbalanced-learn pipelines fitted
fold by fold, scikit-learn's metrics and ``roc_curve``, ``GridSearchCV``,
``StackingFusion`` fitted directly, and the corrected t formula written with
scipy. Equalities of predictions are exact (same arithmetic, same seeds);
tolerances are written where floating-point summation may differ.
"""

import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold

from radfuse.datasets import load_wdbc_blocks
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.models import PROTOCOL_CLASSIFIERS
from radfuse.fusion import StackingFusion
from radfuse.pipeline import feature_counts, fit_resample_transform, make_radiomics_pipeline
from radfuse.study import Study

# Small folds leave fewer relevant features than mRMR asks for; it says so and keeps them all.
pytestmark = pytest.mark.filterwarnings("ignore:MRMRSelector:UserWarning")

SEED = 0
CLASSIFIERS = ["lr", "nb", "knn"]
FEATURE_SETS = {"radiomics": ["US", "MG"], "deep": ["cnn"]}


def quick_pipeline(classifier, random_state):
    return make_radiomics_pipeline(
        classifier, mrmr={"n_features": 8}, lasso={"cv": 3}, random_state=random_state
    )


def outer_cv():
    return RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=SEED)


@pytest.fixture(scope="module")
def cohort():
    return make_multimodal_table(
        100, {"US": 15, "MG": 15}, n_embedding=12, class_sep={"US": 1.5, "MG": 1.5, "cnn": 2.5},
        random_state=1, return_X_y=True,
    )


def make_study(cohort, **overrides):
    X, y = cohort
    feature_sets = overrides.pop("feature_sets", FEATURE_SETS)
    settings = dict(
        pipeline=quick_pipeline, classifiers=CLASSIFIERS, cv=outer_cv(),
        random_state=SEED, progress=False,
    )
    settings.update(overrides)
    return Study(X, y, feature_sets, **settings)


@pytest.fixture(scope="module")
def result(cohort):
    return make_study(cohort).run()


def test_shared_selection_equals_one_full_pipeline_per_classifier(cohort, result):
    X, _ = cohort
    X_train, y_train = X.loc[result.y_train.index], result.y_train
    X_test = X.loc[result.y_test.index]
    columns = [c for c in X.columns if c.split("__")[0] in ("US", "MG")]
    folds = list(outer_cv().split(X_train, y_train))
    for classifier in CLASSIFIERS:
        stored = result.predictions.query(
            "feature_set == 'radiomics' and classifier == @classifier and split == 'cv'"
        )
        for number, (train, validation) in enumerate(folds):
            model = quick_pipeline(classifier, SEED).fit(X_train.iloc[train][columns], y_train.iloc[train])
            expected = model.predict_proba(X_train.iloc[validation][columns])[:, 1]
            got = stored[stored["fold"] == number].set_index("case_id")["probability"]
            np.testing.assert_array_equal(got.loc[X_train.index[validation]].to_numpy(), expected)
        final = quick_pipeline(classifier, SEED).fit(X_train[columns], y_train)
        np.testing.assert_array_equal(
            result.probabilities(("radiomics", classifier)).loc[X_test.index].to_numpy(),
            final.predict_proba(X_test[columns])[:, 1],
        )


def test_cv_folds_on_arrays_predict_as_each_full_pipeline_on_dataframes(cohort):
    # In CV folds radfuse's classifiers are fitted on the selected table's bare
    # array; each must predict exactly what its full pipeline fitted on the
    # DataFrame predicts.
    X, y = cohort
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    result = make_study(cohort, classifiers=PROTOCOL_CLASSIFIERS, feature_sets={"US": ["US"]}, cv=cv).run()
    X_train, y_train = X.loc[result.y_train.index], result.y_train
    columns = result.settings["feature_sets"]["US"]
    for number, (train, validation) in enumerate(cv.split(X_train, y_train)):
        for classifier in PROTOCOL_CLASSIFIERS:
            model = quick_pipeline(classifier, SEED).fit(X_train.iloc[train][columns], y_train.iloc[train])
            stored = result.predictions.query(
                "classifier == @classifier and split == 'cv' and fold == @number"
            ).set_index("case_id")["probability"]
            np.testing.assert_array_equal(
                stored.loc[X_train.index[validation]].to_numpy(),
                model.predict_proba(X_train.iloc[validation][columns])[:, 1],
                err_msg=f"{classifier}, fold {number}",
            )


class _NamedColumnsOnly(LogisticRegression):
    """A user's classifier that needs the table's column names."""

    def fit(self, X, y):
        if not isinstance(X, pd.DataFrame):
            raise TypeError("fit without column names")
        return super().fit(X, y)

    def predict_proba(self, X):
        if not isinstance(X, pd.DataFrame):
            raise TypeError("predict_proba without column names")
        return super().predict_proba(X)


def test_cv_folds_give_other_classifiers_the_selected_dataframe(cohort):
    def pipeline(classifier, random_state):
        return quick_pipeline(_NamedColumnsOnly(), random_state)

    result = make_study(cohort, pipeline=pipeline, classifiers=["named"], n_jobs=1).run()
    assert result.failed_folds.empty
    assert len(result.predictions.query("split == 'cv'")) == 2 * 2 * len(result.y_train)


def test_cv_predictions_cover_every_training_case_once_per_repeat(result):
    cv = result.predictions.query("split == 'cv' and feature_set == 'deep' and classifier == 'nb'")
    per_repeat = cv.groupby("repeat")["case_id"].apply(sorted)
    assert len(per_repeat) == 2
    for cases in per_repeat:
        assert cases == sorted(result.y_train.index)


def test_fitted_models_reproduce_the_stored_test_probabilities(cohort, result):
    X, _ = cohort
    X_test = X.loc[result.y_test.index]
    for (feature_set, classifier), model in result.models_.items():
        columns = result.settings["feature_sets"][feature_set]
        np.testing.assert_array_equal(
            model.predict_proba(X_test[columns])[:, 1],
            result.probabilities((feature_set, classifier)).to_numpy(),
        )


def test_youden_threshold_comes_from_out_of_fold_training_predictions(result):
    for model in result.models:
        oof = result.probabilities(model, "cv").mean(axis=1)
        fpr, tpr, cutoffs = roc_curve(result.y_train.loc[oof.index], oof, drop_intermediate=False)
        assert result.thresholds[model] == cutoffs[np.argmax(tpr - fpr)]


def test_test_metrics_apply_the_training_threshold_and_equal_sklearn(result):
    table = result.metrics("test").set_index(["feature_set", "classifier", "metric"])["estimate"]
    y = result.y_test
    for model in result.models:
        prob = result.probabilities(model).loc[y.index]
        predicted = (prob >= result.thresholds[model]).astype(int)
        expected = {
            "auc": roc_auc_score(y, prob),
            "accuracy": accuracy_score(y, predicted),
            "sensitivity": recall_score(y, predicted),
            "specificity": recall_score(y, predicted, pos_label=0),
            "ppv": precision_score(y, predicted, zero_division=np.nan),
            "npv": precision_score(y, predicted, pos_label=0, zero_division=np.nan),
            "precision": precision_score(y, predicted, zero_division=np.nan),
            "recall": recall_score(y, predicted),
            "f1": f1_score(y, predicted),
            "threshold": result.thresholds[model],
        }
        for metric, value in expected.items():
            assert table[(*model, metric)] == pytest.approx(value, abs=1e-12, nan_ok=True), metric


def test_cv_summary_is_mean_sd_and_nadeau_bengio_interval_of_fold_aucs(result):
    cv = result.predictions.query("split == 'cv' and feature_set == 'radiomics' and classifier == 'lr'")
    aucs = np.array([roc_auc_score(p["y_true"], p["probability"]) for _, p in cv.groupby("fold")])
    folds = list(outer_cv().split(np.zeros(result.y_train.size), result.y_train))
    n_train = np.mean([len(train) for train, _ in folds])
    n_test = np.mean([len(test) for _, test in folds])
    se = np.sqrt((1 / aucs.size + n_test / n_train) * aucs.var(ddof=1))
    lower, upper = stats.t.interval(0.95, aucs.size - 1, loc=aucs.mean(), scale=se)
    row = result.metrics("cv").query("feature_set == 'radiomics' and classifier == 'lr' and metric == 'auc'")
    row = row.iloc[0]
    assert row["mean"] == pytest.approx(aucs.mean(), abs=1e-12)
    assert row["sd"] == pytest.approx(aucs.std(ddof=1), abs=1e-12)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lower, upper), abs=1e-12)
    assert row["n_folds"] == 6


def test_compare_reports_delong_nri_idi_on_the_test_set(result):
    from radfuse.stats import idi, nri
    from radfuse.stats import delong_test

    table = result.compare("radiomics/lr", ("deep", "lr"))
    y = result.y_test
    a = result.probabilities("radiomics/lr").loc[y.index]
    b = result.probabilities("deep/lr").loc[y.index]
    assert table.loc["delong", "estimate"] == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, b), abs=1e-12)
    assert table.loc["delong", "pvalue"] == delong_test(y, a, b).pvalue
    assert table.loc["nri", "estimate"] == nri(y, a, b).estimate
    assert table.loc["idi", "estimate"] == idi(y, a, b).estimate
    assert table.attrs == {"a": "radiomics/lr", "b": "deep/lr", "split": "test"}


def test_best_model_has_the_highest_test_auc(result):
    aucs = {m: roc_auc_score(result.y_test, result.probabilities(m).loc[result.y_test.index]) for m in result.models}
    assert result.best("auc") == max(aucs, key=aucs.get)


def test_feature_counts_and_lasso_coefficients_match_the_final_pipeline(cohort, result):
    counts = result.feature_counts().query("feature_set == 'radiomics' and classifier == 'lr'")
    model = result.models_[("radiomics", "lr")]
    expected = feature_counts(model[:-1], 30)
    assert counts.set_index("step")["final"].to_dict() == expected.to_dict()
    assert counts.set_index("step").loc["input", "fold_min"] == 30

    lasso = model.named_steps["lasso"]
    selected = result.selected_features().query("feature_set == 'radiomics' and classifier == 'lr'")
    kept = lasso.get_feature_names_out()
    assert sorted(selected["feature"]) == sorted(kept)
    coef = pd.Series(lasso.coef_, index=lasso.feature_names_in_)
    np.testing.assert_array_equal(selected.set_index("feature")["coefficient"], coef[selected["feature"]])


def test_lasso_path_data_agree_with_sklearn_lasso(cohort, result):
    path = result.lasso_path("radiomics")
    assert path["alpha"] == path["alphas"][np.argmin(path["cv_mean"])]
    # The exact path at the chosen alpha is the refit, and a converged Lasso on the
    # selector's own input gives the same coefficients.
    model = result.models_[("radiomics", "lr")]
    lasso = model.named_steps["lasso"]
    assert lasso.solver_ == "homotopy"
    chosen = path["coef_path"][path["alpha"]]
    np.testing.assert_array_equal(chosen.to_numpy(), lasso.coef_)
    X, _ = cohort
    upstream = clone(model[: [name for name, _ in model.steps].index("lasso")])
    X_lasso, y_lasso = fit_resample_transform(
        upstream, X.loc[result.y_train.index, model.feature_names_in_], result.y_train
    )
    reference = Lasso(alpha=lasso.alpha_, tol=1e-14, max_iter=10**6).fit(X_lasso, y_lasso)
    np.testing.assert_allclose(lasso.coef_, reference.coef_, rtol=1e-7, atol=1e-9)
    assert list(chosen.index) == list(lasso.feature_names_in_)


def test_determinism_across_n_jobs_and_dask_backend(cohort, result):
    parallel = make_study(cohort, n_jobs=2).run()
    pd.testing.assert_frame_equal(parallel.predictions, result.predictions, check_exact=True)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster:
        with distributed.Client(cluster), joblib.parallel_config(backend="dask"):
            on_dask = make_study(cohort, classifiers=["nb"], feature_sets={"deep": ["cnn"]}).run()
    subset = result.predictions.query("feature_set == 'deep' and classifier == 'nb'").reset_index(drop=True)
    pd.testing.assert_frame_equal(on_dask.predictions, subset, check_exact=True)


def test_a_study_worker_does_not_import_statsmodels_api():
    """Every worker imports the task's modules when the pool starts; statsmodels.api
    (time series, graphics, scipy.signal) added 0.4 s to each worker's start."""
    code = "import sys, radfuse.study._units; print('statsmodels.api' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_nested_tuning_matches_grid_search_inside_the_outer_fold(cohort):
    X, y = cohort
    grid = {"lr": {"clf__C": [0.1, 10.0]}}
    study = make_study(
        cohort, classifiers=["lr"], feature_sets={"radiomics": ["US", "MG"]}, cv=StratifiedKFold(2),
        tuning={"cv": 2, "param_grid": grid},
    )
    tuned = study.run()
    assert tuned.settings["tuning"].startswith("nested")
    assert set(tuned.tuning["fold"]) == {-1, 0, 1}
    assert set(tuned.tuning["clf__C"]) <= {0.1, 10.0}

    X_train, y_train = X.loc[tuned.y_train.index, [c for c in X if not c.startswith("cnn__")]], tuned.y_train
    train, validation = next(StratifiedKFold(2).split(X_train, y_train))
    search = GridSearchCV(
        quick_pipeline("lr", SEED), grid["lr"], scoring="roc_auc",
        cv=StratifiedKFold(2, shuffle=True, random_state=SEED),
    ).fit(X_train.iloc[train], y_train.iloc[train])
    stored = tuned.predictions.query("split == 'cv' and fold == 0").set_index("case_id")["probability"]
    np.testing.assert_array_equal(
        stored.loc[X_train.index[validation]].to_numpy(),
        search.predict_proba(X_train.iloc[validation])[:, 1],
    )
    assert tuned.tuning.query("fold == 0")["clf__C"].item() == search.best_params_["clf__C"]


def test_fusion_models_equal_fusion_estimators_fitted_directly(cohort):
    X, y = cohort
    fused = make_study(
        cohort, classifiers=["nb"], cv=StratifiedKFold(2),
        fusion={"stacking": {"blocks": ["radiomics", "deep"]}, "early": {"blocks": ["radiomics", "deep"]}},
    ).run()
    assert {m[0] for m in fused.models} == {"radiomics", "deep", "early", "stacking"}
    assert len(fused.settings["feature_sets"]["early"]) == X.shape[1]

    blocks = {"radiomics": [c for c in X if not c.startswith("cnn__")], "deep": [c for c in X if c.startswith("cnn__")]}
    X_train, y_train = X.loc[fused.y_train.index], fused.y_train
    train, validation = next(StratifiedKFold(2).split(X_train, y_train))
    direct = StackingFusion(
        {name: quick_pipeline("nb", SEED) for name in blocks}, block_columns=blocks
    ).fit(X_train.iloc[train], y_train.iloc[train])
    stored = fused.predictions.query("feature_set == 'stacking' and split == 'cv' and fold == 0")
    np.testing.assert_array_equal(
        stored.set_index("case_id")["probability"].loc[X_train.index[validation]].to_numpy(),
        direct.predict_proba(X_train.iloc[validation])[:, 1],
    )
    cached = fused.models_[("stacking", "nb")].estimators_["radiomics"]
    assert cached.memory is None


def test_tables_are_written_and_read_back(result, tmp_path):
    paths = result.save_tables(tmp_path)
    names = {path.stem for path in paths}
    assert {"metrics_test", "metrics_cv", "predictions", "feature_counts", "lasso_cv_radiomics"} <= names
    written = pd.read_csv(tmp_path / "metrics_test.csv", keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(
        written.drop(columns="note"), result.metrics("test").drop(columns="note"), check_dtype=False
    )
    assert result.class_balance.loc["test", "n"] == 30
    assert result.class_balance["n"].sum() == 100


def test_external_test_set_and_given_test_ids(cohort):
    X, y = cohort
    external = make_study(
        (X.iloc[:70], y.iloc[:70]), classifiers=["nb"], feature_sets={"deep": ["cnn"]},
        split=(X.iloc[70:], y.iloc[70:]), cv=StratifiedKFold(2),
    ).run()
    assert list(external.y_test.index) == list(X.index[70:])
    clinical = pd.DataFrame(
        {"age": np.linspace(40.0, 70.0, y.size), "side": np.where(np.arange(y.size) % 2, "L", "R")},
        index=X.index,
    )
    given = make_study(
        cohort, classifiers=["nb"], feature_sets={"deep": ["cnn"]}, split=list(X.index[:30]),
        cv=StratifiedKFold(2), clinical=clinical,
    ).run()
    assert sorted(given.y_test.index) == sorted(X.index[:30])
    assert given.settings["split"] == "given test cases"
    # The first 30 cases form the test set: the baseline table must summarise exactly them.
    q1, median, q3 = np.percentile(clinical["age"].iloc[:30], [25, 50, 75])
    assert given.baseline.loc[("age", "median [Q1, Q3]"), "test set"] == f"{median:.2f} [{q1:.2f}, {q3:.2f}]"
    assert given.baseline.loc[("n", ""), "test set"] == "30"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X, y: (X, y.iloc[:-3]), r"3 case\(s\) without a label \['case_0098'"),
        (lambda X, y: (pd.concat([X, X.iloc[:1]]), y), r"duplicated case id\(s\) \['case_0001'\]"),
        (lambda X, y: (X, y.rename(lambda c: c.replace("case", "id"))), "label\\(s\\) without features"),
    ],
)
def test_mismatched_or_duplicated_case_ids_are_listed(cohort, change, message):
    X, y = change(*cohort)
    with pytest.raises(ValueError, match=message):
        make_study((X, y)).run()


def test_unknown_block_is_named_with_the_blocks_present(cohort):
    with pytest.raises(ValueError, match=r"feature set 'mri' names 'MRI'.*\['US', 'MG', 'cnn'\]"):
        make_study(cohort, feature_sets={"mri": ["MRI"]}).run()


def test_unknown_classifier_is_named(cohort):
    with pytest.raises(ValueError, match=r"classifier 'randomforest'.*unknown classifier"):
        make_study(cohort, classifiers=["lr", "randomforest"]).run()


@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_too_few_cases_for_the_cv_is_explained(cohort):
    X, y = cohort
    small = y.index[(y == 0).to_numpy()][:20].append(y.index[(y == 1).to_numpy()][:4])
    with pytest.raises(ValueError, match="single class in its validation part"):
        make_study((X.loc[small], y.loc[small]), cv=StratifiedKFold(5), split=0.25).run()


def test_unknown_model_and_fusion_strategy_are_named(cohort, result):
    with pytest.raises(ValueError, match="unknown model 'radiomics/svm'"):
        result.probabilities("radiomics/svm")
    with pytest.raises(ValueError, match="fusion.voting: unknown value .voting."):
        make_study(cohort, fusion={"voting": {"blocks": ["US", "MG"]}}).run()


def test_study_repr_and_result_repr_name_the_design(cohort, result):
    assert "feature sets ['radiomics', 'deep']" in repr(make_study(cohort))
    assert "6 CV folds, 70 training / 30 test cases" in repr(result)


def test_fold_warnings_are_recorded_and_summarised_once():
    X, y = load_wdbc_blocks(return_X_y=True)
    X = X.assign(mean__flat=1.0)  # constant: mRMR cannot rank it, and says so
    study = Study(
        X, y, {"mean": ["mean"]},
        pipeline=lambda classifier, random_state: make_radiomics_pipeline(
            classifier, univariate=False, spearman=False, mrmr={"n_features": 50}, lasso=False,
            random_state=random_state,
        ),
        classifiers=["lr"], cv=StratifiedKFold(3), random_state=0, progress=False,
    )
    with pytest.warns(UserWarning, match=r"raised 4 warning\(s\) \(MRMRSelector x4\).*result.warnings"):
        result = study.run()
    assert list(result.warnings["fold"]) == [-1, 0, 1, 2]
    assert result.warnings["message"].str.startswith("MRMRSelector: n_features=50 exceeds").all()
    assert "warnings" in result.to_dict()


# ----------------------------------------------------------- real cohorts
def _small_cohort(n=40, seed=3):
    """Four ultrasound and three mammography features; one weak ultrasound signal."""
    rng = np.random.default_rng(seed)
    y = pd.Series(np.r_[np.zeros(n // 2, int), np.ones(n // 2, int)], index=[f"c{i}" for i in range(n)])
    X = pd.DataFrame(rng.normal(size=(n, 7)), index=y.index,
                     columns=[f"US__f{i}" for i in range(4)] + [f"MG__f{i}" for i in range(3)])
    X["US__f0"] += 0.8 * y
    X["MG__f0"] += 1.5 * y
    return X, y


def _screening_pipeline(classifier, random_state):
    return make_radiomics_pipeline(classifier, smote=False, spearman=False, mrmr=False, lasso=False,
                                   univariate={"alpha": 0.05}, random_state=random_state)


def test_a_fold_that_cannot_be_fitted_is_recorded_and_left_out_of_the_summaries():
    # 20 training cases per fold: in three folds no ultrasound feature reaches p < 0.05.
    X, y = _small_cohort()
    study = Study(X, y, {"us": ["US"], "mg": ["MG"]}, pipeline=_screening_pipeline, classifiers=["lr", "nb"],
                  cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0), split=0.25,
                  progress=False)
    with pytest.warns(UserWarning, match=r"3 training part\(s\) could not be fitted \(us x3\).*failed_folds"):
        result = study.run()
    failed = result.failed_folds
    assert len(failed) == 6  # three folds x two classifiers
    assert set(failed["feature_set"]) == {"us"} and (failed["n_train"] == 20).all()
    assert failed["reason"].str.startswith("UnivariateFilter: no feature passes p < 0.05").all()
    cv = result.predictions.query("split == 'cv' and feature_set == 'us'")
    failed_folds = set(zip(failed["repeat"], failed["fold"]))
    assert not failed_folds & set(zip(cv["repeat"], cv["fold"]))
    auc = result.metrics("cv").query("metric == 'auc'").set_index(["feature_set", "classifier"])
    assert auc.loc[("us", "lr"), "n_folds"] == 3 and auc.loc[("us", "lr"), "n_failed"] == 3
    assert auc.loc[("mg", "lr"), "n_folds"] == 6 and auc.loc[("mg", "lr"), "n_failed"] == 0
    # Paired CV comparison uses the folds both models were fitted on.
    scores = result.fold_scores().set_index(["feature_set", "classifier", "repeat", "fold"])["auc"]
    kept = [(r, f) for r, f in zip(cv["repeat"], cv["fold"])]
    expected = np.mean([scores[("us", "lr", r, f)] - scores[("mg", "lr", r, f)] for r, f in set(kept)])
    assert result.compare("us/lr", "mg/lr", split="cv").loc["corrected_t", "estimate"] == pytest.approx(expected, abs=1e-12)
    assert "failed_folds" in result.to_dict()


def test_lasso_rule_is_recorded_for_every_fit(result):
    rules = result.lasso_rules
    # 6 CV folds + the final refit, per feature set and classifier.
    assert len(rules) == 7 * len(FEATURE_SETS) * len(CLASSIFIERS)
    assert set(rules["rule"]) <= {"cv", "min_features"}
    assert sorted(set(rules["fold"])) == list(range(-1, 6))


def test_each_feature_set_is_evaluated_on_the_cases_with_all_its_blocks():
    X, y = _small_cohort(60)
    missing = ["c1", "c2", "c40", "c41", "c50"]  # no mammography for these cases
    X.loc[missing, [c for c in X.columns if c.startswith("MG__")]] = np.nan
    with pytest.warns(UserWarning, match=r"left out of the feature sets that use it: 'mg' on 55 of 60, 'both' on 55"):
        result = Study(X, y, {"us": ["US"], "mg": ["MG"], "both": ["US", "MG"]},
                       pipeline=lambda c, r: make_radiomics_pipeline(c, spearman=False, mrmr=False, lasso=False,
                                                                      univariate={"alpha": 0.5}, random_state=r),
                       classifiers=["lr"], cv=StratifiedKFold(3, shuffle=True, random_state=0), split=0.25,
                       progress=False).run()
    cases = result.feature_set_cases.set_index(["feature_set", "split"])
    in_test = {case for case in missing if case in result.y_test.index}
    assert cases.loc[("us", "test"), "n"] == result.y_test.size
    assert cases.loc[("mg", "test"), "n"] == result.y_test.size - len(in_test)
    assert cases.loc[("both", "train"), "n_excluded"] == len(missing) - len(in_test)
    assert cases.loc[("mg", "train"), ["n_positive", "n_negative"]].sum() == cases.loc[("mg", "train"), "n"]
    for feature_set, expected_missing in (("us", set()), ("mg", set(missing)), ("both", set(missing))):
        ids = set(result.predictions.query("feature_set == @feature_set")["case_id"])
        assert not ids & expected_missing
        assert len(ids) == y.size - len(expected_missing)
    assert result.metrics("test").query("metric == 'auc'")["estimate"].notna().all()
    assert result.compare("both/lr", "us/lr").loc["delong", "pvalue"] <= 1


def test_nan_in_part_of_a_block_names_the_case_and_column():
    X, y = _small_cohort()
    X.loc["c3", "MG__f1"] = np.nan
    with pytest.raises(ValueError, match=r"case\(s\) \['c3'\] miss some but not all columns of block 'MG'"):
        Study(X, y, {"mg": ["MG"]}, pipeline=_screening_pipeline, classifiers=["lr"],
              cv=StratifiedKFold(3), progress=False).run()
