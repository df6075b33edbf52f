"""The radiomics protocol on real breast-mass features, with repeated CV.
======================================================================

Runs ``make_radiomics_pipeline`` (SMOTE -> z-score -> univariate ->
Spearman -> mRMR -> LASSO -> classifier) for each of the eight protocol
classifiers under 20 x 5 repeated stratified cross-validation on the
Wisconsin Diagnostic Breast Cancer table (569 masses, 30 features), and
prints mean +/- SD AUC per classifier. Every step is refitted inside each
training fold.

    python examples/protocol_wdbc.py            # 20 x 5 CV, LASSO 10-fold
    python examples/protocol_wdbc.py --quick    # 2 x 5 CV, LASSO 5-fold
"""

import argparse
import time

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score

from radfuse.models import PROTOCOL_CLASSIFIERS, classifier_label
from radfuse.pipeline import make_radiomics_pipeline


def main(quick: bool = False, n_jobs: int = -1) -> pd.DataFrame:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    y = 1 - y  # radiomics convention: 1 = malignant
    outer = RepeatedStratifiedKFold(n_splits=5, n_repeats=2 if quick else 20, random_state=0)
    lasso_cv = StratifiedKFold(5 if quick else 10, shuffle=True, random_state=0)
    rows = []
    for name in PROTOCOL_CLASSIFIERS:
        started = time.perf_counter()
        model = make_radiomics_pipeline(
            name, mrmr={"n_features": 10}, lasso={"cv": lasso_cv}, random_state=0
        )
        auc = cross_val_score(model, X, y, cv=outer, scoring="roc_auc", n_jobs=n_jobs)
        rows.append({
            "classifier": classifier_label(name),
            "auc_mean": auc.mean(),
            "auc_sd": auc.std(ddof=1),
            "seconds": time.perf_counter() - started,
        })
        print(f"{rows[-1]['classifier']:<30} AUC {auc.mean():.3f} +/- {auc.std(ddof=1):.3f}",
              flush=True)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0] or None)
    parser.add_argument("--quick", action="store_true", help="2 x 5 outer CV for a fast check")
    parser.add_argument("--jobs", type=int, default=-1, help="parallel folds (joblib)")
    args = parser.parse_args()
    main(quick=args.quick, n_jobs=args.jobs)
