"""A tiny finished study, for the examples of the figure and report functions."""

from __future__ import annotations


def example_study_result(random_state: int = 0):
    """Run a small two-feature-set study in well under a second.

    60 synthetic cases with two 8-feature radiomic blocks (``US``, ``MG``),
    logistic regression on a short protocol (mRMR to 4 features, LASSO with
    3-fold CV; no SMOTE, univariate or Spearman step) and 2-fold CV. It
    exists so that the examples of :mod:`radfuse.plots` and
    :mod:`radfuse.report` have a real :class:`StudyResult` to work on; a
    study of your own is built the same way.

    Returns
    -------
    StudyResult

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> result.models
    [('US', 'lr'), ('MG', 'lr')]
    """
    from ..datasets.multimodal import make_multimodal_table
    from ..pipeline import make_radiomics_pipeline
    from ._study import Study

    X, y = make_multimodal_table(
        n_cases=60, blocks={"US": 8, "MG": 8}, n_embedding=0, class_sep=1.5,
        return_X_y=True, random_state=random_state,
    )

    def pipeline(classifier, random_state):
        return make_radiomics_pipeline(
            classifier, smote=False, univariate=False, spearman=False,
            mrmr={"n_features": 4}, lasso={"cv": 3}, random_state=random_state,
        )

    study = Study(X, y, {"US": ["US"], "MG": ["MG"]}, pipeline=pipeline,
                  classifiers=["lr"], cv=2, random_state=random_state, progress=False)
    return study.run()
