"""Bad input at every public entry point: a clear error naming the culprit, or a documented handling.

Each :class:`Case` feeds one entry point one kind of bad input and expects
either an exception whose message names the step and the column, case, key or
file involved (``error`` + ``match``, searched with ``re.DOTALL``), or the
documented handling, asserted by ``check`` on what the call returned.
``docs/make_reliability_table.py`` counts these cases for ``docs/reliability.md``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib.util
import io
import json
import re
import shutil
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from radfuse.blocks import join_blocks, load_embeddings
from radfuse.cli import main as cli_main
from radfuse.config import StudyConfigError, load_study_config
from radfuse.fusion import StackingFusion, WeightedEnsemble
from radfuse.persistence import load_model, save_model
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.select import CorrelationPruner
from radfuse.select import ICCFilter
from radfuse.select import LassoSelector
from radfuse.select import MRMRSelector
from radfuse.select import UnivariateFilter
from radfuse.stats import cohen_kappa, icc
from radfuse.stats import baseline_table
from radfuse.stats import calibration
from radfuse.stats import decision_curve
from radfuse.stats import diagnostic_metrics, youden_threshold
from radfuse.stats import idi, nri
from radfuse.stats import corrected_resampled_ci, corrected_resampled_t_test
from radfuse.stats import auc_ci, delong_test
from radfuse.study import Study

HAVE_EXTRACTION = all(importlib.util.find_spec(name) for name in ("SimpleITK", "radiomics"))

# Small folds leave fewer relevant features than mRMR asks for; it says so and keeps them all.
pytestmark = pytest.mark.filterwarnings("ignore:MRMRSelector:UserWarning")


@dataclass(frozen=True)
class Case:
    """One bad input fed to one entry point, and what must happen."""

    entry: str
    problem: str
    run: Callable[[Path], object]
    error: type[BaseException] | None = None
    match: str | None = None
    check: Callable[[object], None] | None = None
    outcome: str = "clear error"  # or "handled"

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.problem}"


CASES: list[Case] = []


def raises(entry, problem, error, match):
    """Register a case whose ``run(tmp_path)`` must raise ``error`` matching ``match``."""

    def register(run):
        CASES.append(Case(entry, problem, run, error=error, match=match))
        return run

    return register


def handles(entry, problem, check):
    """Register a case whose ``run(tmp_path)`` returns a value ``check`` asserts on."""

    def register(run):
        CASES.append(Case(entry, problem, run, check=check, outcome="handled"))
        return run

    return register


def exits_with_error(entry, problem, *culprits):
    """Register a command-line case: ``run`` returns (exit code, stderr), which must name ``culprits``."""

    def check(result):
        code, err = result
        assert code == 1 and ": error:" in err
        for culprit in culprits:
            assert culprit in err

    def register(run):
        CASES.append(Case(entry, problem, run, check=check))
        return run

    return register


# ------------------------------------------------------------------------ data
def cohort(n_cases=40, seed=0):
    """Two blocks of three features; the outcome depends on US__f0 and MG__f0."""
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"c{i:02d}" for i in range(n_cases)], name="case_id")
    columns = [f"{block}__f{j}" for block in ("US", "MG") for j in range(3)]
    X = pd.DataFrame(rng.normal(size=(n_cases, 6)), index=ids, columns=columns)
    signal = X["US__f0"] + X["MG__f0"] + rng.normal(scale=0.5, size=n_cases)
    return X, (signal > 0).astype(int).rename("y")


def with_value(X, case, column, value):
    X = X.copy()
    X.loc[case, column] = value
    return X


def relabel(y, how):
    """The outcome made single-class, three-class or text."""
    if how == "single class":
        return y * 0
    if how == "three classes":
        return y.mask(y.index.isin(["c01", "c02"]), 2)
    return y.map({0: "benign", 1: "malignant"})


def readers(X, n_cases=20):
    """Two delineations of the first cases; US__f2 re-measured with large error."""
    first = X.iloc[:n_cases]
    noise = np.random.default_rng(1).normal(scale=0.05, size=first.shape)
    noise[:, list(X.columns).index("US__f2")] *= 40
    return [first, first + noise]


SELECTORS = {
    "UnivariateFilter": lambda X: UnivariateFilter(),
    "CorrelationPruner": lambda X: CorrelationPruner(),
    "MRMRSelector": lambda X: MRMRSelector(n_features=3),
    "LassoSelector": lambda X: LassoSelector(cv=3, n_alphas=20),
    "ICCFilter": lambda X: ICCFilter(reliability=readers(X.select_dtypes("number"))),
}


def fit_selector(name, X, y):
    return SELECTORS[name](X).fit(X, y)


# ------------------------------------------------------------------ selectors
def _selector_cases(name):
    def nan(tmp):
        X, y = cohort()
        return fit_selector(name, with_value(X, "c03", "US__f1", np.nan), y)

    def inf(tmp):
        X, y = cohort()
        return fit_selector(name, with_value(X, "c03", "US__f1", np.inf), y)

    def non_numeric(tmp):
        X, y = cohort()
        return fit_selector(name, X.assign(US__site=["A", "B"] * 20), y)

    def duplicated_name(tmp):
        X, y = cohort()
        return fit_selector(name, pd.concat([X, X[["MG__f1"]]], axis=1), y)

    def reordered_at_transform(tmp):
        X, y = cohort()
        return fit_selector(name, X, y).transform(X[X.columns[::-1]])

    finite = rf"{name}: input contains NaN or inf in 1 column\(s\) \['US__f1'\]"
    raises(name, "nan", ValueError, finite)(nan)
    raises(name, "inf", ValueError, finite)(inf)
    raises(name, "non-numeric column", ValueError, rf"{name}: non-numeric column\(s\) \['US__site'\]")(non_numeric)
    raises(name, "duplicated column name", ValueError,
           rf"{name}: column name\(s\) \['MG__f1'\] appear more than once")(duplicated_name)
    raises(name, "columns reordered at predict", ValueError,
           rf"{name}: .*same order.*Position 0 holds 'MG__f2' where fit had 'US__f0'")(reordered_at_transform)

    for problem, message in {
        "single class": rf"{name}: needs a binary outcome .* 1 class\(es\) \[0\]",
        "three classes": rf"{name}: needs a binary outcome .* 3 class\(es\) \[0, 1, 2\]",
        "string labels": rf"{name}: y has string labels \['benign', 'malignant'\].*encode",
    }.items():
        def fit_relabelled(tmp, problem=problem):
            X, y = cohort()
            return fit_selector(name, X, relabel(y, problem))

        if name == "ICCFilter":
            # ICCFilter never reads the outcome (documented), so no label is a problem for it.
            handles(name, problem, _icc_ignores_outcome)(fit_relabelled)
        else:
            raises(name, problem, ValueError, message)(fit_relabelled)


def _icc_ignores_outcome(selector):
    assert selector.get_feature_names_out().tolist() == [c for c in cohort()[0].columns if c != "US__f2"]


for _name in SELECTORS:
    _selector_cases(_name)


def constant_column(name):
    X, y = cohort()
    return fit_selector(name, X.assign(US__f2=3.0), y)


def _univariate_drops_constant(selector):
    assert selector.pvalues_["US__f2"] == 1.0 and selector.tests_["US__f2"] == "mann-whitney"
    assert "US__f2" not in selector.get_feature_names_out()


def _pruner_keeps_constant(selector):
    assert np.isnan(selector.relevance_["US__f2"])
    assert "US__f2" in selector.get_feature_names_out()
    assert "US__f2" not in selector.dropped_because_.index


def _mrmr_never_selects_constant(selector):
    assert selector.relevance_["US__f2"] == 0.0
    assert "US__f2" not in selector.selected_features_


def _lasso_zero_coefficient(selector):
    assert selector.coef_[list(selector.feature_names_in_).index("US__f2")] == 0.0
    assert "US__f2" not in selector.get_feature_names_out()


def _icc_drops_constant(selector):
    assert np.isnan(selector.icc_["US__f2"]) and "US__f2" not in selector.get_feature_names_out()


handles("UnivariateFilter", "constant column", _univariate_drops_constant)(
    lambda tmp: constant_column("UnivariateFilter")
)
handles("CorrelationPruner", "constant column", _pruner_keeps_constant)(
    lambda tmp: constant_column("CorrelationPruner")
)
handles("MRMRSelector", "constant column", _mrmr_never_selects_constant)(
    lambda tmp: constant_column("MRMRSelector")
)
handles("LassoSelector", "constant column", _lasso_zero_coefficient)(lambda tmp: constant_column("LassoSelector"))


@handles("ICCFilter", "constant column", _icc_drops_constant)
def _(tmp):
    X, y = cohort()
    X = X.assign(US__f2=3.0)
    return ICCFilter(reliability=[r.assign(US__f2=3.0) for r in readers(X)]).fit(X, y)


def duplicated_values(name):
    X, y = cohort()
    return fit_selector(name, X.assign(MG__copy=X["US__f0"]), y)


def _univariate_same_p(selector):
    assert selector.pvalues_["MG__copy"] == selector.pvalues_["US__f0"]


def _pruner_drops_one_copy(selector):
    record = selector.dropped_because_
    pair = {"US__f0", "MG__copy"}
    dropped = pair & set(record.index)
    assert len(dropped) == 1
    reason = record.loc[dropped.pop()]
    assert reason["kept"] in pair and reason["rho"] == pytest.approx(1.0)


def _mrmr_selects_one_copy(selector):
    assert len({"US__f0", "MG__copy"} & set(selector.selected_features_)) == 1


handles("UnivariateFilter", "duplicated column values", _univariate_same_p)(
    lambda tmp: duplicated_values("UnivariateFilter")
)
handles("CorrelationPruner", "duplicated column values", _pruner_drops_one_copy)(
    lambda tmp: duplicated_values("CorrelationPruner")
)
handles("MRMRSelector", "duplicated column values", _mrmr_selects_one_copy)(
    lambda tmp: duplicated_values("MRMRSelector")
)


@raises("LassoSelector", "fewer cases than CV folds", ValueError,
        r"LassoSelector: cannot split 8 cases \(class 0: 4, class 1: 4\) with cv=10.*fewer folds")
def _(tmp):
    X, y = cohort()
    cases = y.sort_values().index[[0, 1, 2, 3, -1, -2, -3, -4]]
    return LassoSelector(cv=10).fit(X.loc[cases], y.loc[cases])


@raises("ICCFilter", "reliability table with NaN", ValueError, r"ICCFilter: .*(NaN|missing).*MG__f0")
def _(tmp):
    X, y = cohort()
    first, second = readers(X)
    return ICCFilter(reliability=[first, with_value(second, "c04", "MG__f0", np.nan)]).fit(X, y)


@raises("ICCFilter", "reliability readers with different cases", ValueError, r"ICCFilter: .*c19")
def _(tmp):
    X, y = cohort()
    first, second = readers(X)
    return ICCFilter(reliability=[first, second.drop(index="c19")]).fit(X, y)


# ---------------------------------------------------------------- persistence
def saved_model(tmp):
    X, y = cohort()
    model = make_radiomics_pipeline("lr", mrmr={"n_features": 3}, lasso={"cv": 3}, random_state=0).fit(X, y)
    return save_model(model, tmp / "model.skops"), X


@raises("load_model", "missing file", FileNotFoundError, r"load_model: no model file at .*absent\.skops")
def _(tmp):
    return load_model(tmp / "absent.skops")


@raises("load_model", "corrupt file", ValueError, r"load_model: .*garbage\.skops is not a readable radfuse model file")
def _(tmp):
    path = tmp / "garbage.skops"
    path.write_bytes(b"\x00 definitely not a zip archive")
    return load_model(path)


def tamper(path):
    """Flip one byte in the middle of the largest member of the model archive, as an edit would."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    largest = max(members, key=lambda name: len(members[name]))
    data = bytearray(members[largest])
    data[len(data) // 2] ^= 0xFF
    members[largest] = bytes(data)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


@raises("load_model", "tampered model file", ValueError, r"load_model: .*model\.skops failed its integrity check")
def _(tmp):
    path, _ = saved_model(tmp)
    tamper(path)
    return load_model(path)


@raises("load_model", "untrusted type injected", ValueError, r"load_model: .*(unexpected types|allow-list).*")
def _(tmp):
    bundle_path, _ = saved_model(tmp)
    bundle = sio.load(bundle_path, trusted=sio.get_untrusted_types(file=bundle_path))
    # A payload that calls shutil.copyfileobj, re-hashed so that only the allow-list can stop it.
    bundle["estimator"] = sio.dumps(shutil.copyfileobj)
    bundle["sha256"] = hashlib.sha256(bundle["estimator"]).hexdigest()
    sio.dump(bundle, bundle_path)
    return load_model(bundle_path)


def _reordered_prediction_matches(result):
    reordered, original = result
    np.testing.assert_array_equal(reordered, original)


@handles("SavedModel", "columns reordered at predict", _reordered_prediction_matches)
def _(tmp):
    path, X = saved_model(tmp)
    model = load_model(path)
    return model.predict_proba(X[X.columns[::-1]]), model.predict_proba(X)


@raises("SavedModel", "missing column at predict", ValueError, r"SavedModel: .*missing 1 column\(s\) \['MG__f2'\]")
def _(tmp):
    path, X = saved_model(tmp)
    return load_model(path).predict_proba(X.drop(columns="MG__f2"))


@raises("SavedModel", "array without column names", TypeError, r"SavedModel: pass the features as a DataFrame")
def _(tmp):
    path, X = saved_model(tmp)
    return load_model(path).predict_proba(X.to_numpy())


# ---------------------------------------------------------------------- stats
def scores():
    X, y = cohort()
    return y, 1 / (1 + np.exp(-(X["US__f0"] + X["MG__f0"])))


@raises("auc_ci", "nan score", ValueError, r"auc_ci: y_score contains NaN or inf at position\(s\) \[3\]")
def _(tmp):
    y, p = scores()
    return auc_ci(y, p.mask(p.index == "c03"))


@raises("auc_ci", "single class", ValueError, r"auc_ci: needs a binary outcome .* 1 class")
def _(tmp):
    y, p = scores()
    return auc_ci(y * 0, p)


@raises("auc_ci", "three classes", ValueError, r"auc_ci: needs a binary outcome .* 3 class")
def _(tmp):
    y, p = scores()
    return auc_ci(y.mask(y.index == "c01", 2), p)


@raises("auc_ci", "string labels without pos_label", ValueError, r"auc_ci: y_true has string labels .*pos_label")
def _(tmp):
    y, p = scores()
    return auc_ci(y.map({0: "benign", 1: "malignant"}), p)


def _auc_with_pos_label(result):
    auc, expected = result
    assert auc.estimate == pytest.approx(expected, abs=1e-12)


@handles("auc_ci", "string labels with pos_label", _auc_with_pos_label)
def _(tmp):
    y, p = scores()
    labels = y.map({0: "benign", 1: "malignant"})
    # scikit-learn takes the larger label, "malignant", as positive.
    return auc_ci(labels, p, pos_label="malignant"), roc_auc_score(labels, p)


@raises("auc_ci", "pos_label not a class", ValueError, r"auc_ci: pos_label='cancer' is not one of the classes")
def _(tmp):
    y, p = scores()
    return auc_ci(y.map({0: "benign", 1: "malignant"}), p, pos_label="cancer")


@raises("delong_test", "scores of different length", ValueError, r"delong_test: .*39 values but y_true has 40")
def _(tmp):
    y, p = scores()
    return delong_test(y, p, p.iloc[:-1].to_numpy())


@raises("delong_test", "inf score", ValueError, r"delong_test: .*NaN or inf at position\(s\) \[5\]")
def _(tmp):
    y, p = scores()
    return delong_test(y, p, p.mask(p.index == "c05", np.inf))


@raises("diagnostic_metrics", "nan score", ValueError, r"diagnostic_metrics: .*NaN or inf at position\(s\) \[0\]")
def _(tmp):
    y, p = scores()
    return diagnostic_metrics(y, p.mask(p.index == "c00"), 0.5)


@raises("youden_threshold", "single class", ValueError, r"youden_threshold: needs a binary outcome .* 1 class")
def _(tmp):
    y, p = scores()
    return youden_threshold(y * 0 + 1, p)


@raises("calibration", "probabilities outside [0, 1]", ValueError, r"calibration: .*\[0, 1\]; 1 value\(s\) lie outside")
def _(tmp):
    y, p = scores()
    return calibration(y, p.mask(p.index == "c02", 1.5))


@raises("calibration", "string labels", ValueError, r"calibration: .*string labels.*encode it as 1")
def _(tmp):
    y, p = scores()
    return calibration(y.map({0: "benign", 1: "malignant"}), p)


@raises("decision_curve", "nan probability", ValueError, r"decision_curve: .*NaN or inf")
def _(tmp):
    y, p = scores()
    return decision_curve(y, {"model": p.mask(p.index == "c07")})


@raises("nri", "probabilities of different length", ValueError, r"nri: .*39 values but y_true has 40")
def _(tmp):
    y, p = scores()
    return nri(y, p.iloc[:-1].to_numpy(), p)


@raises("idi", "nan probability", ValueError, r"idi: .*NaN or inf at position\(s\) \[1\]")
def _(tmp):
    y, p = scores()
    return idi(y, p, p.mask(p.index == "c01"))


@raises("icc", "rater missing for a subject", ValueError, r"icc: .*(missing|unbalanced|NaN).*")
def _(tmp):
    long = pd.DataFrame({
        "case": ["a", "a", "b", "b", "c"], "reader": ["r1", "r2", "r1", "r2", "r1"],
        "value": [1.0, 1.1, 2.0, 2.2, 3.0],
    })
    return icc(long, targets="case", raters="reader", values="value")


@raises("cohen_kappa", "ratings of different length", ValueError, r"cohen_kappa: .*(length|same number|cases)")
def _(tmp):
    return cohen_kappa([0, 1, 1, 0], [0, 1, 1])


@raises("baseline_table", "single group", ValueError,
        r"baseline_table: the group column 'split' has a single group \['train'\]")
def _(tmp):
    X, _ = cohort()
    return baseline_table(X.assign(split="train"), "split")


@raises("baseline_table", "unknown group column", ValueError, r"baseline_table: group column 'centre' not found")
def _(tmp):
    X, _ = cohort()
    return baseline_table(X, "centre")


@raises("corrected_resampled_ci", "nan fold score", ValueError,
        r"corrected_resampled_ci: scores contains NaN or inf at position\(s\) \[1\]")
def _(tmp):
    return corrected_resampled_ci([0.71, np.nan, 0.64], n_train=80, n_test=20)


@raises("corrected_resampled_t_test", "a single resample", ValueError,
        r"corrected_resampled_t_test: scores_b has 1 score\(s\); at least two")
def _(tmp):
    return corrected_resampled_t_test([0.71, 0.64], [0.7], n_train=80, n_test=20)


# --------------------------------------------------------------------- blocks
def block_tables():
    X, _ = cohort(6)
    us = X.filter(like="US__").rename(columns=lambda c: c.split("__")[1])
    mg = X.filter(like="MG__").rename(columns=lambda c: c.split("__")[1])
    return us, mg


@raises("join_blocks", "block missing for some cases", ValueError,
        r"join_blocks: 1 case\(s\) are missing .*MG: \['c05'\]")
def _(tmp):
    us, mg = block_tables()
    return join_blocks({"US": us, "MG": mg.drop(index="c05")})


def _inner_join_records_dropped(result):
    (table, dropped), caught = result
    assert "c05" not in table.index and dropped.index.tolist() == ["c05"]
    assert any("c05" in str(w.message) for w in caught)


@handles("join_blocks", "block missing, how='inner'", _inner_join_records_dropped)
def _(tmp):
    us, mg = block_tables()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        joined = join_blocks({"US": us, "MG": mg.drop(index="c05")}, how="inner", return_dropped=True)
    return joined, caught


@raises("join_blocks", "duplicated case id", ValueError, r"join_blocks: .*c01")
def _(tmp):
    us, mg = block_tables()
    return join_blocks({"US": us, "MG": pd.concat([mg, mg.loc[["c01"]]])})


@raises("join_blocks", "duplicated column name", ValueError, r"join_blocks: .*f1")
def _(tmp):
    us, mg = block_tables()
    return join_blocks({"US": us, "MG": pd.concat([mg, mg[["f1"]]], axis=1)})


# ------------------------------------------------------------------- pipeline
def quick_pipeline(classifier="lr", random_state=0):
    return make_radiomics_pipeline(classifier, mrmr={"n_features": 3}, lasso={"cv": 3}, random_state=random_state)


@raises("make_radiomics_pipeline", "fewer minority cases than SMOTE neighbours", ValueError,
        r"SMOTE: class 1 has 4 case\(s\).*k_neighbors=5 needs at least 6")
def _(tmp):
    X, y = cohort()
    cases = y.index[(y == 0) | y.index.isin(y[y == 1].index[:4])]
    return quick_pipeline().fit(X.loc[cases], y.loc[cases])


@raises("make_radiomics_pipeline", "nan", ValueError, r"SMOTE: input contains NaN or inf in 1 column\(s\) \['MG__f0'\]")
def _(tmp):
    X, y = cohort()
    return quick_pipeline().fit(with_value(X, "c08", "MG__f0", np.nan), y)


@raises("make_radiomics_pipeline", "single class", ValueError, r"SMOTE: .*single class")
def _(tmp):
    X, y = cohort()
    return quick_pipeline().fit(X, y * 0)


@raises("make_radiomics_pipeline", "string labels", ValueError, r"UnivariateFilter: y has string labels")
def _(tmp):
    X, y = cohort()
    return quick_pipeline().fit(X, y.map({0: "benign", 1: "malignant"}))


# --------------------------------------------------------------------- fusion
FUSION = {"StackingFusion": StackingFusion, "WeightedEnsemble": WeightedEnsemble}


def fusion(name, **params):
    blocks = {"US": quick_pipeline(), "MG": quick_pipeline()}
    return FUSION[name](blocks, cv=3, **params)


def _fusion_cases(name):
    def single_class(tmp):
        X, y = cohort()
        return fusion(name).fit(X, relabel(y, "single class"))

    def three_classes(tmp):
        X, y = cohort()
        return fusion(name).fit(X, relabel(y, "three classes"))

    def string_labels(tmp):
        X, y = cohort()
        model = fusion(name).fit(X, relabel(y, "string labels"))
        return model, model.predict(X)

    def nan(tmp):
        X, y = cohort()
        return fusion(name).fit(with_value(X, "c08", "MG__f0", np.nan), y)

    def fewer_cases_than_folds(tmp):
        X, y = cohort()
        cases = y.sort_values().index[[0, 1, 2, 3, -1, -2]]
        plain = FUSION[name]({"US": LogisticRegression(), "MG": LogisticRegression()}, cv=8)
        return plain.fit(X.loc[cases], y.loc[cases])

    def reordered(tmp):
        X, y = cohort()
        return fusion(name).fit(X, y).predict_proba(X[X.columns[::-1]])

    def missing_block(tmp):
        X, y = cohort()
        return fusion(name).fit(X.drop(columns=["MG__f0", "MG__f1", "MG__f2"]), y)

    def text_column_in_block(tmp):
        X, y = cohort()
        return fusion(name).fit(X.assign(US__site=["A", "B"] * 20), y)

    def text_column_outside_blocks(tmp):
        X, y = cohort()
        plain = FUSION[name]({"US": LogisticRegression(), "MG": LogisticRegression()}, cv=3)
        return plain.fit(X.assign(site=["A", "B"] * 20), y)

    raises(name, "single class", ValueError, rf"{name}: Only binary classification .* 1 class")(single_class)
    raises(name, "three classes", ValueError, rf"{name}: Only binary classification .* 3 class")(three_classes)
    handles(name, "string labels", _labels_kept_as_classes)(string_labels)
    raises(name, "nan", ValueError, rf"{name}: block 'MG': .*NaN")(nan)
    raises(name, "fewer cases than CV folds", ValueError,
           rf"{name}: cannot split 6 cases \(class 0: 4, class 1: 2\) with cv=8.*fewer folds")(fewer_cases_than_folds)
    raises(name, "columns reordered at predict", ValueError,
           rf"{name}: .*same order.*Position 0 holds 'MG__f2' where fit had 'US__f0'")(reordered)
    raises(name, "block missing", ValueError,
           rf"{name}: no column belongs to block 'MG' .*blocks present: \['US'\]")(missing_block)
    raises(name, "non-numeric column in a block", ValueError,
           rf"{name}: block 'US': SMOTE: non-numeric column\(s\) \['US__site'\]")(text_column_in_block)
    handles(name, "non-numeric column outside every block", _text_column_unused)(text_column_outside_blocks)


def _labels_kept_as_classes(result):
    model, predicted = result
    assert model.classes_.tolist() == ["benign", "malignant"]
    assert set(predicted) <= {"benign", "malignant"}


def _text_column_unused(model):
    assert model.unused_features_.tolist() == ["site"]


for _name in FUSION:
    _fusion_cases(_name)


# ---------------------------------------------------------------------- Study
def study(X, y, **settings):
    options = dict(pipeline=quick_pipeline, classifiers=["lr"], cv=3, progress=False)
    options.update(settings)
    feature_sets = options.pop("feature_sets", {"all": ["US", "MG"]})
    return Study(X, y, feature_sets, **options).run()


@raises("Study", "nan", ValueError,
        r"Study \(the (training|test) table\): case\(s\) \['c05'\] miss some but not all columns of block "
        r"'MG' \(e.g. \['MG__f1'\]")
def _(tmp):
    X, y = cohort()
    return study(with_value(X, "c05", "MG__f1", np.nan), y)


@raises("Study", "inf", ValueError, r"Study \(the (training|test) table\): input contains NaN or inf .*\['US__f2'\]")
def _(tmp):
    X, y = cohort()
    return study(with_value(X, "c05", "US__f2", -np.inf), y)


@raises("Study", "non-numeric column", ValueError, r"Study \(the training table\): non-numeric column\(s\) \['US__site'\]")
def _(tmp):
    X, y = cohort()
    return study(X.assign(US__site=["A", "B"] * 20), y)


def _cases_without_the_block_left_out(result):
    cases = result.feature_set_cases.set_index(["feature_set", "split"])
    assert cases.xs("all", level="feature_set")["n_excluded"].sum() == 2
    assert not {"c03", "c04"} & set(result.predictions["case_id"])


@handles("Study", "block missing for some cases", _cases_without_the_block_left_out)
def _(tmp):
    X, y = cohort()
    X.loc[["c03", "c04"], ["MG__f0", "MG__f1", "MG__f2"]] = np.nan
    with pytest.warns(UserWarning, match="left out of the feature sets that use it"):
        return study(X, y)


@raises("Study", "duplicated column name", ValueError, r"Study \(the training table\): column name\(s\) \['MG__f1'\]")
def _(tmp):
    X, y = cohort()
    return study(pd.concat([X, X[["MG__f1"]]], axis=1), y)


@raises("Study", "duplicated case id in features", ValueError, r"Study: features has duplicated case id\(s\) \['c02'\]")
def _(tmp):
    X, y = cohort()
    return study(pd.concat([X, X.loc[["c02"]]]), y)


@raises("Study", "duplicated case id in labels", ValueError,
        r"Study: labels of features has duplicated case id\(s\) \['c02'\]")
def _(tmp):
    X, y = cohort()
    return study(X, pd.concat([y, y.loc[["c02"]]]))


@raises("Study", "mismatched case ids", ValueError,
        r"Study: the case ids of features and its labels differ: 1 case\(s\) without a label \['c39'\], "
        r"1 label\(s\) without features \['x99'\]")
def _(tmp):
    X, y = cohort()
    return study(X, y.rename({"c39": "x99"}))


@raises("Study", "single class", ValueError, r"Study: needs a binary outcome .* 1 class")
def _(tmp):
    X, y = cohort()
    return study(X, y * 0)


@raises("Study", "three classes", ValueError, r"Study: needs a binary outcome .* 3 class")
def _(tmp):
    X, y = cohort()
    return study(X, y.mask(y.index == "c01", 2))


@raises("Study", "string labels without pos_label", ValueError,
        r"Study: labels of features has string labels .*pos_label")
def _(tmp):
    X, y = cohort()
    return study(X, y.map({0: "benign", 1: "malignant"}))


def _pos_label_mapped(result):
    result, y = result
    assert result.pos_label == "malignant"
    assert result.y_train.equals((y.loc[result.y_train.index] == 1).astype(result.y_train.dtype))


@handles("Study", "string labels with pos_label", _pos_label_mapped)
def _(tmp):
    X, y = cohort()
    return study(X, y.map({0: "benign", 1: "malignant"}), pos_label="malignant"), y


@raises("Study", "fewer cases than CV folds", ValueError, r"Study: cannot split the training set .*fewer folds")
def _(tmp):
    X, y = cohort()
    return study(X, y, cv=StratifiedKFold(20))


@raises("Study", "fewer minority cases than SMOTE neighbours", ValueError,
        r"Study: no model could be fitted .*'all'.*SMOTE: class 1 has \d case\(s\).*k_neighbors=5")
def _(tmp):
    X, y = cohort()
    cases = y.index[(y == 0) | y.index.isin(y[y == 1].index[:9])]
    return study(X.loc[cases], y.loc[cases], cv=3)


@raises("Study", "unknown block in a feature set", ValueError, r"Study: feature set 'all' names 'CT'")
def _(tmp):
    X, y = cohort()
    return study(X, y, feature_sets={"all": ["US", "CT"]})


def _external_reordered(result):
    reordered, original = result
    pd.testing.assert_frame_equal(reordered.predictions, original.predictions, check_exact=True)


@handles("Study", "external test set with columns reordered", _external_reordered)
def _(tmp):
    X, y = cohort(60)
    train, test = X.index[:40], X.index[40:]
    external = (X.loc[test, X.columns[::-1]], y.loc[test])
    original = (X.loc[test], y.loc[test])
    return study(X.loc[train], y.loc[train], split=external), study(X.loc[train], y.loc[train], split=original)


@raises("Study", "external test set lacking a column", ValueError,
        r"Study: the external test set lacks column\(s\) \['MG__f2'\]")
def _(tmp):
    X, y = cohort(60)
    train, test = X.index[:40], X.index[40:]
    return study(X.loc[train], y.loc[train], split=(X.loc[test].drop(columns="MG__f2"), y.loc[test]))


@raises("Study", "case in both training and external test set", ValueError,
        r"Study: case id\(s\) \['c39'\] appear in both")
def _(tmp):
    X, y = cohort(60)
    train, test = X.index[:40], X.index[39:]
    return study(X.loc[train], y.loc[train], split=(X.loc[test], y.loc[test]))


# ------------------------------------------------------------------ extraction
FIRSTORDER = {"featureClass": {"firstorder": []}, "setting": {"binWidth": 10}}


def write_image(path, array, spacing=(1.0, 1.0)):
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    sitk.WriteImage(image, str(path))
    return str(path)


def square_mask(label=1):
    mask = np.zeros((16, 16), np.uint8)
    mask[4:12, 4:12] = label
    return mask


def imaging_manifest(tmp, *, mask=None, mask_spacing=(1.0, 1.0)):
    """Cases p1 and p2 of one US block; ``mask`` and ``mask_spacing`` apply to p2 only."""
    rng = np.random.default_rng(0)
    rows = []
    for case in ("p1", "p2"):
        bad = case == "p2"
        rows.append({
            "case_id": case,
            "block": "US",
            "image": write_image(tmp / f"{case}.nrrd", rng.normal(200, 30, (16, 16)).round().astype(np.int16)),
            "mask": write_image(
                tmp / f"{case}_mask.nrrd",
                mask if bad and mask is not None else square_mask(),
                mask_spacing if bad else (1.0, 1.0),
            ),
        })
    return pd.DataFrame(rows)


def missing_image(tmp):
    manifest = imaging_manifest(tmp)
    manifest.loc[1, "image"] = str(tmp / "gone.nrrd")
    return manifest


def corrupt_image(tmp):
    manifest = imaging_manifest(tmp)
    Path(manifest.loc[1, "image"]).write_bytes(b"NRRD0004\nthis header is broken\n")
    return manifest


def block_missing_for_p2(tmp):
    manifest = imaging_manifest(tmp)
    return pd.concat([manifest, manifest.iloc[[0]].assign(block="MG")], ignore_index=True)


EXTRACTION_PROBLEMS = {
    # problem: (manifest builder, failure kind, what the message must name)
    "missing file": (missing_image, "missing_file", r"gone\.nrrd"),
    "corrupt file": (corrupt_image, "unreadable_file", r"p2\.nrrd"),
    "empty mask": (lambda tmp: imaging_manifest(tmp, mask=square_mask(0)), "empty_mask", r"p2_mask\.nrrd"),
    "mask label absent": (
        lambda tmp: imaging_manifest(tmp, mask=square_mask(2)),
        "label_absent",
        r"label 1 is absent from mask .*p2_mask\.nrrd.*labels present: \[2\]",
    ),
    "image/mask geometry mismatch": (
        lambda tmp: imaging_manifest(tmp, mask_spacing=(0.5, 0.5)),
        "geometry_mismatch",
        r"p2_mask\.nrrd.*not on the image grid.*spacing",
    ),
    "block missing for a case": (block_missing_for_p2, "block_missing", r"no 'MG' row"),
}


def extract(manifest, **options):
    from radfuse.extract import extract_features

    return extract_features(manifest, FIRSTORDER, progress=False, **options)


def _only_p2_failed(kind):
    def check(result):
        # p2 keeps the blocks that were extracted; the failed one is NaN.
        complete = result.features.notna().all(axis=1)
        assert complete[complete].index.tolist() == ["p1"]
        assert result.failures["case_id"].tolist() == ["p2"]
        assert result.failures["kind"].tolist() == [kind]

    return check


def _extraction_cases():
    from radfuse.extract import ExtractionError
    from radfuse.extract import load_features

    for problem, (build, kind, culprit) in EXTRACTION_PROBLEMS.items():
        raises("extract_features", problem, ExtractionError,
               rf"extract_features: case 'p2', block .*{culprit}.*\[{kind}\]")(
            lambda tmp, build=build: extract(build(tmp))
        )
        handles("extract_features", f"{problem}, on_error='record'", _only_p2_failed(kind))(
            lambda tmp, build=build: extract(build(tmp), on_error="record")
        )

    raises("load_features", "feature table missing", FileNotFoundError,
           r"load_features: .*gone\.parquet.* does not exist")(lambda tmp: load_features(tmp / "gone.parquet"))
    raises("extract_features", "manifest file missing", FileNotFoundError,
           r"read_manifest: manifest file .*nope\.csv.* does not exist")(lambda tmp: extract(tmp / "nope.csv"))

    @exits_with_error("radfuse extract (CLI)", "manifest file missing", "nope.csv")
    def _(tmp):
        return run_cli(["extract", str(tmp / "nope.csv"), "-o", str(tmp / "out.csv"), "--no-progress"])

    @handles("radfuse extract (CLI)", "empty mask", _cli_records_failure)
    def _(tmp):
        imaging_manifest(tmp, mask=square_mask(0)).to_csv(tmp / "manifest.csv", index=False)
        params = tmp / "params.yaml"
        params.write_text(yaml.safe_dump(FIRSTORDER))
        return run_cli(["extract", str(tmp / "manifest.csv"), "--params", str(params),
                        "-o", str(tmp / "out.csv"), "--no-progress"])


def run_cli(argv):
    """Exit code and standard error of ``radfuse <argv>``."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(argv)
    return code, err.getvalue()


def _cli_records_failure(result):
    code, err = result
    assert code == 5 and "1 work item(s) failed" in err and "empty_mask" in err


if HAVE_EXTRACTION:
    _extraction_cases()


# ----------------------------------------------------------- YAML loader, CLI
BASE_YAML = "data: {features: features.csv, label_column: y}\nfeature_sets: {all: [US, MG]}\n"


def study_file(tmp, text):
    X, y = cohort()
    X.assign(y=y).to_csv(tmp / "features.csv")
    path = tmp / "study.yaml"
    path.write_text(text)
    return path


@raises("load_study_config", "misspelled key", StudyConfigError,
        r"study\.yaml: pipeline\.spearman\.threshhold: unknown key; did you mean 'threshold'\?")
def _(tmp):
    return load_study_config(study_file(tmp, BASE_YAML + "pipeline: {spearman: {threshhold: 0.8}}\n"))


@raises("load_study_config", "unknown top-level key", StudyConfigError,
        r"study\.yaml: clasifiers: unknown key; did you mean 'classifiers'\?")
def _(tmp):
    return load_study_config(study_file(tmp, BASE_YAML + "clasifiers: [lr]\n"))


@raises("load_study_config", "unknown classifier", StudyConfigError,
        r"study\.yaml: classifiers\[1\]: unknown value 'xgbost'; did you mean 'xgboost'\?")
def _(tmp):
    return load_study_config(study_file(tmp, BASE_YAML + "classifiers: [lr, xgbost]\n"))


@raises("load_study_config", "data file missing", StudyConfigError,
        r"study\.yaml: data\.features: file 'gone\.csv' does not exist")
def _(tmp):
    return load_study_config(study_file(tmp, BASE_YAML.replace("features.csv", "gone.csv")))


@raises("load_study_config", "corrupt YAML", StudyConfigError, r"study\.yaml: not valid YAML")
def _(tmp):
    return load_study_config(study_file(tmp, BASE_YAML + "cv: [5, \n"))


@raises("load_study_config", "study file missing", FileNotFoundError,
        r"load_study_config: study file .*absent\.yaml.* does not exist")
def _(tmp):
    return load_study_config(tmp / "absent.yaml")


@exits_with_error("radfuse run (CLI)", "misspelled YAML key", "pipeline.mrmr.n_feature", "n_features")
def _(tmp):
    return run_cli(["run", str(study_file(tmp, BASE_YAML + "pipeline: {mrmr: {n_feature: 5}}\n")), "--no-progress"])


@exits_with_error("radfuse predict (CLI)", "tampered model file", "model.skops", "integrity check")
def _(tmp):
    path, X = saved_model(tmp)
    tamper(path)
    X.to_csv(tmp / "new.csv")
    return run_cli(["predict", str(path), "--features", str(tmp / "new.csv")])


@exits_with_error("radfuse compare (CLI)", "string labels without --pos-label", "string labels", "pos_label")
def _(tmp):
    y, p = scores()
    table = pd.DataFrame({"y": relabel(y, "string labels"), "a": p, "b": p.rank(pct=True)})
    table.to_csv(tmp / "predictions.csv")
    return run_cli(["compare", str(tmp / "predictions.csv"), "--a", "a", "--b", "b", "--label", "y"])


# ------------------------------------------- nothing forged, nothing lost (issue 11)
def forged_model(tmp, module, name, *args, where="model"):
    """A saved model with a node calling ``module.name(*args)``, integrity hash recomputed."""
    from test_persistence import _call, _json, forge

    path, X = saved_model(tmp)
    forge(path, _call(module, name, *[_json(arg) for arg in args]), where)
    return path


@raises("load_model", "re-exported subprocess.check_output, hash recomputed", ValueError,
        r"load_model: refusing .*allow-list \['sklearn\.utils\._testing\.check_output'\]")
def _(tmp):
    return load_model(forged_model(tmp, "sklearn.utils._testing", "check_output", "id"))


@raises("load_model", "os.system in the file envelope", ValueError,
        r"load_model: refusing .*envelope.*\['os\.system'\]")
def _(tmp):
    return load_model(forged_model(tmp, "os", "system", "id", where="envelope"))


@raises("load_model", "file differs from the pinned hash", ValueError,
        r"load_model: .*model\.skops has SHA-256 [0-9a-f]{64}, not the expected 0{64}")
def _(tmp):
    path, _ = saved_model(tmp)
    return load_model(path, expected_sha256="0" * 64)


def saved_under_other_versions(tmp):
    path, X = saved_model(tmp)
    bundle = sio.load(path)
    bundle["library_versions"]["scikit-learn"] = "1.0.2"
    sio.dump(bundle, path)
    return path


@raises("load_model", "saved under another scikit-learn version", ValueError,
        r"load_model: .*scikit-learn 1\.0\.2 \(saved\) vs \S+ \(installed\).*allow_version_mismatch=True")
def _(tmp):
    return load_model(saved_under_other_versions(tmp))


@handles("load_model", "another version, allow_version_mismatch=True",
         lambda saved: saved.library_versions["scikit-learn"] == "1.0.2" or pytest.fail())
def _(tmp):
    return load_model(saved_under_other_versions(tmp), allow_version_mismatch=True)


def _previous_file_kept(result):
    before, after, loaded = result
    assert before == after and loaded is not None


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@handles("save_model", "disk full while writing", _previous_file_kept)
def _(tmp):
    from unittest import mock

    path, _ = saved_model(tmp)
    before = path.read_bytes()
    model = load_model(path).estimator
    with mock.patch.object(sio, "dump", disk_full), pytest.raises(OSError):
        save_model(model, path, feature_names=list(cohort()[0].columns))
    return before, path.read_bytes(), load_model(path)


def shuffled(obj):
    return obj.sample(frac=1, random_state=0)


def other_cases(obj):
    return obj.rename(index={"c00": "z00", "c01": "z01"})


REORDERED = r"holds the same 40 cases as .* in another order .*\.loc\["
DIFFERENT = r"hold different cases: 2 id\(s\) only in \w+ \['c00', 'c01'\]; 2 only in \S+ \['z00', 'z01'\]"

for _name in ("UnivariateFilter", "MRMRSelector"):
    raises(_name, "y with the same cases in another order", ValueError, rf"{_name}: y {REORDERED}X\.index")(
        lambda tmp, name=_name: fit_selector(name, cohort()[0], shuffled(cohort()[1])))
    raises(_name, "y of other cases", ValueError, rf"{_name}: X and y {DIFFERENT}")(
        lambda tmp, name=_name: fit_selector(name, cohort()[0], other_cases(cohort()[1])))


@raises("make_radiomics_pipeline", "y with the same cases in another order", ValueError, rf"SMOTE: y {REORDERED}")
def _(tmp):
    X, y = cohort()
    return quick_pipeline().fit(X, shuffled(y))


@raises("WeightedEnsemble", "y with the same cases in another order", ValueError, rf"WeightedEnsemble: y {REORDERED}")
def _(tmp):
    X, y = cohort()
    return fusion("WeightedEnsemble").fit(X, shuffled(y))


@raises("StackingFusion", "y of other cases", ValueError, rf"StackingFusion: X and y {DIFFERENT}")
def _(tmp):
    X, y = cohort()
    return fusion("StackingFusion").fit(X, other_cases(y))


_STATS_ALIGNMENT = {
    "auc_ci": lambda y, p: auc_ci(y, p),
    "delong_test": lambda y, p: delong_test(y, p, p.rank(pct=True)),
    "diagnostic_metrics": lambda y, p: diagnostic_metrics(y, p, threshold=0.5),
    "calibration": lambda y, p: calibration(y, p),
    "decision_curve": lambda y, p: decision_curve(y, {"model": p}),
    "nri": lambda y, p: nri(y, p, p.rank(pct=True)),
    "idi": lambda y, p: idi(y, p, p.rank(pct=True)),
}
for _name, _call_stat in _STATS_ALIGNMENT.items():
    raises(_name, "scores with the same cases in another order", ValueError, rf"{_name}: \S+ {REORDERED}")(
        lambda tmp, call=_call_stat: call(scores()[0], shuffled(scores()[1])))
    raises(_name, "scores of other cases", ValueError, rf"{_name}: y_true and \S+ {DIFFERENT}")(
        lambda tmp, call=_call_stat: call(scores()[0], other_cases(scores()[1])))


def embedding_batches(tmp, second_columns):
    pd.DataFrame({"case_id": ["a", "b"], "d0": [1.0, 2.0], "d1": [10.0, 20.0]}).to_csv(tmp / "b1.csv", index=False)
    second = pd.DataFrame({"case_id": ["c"], "d1": [30.0], "d0": [3.0]})
    second.set_axis(["case_id", *second_columns], axis=1).to_csv(tmp / "b2.csv", index=False)
    return load_embeddings([tmp / "b1.csv", tmp / "b2.csv"], "cnn")


@handles("load_embeddings", "batch with its columns in another order",
         lambda table: table.loc["c"].tolist() == [3.0, 30.0] or pytest.fail(str(table)))
def _(tmp):
    return embedding_batches(tmp, ["d1", "d0"])


@raises("load_embeddings", "batch naming other dimensions", ValueError,
        r"load_embeddings: .*b2\.csv and .*b1\.csv name different dimensions: 1 missing \['d0'\]")
def _(tmp):
    return embedding_batches(tmp, ["d1", "d9"])


@raises("load_study_config", "key given twice", StudyConfigError,
        r"study\.yaml: not valid YAML: key 'random_state' is given twice in one mapping \(lines 3 and 4\)")
def _(tmp):
    return load_study_config(study_file(tmp, BASE_YAML + "random_state: 1\nrandom_state: 2\n"))


def small_study():
    from radfuse.study import example_study_result

    return example_study_result()


@raises("StudyResult.save", "non-empty folder without overwrite", FileExistsError,
        r"StudyResult\.save: .*already holds 1 file\(s\) \(e\.g\. \['notes\.txt'\]\); pass overwrite=True")
def _(tmp):
    (tmp / "notes.txt").write_text("mine")
    return small_study().save(tmp)


@raises("StudyResult.save", "destination is a file", ValueError, r"StudyResult\.save: .*taken' is a file")
def _(tmp):
    (tmp / "taken").write_text("x")
    return small_study().save(tmp / "taken")


@handles("StudyResult.save", "disk full while saving over an earlier report", _previous_file_kept)
def _(tmp):
    from unittest import mock

    import radfuse.report._save as save_module

    result = small_study()
    with mock.patch.object(save_module, "study_figures", lambda result, **options: {}):
        report = result.save(tmp / "out", save_models=False)
        before = report.read_bytes()
        with mock.patch.object(save_module, "write_html_report", disk_full), pytest.raises(OSError):
            result.save(tmp / "out", overwrite=True, save_models=False)
    return before, report.read_bytes(), report


def volume(seed, shape=(8, 12, 12)):
    return np.random.default_rng(seed).normal(200, 30, shape).astype(np.float32)


def cube_mask(shape=(8, 12, 12)):
    mask = np.zeros(shape, np.uint8)
    mask[tuple(slice(n // 4, 3 * n // 4) for n in shape)] = 1
    return mask


def volume_manifest(tmp, p2_image=None, p2_mask=None, p2_origin=None):
    """Three 3D cases p1..p3 of block CT; p2 may get another image, mask or mask origin."""
    import SimpleITK as sitk

    rows = []
    for i, case in enumerate(("p1", "p2", "p3")):
        image = p2_image if case == "p2" and p2_image is not None else volume(i)
        mask = sitk.GetImageFromArray(p2_mask if case == "p2" and p2_mask is not None else cube_mask())
        if case == "p2" and p2_origin is not None:
            mask.SetOrigin(p2_origin)
        sitk.WriteImage(sitk.GetImageFromArray(image), str(tmp / f"{case}.nrrd"))
        sitk.WriteImage(mask, str(tmp / f"{case}_mask.nrrd"))
        rows.append({"case_id": case, "block": "CT", "image": str(tmp / f"{case}.nrrd"),
                     "mask": str(tmp / f"{case}_mask.nrrd")})
    return pd.DataFrame(rows)


def with_nan_in_lesion():
    image = volume(1)
    image[4, 6, 6] = np.nan
    return image


def _warned(pattern, check=None):
    def verify(result):
        outcome, messages = result
        assert sum(bool(re.search(pattern, m, re.DOTALL)) for m in messages) == 1, messages
        if check is not None:
            check(outcome)

    return verify


def extract_warnings(tmp, run):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = run(tmp)
    return outcome, [str(w.message) for w in caught]


def _statuses(expected):
    def check(result):
        assert sorted(result.work_items["status"]) == expected, result.work_items

    return check


def _safety_extraction_cases():
    from unittest import mock

    from radfuse.extract import _cache
    from radfuse.extract import ExtractionError
    from radfuse.extract import load_features

    shape_params = {"featureClass": {"firstorder": [], "shape": []},
                    "setting": {"binWidth": 10, "force2D": False}}

    def flat_p2(tmp):
        return volume_manifest(tmp, p2_image=volume(1)[4], p2_mask=cube_mask()[4])

    def extract_3d(manifest, **options):
        from radfuse.extract import extract_features

        return extract_features(manifest, shape_params, progress=False, **options)

    raises("extract_features", "one 2D case in a 3D cohort", ExtractionError,
           r"extract_features: case 'p2', block 'CT'.*2D vs 3D.*\[inconsistent_features\]")(
        lambda tmp: extract_3d(flat_p2(tmp)))
    handles("extract_features", "one 2D case in a 3D cohort, on_error='record'",
            lambda r: r.failures[["case_id", "kind"]].values.tolist() == [["p2", "inconsistent_features"]]
            or pytest.fail(str(r.failures)))(lambda tmp: extract_3d(flat_p2(tmp), on_error="record"))

    raises("extract_features", "NaN voxels inside the mask", ExtractionError,
           r"extract_features: case 'p2'.*p2\.nrrd.*1 NaN or infinite voxel.*\[nan_in_mask\]")(
        lambda tmp: extract(volume_manifest(tmp, p2_image=with_nan_in_lesion())))
    handles("extract_features", "NaN voxels inside the mask, on_error='record'",
            lambda r: r.failures[["case_id", "kind"]].values.tolist() == [["p2", "nan_in_mask"]]
            or pytest.fail(str(r.failures)))(
        lambda tmp: extract(volume_manifest(tmp, p2_image=with_nan_in_lesion()), on_error="record"))

    handles("extract_features", "mask 5e-5 voxel off (inside both tolerances)",
            lambda r: (r.failures.empty and len(r.features) == 3) or pytest.fail(str(r.failures)))(
        lambda tmp: extract(volume_manifest(tmp, p2_origin=(5e-5, 0.0, 0.0)), on_error="record"))

    def duplicated_case(tmp):
        manifest = volume_manifest(tmp)
        manifest.loc[2, ["image", "mask"]] = manifest.loc[0, ["image", "mask"]].tolist()
        return extract(manifest)

    handles("extract_features", "two case ids for the same image and mask",
            _warned(r"extract_features: 1 group\(s\) of case ids point at identical.*\['p1', 'p3'\]"))(
        lambda tmp: extract_warnings(tmp, duplicated_case))

    def corrupted_cache(tmp):
        manifest = volume_manifest(tmp)
        extract(manifest, cache_dir=tmp / "cache")
        entry = sorted((tmp / "cache").glob("*.json"))[0]
        stored = json.loads(entry.read_text())
        stored["values"]["original_firstorder_Mean"] += 0.001
        entry.write_text(json.dumps(stored))
        return extract(manifest, cache_dir=tmp / "cache")

    handles("extract_features", "cache entry with one value changed",
            _warned(r"cache had problems for 1 item.*checksum; recomputed",
                    _statuses(["cached", "cached", "recomputed"])))(
        lambda tmp: extract_warnings(tmp, corrupted_cache))

    def unwritable_cache(tmp):
        (tmp / "blocker").write_text("x")
        return extract(volume_manifest(tmp), cache_dir=tmp / "blocker" / "cache")

    handles("extract_features", "cache folder cannot be created",
            _warned(r"cache folder .*blocker/cache' cannot be written.*without a cache",
                    _statuses(["extracted"] * 3)))(lambda tmp: extract_warnings(tmp, unwritable_cache))

    def cache_fills_up(tmp):
        manifest = volume_manifest(tmp)
        with mock.patch.object(_cache, "write_text", disk_full):
            return extract(manifest, cache_dir=tmp / "cache", on_error="record")

    handles("extract_features", "cache disk full mid-run",
            _warned(r"cannot write to cache folder .*cache'.*No space left", _statuses(["extracted"] * 3)))(
        lambda tmp: extract_warnings(tmp, cache_fills_up))

    def saved_pair(tmp):
        path = tmp / "features.csv"
        extract(volume_manifest(tmp)).save(path)
        return path

    def table_kept_after_disk_full(tmp):
        path = saved_pair(tmp)
        before = path.read_bytes()
        torn = lambda frame, target, *a, **k: (Path(target).write_text("case_id\n"), disk_full())  # noqa: E731
        with mock.patch.object(pd.DataFrame, "to_csv", torn), pytest.raises(OSError):
            extract(volume_manifest(tmp)).save(path)
        return before, path.read_bytes(), load_features(path)

    handles("ExtractionResult.save", "disk full while rewriting the table", _previous_file_kept)(
        table_kept_after_disk_full)

    def edited_table(tmp):
        path = saved_pair(tmp)
        pd.read_csv(path).iloc[:-1].to_csv(path, index=False)
        return load_features(path)

    raises("load_features", "table does not match its sidecar", ValueError,
           r"load_features: .*features\.csv' does not match its provenance sidecar")(edited_table)

    def parent_is_file(tmp):
        (tmp / "taken").write_text("x")
        return extract(volume_manifest(tmp)).save(tmp / "taken" / "features.csv")

    raises("ExtractionResult.save", "parent folder is a file", ValueError,
           r"ExtractionResult\.save: cannot write .*taken' is a file, not a folder")(parent_is_file)

    def parquet_without_engine(tmp):
        result = extract(volume_manifest(tmp))
        with mock.patch.object(pd.io.parquet, "get_engine", side_effect=ImportError("no engine")):
            return result.save(tmp / "features.parquet")

    raises("ExtractionResult.save", ".parquet without pyarrow", ImportError,
           r"ExtractionResult\.save: writing .*features\.parquet' needs pyarrow")(parquet_without_engine)


if HAVE_EXTRACTION:
    _safety_extraction_cases()


# ----------------------------------------------------------------------- test
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case, tmp_path):
    if case.error is not None:
        with pytest.raises(case.error, match=re.compile(case.match, re.DOTALL)):
            case.run(tmp_path)
    else:
        case.check(case.run(tmp_path))


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
