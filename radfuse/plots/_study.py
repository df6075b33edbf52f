"""Figures of a :class:`~radfuse.study.StudyResult`, each assembling its panels from the array-level plots.

Legends name classifiers by their short labels (``models.CLASSIFIERS``).
"""

from __future__ import annotations

from matplotlib.figure import Figure

from ..models import classifier_short_label
from ._calibration import plot_calibration_panels
from ._confusion import plot_confusion_matrices
from ._decision_curve import plot_decision_curve
from ._lasso import plot_lasso_coefficients, plot_lasso_cv, plot_lasso_path
from ._roc import plot_cv_roc, plot_roc
from ._style import model_colours, styled
from ._waterfall import plot_waterfall

__all__ = [
    "plot_study_calibration",
    "plot_study_confusion_matrices",
    "plot_study_decision_curve",
    "plot_study_lasso",
    "plot_study_lasso_coefficients",
    "plot_study_roc",
    "plot_study_waterfall",
]


def _classifiers_of(result, feature_set: str) -> list[str]:
    classifiers = [classifier for name, classifier in result.models if name == feature_set]
    if not classifiers:
        feature_sets = list(dict.fromkeys(name for name, _ in result.models))
        raise ValueError(
            f"radfuse.plots: the study has no feature set {feature_set!r}; it has {feature_sets}."
        )
    return classifiers


def _study_probabilities(result, feature_set: str, split: str):
    """``y`` (0/1, case order of the split) and ``{short label: probabilities}``."""
    y = result.outcome(split)
    probs = {
        classifier_short_label(classifier): result.probabilities((feature_set, classifier), split)
        .loc[y.index]
        .to_numpy()
        for classifier in _classifiers_of(result, feature_set)
    }
    return y.to_numpy(), probs


def _split_label(split: str) -> str:
    """``"test set"``/``"train set"``, or ``"cohort <name>"`` for a named test cohort."""
    return f"{split} set" if split in ("test", "train") else f"cohort {split}"


def _study_colours(result) -> dict:
    """Colours keyed by the classifiers' short labels, the same in every study figure."""
    classifiers = list(dict.fromkeys(classifier for _, classifier in result.models))
    return model_colours([classifier_short_label(name) for name in classifiers])


@styled
def plot_study_roc(result, feature_set: str, split: str = "test") -> Figure:
    """ROC curves of every classifier of a feature set: repeated CV (left) and test set (right).

    The left panel averages the ROC curves of all outer CV folds (see
    :func:`plot_cv_roc`); the right one shows the final models on the test
    set, or on the test cohort ``split``, with DeLong 95% CIs (see
    :func:`plot_roc`).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
        Feature set (or fusion model) whose classifiers are drawn.
    split : str
        ``"test"`` (the primary test cohort) or a test cohort's name.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_roc
    >>> fig = plot_study_roc(result, "US")
    >>> len(fig.axes)
    2

    References
    ----------
    .. [1] Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area
        under a receiver operating characteristic (ROC) curve. Radiology, 143(1),
        29-36.
    .. [2] DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing
        the areas under two or more correlated receiver operating characteristic
        curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    .. [3] Fawcett, T. (2006). An introduction to ROC analysis. Pattern Recognition
        Letters, 27(8), 861-874.
    """
    colours = _study_colours(result)
    cv = result.predictions[
        (result.predictions["split"] == "cv") & (result.predictions["feature_set"] == feature_set)
    ]
    folds = {
        classifier_short_label(classifier): [
            (part["y_true"].to_numpy(), part["probability"].to_numpy())
            for _, part in rows.groupby(["repeat", "fold"], sort=False)
        ]
        for classifier, rows in cv.groupby("classifier", sort=False)
    }
    figure = Figure(figsize=(9.6, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2)
    n_folds, n_repeats = result.settings["n_folds"], result.settings["n_repeats"]
    plot_cv_roc(folds, colours=colours, ax=left, title=f"Training set: {n_folds} CV folds ({n_repeats} repeats)")
    y, probs = _study_probabilities(result, feature_set, split)
    where = "Test set" if split == "test" else f"Test cohort {split}"
    plot_roc(y, probs, colours=colours, ax=right, title=f"{where} (n = {y.size})")
    figure.suptitle(f"ROC curves: {feature_set}")
    return figure


@styled
def plot_study_calibration(result, feature_set: str, split: str = "test", n_bins=None) -> Figure:
    """Calibration of every classifier of a feature set, one panel each (see :func:`plot_calibration_panels`).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
    split : {"test", "train"} or a test cohort's name
    n_bins : int, optional
        Default :func:`calibration_bins` of the split's size.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_calibration
    >>> figure = plot_study_calibration(result, "US")
    >>> figure.get_suptitle().splitlines()[0]
    'Calibration: US (test set)'

    References
    ----------
    .. [1] Van Calster, B., McLernon, D. J., van Smeden, M., Wynants, L., &
        Steyerberg, E. W. (2019). Calibration: the Achilles heel of predictive
        analytics. BMC Medicine, 17, 230.
    """
    y, probs = _study_probabilities(result, feature_set, split)
    return plot_calibration_panels(
        y, probs, n_bins=n_bins, colours=_study_colours(result),
        title=f"Calibration: {feature_set} ({_split_label(split)})",
    )


@styled
def plot_study_decision_curve(
    result, feature_set: str, split: str = "test", *, threshold_range=(0.0, 0.5), smooth=False
) -> Figure:
    """Decision curves of every classifier of a feature set (see :func:`plot_decision_curve`).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
    split : {"test", "train"} or a test cohort's name
    threshold_range : (float, float) or "data"
    smooth : bool
        As in :func:`plot_decision_curve`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_decision_curve
    >>> plot_study_decision_curve(result, "US").axes[0].get_title()
    'Decision curves: US (test set)'

    References
    ----------
    .. [1] Vickers, A. J., & Elkin, E. B. (2006). Decision curve analysis: a novel
        method for evaluating prediction models. Medical Decision Making, 26(6),
        565-574.
    """
    y, probs = _study_probabilities(result, feature_set, split)
    return plot_decision_curve(
        y, probs, threshold_range=threshold_range, smooth=smooth, colours=_study_colours(result),
        title=f"Decision curves: {feature_set} ({_split_label(split)})",
    )


@styled
def plot_study_confusion_matrices(result, feature_set: str, split: str = "test") -> Figure:
    """Confusion matrices at each model's Youden threshold (chosen on the training set).

    Parameters
    ----------
    result : StudyResult
    feature_set : str
    split : {"test", "train"} or a test cohort's name

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_confusion_matrices
    >>> len(plot_study_confusion_matrices(result, "US").axes)
    1

    References
    ----------
    .. [1] Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3(1),
        32-35.
    """
    y, probs = _study_probabilities(result, feature_set, split)
    thresholds = {
        classifier_short_label(classifier): float(result.thresholds[(feature_set, classifier)])
        for classifier in _classifiers_of(result, feature_set)
    }
    return plot_confusion_matrices(
        y, probs, thresholds, class_names=_class_names(result),
        title=f"Confusion matrices: {feature_set} ({_split_label(split)})",
    )


def _class_names(result) -> tuple[str, str]:
    positive = str(result.pos_label)
    return (f"not {positive}", positive) if not positive.isdigit() else ("negative", "positive")


@styled
def plot_study_waterfall(result, model, split: str = "test") -> Figure:
    """Waterfall plot of one model's probabilities at its Youden threshold.

    Parameters
    ----------
    result : StudyResult
    model : str or (feature_set, classifier)
        ``"feature_set/classifier"`` or a pair.
    split : {"test", "train"} or a test cohort's name

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_waterfall
    >>> plot_study_waterfall(result, "US/lr").axes[0].get_title()
    'Waterfall plot: US/lr (test set)'

    References
    ----------
    .. [1] Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3(1),
        32-35.
    """
    key = tuple(model.split("/", 1)) if isinstance(model, str) else tuple(model)
    y = result.outcome(split)
    prob = result.probabilities(key, split).loc[y.index].to_numpy()
    threshold = float(result.thresholds[key])
    return plot_waterfall(
        y.to_numpy(), prob, threshold, class_names=_class_names(result),
        title=f"Waterfall plot: {'/'.join(key)} ({_split_label(split)})",
    )


@styled
def plot_study_lasso(result, feature_set: str, *, paths: bool = True) -> Figure:
    """The LASSO of a feature set's final refit: CV error and, for the linear LASSO, coefficient paths.

    Parameters
    ----------
    result : StudyResult
    feature_set : str
        A feature set whose pipeline ends its selection with a LASSO.
    paths : bool
        Draw the coefficient paths beside the CV error (linear LASSO only);
        ``False`` keeps the figure one panel wide, as the report does, which
        shows the paths as a figure of their own.

    Returns
    -------
    Figure
        One panel (CV error) for the logistic LASSO, two (CV error, paths)
        for the linear one.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_lasso
    >>> fig = plot_study_lasso(result, "US")
    >>> fig.axes[0].get_xlabel()
    'log(λ)'

    References
    ----------
    .. [1] Friedman, J., Hastie, T., & Tibshirani, R. (2010). Regularization paths
        for generalized linear models via coordinate descent. Journal of
        Statistical Software, 33(1), 1-22.
    .. [2] Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
        Journal of the Royal Statistical Society: Series B, 58(1), 267-288.
    """
    lasso = result.lasso_path(feature_set)
    has_path = paths and lasso["coef_path"] is not None
    figure = Figure(figsize=(12.4 if has_path else 5.4, 4.2), layout="constrained")
    axes = figure.subplots(1, 2 if has_path else 1, squeeze=False).ravel()
    ylabel = "Mean squared error" if lasso["model"] == "linear" else "Log-loss"
    plot_lasso_cv(lasso["alphas"], lasso["cv_mean"], lasso["cv_se"], lasso["alpha"], ylabel=ylabel, ax=axes[0],
                  title=f"Cross-validated error ({lasso['rule']} rule)")
    if has_path:
        plot_lasso_path(lasso["coef_path"], lasso["alpha"], ax=axes[1], title="Coefficient paths")
    figure.suptitle(f"LASSO: {feature_set}")
    return figure


@styled
def plot_study_lasso_coefficients(result, feature_set: str) -> Figure:
    """Bar chart of the LASSO coefficients of a feature set's final refit.

    Parameters
    ----------
    result : StudyResult
    feature_set : str
        A feature set whose pipeline ends its selection with a LASSO.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.plots import plot_study_lasso_coefficients
    >>> plot_study_lasso_coefficients(result, "US").axes[0].get_xlabel()
    'LASSO coefficient'

    References
    ----------
    .. [1] Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
        Journal of the Royal Statistical Society: Series B, 58(1), 267-288.
    """
    coef = result.lasso_path(feature_set)["coef"]
    return plot_lasso_coefficients(coef, title=f"LASSO coefficients: {feature_set} ({int((coef != 0).sum())} features)")
