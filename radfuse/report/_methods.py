"""Write a finished study to disk: tables, figures, models, methods text and one HTML report.

:func:`save_study` (also reachable as ``StudyResult.save(directory)``) lays
out a results folder::

    report.html          self-contained: figures embedded as base64 PNG, no external files
    methods.md           a methods section generated from the study's settings
    tables/*.csv         every table of the study, full precision
    figures/*.png, *.svg every figure
    models/*.skops       the final models, loadable with radfuse.persistence.load_model

The pieces are usable on their own: :func:`methods_text` writes the methods
paragraph, :func:`study_figures` builds the figures and
:func:`write_html_report` turns headings, text, tables and figures into one
HTML file.
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from .. import plots
from .._methods_text import count_noun, describe_cv, icc_form, join_words
from ..models import CLASSIFIERS, classifier_label
from ..persistence import save_model

__all__ = [
    "comparison_table",
    "default_comparisons",
    "format_pvalue",
    "hyperparameter_table",
    "ranking_table",
    "ranking_text",
    "methods_text",
    "save_study",
    "study_figures",
    "summary_table",
    "write_html_report",
    "ReportFigure",
]

#: Packages whose versions the methods text reports (when installed).
REPORTED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "imbalanced-learn",
    "xgboost",
    "lightgbm",
    "pyradiomics",
    "SimpleITK",
    "radfuse",
)
_SUMMARY_METRICS = ("auc", "accuracy", "sensitivity", "specificity", "ppv", "npv", "f1")


# ------------------------------------------------------------------ tables
def _model_name(feature_set: str, classifier: str) -> str:
    return f"{feature_set}/{classifier}"


def summary_table(result, split: str = "test", digits: int = 3) -> pd.DataFrame:
    """One row per model, one formatted column per metric, as papers print them.

    ``split="test"`` or ``"train"``: ``estimate (ci_lower-ci_upper)``;
    ``split="cv"``: ``mean ± SD [ci_lower-ci_upper]`` with the corrected
    resampled interval. The threshold column is the Youden cut-off.

    Parameters
    ----------
    result : StudyResult
    split : {"test", "train", "cv"}
    digits : int
        Decimals of every number.

    Returns
    -------
    DataFrame
        Column ``model`` (``feature_set/classifier``), then ``auc``,
        ``accuracy``, ``sensitivity``, ``specificity``, ``ppv``, ``npv``,
        ``f1`` and ``threshold`` as strings.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import summary_table
    >>> table = summary_table(result, "test")
    >>> table["model"].tolist()
    ['US/lr', 'MG/lr']
    >>> table.columns[:3].tolist()
    ['model', 'auc', 'accuracy']

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Nadeau, C., & Bengio, Y. (2003). Inference for the generalization error.
        Machine Learning, 52(3), 239-281.
    """
    table = result.metrics(split)
    table = table[table["metric"].isin((*_SUMMARY_METRICS, "threshold"))]
    rows: dict[str, dict] = {}
    for row in table.itertuples(index=False):
        name = _model_name(row.feature_set, row.classifier)
        if row.metric == "threshold":
            value = row.mean if split == "cv" else row.estimate
            text = f"{value:.{digits}f}"
        elif split == "cv":
            text = f"{row.mean:.{digits}f} \u00b1 {row.sd:.{digits}f} [{row.ci_lower:.{digits}f}-{row.ci_upper:.{digits}f}]"
        else:
            text = f"{row.estimate:.{digits}f} ({row.ci_lower:.{digits}f}-{row.ci_upper:.{digits}f})"
        rows.setdefault(name, {})[row.metric] = text
    summary = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    return summary.loc[:, [m for m in (*_SUMMARY_METRICS, "threshold") if m in summary.columns]].reset_index()


def _best_by_feature_set(result) -> dict[str, tuple[str, str]]:
    """Each feature set's model with the highest mean cross-validated AUC."""
    cv = result.metrics("cv")
    auc = cv[cv["metric"] == "auc"]
    best = auc.loc[auc.groupby("feature_set", sort=False)["mean"].idxmax()]
    return {row.feature_set: (row.feature_set, row.classifier) for row in best.itertuples(index=False)}


#: How the report, ``radfuse run`` and ``radfuse demo`` rank models, stated wherever they do.
RANKING_RULE = (
    "Models are ranked by their mean AUC over the folds of the repeated cross-validation on the "
    "training set; the test set plays no part in choosing or ranking them, so the chosen model's "
    "test metrics are an unbiased estimate of its performance."
)


def format_pvalue(pvalue) -> str:
    """A p-value as papers print it: three decimals, ``<0.001`` below that, blank when missing.

    Examples
    --------
    >>> from radfuse.report import format_pvalue
    >>> format_pvalue(0.04321), format_pvalue(2e-7), format_pvalue(float("nan"))
    ('0.043', '<0.001', '')

    References
    ----------
    .. [1] Lang, T. A., & Altman, D. G. (2015). Basic statistical reporting for
        articles published in biomedical journals: the "Statistical Analyses and
        Methods in the Published Literature" or the SAMPL Guidelines.
        International Journal of Nursing Studies, 52(1), 5-9.
    """
    if pvalue is None or pd.isna(pvalue):
        return ""
    return "<0.001" if pvalue < 0.001 else f"{pvalue:.3f}"


def ranking_table(result) -> pd.DataFrame:
    """Every model ranked by mean cross-validated AUC, with its test AUC alongside.

    The rank uses the training set's repeated CV only (:data:`RANKING_RULE`);
    ties keep the study's model order. The test AUC is reported, never used.

    Returns
    -------
    DataFrame
        ``rank``, ``model``, ``cv_auc`` (mean over folds), ``cv_auc_sd``,
        ``cv_ci_lower``, ``cv_ci_upper`` (corrected resampled 95% CI),
        ``n_folds``, ``test_auc``, ``test_ci_lower``, ``test_ci_upper`` (DeLong).

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> from radfuse.report import ranking_table
    >>> table = ranking_table(example_study_result())
    >>> table[["rank", "model"]].values.tolist()
    [[1, 'US/lr'], [2, 'MG/lr']]

    References
    ----------
    .. [1] Varma, S., & Simon, R. (2006). Bias in error estimation when using
        cross-validation for model selection. BMC Bioinformatics, 7, 91.
    """
    cv = result.metrics("cv").query("metric == 'auc'").set_index(["feature_set", "classifier"])
    test = result.metrics("test").query("metric == 'auc'").set_index(["feature_set", "classifier"])
    rows = [
        {
            "model": _model_name(*key),
            "cv_auc": cv.loc[key, "mean"], "cv_auc_sd": cv.loc[key, "sd"],
            "cv_ci_lower": cv.loc[key, "ci_lower"], "cv_ci_upper": cv.loc[key, "ci_upper"],
            "n_folds": int(cv.loc[key, "n_folds"]),
            "test_auc": test.loc[key, "estimate"],
            "test_ci_lower": test.loc[key, "ci_lower"], "test_ci_upper": test.loc[key, "ci_upper"],
        }
        for key in result.models
    ]
    table = pd.DataFrame(rows).sort_values("cv_auc", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def ranking_text(result, *, top=None, per_feature_set=False) -> str:
    """The ranking as aligned plain text, its rule stated first (what the CLI prints).

    Parameters
    ----------
    result : StudyResult
    top : int, optional
        Show only the first ``top`` models.
    per_feature_set : bool
        Show only each feature set's leader (by CV AUC).

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> from radfuse.report import ranking_text
    >>> print(ranking_text(example_study_result()))
    Models ranked by mean CV AUC on the training set (the test AUC is shown, never used to choose):
      rank  model  CV AUC (95% CI)          test AUC (95% DeLong CI)
         1  US/lr  0.950 (-0.150 to 2.050)  0.975 (0.917 to 1.000)
         2  MG/lr  0.945 (0.345 to 1.546)   0.988 (0.953 to 1.000)

    The example's CV has two folds, hence the wide corrected intervals.
    """
    table = ranking_table(result)
    if per_feature_set:
        table = table[~table["model"].str.split("/").str[0].duplicated()]
    if top is not None:
        table = table.head(top)
    shown = pd.DataFrame(
        {
            "rank": table["rank"].astype(str),
            "model": table["model"],
            "CV AUC (95% CI)": [
                f"{row.cv_auc:.3f} ({row.cv_ci_lower:.3f} to {row.cv_ci_upper:.3f})" for row in table.itertuples()
            ],
            "test AUC (95% DeLong CI)": [
                f"{row.test_auc:.3f} ({row.test_ci_lower:.3f} to {row.test_ci_upper:.3f})" for row in table.itertuples()
            ],
        }
    )
    header = (
        "Best model per feature set" if per_feature_set else "Models ranked"
    ) + " by mean CV AUC on the training set (the test AUC is shown, never used to choose):"
    return header + "\n" + aligned_text(shown, right=("rank",))


def aligned_text(table: pd.DataFrame, *, right=(), indent: int = 2) -> str:
    """A table of strings as fixed-width text: columns padded, ``right`` ones right-aligned.

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.report import aligned_text
    >>> print(aligned_text(pd.DataFrame({"n": ["1", "10"], "name": ["a", "bcd"]}), right=("n",)))
       n  name
       1  a
      10  bcd
    """
    cells = [list(map(str, table.columns))] + table.astype(str).to_numpy().tolist()
    widths = [max(len(row[column]) for row in cells) for column in range(len(table.columns))]
    lines = []
    for row in cells:
        parts = [
            cell.rjust(width) if name in right else cell.ljust(width)
            for cell, width, name in zip(row, widths, table.columns)
        ]
        lines.append(" " * indent + "  ".join(parts).rstrip())
    return "\n".join(lines)


def default_comparisons(result) -> list[tuple[str, str]]:
    """The best model overall against the best model of every other feature set.

    "Best" is the highest mean AUC of the repeated cross-validation on the
    training set, so the test set, on which the comparisons are made, plays
    no part in choosing them.

    Parameters
    ----------
    result : StudyResult

    Returns
    -------
    list of (str, str)
        ``("feature_set/classifier", "feature_set/classifier")`` pairs, the
        overall leader first; empty when the study has one feature set.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import default_comparisons
    >>> default_comparisons(result)
    [('US/lr', 'MG/lr')]

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    leader = tuple(result.best("auc", split="cv"))
    others = [key for key in _best_by_feature_set(result).values() if key != leader]
    return [(_model_name(*leader), _model_name(*key)) for key in others]


def comparison_table(result, comparisons) -> pd.DataFrame:
    """DeLong, NRI and IDI of each ``(a, b)`` pair on the test set (``a`` is the new model).

    Returns
    -------
    DataFrame with ``a``, ``b``, ``test`` and :meth:`StudyResult.compare`'s
    ``estimate``, ``ci_lower``, ``ci_upper``, ``statistic`` and ``pvalue``.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import comparison_table
    >>> table = comparison_table(result, [("US/lr", "MG/lr")])
    >>> table["test"].tolist()
    ['delong', 'nri', 'idi']

    References
    ----------
    .. [1] DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing
        the areas under two or more correlated receiver operating characteristic
        curves: a nonparametric approach. Biometrics, 44(3), 837-845.
    .. [2] Pencina, M. J., D'Agostino, R. B. Sr, D'Agostino, R. B. Jr, & Vasan, R. S.
        (2008). Evaluating the added predictive ability of a new marker: from area
        under the ROC curve to reclassification and beyond. Statistics in
        Medicine, 27(2), 157-172.
    .. [3] Pencina, M. J., D'Agostino, R. B. Sr, & Steyerberg, E. W. (2011).
        Extensions of net reclassification improvement calculations to measure
        usefulness of new biomarkers. Statistics in Medicine, 30(1), 11-21.
    """
    frames = []
    for a, b in comparisons:
        table = result.compare(a, b).reset_index()
        frames.append(table.assign(a=table.attrs["a"], b=table.attrs["b"]))
    columns = ["a", "b", "test", "estimate", "ci_lower", "ci_upper", "statistic", "pvalue"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).loc[:, columns]


def _wide_test_predictions(result) -> pd.DataFrame:
    """Case id, outcome and one column per model: the input of ``radfuse compare``."""
    y = result.y_test
    columns = {
        _model_name(*key): result.probabilities(key, "test").loc[y.index].to_numpy() for key in result.models
    }
    return pd.DataFrame({"y_true": y.to_numpy(), **columns}, index=y.index).rename_axis("case_id")


# ------------------------------------------------------------------ figures
def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


@dataclass(frozen=True)
class ReportFigure:
    """A figure of the report with what a reader and a screen reader are told about it.

    ``figure`` is a matplotlib Figure or PNG bytes; ``caption`` is shown
    under it; ``alt`` is the image's alternative text (one sentence).
    """

    figure: object
    caption: str
    alt: str


def study_figures(result, *, threshold_range=(0.0, 0.5), smooth=False) -> dict[str, ReportFigure]:
    """Every figure of the report with its caption and alt text, keyed by file stem.

    Per feature set (and fusion model): ROC curves (CV and test, the test
    curves with bootstrap bands), calibration panels, decision curves and
    confusion matrices on the test set; the waterfall plot of the feature
    set's best model (highest CV AUC); and where the selection ends in a
    LASSO, its CV error, its coefficient paths (linear LASSO) and the
    coefficient bar chart, each a figure of its own so it stays readable at
    page width.

    Parameters
    ----------
    result : StudyResult
    threshold_range : (float, float) or "data"
        Thresholds of the decision curves (see
        :func:`radfuse.plots.plot_decision_curve`).
    smooth : bool
        Smooth the decision curves.

    Returns
    -------
    dict of str to ReportFigure
        Stems such as ``roc_<feature set>`` or ``waterfall_<feature set>``.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import study_figures
    >>> figures = study_figures(result)
    >>> sorted(stem for stem in figures if stem.endswith("_US"))  # doctest: +NORMALIZE_WHITESPACE
    ['calibration_US', 'confusion_US', 'decision_curve_US', 'lasso_US',
     'lasso_coefficients_US', 'lasso_path_US', 'roc_US', 'waterfall_US']
    >>> figures["roc_US"].alt
    'ROC curves of the US models: cross-validation on the training set and the test set.'

    References
    ----------
    .. [1] Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area
        under a receiver operating characteristic (ROC) curve. Radiology, 143(1),
        29-36.
    .. [2] Van Calster, B., McLernon, D. J., van Smeden, M., Wynants, L., &
        Steyerberg, E. W. (2019). Calibration: the Achilles heel of predictive
        analytics. BMC Medicine, 17, 230.
    .. [3] Vickers, A. J., & Elkin, E. B. (2006). Decision curve analysis: a novel
        method for evaluating prediction models. Medical Decision Making, 26(6),
        565-574.
    """
    from ..plots import calibration_bins

    figures = {}
    best = _best_by_feature_set(result)
    with_lasso = set(result.selected_features()["feature_set"])
    n_test, n_folds = result.y_test.size, result.settings["n_folds"]
    n_bins = calibration_bins(n_test)
    if isinstance(threshold_range, str):
        span = "threshold probabilities up to the 99th percentile of the predicted risks"
    else:
        span = f"threshold probabilities {threshold_range[0]:g}-{threshold_range[1]:g}"
    for feature_set in dict.fromkeys(name for name, _ in result.models):
        stem = _file_stem(feature_set)
        model = _model_name(*best[feature_set])
        figures[f"roc_{stem}"] = ReportFigure(
            plots.plot_study_roc(result, feature_set),
            f"ROC curves of every {feature_set} model. Left: vertical average of the {n_folds} "
            "cross-validation folds on the training set (legend: mean AUC \u00b1 SD over folds). Right: the "
            f"final models on the test set (n = {n_test}); shaded: pointwise 95% bootstrap bands (1,000 "
            "resamples within each class); legend: AUC with DeLong 95% CI.",
            f"ROC curves of the {feature_set} models: cross-validation on the training set and the test set.",
        )
        figures[f"calibration_{stem}"] = ReportFigure(
            plots.plot_study_calibration(result, feature_set, n_bins=n_bins),
            f"Calibration of every {feature_set} model on the test set, one panel each: the observed event "
            f"rate in {n_bins} equal-count bins of predicted risk against the bins' mean predicted risk, with "
            "95% Wilson intervals; ticks mark single cases (events at the top); dashed: perfect calibration. "
            "Panel titles give the Brier score and the calibration slope.",
            f"Calibration plots of the {feature_set} models on the test set, one panel per classifier.",
        )
        figures[f"decision_curve_{stem}"] = ReportFigure(
            plots.plot_study_decision_curve(result, feature_set, threshold_range=threshold_range, smooth=smooth),
            f"Decision curves of every {feature_set} model on the test set: net benefit over {span}"
            + (" (smoothed with a Gaussian kernel, SD 0.02)" if smooth else "")
            + ", against treating every patient (grey) and treating none (dashed).",
            f"Decision curves of the {feature_set} models on the test set.",
        )
        figures[f"confusion_{stem}"] = ReportFigure(
            plots.plot_study_confusion_matrices(result, feature_set),
            f"Confusion matrices of every {feature_set} model on the test set at its Youden threshold, "
            "chosen on the training set.",
            f"Confusion matrices of the {feature_set} models on the test set.",
        )
        figures[f"waterfall_{stem}"] = ReportFigure(
            plots.plot_study_waterfall(result, best[feature_set]),
            f"Waterfall plot of {model}, the {feature_set} model with the highest mean CV AUC: one bar per "
            "test case, sorted by predicted probability and coloured by the true class; dashed: its threshold.",
            f"Waterfall plot of the test-set predictions of {model}.",
        )
        if feature_set in with_lasso and _has_lasso(result, feature_set):
            lasso = result.lasso_path(feature_set)
            figures[f"lasso_{stem}"] = ReportFigure(
                plots.plot_study_lasso(result, feature_set, paths=False),
                f"LASSO penalty of the final {feature_set} refit: cross-validated error (mean \u00b1 SE over "
                f"folds) against log(\u03bb); dotted: the chosen \u03bb ({lasso['rule']} rule).",
                f"Cross-validated error of the {feature_set} LASSO against its penalty.",
            )
            if lasso["coef_path"] is not None:
                figures[f"lasso_path_{stem}"] = ReportFigure(
                    plots.plot_lasso_path(lasso["coef_path"], lasso["alpha"], title=f"LASSO coefficient paths: {feature_set}"),
                    f"LASSO coefficient paths of the final {feature_set} refit; coloured and named: the "
                    "features kept at the chosen \u03bb (dotted).",
                    f"Coefficient paths of the {feature_set} LASSO.",
                )
            figures[f"lasso_coefficients_{stem}"] = ReportFigure(
                plots.plot_study_lasso_coefficients(result, feature_set),
                f"Non-zero LASSO coefficients of the final {feature_set} refit (standardised features), "
                "largest magnitude first.",
                f"Bar chart of the {feature_set} LASSO coefficients.",
            )
    return figures


def _has_lasso(result, feature_set: str) -> bool:
    try:
        result.lasso_path(feature_set)
    except ValueError:
        return False
    return True


#: Resolution of the PNG figures; 300 dpi is what journals ask for.
DEFAULT_DPI = 300


def render_png(figure: Figure, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as PNG bytes, cropped to its artists so nothing is clipped."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.05)
    return buffer.getvalue()


def _save_figure(figure: Figure, stem: Path, dpi: int) -> bytes:
    """Write ``stem.png`` and ``stem.svg``; return the PNG bytes for the HTML report."""
    png = render_png(figure, dpi)
    stem.with_suffix(".png").write_bytes(png)
    figure.savefig(stem.with_suffix(".svg"), format="svg", bbox_inches="tight", pad_inches=0.05)
    return png


# ------------------------------------------------------------------ methods
def library_versions() -> dict[str, str]:
    """Installed versions of :data:`REPORTED_PACKAGES` (absent ones left out)."""
    versions = {}
    for package in REPORTED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _describe_smote(step, class_counts) -> str:
    """SMOTE's sentence, true to the training set's actual balance."""
    n_negative, n_positive = class_counts
    setting = f"SMOTE (k = {step.k_neighbors} nearest neighbours, sampling strategy '{step.sampling_strategy}')"
    if n_negative == n_positive:
        return (
            f"Class balancing: {setting} was part of the pipeline, but the training set was balanced "
            f"({n_positive} positive, {n_negative} negative cases), so it added no synthetic case to the "
            "final models and at most a few to the training parts of the cross-validation folds; "
            "validation and test cases were never resampled."
        )
    minority = "positive" if n_positive < n_negative else "negative"
    return (
        f"Class balancing: the {minority} class of the training data ({min(class_counts)} versus "
        f"{max(class_counts)} cases) was oversampled with {setting} within each training part; "
        "validation and test cases were never resampled."
    )


def _fewer_kept(name: str, n_features: int, step_counts) -> str:
    """Where a step capped at ``n_features`` kept fewer in some fit, the range it kept."""
    counts = step_counts.get(name) if step_counts else None
    if counts is None or counts[0] >= n_features:
        return ""
    low, high = counts
    spread = f"{low}" if low == high else f"{low}-{high}"
    return f" (fewer features reached this step in some fits, which kept {spread})"


def _describe_step(name: str, step, class_counts=None, step_counts=None) -> str:
    """One sentence per pipeline step, stating its parameters.

    ``class_counts`` is (negatives, positives) of the training set;
    ``step_counts`` maps a step name to the (min, max) features it kept over
    the final refit and the CV folds.
    """
    from imblearn.over_sampling import SMOTE
    from sklearn.preprocessing import StandardScaler

    from ..select.correlation import CorrelationPruner
    from ..select.icc import ICCFilter
    from ..select.lasso import LassoSelector
    from ..select.mrmr import MRMRSelector
    from ..select.univariate import UnivariateFilter

    if isinstance(step, ICCFilter):
        return (
            f"Reproducibility: features were retained when their intraclass correlation coefficient "
            f"({icc_form(step.icc_type)}; Shrout and Fleiss) between the repeated delineations exceeded "
            f"{step.threshold}; features without repeated measurements were "
            f"{'kept' if step.unrated == 'keep' else 'dropped'}."
        )
    if isinstance(step, SMOTE):
        if class_counts is None:
            return (
                f"Class balancing: the minority class of each training part was oversampled with SMOTE "
                f"(k = {step.k_neighbors} nearest neighbours, sampling strategy '{step.sampling_strategy}'); "
                "validation and test cases were never resampled."
            )
        return _describe_smote(step, class_counts)
    if isinstance(step, StandardScaler):
        return "Standardisation: each feature was z-scored with the mean and standard deviation of the training data."
    if isinstance(step, UnivariateFilter):
        correction = (
            "without adjustment for multiple testing"
            if step.correction is None
            else f"after {step.correction} adjustment"
        )
        return (
            "Univariate screening: each feature was compared between the classes with Student's t-test "
            f"when Shapiro-Wilk normality held in both classes (alpha = {step.normality_alpha}) and "
            f"Levene's test showed equal variances (alpha = {step.levene_alpha}), Welch's t-test when "
            "variances differed, and the Mann-Whitney U test otherwise; features with "
            f"p < {step.alpha} {correction} were kept."
        )
    if isinstance(step, CorrelationPruner):
        kept = (
            "the one more strongly associated with the outcome was kept"
            if step.keep == "relevance"
            else "one, chosen at random, was kept"
        )
        return (
            f"Redundancy: of every pair of features with |{step.method.capitalize()} rho| > {step.threshold}, "
            f"{kept}."
        )
    if isinstance(step, MRMRSelector):
        return (
            f"Relevance and redundancy: up to the {step.n_features} top-ranked features by minimum "
            "redundancy maximum relevance (mRMR) were kept"
            f"{_fewer_kept(name, step.n_features, step_counts)}."
        )
    if isinstance(step, LassoSelector):
        model = "Gaussian (least-squares)" if step.model == "linear" else "L1-penalised logistic"
        rule = "minimising" if step.rule == "min" else "within one standard error of the minimum of"
        return (
            f"LASSO: a {model} LASSO was fitted, its penalty lambda chosen as the value {rule} the "
            f"cross-validated error over {describe_cv(step.cv)}, and features with a non-zero "
            "coefficient at that penalty were kept."
        )
    params = {key: value for key, value in step.get_params(deep=False).items() if value is not None}
    return f"Step '{name}': {type(step).__name__} with parameters {params}."


def _kept_ranges(result, feature_set: str) -> dict[str, tuple[int, int]]:
    """(min, max) features each step of a feature set kept over the final refit and the CV folds."""
    counts = result.feature_counts()
    counts = counts[counts["feature_set"] == feature_set]
    return {
        row.step: (int(min(row.final, row.fold_min)), int(max(row.final, row.fold_max)))
        for row in counts.itertuples(index=False)
        if not pd.isna(row.fold_min)
    }


def _final_estimator(model):
    """The classifier at the end of a fitted pipeline, unwrapped from probability calibration."""
    estimator = model.steps[-1][1] if hasattr(model, "steps") else model
    return getattr(estimator, "estimator", None) or estimator


def hyperparameter_table(result) -> pd.DataFrame:
    """Every setting of every pipeline step and classifier, as the methods cite them.

    One block of rows per selection step (of the first plain feature set;
    every feature set shares the pipeline) and per classifier (the final
    model; a calibrated SVM is shown with the SVC it wraps). Parameters set
    to None are left out. With nested tuning, the classifier rows show the
    final refit of each model, and ``result.tuning`` holds the values chosen
    per fold.

    Returns
    -------
    DataFrame with ``component``, ``parameter`` and ``value`` (text).

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> from radfuse.report import hyperparameter_table
    >>> table = hyperparameter_table(example_study_result())
    >>> table.query("component == 'classifier lr' and parameter == 'C'")["value"].tolist()
    ['1.0']

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    rows = []
    fusion = result.settings.get("fusion") or {}
    plain = [key for key in result.models if key[0] not in fusion]
    components = [(f"step {name}", step) for name, step in (_pipeline_steps(result.models_[plain[0]]) if plain else [])]
    seen = set()
    for key in plain or result.models:
        if key[1] in seen:
            continue
        seen.add(key[1])
        components.append((f"classifier {key[1]}", _final_estimator(result.models_[key])))
    for component, estimator in components:
        if not hasattr(estimator, "get_params"):
            continue
        for parameter, value in estimator.get_params(deep=False).items():
            if value is None or hasattr(value, "get_params"):
                continue
            rows.append((component, parameter, _short_repr(value)))
    return pd.DataFrame(rows, columns=["component", "parameter", "value"])


def _short_repr(value, limit: int = 80) -> str:
    text = str(value) if isinstance(value, (int, float, str, bool)) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _pipeline_steps(model) -> list[tuple[str, object]]:
    """The fitted classifier-free steps of a model (the first block's for fusion models)."""
    steps = getattr(model, "steps", None)
    if steps is None:
        blocks = getattr(model, "estimators_", None) or {}
        first = next(iter(blocks.values()), None)
        steps = getattr(first, "steps", None) or []
    return [(name, step) for name, step in steps[:-1] if step not in (None, "passthrough")]


def _describe_feature_sets(feature_sets: Mapping[str, list]) -> str:
    from ..blocks import list_blocks

    parts = []
    for name, columns in feature_sets.items():
        blocks = list_blocks(columns)
        origin = f" from block(s) {', '.join(blocks)}" if blocks else ""
        parts.append(f"'{name}' ({count_noun(len(columns), 'feature')}{origin})")
    return "; ".join(parts)


def _describe_binning(setting: Mapping) -> str:
    if "binWidth" in setting:
        return f"bin width {setting['binWidth']}"
    if "binCount" in setting:
        return f"{setting['binCount']} bins"
    return "PyRadiomics' default bin width"


def _describe_extraction(extraction: Mapping) -> str:
    """Extraction settings per block and the ICC filter, from the saved provenance."""
    sentences = []
    params = extraction.get("params") or {}
    if params:
        version = (extraction.get("versions") or {}).get("pyradiomics")
        per_block = []
        # State what was extracted (provenance "extracted"), never only what was asked for.
        extracted = extraction.get("extracted") or {}
        for block, settings in params.items():
            if block in extracted:
                done = extracted[block]
                classes = ", ".join(f"{name} ({count})" for name, count in sorted(done["feature_classes"].items()))
                image_types = ", ".join(sorted(done["image_types"]))
                classes = f"{done['n_features']} features: {classes}"
            else:
                classes = ", ".join(sorted((settings.get("featureClass") or {}).keys())) or "all feature classes"
                image_types = ", ".join(sorted((settings.get("imageType") or {"Original": {}}).keys()))
            steps = [step["step"] for step in (extraction.get("preprocessing") or {}).get(block, [])]
            after = f", after {' and '.join(steps)}" if steps else ""
            per_block.append(
                f"{block}: {classes} on the {image_types} image(s), {_describe_binning(settings.get('setting') or {})}{after}"
            )
        sentences.append(
            f"Radiomic features were extracted with PyRadiomics{f' {version}' if version else ''} "
            f"({'; '.join(per_block)})."
        )
    icc = extraction.get("reliability")
    if icc:
        unrated = (
            f" The {icc['n_unrated']} features without repeated measurements (e.g. deep features) were "
            f"{'kept' if icc['unrated'] == 'keep' else 'dropped'}."
            if icc["n_unrated"]
            else ""
        )
        sentences.append(
            f"Reproducibility was assessed on the {icc['n_cases']} cases delineated by every reader: of the "
            f"{icc['n_rated']} features measured by every reader, the {icc['n_kept']} with an intraclass "
            f"correlation coefficient ({icc_form(icc['icc_type'])}) above {icc['threshold']} were "
            f"kept.{unrated} The filter was fitted within each training fold like every other step; "
            "it uses only the readers' repeated delineations, never the outcome, so it kept the same "
            "features in every fold."
        )
    return " ".join(sentences)


def methods_text(result, comparisons=None, extraction_settings=None) -> str:
    """A methods section generated from the study's resolved settings, as Markdown.

    States the cohort and split, feature sets, every pipeline step with its
    thresholds, the classifiers and any tuning or fusion, the outer CV
    scheme, how thresholds and intervals were obtained, the model
    comparisons, the random seed and the library versions.

    Parameters
    ----------
    result : StudyResult
    comparisons : list of (a, b), optional
        Model pairs compared on the test set; default :func:`default_comparisons`.
    extraction_settings : dict, optional
        The extraction provenance (``params``, ``preprocessing``, ``versions``
        per :class:`~radfuse.extract.ExtractionResult`), when the features
        were extracted by radfuse.

    Returns
    -------
    str
        Markdown paragraphs, each opening with a bold heading.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import methods_text
    >>> text = methods_text(result)
    >>> text.startswith("**Study design.** The 60 cases")
    True

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Lambin, P., Leijenaar, R. T. H., Deist, T. M., et al. (2017). Radiomics:
        the bridge between medical imaging and personalized medicine. Nature
        Reviews Clinical Oncology, 14(12), 749-762.
    """
    settings = result.settings
    balance = result.class_balance
    comparisons = default_comparisons(result) if comparisons is None else list(comparisons)
    n_train, n_test = int(balance.loc["train", "n"]), int(balance.loc["test", "n"])
    pos_train, pos_test = int(balance.loc["train", "n_positive"]), int(balance.loc["test", "n_positive"])
    fusion = settings.get("fusion") or {}
    plain_sets = {name: cols for name, cols in settings["feature_sets"].items()}

    paragraphs = []
    design = (
        f"**Study design.** The {n_train + n_test} cases ({pos_train + pos_test} positive, label "
        f"'{result.pos_label}') were split ({settings['split']}) into a training set of {n_train} cases "
        f"({pos_train} positive) and a test set of {n_test} cases ({pos_test} positive). "
        + (
            "Apart from the outcome-free reliability filter described below, all "
            if extraction_settings and extraction_settings.get("reliability")
            else "All "
        )
        + "feature selection, resampling, scaling and model fitting used the training set only; the test "
        "set was used once, to evaluate the final models."
    )
    if extraction_settings:
        design += " " + _describe_extraction(extraction_settings)
    design += f" Models were built from {count_noun(len(plain_sets), 'feature set')}: {_describe_feature_sets(plain_sets)}."
    paragraphs.append(design)

    plain_models = [key for key in result.models if key[0] not in fusion]
    steps = _pipeline_steps(result.models_[plain_models[0]]) if plain_models else []
    if steps:
        class_counts = (n_train - pos_train, pos_train)
        step_counts = _kept_ranges(result, plain_models[0][0])
        described = " ".join(
            f"({number}) {_describe_step(name, step, class_counts, step_counts)}"
            for number, (name, step) in enumerate(steps, 1)
        )
        paragraphs.append(
            f"**Feature selection.** Within every training part, the following steps were applied in order: "
            f"{described} Every step was fitted on the training part of each cross-validation fold and, for "
            "the final models, on the whole training set, so no information from validation or test cases "
            "entered feature selection."
        )

    classifiers = settings["classifiers"]
    named = ", ".join(
        f"{classifier_label(name)} ({name})" if name in CLASSIFIERS else name for name in classifiers
    )
    modelling = (
        f"**Classifiers.** {count_noun(len(classifiers), 'classifier')} were trained on each feature set: {named}."
        + (
            " Each classifier kept radfuse's default hyper-parameters (no tuning), listed in the "
            "report's hyper-parameter table (tables/hyperparameters.csv)."
            if settings["tuning"].startswith("none")
            else f" Hyper-parameter tuning: {settings['tuning']}."
        )
    )
    for name, (strategy, blocks, params) in fusion.items():
        what = {
            "ensemble": "a weighted ensemble averaging one model per input, weighted by a softmax of its "
            "cross-validated performance",
            "stacking": "stacking, a meta-learner trained on the out-of-fold probabilities of one model per input",
        }.get(strategy, strategy)
        extra = f" ({', '.join(f'{k} = {v}' for k, v in params.items())})" if params else ""
        modelling += (
            f" Fusion model '{name}' combined the {join_words(blocks)} inputs by {what}{extra}, with each "
            "classifier in turn."
        )
    paragraphs.append(modelling)

    n_folds, n_repeats = settings["n_folds"], settings["n_repeats"]
    k = n_folds // max(n_repeats, 1)
    paragraphs.append(
        f"**Evaluation.** Each model was evaluated on the training set by {count_noun(n_repeats, 'repeat')} of "
        f"stratified {k}-fold cross-validation ({n_folds} fits; splitter {settings['cv']}), and then refitted on the whole "
        "training set and applied to the test set. Cross-validated metrics are reported as mean \u00b1 SD over "
        "folds with 95% confidence intervals from the corrected resampled t statistic of Nadeau and Bengio, "
        "which allows for the overlap between training parts of different folds. The classification "
        f"threshold of each model was chosen by {settings['threshold']} and applied unchanged to the test set. "
        "On the test set, the AUC is given with a DeLong 95% confidence interval, accuracy, sensitivity, "
        "specificity, PPV and NPV with Wilson score intervals, and F1 with a bootstrap interval. Calibration "
        "was assessed with calibration curves, the Brier score, calibration intercept and slope and the "
        "Hosmer-Lemeshow test, and clinical utility with decision curve analysis (net benefit against "
        "treat-all and treat-none)."
    )
    if comparisons:
        pairs = "; ".join(f"{a} versus {b}" for a, b in comparisons)
        paragraphs.append(
            "**Model comparison.** On the test set, models were compared pairwise with DeLong's test for "
            "correlated AUCs, the category-free net reclassification improvement (NRI) and the integrated "
            f"discrimination improvement (IDI), all two-sided at alpha = 0.05: {pairs}."
        )

    versions = {**library_versions(), **{"python": settings["versions"].get("python", "")}}
    software = ", ".join(f"{package} {version}" for package, version in versions.items() if version)
    paragraphs.append(
        f"**Software and reproducibility.** Analyses ran in Python with {software}. Every random step (split, "
        f"folds, SMOTE, LASSO cross-validation, tie-breaking and the classifiers) was seeded with random "
        f"seed {settings['seed']}, so the results are reproducible whatever the number of parallel jobs."
    )
    return "\n\n".join(paragraphs) + "\n"


# ------------------------------------------------------------------ HTML
_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 2px solid #CC3311; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; }
.table-scroll, .figure-scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-size: .82em; margin: .6em 0 1.2em; }
th, td { padding: .25em .6em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.figure-grid { display: flex; flex-wrap: wrap; gap: 0 2em; align-items: flex-start; }
figure { margin: 1em 0 1.5em; max-width: 100%; } img { height: auto; display: block; }
figcaption { font-size: .85em; color: #444; max-width: 60em; }
nav ol { font-size: .9em; } nav ol ol { font-size: .95em; }
"""

#: CSS pixels per inch: a figure is shown at its printed size, so its text stays readable.
_CSS_PX_PER_INCH = 96


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    return struct.unpack(">II", png[16:24])


def _figure_html(png: bytes, caption: str, alt: str, dpi: int) -> str:
    width, _ = _png_size(png)
    css_width = round(width / dpi * _CSS_PX_PER_INCH)
    encoded = base64.b64encode(png).decode("ascii")
    return (
        f'<figure style="width: {css_width}px"><div class="figure-scroll">'
        f'<img alt="{html.escape(alt, quote=True)}" width="{css_width}" '
        f'src="data:image/png;base64,{encoded}"></div>'
        + (f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "")
        + "</figure>"
    )


def _default_alt(figure: Figure) -> str:
    titles = [figure.get_suptitle()] + [ax.get_title() for ax in figure.axes]
    return next((title.splitlines()[0] for title in titles if title), "Figure")


def _html_block(content, dpi: int) -> str:
    if isinstance(content, ReportFigure):
        png = content.figure if isinstance(content.figure, bytes) else render_png(content.figure, dpi)
        return _figure_html(png, content.caption, content.alt, dpi)
    if isinstance(content, Figure):
        return _figure_html(render_png(content, dpi), "", _default_alt(content), dpi)
    if isinstance(content, bytes):
        return _figure_html(content, "", "Figure", dpi)
    if isinstance(content, pd.DataFrame):
        table = content.to_html(index=False, border=0, na_rep="", float_format=lambda value: f"{value:.3f}")
        return f'<div class="table-scroll">{table}</div>'
    paragraphs = str(content).strip().split("\n\n")
    rendered = []
    for paragraph in paragraphs:
        text = html.escape(paragraph)
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        rendered.append(f"<p>{text}</p>")
    return "\n".join(rendered)


def write_html_report(path, title: str, sections, *, dpi: int = DEFAULT_DPI) -> Path:
    """Write one self-contained HTML page with a table of contents from plain content.

    Parameters
    ----------
    path : str or Path
    title : str
    sections : list of (heading, content)
        ``content`` is a string (paragraphs separated by blank lines,
        ``**bold**`` allowed), a DataFrame, a :class:`ReportFigure`, a
        matplotlib Figure, PNG bytes, or a list of these (each item rendered
        in turn, a ``(subheading, item)`` tuple adding a sub-heading listed in
        the table of contents). Figures are embedded as base64 PNG at their
        printed size (``dpi`` pixels per inch shown as 96 CSS pixels), in a
        box that scrolls sideways rather than shrinking one wider than the
        page; tables scroll the same way. The page references no external
        file, script or style sheet.
    dpi : int
        Resolution at which Figures are rendered, and of the PNG bytes given.

    Returns
    -------
    Path of the written file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from radfuse.report import write_html_report
    >>> page = write_html_report(pathlib.Path(tempfile.mkdtemp()) / "report.html", "AUCs",
    ...                          [("Test set", pd.DataFrame({"model": ["lr"], "auc": [0.81]}))])
    >>> text = page.read_text(encoding="utf-8")
    >>> "<td>0.810</td>" in text, '<a href="#section-1">Test set</a>' in text
    (True, True)

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    body, contents = [], []
    for number, (heading, content) in enumerate(sections, 1):
        anchor = f"section-{number}"
        body.append(f'<h2 id="{anchor}">{html.escape(heading)}</h2>')
        subsections = []
        items = content if isinstance(content, list) else [content]
        # A run of figures flows side by side where the page is wide enough for two.
        grid = len(items) > 1 and all(isinstance(item, (ReportFigure, Figure, bytes)) for item in items)
        if grid:
            body.append('<div class="figure-grid">')
        for item in items:
            if isinstance(item, tuple):
                subheading, item = item
                sub_anchor = f"{anchor}-{len(subsections) + 1}"
                subsections.append(f'<li><a href="#{sub_anchor}">{html.escape(subheading)}</a></li>')
                body.append(f'<h3 id="{sub_anchor}">{html.escape(subheading)}</h3>')
            body.append(_html_block(item, dpi))
        if grid:
            body.append("</div>")
        nested = f"<ol>{''.join(subsections)}</ol>" if subsections else ""
        contents.append(f'<li><a href="#{anchor}">{html.escape(heading)}</a>{nested}</li>')
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<nav aria-label=\"Contents\"><strong>Contents</strong>"
        f"<ol>{''.join(contents)}</ol></nav>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


# ------------------------------------------------------------------ summary
def _once_per_feature_set(table: pd.DataFrame) -> pd.DataFrame:
    """A per-model table with each feature set's rows once when all its classifiers share them.

    The default pipeline fits one selection per feature set, so its rows
    repeat for every classifier; ``classifier`` then reads ``all (lr, nb)``.
    """
    if table.empty:
        return table
    frames = []
    for _, rows in table.groupby("feature_set", sort=False):
        per_classifier = [part.drop(columns="classifier").reset_index(drop=True) for _, part in
                          rows.groupby("classifier", sort=False)]
        if all(part.equals(per_classifier[0]) for part in per_classifier[1:]):
            names = ", ".join(dict.fromkeys(rows["classifier"]))
            frames.append(per_classifier[0].assign(classifier=f"all ({names})" if len(per_classifier) > 1 else names))
        else:
            frames.append(rows)
    columns = list(table.columns)
    return pd.concat(frames, ignore_index=True).loc[:, columns]


def _comparison_sentences(compared: pd.DataFrame) -> str:
    lines = []
    for (a, b), rows in compared.groupby(["a", "b"], sort=False):
        rows = rows.set_index("test")
        parts = []
        for test, label in (("delong", "AUC difference"), ("nri", "NRI"), ("idi", "IDI")):
            if test in rows.index:
                row = rows.loc[test]
                parts.append(
                    f"{label} {row.estimate:.3f} (95% CI {row.ci_lower:.3f} to {row.ci_upper:.3f}, "
                    f"p {'= ' if row.pvalue >= 0.001 else ''}{format_pvalue(row.pvalue)})"
                )
        lines.append(f"**{a} versus {b}** (test set): " + "; ".join(parts) + ".")
    return "\n\n".join(lines)


def _warning_summary(result) -> pd.DataFrame:
    """Fitting warnings grouped by category and message pattern (numbers blanked), with counts."""
    warned = result.warnings
    columns = ["category", "message", "count", "feature_sets", "fits"]
    if warned.empty:
        return pd.DataFrame(columns=columns)
    pattern = warned["message"].astype(str).str.replace(r"\d+(\.\d+)?", "#", regex=True)
    grouped = warned.assign(pattern=pattern).groupby(["category", "pattern"], sort=False)
    rows = [
        (
            category,
            rows["message"].iloc[0],
            len(rows),
            ", ".join(dict.fromkeys(rows["feature_set"].astype(str))),
            ", ".join("final refit" if fold < 0 else f"fold {fold}" for fold in sorted(set(rows["fold"]))[:6])
            + (" ..." if rows["fold"].nunique() > 6 else ""),
        )
        for (category, _), rows in grouped
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("count", ascending=False, kind="stable")


def _excluded_folds(result) -> pd.DataFrame:
    """Models and metrics whose value was undefined in some CV folds, so fewer folds were averaged."""
    cv = result.metrics("cv")
    expected = int(result.settings["n_folds"])
    short = cv[(cv["metric"] != "threshold") & (cv["n_folds"] < expected)]
    return pd.DataFrame(
        {
            "model": [_model_name(f, c) for f, c in zip(short["feature_set"], short["classifier"])],
            "metric": short["metric"].to_numpy(),
            "folds_used": short["n_folds"].astype(int).to_numpy(),
            "folds_run": expected,
        }
    )


def _summary_section(result, compared: pd.DataFrame) -> list:
    ranking = ranking_table(result)
    chosen = ranking.iloc[0]
    key = tuple(chosen["model"].split("/", 1))
    balance = result.class_balance
    test_summary = summary_table(result, "test").set_index("model").loc[[chosen["model"]]].reset_index()
    intro = (
        f"**Ranking rule.** {RANKING_RULE}\n\n"
        f"**Chosen model: {chosen['model']}**, mean CV AUC {chosen['cv_auc']:.3f} \u00b1 "
        f"{chosen['cv_auc_sd']:.3f} (corrected 95% CI {chosen['cv_ci_lower']:.3f}-{chosen['cv_ci_upper']:.3f}) "
        f"over {chosen['n_folds']} folds. On the test set ({int(balance.loc['test', 'n'])} cases, "
        f"{int(balance.loc['test', 'n_positive'])} positive) its AUC is {chosen['test_auc']:.3f} (DeLong 95% CI "
        f"{chosen['test_ci_lower']:.3f}-{chosen['test_ci_upper']:.3f}) at threshold "
        f"{float(result.thresholds[key]):.3f}, chosen on the training set."
    )
    shown = ranking.head(10).assign(
        cv_auc=[f"{r.cv_auc:.3f} \u00b1 {r.cv_auc_sd:.3f}" for r in ranking.head(10).itertuples()],
        test_auc=[f"{r.test_auc:.3f} ({r.test_ci_lower:.3f}-{r.test_ci_upper:.3f})"
                  for r in ranking.head(10).itertuples()],
    )[["rank", "model", "cv_auc", "test_auc"]].rename(
        columns={"cv_auc": "CV AUC (mean \u00b1 SD)", "test_auc": "test AUC (95% CI)"}
    )
    items = [
        intro,
        ("Test metrics of the chosen model (95% CI)", test_summary),
        (f"Ranking by mean CV AUC ({'top 10 of ' if len(ranking) > 10 else ''}{len(ranking)} models)", shown),
    ]
    if not compared.empty:
        items.append((
            "Key comparisons",
            "Test-set comparisons of the pairs the study named or, by default, of the chosen model with the "
            "best model (by mean CV AUC) of every other feature set.\n\n" + _comparison_sentences(compared),
        ))
    n_warnings = len(result.warnings)
    excluded = _excluded_folds(result)
    notes = (
        f"{n_warnings} warning(s) were raised while fitting ({len(_warning_summary(result))} kind(s)); "
        if n_warnings
        else "No warning was raised while fitting; "
    ) + (
        f"{excluded['model'].nunique()} model(s) had metrics undefined in some CV folds, averaged over fewer "
        "folds. See 'Warnings and excluded folds'."
        if len(excluded)
        else "every metric was defined in every CV fold."
    )
    items.append(("Warnings", notes))
    return items


# ------------------------------------------------------------------ save
def _model_metadata(result, key, test_metrics) -> dict:
    auc = test_metrics[
        (test_metrics["feature_set"] == key[0]) & (test_metrics["classifier"] == key[1]) & (test_metrics["metric"] == "auc")
    ]["estimate"]
    return {
        "feature_set": key[0],
        "classifier": key[1],
        "threshold": float(result.thresholds[key]),
        "pos_label": str(result.pos_label),
        "test_auc": float(auc.iloc[0]),
        "seed": int(result.settings["seed"]),
    }


def _training_columns(result, key, model) -> list[str]:
    """The columns a final model was fitted on.

    A pipeline starting with a sampler (SMOTE) does not record them, so they
    come from the study's feature set.
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = result.settings["feature_sets"][key[0]]
    return [str(name) for name in names]


def _save_models(result, directory: Path, extraction_settings, progress: bool) -> list[Path]:
    test_metrics = result.metrics("test")
    paths = []
    for key, model in tqdm(result.models_.items(), desc="Models", disable=not progress):
        path = directory / f"{_file_stem('__'.join(key))}.skops"
        paths.append(
            save_model(
                model,
                path,
                feature_names=_training_columns(result, key, model),
                extraction_settings=extraction_settings,
                metadata=_model_metadata(result, key, test_metrics),
            )
        )
    return paths


def save_study(
    result, directory, *, comparisons=None, extraction_settings=None, title=None, save_models=True, progress=False,
    dpi=DEFAULT_DPI, threshold_range=(0.0, 0.5), smooth=False,
) -> Path:
    """Write every table, figure and model of a study, its methods text and an HTML report.

    Parameters
    ----------
    result : StudyResult
    directory : str or Path
        Created if needed; existing files of the same names are replaced.
    comparisons : list of (a, b), optional
        Model pairs (``"feature_set/classifier"``) to compare on the test set
        with DeLong, NRI and IDI; default :func:`default_comparisons`.
    extraction_settings : dict, optional
        Extraction provenance: stated in the methods and stored with every
        model, so ``radfuse predict --manifest`` can extract new images the
        same way.
    title : str, optional
        Title of the HTML report.
    save_models : bool
        Write the final models to ``models/`` (skops).
    progress : bool
        Show progress bars while figures and models are written.
    dpi : int
        Resolution of the PNG figures (the SVGs are vector graphics).
    threshold_range : (float, float) or "data"
        Thresholds of the decision curves (default 0-0.5).
    smooth : bool
        Smooth the decision curves.

    Returns
    -------
    Path of ``report.html``.

    Examples
    --------
    >>> from radfuse.report import save_study
    >>> report = save_study(result, "results")  # doctest: +SKIP
    >>> report.name  # doctest: +SKIP
    'report.html'

    ``result`` is a :class:`~radfuse.study.StudyResult`, e.g. from
    ``Study(...).run()``; ``result.save("results")`` does the same.

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Lambin, P., Leijenaar, R. T. H., Deist, T. M., et al. (2017). Radiomics:
        the bridge between medical imaging and personalized medicine. Nature
        Reviews Clinical Oncology, 14(12), 749-762.
    """
    directory = Path(directory)
    tables_dir, figures_dir, models_dir = (directory / name for name in ("tables", "figures", "models"))
    for folder in (tables_dir, figures_dir):
        folder.mkdir(parents=True, exist_ok=True)
    comparisons = default_comparisons(result) if comparisons is None else [tuple(pair) for pair in comparisons]

    result.save_tables(tables_dir)
    compared = comparison_table(result, comparisons)
    extra_tables = {
        "comparisons": compared,
        "summary_test": summary_table(result, "test"),
        "summary_train": summary_table(result, "train"),
        "summary_cv": summary_table(result, "cv"),
        "ranking": ranking_table(result),
        "hyperparameters": hyperparameter_table(result),
    }
    for name, table in extra_tables.items():
        table.to_csv(tables_dir / f"{name}.csv", index=False)
    _wide_test_predictions(result).to_csv(tables_dir / "predictions_test_wide.csv")

    figures = study_figures(result, threshold_range=threshold_range, smooth=smooth)
    pngs = {
        stem: _save_figure(item.figure, figures_dir / stem, dpi)
        for stem, item in tqdm(figures.items(), desc="Figures", disable=not progress)
    }
    pd.DataFrame(
        {"file": [f"{stem}.png" for stem in figures], "caption": [item.caption for item in figures.values()],
         "alt": [item.alt for item in figures.values()]}
    ).to_csv(figures_dir / "captions.csv", index=False)
    if save_models:
        models_dir.mkdir(parents=True, exist_ok=True)
        _save_models(result, models_dir, extraction_settings, progress)

    methods = methods_text(result, comparisons, extraction_settings)
    (directory / "methods.md").write_text("# Methods\n\n" + methods, encoding="utf-8")

    feature_sets = list(dict.fromkeys(name for name, _ in result.models))
    kinds = ("roc", "calibration", "decision_curve", "confusion", "waterfall", "lasso", "lasso_path",
             "lasso_coefficients")
    figure_sections = [
        (
            f"Figures: {feature_set}",
            [
                ReportFigure(pngs[stem], figures[stem].caption, figures[stem].alt)
                for stem in (f"{kind}_{_file_stem(feature_set)}" for kind in kinds)
                if stem in figures
            ],
        )
        for feature_set in feature_sets
    ]
    compared_shown = compared.assign(pvalue=compared["pvalue"].map(format_pvalue)) if not compared.empty else compared
    warning_summary = _warning_summary(result)
    excluded = _excluded_folds(result)
    sections = [
        ("Summary", _summary_section(result, compared)),
        ("Methods", methods),
        ("Cohort", [("Class balance by split", result.class_balance.reset_index())]
         + ([("Baseline characteristics", result.baseline.reset_index())] if result.baseline is not None else [])),
        ("Performance", [
            ("Test set: metrics (95% CI); thresholds chosen on the training set", extra_tables["summary_test"]),
            ("Cross-validation on the training set: mean \u00b1 SD [corrected 95% CI]", extra_tables["summary_cv"]),
            ("Training set (final models, resubstitution; optimistic)", extra_tables["summary_train"]),
        ]),
        ("Model comparisons on the test set",
         compared_shown if not compared.empty else "No comparison was requested."),
        ("Feature selection", [
            ("Features left after each step (final refit and over CV folds)",
             _once_per_feature_set(result.feature_counts())),
            ("Selected features and LASSO coefficients (final refit)",
             _once_per_feature_set(result.selected_features())),
        ]),
        ("Hyper-parameters", [
            "Every parameter of every selection step and classifier as fitted (None values left out); "
            "also in tables/hyperparameters.csv.",
            extra_tables["hyperparameters"],
        ]),
        *figure_sections,
        ("Warnings and excluded folds", [
            ("Warnings raised while fitting (numbers in messages vary; one example shown)",
             warning_summary if not warning_summary.empty else "No warning was raised."),
            ("Metrics undefined in some CV folds",
             excluded if not excluded.empty else "Every metric was defined in every CV fold."),
        ]),
        ("Files", "Tables (CSV): tables/. Figures (PNG at "
                  f"{dpi} dpi, SVG; captions in figures/captions.csv): figures/. Final models (skops, load with "
                  "radfuse.persistence.load_model): models/. Test-set predictions, one column per model, "
                  "for `radfuse compare`: tables/predictions_test_wide.csv."),
    ]
    return write_html_report(directory / "report.html", title or "radfuse study report", sections, dpi=dpi)
