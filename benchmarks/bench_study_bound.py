"""Study against its lower bound: the eight classifiers on the already-selected tables.

The Study's work that no implementation of the protocol can avoid is fitting
and scoring the eight classifiers on each fold's selected table; everything
else (SMOTE, z-score, univariate tests, Spearman pruning, mRMR, LASSO 20 x 10
CV, bookkeeping) is overhead on top. This benchmark builds every fold's
selected tables once, untimed, exactly as the Study does (one selection per
fold and feature set, :func:`radfuse.pipeline.fit_resample_transform`), then
times, interleaved with whole Study runs:

* the lower bound: for every (fold, feature set), and for the final refit on
  the whole training set, clone each classifier, fit it on the selected
  training table's values (the bare arrays: the classifiers' cheapest input)
  and take ``predict_proba`` of the held-out cases (of the test set for the
  refit), in the same joblib pool of ``n_jobs`` processes as the Study, whose
  final models are fitted on the DataFrames to keep the column names;
* the Study, same folds, same ``n_jobs``.

``ratio`` is lower bound / Study (the target: Study within 1.5x of the bound,
ratio >= 0.67). Cohorts are shaped like the ALNM study (p = 3000: three
900-feature radiomic blocks and a 300-dimensional CNN block) at n = 270 and
n = 1000. The out-of-fold probabilities of the bound must equal the Study's:
the benchmark asserts it, so both sides do the same work.
"""

from __future__ import annotations

import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold

from benchmarks import interleaved, print_rows, timing_row
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.models import PROTOCOL_CLASSIFIERS
from radfuse.pipeline import fit_resample_transform, make_radiomics_pipeline, transform_new_cases
from radfuse.study import Study

SEED = 0
FEATURE_SETS = {
    "radiomics": ["US", "MG", "MRI"],
    "deep": ["cnn"],
    "combined": ["US", "MG", "MRI", "cnn"],
}


def _cohort(n_cases):
    return make_multimodal_table(
        n_cases, {"US": 900, "MG": 900, "MRI": 900}, n_embedding=300,
        weights=(153 / 270, 117 / 270), random_state=SEED, return_X_y=True,
    )


def _selected_tables(X_fit, y_fit, X_new, columns):
    selection = make_radiomics_pipeline(random_state=SEED)[:-1]
    Xt, yt = fit_resample_transform(selection, X_fit[columns], y_fit)
    return Xt, yt, transform_new_cases(selection, X_new[columns])


def _classifiers_on(Xt, yt, Xv):
    classifiers = {name: make_radiomics_pipeline(name, random_state=SEED)[-1] for name in PROTOCOL_CLASSIFIERS}
    Xt, yt, Xv = Xt.to_numpy(), yt.to_numpy(), Xv.to_numpy()
    return {name: clone(clf).fit(Xt, yt).predict_proba(Xv)[:, 1] for name, clf in classifiers.items()}


def run(n_cases=(270, 1000), n_repeats: int = 2, n_jobs: int = 2, pairs: int = 3) -> list[dict]:
    """Time the Study and its lower bound at each cohort size; check equal probabilities.

    Parameters
    ----------
    n_cases : sequence of int
        Cohort sizes (the issue's: 270 and 1000).
    n_repeats : int
        Repeats of the outer 5-fold CV (the ratio hardly depends on it).
    n_jobs : int
        Processes for both sides.
    pairs : int
        Interleaved (bound, Study) timings.
    """
    rows = []
    for n in n_cases:
        X, y = _cohort(n)
        cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=n_repeats, random_state=SEED)
        study = Study(X, y, FEATURE_SETS, cv=cv, random_state=SEED, n_jobs=n_jobs, progress=False)
        started = time.perf_counter()
        result = study.run()
        first_run_s = time.perf_counter() - started
        X_train, y_train = X.loc[result.y_train.index], result.y_train
        columns = result.settings["feature_sets"]
        folds = list(cv.split(X_train, y_train))
        X_test = X.loc[result.y_test.index]
        tasks = [(name, fold, train, test) for fold, (train, test) in enumerate(folds) for name in columns]
        tables = Parallel(n_jobs=n_jobs)(
            delayed(_selected_tables)(
                X_train.iloc[train], y_train.iloc[train], X_train.iloc[test], columns[name])
            for name, _, train, test in tasks
        ) + [_selected_tables(X_train, y_train, X_test, columns[name]) for name in columns]

        def bound():
            return Parallel(n_jobs=n_jobs)(delayed(_classifiers_on)(*table) for table in tables)

        cv_predictions = result.predictions.query("split == 'cv'").set_index(
            ["feature_set", "classifier", "fold", "case_id"])["probability"].sort_index()
        for (name, fold, _, test), probabilities in zip(tasks, bound()):
            for classifier, ours in probabilities.items():
                theirs = cv_predictions.loc[(name, classifier, fold)].loc[X_train.index[test]].to_numpy()
                if not np.array_equal(ours, theirs):
                    raise AssertionError(
                        f"bench_study_bound: {name}/{classifier} fold {fold}: the bound's "
                        "probabilities differ from the Study's"
                    )
        bound_s, study_s = interleaved(bound, study.run, pairs=pairs)
        rows.append(timing_row(
            f"Study vs its lower bound, {n} x 3000, 3 sets x 8 clf, {n_repeats}x5 CV",
            study_s, bound_s,
            f"radfuse = whole Study (first run {first_run_s:.1f} s, incl. the final refit); peer = "
            f"the 8 classifiers fitted and scored on the values of the {len(folds)} folds' and "
            "the refit's selected tables (CV probabilities equal the Study's); ratio = bound / Study, "
            "target >= 0.67",
        ))
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[270, 1000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    print_rows(run(args.cases, args.repeats, args.jobs, args.pairs))
