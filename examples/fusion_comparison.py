"""Single blocks vs early fusion vs ensemble vs stacking, as in a three-modality study.
====================================================================================

Reproduces the fusion comparison of Lu et al. (2024, Front Med 11:1402967) --
one model per modality, early fusion (concatenate, one model), a
softmax-accuracy weighted ensemble and stacking -- on two datasets:

* WDBC as three blocks (``mean``, ``se``, ``worst``), base model z-score +
  logistic regression;
* a synthetic cohort shaped like the study's (322 cases, 210 malignant): US,
  MG and MRI blocks of 1000 radiomic features each with a short selection
  pipeline (z-score -> 10 best by ANOVA F -> logistic regression), and a
  256-dimensional CNN-embedding block reduced by PCA to 32 components.

Each dataset is split 80/20 (stratified, as in the study). On the 80 % part
every model gets a repeated stratified CV AUC (mean +/- SD over folds); then
all models are refitted on it and scored on the 20 % hold-out, where each fused
model is compared with the best single block (chosen by CV AUC, never by the
hold-out) with DeLong's test.

    python examples/fusion_comparison.py                    # 5 x 5 CV
    python examples/fusion_comparison.py --repeats 20 --jobs -1
"""

import argparse
import time

import pandas as pd
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from radfuse.blocks import BlockTransformer
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.datasets.wdbc import load_wdbc_blocks
from radfuse.fusion import StackingFusion, WeightedEnsemble
from radfuse.stats import delong_test


def wdbc_study():
    X, y = load_wdbc_blocks(return_X_y=True)
    base = {
        block: make_pipeline(StandardScaler(), LogisticRegression())
        for block in ("mean", "se", "worst")
    }
    early = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return X, y, base, early


def synthetic_study():
    X, y = make_multimodal_table(
        n_cases=322,
        blocks={"US": 1000, "MG": 1000, "MRI": 1000},
        n_embedding=256,
        class_sep={"US": 0.6, "MG": 0.4, "MRI": 0.7, "cnn": 0.6},
        weights=(112 / 322, 210 / 322),
        random_state=0,
        return_X_y=True,
    )

    def select():
        return make_pipeline(StandardScaler(), SelectKBest(f_classif, k=10))

    def reduce():
        return make_pipeline(StandardScaler(), PCA(n_components=32, random_state=0))

    base = {
        block: make_pipeline(select(), LogisticRegression(C=0.5)) for block in ("US", "MG", "MRI")
    }
    base["cnn"] = make_pipeline(reduce(), LogisticRegression(C=0.05))
    early = make_pipeline(
        BlockTransformer({"US": select(), "MG": select(), "MRI": select(), "cnn": reduce()}),
        StandardScaler(),
        LogisticRegression(C=0.05),
    )
    return X, y, base, early


def models(base, early):
    single = {
        f"single: {block}": make_pipeline(
            BlockTransformer({block: "passthrough"}, remainder="drop"), estimator
        )
        for block, estimator in base.items()
    }
    return {
        **single,
        "early fusion": early,
        "ensemble (softmax accuracy)": WeightedEnsemble(base),
        "stacking (logistic meta)": StackingFusion(base),
    }


def compare(name, X, y, base, early, n_splits, n_repeats, n_jobs):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    folds = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=0)
    rows, hold_out = [], {}
    for label, model in models(base, early).items():
        auc = cross_val_score(model, X_train, y_train, cv=folds, scoring="roc_auc", n_jobs=n_jobs)
        hold_out[label] = model.fit(X_train, y_train).predict_proba(X_test)[:, 1]
        rows.append({"model": label, "cv_auc": auc.mean(), "cv_sd": auc.std(ddof=1)})
    table = pd.DataFrame(rows).set_index("model")

    best_single = table.filter(like="single:", axis=0)["cv_auc"].idxmax()
    tests = []
    for label in ("early fusion", "ensemble (softmax accuracy)", "stacking (logistic meta)"):
        result = delong_test(y_test, hold_out[label], hold_out[best_single])
        tests.append({
            "fused model": label,
            "hold-out AUC": result.auc_a,
            f"vs {best_single}": result.auc_b,
            "difference": result.estimate,
            "95% CI": f"{result.ci[0]:+.3f} to {result.ci[1]:+.3f}",
            "p (DeLong)": result.pvalue,
        })
    table["hold_out_auc"] = pd.Series(
        {label: roc_auc_score(y_test, score) for label, score in hold_out.items()}
    )

    print(f"\n=== {name}: {len(X_train)} training / {len(X_test)} hold-out cases, "
          f"{n_repeats} x {n_splits} CV ===")
    print(table.to_string(float_format="{:.3f}".format))
    print(pd.DataFrame(tests).set_index("fused model").to_string(float_format="{:.3f}".format))
    return table, pd.DataFrame(tests)


def main(n_splits=5, n_repeats=5, n_jobs=None):
    started = time.perf_counter()
    results = {}
    studies = {"WDBC, three blocks": wdbc_study, "synthetic US + MG + MRI + CNN": synthetic_study}
    for name, study in studies.items():
        results[name] = compare(
            name, *study(), n_splits=n_splits, n_repeats=n_repeats, n_jobs=n_jobs
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0] or None)
    parser.add_argument("--splits", type=int, default=5, help="folds per CV repeat")
    parser.add_argument("--repeats", type=int, default=5, help="CV repeats")
    parser.add_argument("--jobs", type=int, default=None, help="parallel folds (joblib)")
    args = parser.parse_args()
    main(n_splits=args.splits, n_repeats=args.repeats, n_jobs=args.jobs)
