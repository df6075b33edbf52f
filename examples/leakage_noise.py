"""Why radfuse fits every step inside the folds: AUCs on pure noise.
=================================================================

The features are Gaussian noise and the labels are coin flips, so no model can
beat an AUC of 0.5 on new cases. radfuse's Study refits the whole protocol
(SMOTE, z-score, univariate tests, Spearman pruning, mRMR, LASSO, classifier)
inside every training fold and on the training set only, and reports ~0.5.
The common mistake -- selecting features on all cases first and then
cross-validating only the classifier -- reports a confident, and entirely
spurious, AUC.

Run::

    python examples/leakage_noise.py            # 200 cases x 5,000 features, 5 seeds
    python examples/leakage_noise.py --quick    # 200 x 1,000, 3 seeds, for a smoke test
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from radfuse.pipeline import fit_resample_transform, make_radiomics_pipeline
from radfuse.study import Study


def noise_data(n_cases: int, n_features: int, seed: int):
    """Gaussian features and random labels (40 % positive), indexed by case id."""
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"case{i:03d}" for i in range(n_cases)], name="case_id")
    columns = [f"noise__f{j:05d}" for j in range(n_features)]
    X = pd.DataFrame(rng.normal(size=(n_cases, n_features)), index=ids, columns=columns)
    y = pd.Series((rng.random(n_cases) < 0.4).astype(int), index=ids, name="label")
    return X, y


def protocol(classifier, random_state):
    """The published protocol; LASSO's CV shortened from 20 x 10 to 10 folds for speed."""
    return make_radiomics_pipeline(classifier, lasso={"cv": 10}, random_state=random_state)


def outer_cv(seed):
    return RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=seed)


def radfuse_aucs(X, y, seed):
    """Repeated-CV and hold-out AUC of the full protocol, every step inside the folds."""
    result = Study(
        X, y, {"noise": ["noise"]}, pipeline=protocol, classifiers=["lr"], split=0.3,
        cv=outer_cv(seed), random_state=seed, progress=False,
    ).run()
    cv_auc = result.metrics("cv").query("metric == 'auc'")["mean"].item()
    test_auc = result.metrics("test").query("metric == 'auc'")["estimate"].item()
    return cv_auc, test_auc, result


def leaky_aucs(X, y, seed, result):
    """The mistake: select on ALL cases, then evaluate only the classifier.

    The hold-out is the same test set as radfuse's; only the feature
    selection has seen it.
    """
    selection = protocol("lr", seed)[:-1]
    fit_resample_transform(selection, X, y)
    selected = list(selection.get_feature_names_out())
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    cv_auc = cross_val_score(classifier, X[selected], y, cv=outer_cv(seed), scoring="roc_auc").mean()
    train, test = result.y_train.index, result.y_test.index
    model = classifier.fit(X.loc[train, selected], y.loc[train])
    test_auc = roc_auc_score(y.loc[test], model.predict_proba(X.loc[test, selected])[:, 1])
    return cv_auc, test_auc, len(selected)


def run(n_cases=200, n_features=5000, seeds=(0, 1, 2, 3, 4)) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        X, y = noise_data(n_cases, n_features, seed)
        cv_auc, test_auc, result = radfuse_aucs(X, y, seed)
        leaky_cv, leaky_test, n_selected = leaky_aucs(X, y, seed, result)
        rows.append({
            "seed": seed, "radfuse_cv_auc": cv_auc, "radfuse_test_auc": test_auc,
            "leaky_cv_auc": leaky_cv, "leaky_test_auc": leaky_test,
            "leaky_n_features": n_selected, "seconds": time.perf_counter() - start,
        })
        print(f"seed {seed}: radfuse CV {cv_auc:.3f}, hold-out {test_auc:.3f} | "
              f"leaky CV {leaky_cv:.3f}, hold-out {leaky_test:.3f} ({n_selected} features)", flush=True)
    return pd.DataFrame(rows).set_index("seed")


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0] or None)
    parser.add_argument("--quick", action="store_true", help="1,000 features and 3 seeds")
    args = parser.parse_args(argv)
    n_features, seeds = (1000, (0, 1, 2)) if args.quick else (5000, (0, 1, 2, 3, 4))
    print(f"Pure noise: 200 cases x {n_features} features, random labels; "
          "every AUC should be 0.5 up to sampling error.\n")
    table = run(200, n_features, seeds)
    mean = table.mean()
    print(f"\nmean over {len(seeds)} seeds:")
    print(f"  radfuse (every step inside the folds)   CV AUC {mean['radfuse_cv_auc']:.3f}   "
          f"hold-out AUC {mean['radfuse_test_auc']:.3f}")
    print(f"  leaky (features selected on all cases)  CV AUC {mean['leaky_cv_auc']:.3f}   "
          f"hold-out AUC {mean['leaky_test_auc']:.3f}")
    return table


if __name__ == "__main__":
    main()
