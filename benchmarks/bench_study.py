"""Study with shared selection vs one imbalanced-learn pipeline per classifier.

The full published protocol on a synthetic cohort shaped like the ALNM study:
270 cases, 3,000 features (three 900-feature radiomic blocks and a 300-dim CNN
block), three feature sets (radiomics, deep, combined), the eight classifiers,
20 x 5 repeated stratified CV with LASSO 20 x 10 CV inside each fold, then a
refit on the training set.

The peer is the straightforward way: for every feature set and classifier,
``cross_validate`` of the full pipeline, which refits SMOTE, scaling and all
selection steps for each classifier. It takes hours on 2 cores, so it is
timed on the first ``peer_folds`` outer folds and scaled linearly to the 100
folds plus the final refit. On those folds, the AUCs the peer's scorer computes
must equal those of the Study's stored out-of-fold probabilities exactly --
the benchmark asserts it.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold, cross_validate

from benchmarks import PAIRS, interleaved, print_rows, timing_row
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.models import PROTOCOL_CLASSIFIERS
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.study import Study

SEED = 0
FEATURE_SETS = {
    "radiomics": ["US", "MG", "MRI"],
    "deep": ["cnn"],
    "combined": ["US", "MG", "MRI", "cnn"],
}


def _cohort():
    # 117 of 270 cases positive, as in the ALNM study.
    return make_multimodal_table(
        270, {"US": 900, "MG": 900, "MRI": 900}, n_embedding=300,
        weights=(153 / 270, 117 / 270), random_state=SEED, return_X_y=True,
    )


def _straightforward(X_train, y_train, columns, classifier, folds, n_jobs):
    scorer = make_scorer(roc_auc_score, response_method="predict_proba")
    scores = cross_validate(
        make_radiomics_pipeline(classifier, random_state=SEED),
        X_train[columns], y_train, cv=folds, scoring=scorer, n_jobs=n_jobs,
    )
    return scores["test_score"]


def run(n_repeats: int = 20, peer_folds: int = 10, n_jobs: int = 2,
        pairs: int = PAIRS) -> list[dict]:
    """Time the Study and the straightforward way; check their AUCs are identical.

    Parameters
    ----------
    n_repeats : int
        Repeats of the outer 5-fold CV (the protocol: 20). Lower it for a
        quick look; the ratio hardly depends on it.
    peer_folds : int
        Outer folds on which the straightforward way is timed.
    n_jobs : int
        Processes for both (the benchmark machine has 2 cores).
    pairs : int
        Interleaved (Study, peer) timings; the row reports their medians.
    """
    X, y = _cohort()
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=n_repeats, random_state=SEED)
    study = Study(X, y, FEATURE_SETS, cv=cv, random_state=SEED, n_jobs=n_jobs, progress=False)
    result = study.run()
    X_train, y_train = X.loc[result.y_train.index], result.y_train
    folds = list(cv.split(X_train, y_train))[:peer_folds]
    predictions = result.predictions.query("split == 'cv' and fold < @peer_folds")
    # The same scorer as the peer's, on the Study's stored out-of-fold probabilities.
    scores = predictions.groupby(["feature_set", "classifier", "fold"])[
        ["y_true", "probability"]
    ].apply(lambda fold: roc_auc_score(fold["y_true"], fold["probability"]))

    def peer():
        for feature_set, columns in result.settings["feature_sets"].items():
            for classifier in PROTOCOL_CLASSIFIERS:
                theirs = _straightforward(X_train, y_train, columns, classifier, folds, n_jobs)
                ours = scores.loc[(feature_set, classifier)].to_numpy()
                if not np.array_equal(ours, theirs):
                    raise AssertionError(
                        f"bench_study: AUCs of {feature_set}/{classifier} differ from the "
                        f"straightforward pipeline: {ours} vs {theirs}"
                    )

    study_s, peer_measured_s = interleaved(study.run, peer, pairs=pairs)
    total_fits = 5 * n_repeats + 1
    # The peer runs peer_folds of the total_fits fits; scale each timing alike.
    peer_s = [seconds * total_fits / peer_folds for seconds in peer_measured_s]
    return [
        timing_row(
            f"Study, 270 x 3000, 3 sets x 8 classifiers, {n_repeats}x5 CV + refit, "
            f"n_jobs={n_jobs}",
            study_s, peer_s,
            f"peer = one imblearn pipeline per classifier via cross_validate, timed on "
            f"{peer_folds} of {5 * n_repeats} outer folds and scaled linearly to "
            f"{total_fits} fits; its per-fold AUCs equal the Study's exactly on those "
            "folds. Goals: < 300 s, >= 5x",
        )
    ]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--peer-folds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=PAIRS)
    args = parser.parse_args()
    print_rows(run(args.repeats, args.peer_folds, args.jobs, args.pairs))
