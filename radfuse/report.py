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
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from . import plots
from .models import CLASSIFIERS, classifier_label
from .persistence import save_model

__all__ = [
    "comparison_table",
    "default_comparisons",
    "methods_text",
    "save_study",
    "study_figures",
    "summary_table",
    "write_html_report",
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


def study_figures(result) -> dict[str, Figure]:
    """Every figure of the report, keyed by file stem.

    Per feature set (and fusion model): ROC curves (CV and test), calibration
    and decision curves and confusion matrices on the test set; the waterfall
    plot of the feature set's best model (highest CV AUC); and where the
    selection ends in a LASSO, its CV error and coefficient paths and the
    coefficient bar chart.

    Parameters
    ----------
    result : StudyResult

    Returns
    -------
    dict of str to Figure
        Stems such as ``roc_<feature set>`` or ``waterfall_<feature set>``.

    Examples
    --------
    >>> from radfuse.study import example_study_result
    >>> result = example_study_result()
    >>> from radfuse.report import study_figures
    >>> figures = study_figures(result)
    >>> sorted(stem for stem in figures if stem.endswith("_US"))  # doctest: +NORMALIZE_WHITESPACE
    ['calibration_US', 'confusion_US', 'decision_curve_US', 'lasso_US',
     'lasso_coefficients_US', 'roc_US', 'waterfall_US']

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
    figures = {}
    best = _best_by_feature_set(result)
    with_lasso = set(result.selected_features()["feature_set"])
    for feature_set in dict.fromkeys(name for name, _ in result.models):
        stem = _file_stem(feature_set)
        figures[f"roc_{stem}"] = plots.plot_study_roc(result, feature_set)
        figures[f"calibration_{stem}"] = plots.plot_study_calibration(result, feature_set)
        figures[f"decision_curve_{stem}"] = plots.plot_study_decision_curve(result, feature_set)
        figures[f"confusion_{stem}"] = plots.plot_study_confusion_matrices(result, feature_set)
        figures[f"waterfall_{stem}"] = plots.plot_study_waterfall(result, best[feature_set])
        if feature_set in with_lasso and _has_lasso(result, feature_set):
            figures[f"lasso_{stem}"] = plots.plot_study_lasso(result, feature_set)
            figures[f"lasso_coefficients_{stem}"] = plots.plot_study_lasso_coefficients(result, feature_set)
    return figures


def _has_lasso(result, feature_set: str) -> bool:
    try:
        result.lasso_path(feature_set)
    except ValueError:
        return False
    return True


def render_png(figure: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes, cropped to its artists so nothing is clipped."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.05)
    return buffer.getvalue()


def _save_figure(figure: Figure, stem: Path) -> bytes:
    """Write ``stem.png`` and ``stem.svg``; return the PNG bytes for the HTML report."""
    png = render_png(figure)
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


def _describe_cv(cv) -> str:
    n_splits = getattr(cv, "n_splits", None) or getattr(cv, "cvargs", {}).get("n_splits")
    n_repeats = getattr(cv, "n_repeats", None)
    if isinstance(cv, int):
        return f"stratified {cv}-fold cross-validation"
    if n_repeats and n_splits:
        return f"{n_repeats} repeats of stratified {n_splits}-fold cross-validation"
    if n_splits:
        return f"{n_splits}-fold cross-validation ({type(cv).__name__})"
    return f"the splitter {cv!r}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _join(words) -> str:
    words = [str(word) for word in words]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _describe_step(name: str, step) -> str:
    """One sentence per pipeline step, stating its parameters."""
    from imblearn.over_sampling import SMOTE
    from sklearn.preprocessing import StandardScaler

    from .select.correlation import CorrelationPruner
    from .select.icc import ICCFilter
    from .select.lasso import LassoSelector
    from .select.mrmr import MRMRSelector
    from .select.univariate import UnivariateFilter

    if isinstance(step, ICCFilter):
        return (
            f"Reproducibility: features were retained when their intraclass correlation coefficient "
            f"({step.icc_type}, Shrout-Fleiss) between the repeated delineations exceeded "
            f"{step.threshold}; features without repeated measurements were "
            f"{'kept' if step.unrated == 'keep' else 'dropped'}."
        )
    if isinstance(step, SMOTE):
        return (
            f"Class balancing: the minority class of the training data was oversampled with SMOTE "
            f"(k = {step.k_neighbors} nearest neighbours, sampling strategy '{step.sampling_strategy}'); "
            "validation and test cases were never resampled."
        )
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
            f"Relevance and redundancy: the {step.n_features} top-ranked features by minimum redundancy "
            "maximum relevance (mRMR) were kept."
        )
    if isinstance(step, LassoSelector):
        model = "Gaussian (least-squares)" if step.model == "linear" else "L1-penalised logistic"
        rule = "minimising" if step.rule == "min" else "within one standard error of the minimum of"
        return (
            f"LASSO: a {model} LASSO was fitted, its penalty lambda chosen as the value {rule} the "
            f"cross-validated error over {_describe_cv(step.cv)}, and features with a non-zero "
            "coefficient at that penalty were kept."
        )
    params = {key: value for key, value in step.get_params(deep=False).items() if value is not None}
    return f"Step '{name}': {type(step).__name__} with parameters {params}."


def _pipeline_steps(model) -> list[tuple[str, object]]:
    """The fitted classifier-free steps of a model (the first block's for fusion models)."""
    steps = getattr(model, "steps", None)
    if steps is None:
        blocks = getattr(model, "estimators_", None) or {}
        first = next(iter(blocks.values()), None)
        steps = getattr(first, "steps", None) or []
    return [(name, step) for name, step in steps[:-1] if step not in (None, "passthrough")]


def _describe_feature_sets(feature_sets: Mapping[str, list]) -> str:
    from .blocks import list_blocks

    parts = []
    for name, columns in feature_sets.items():
        blocks = list_blocks(columns)
        origin = f" from block(s) {', '.join(blocks)}" if blocks else ""
        parts.append(f"'{name}' ({_count(len(columns), 'feature')}{origin})")
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
        for block, settings in params.items():
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
            f"{icc['n_rated']} features measured by every reader, the {icc['n_kept']} with "
            f"{icc['icc_type']} > {icc['threshold']} were kept.{unrated} The ICC uses neither the outcome nor "
            "the training values, so it was computed once, before the split."
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
        f"({pos_train} positive) and a test set of {n_test} cases ({pos_test} positive). All feature selection, "
        "resampling, scaling and model fitting used the training set only; the test set was used once, to "
        "evaluate the final models."
    )
    if extraction_settings:
        design += " " + _describe_extraction(extraction_settings)
    design += f" Models were built from {_count(len(plain_sets), 'feature set')}: {_describe_feature_sets(plain_sets)}."
    paragraphs.append(design)

    plain_models = [key for key in result.models if key[0] not in fusion]
    steps = _pipeline_steps(result.models_[plain_models[0]]) if plain_models else []
    if steps:
        described = " ".join(f"({number}) {_describe_step(name, step)}" for number, (name, step) in enumerate(steps, 1))
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
        f"**Classifiers.** {_count(len(classifiers), 'classifier')} were trained on each feature set: {named}."
        + (
            " Each classifier kept radfuse's default hyper-parameters (no tuning)."
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
            f" Fusion model '{name}' combined the {_join(blocks)} inputs by {what}{extra}, with each "
            "classifier in turn."
        )
    paragraphs.append(modelling)

    n_folds, n_repeats = settings["n_folds"], settings["n_repeats"]
    k = n_folds // max(n_repeats, 1)
    paragraphs.append(
        f"**Evaluation.** Each model was evaluated on the training set by {_count(n_repeats, 'repeat')} of "
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
table { border-collapse: collapse; font-size: .82em; margin: .6em 0 1.2em; }
th, td { padding: .25em .6em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0 2em; } img { max-width: 100%; height: auto; }
figcaption { font-size: .85em; color: #555; }
nav ul { columns: 2; font-size: .9em; }
"""


def _html_block(content) -> str:
    if isinstance(content, Figure):
        content = render_png(content)
    if isinstance(content, bytes):
        encoded = base64.b64encode(content).decode("ascii")
        return f'<figure><img alt="figure" src="data:image/png;base64,{encoded}"></figure>'
    if isinstance(content, pd.DataFrame):
        return content.to_html(index=False, border=0, na_rep="", float_format=lambda value: f"{value:.3f}")
    paragraphs = str(content).strip().split("\n\n")
    rendered = []
    for paragraph in paragraphs:
        text = html.escape(paragraph)
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        rendered.append(f"<p>{text}</p>")
    return "\n".join(rendered)


def write_html_report(path, title: str, sections) -> Path:
    """Write one self-contained HTML page from plain content.

    Parameters
    ----------
    path : str or Path
    title : str
    sections : list of (heading, content)
        ``content`` is a string (paragraphs separated by blank lines,
        ``**bold**`` allowed), a DataFrame, a matplotlib Figure, PNG bytes,
        or a list of these (each item rendered in turn, a ``(subheading, item)`` tuple
        adding a sub-heading). Figures are embedded as base64 PNG, so the
        page references no external file, script or style sheet.

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
    >>> "<td>0.810</td>" in page.read_text(encoding="utf-8")
    True

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    body, contents = [], []
    for number, (heading, content) in enumerate(sections):
        anchor = f"section-{number}"
        contents.append(f'<li><a href="#{anchor}">{html.escape(heading)}</a></li>')
        body.append(f'<h2 id="{anchor}">{html.escape(heading)}</h2>')
        for item in content if isinstance(content, list) else [content]:
            if isinstance(item, tuple):
                subheading, item = item
                body.append(f"<h3>{html.escape(subheading)}</h3>")
            body.append(_html_block(item))
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<nav><ul>{''.join(contents)}</ul></nav>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


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
    result, directory, *, comparisons=None, extraction_settings=None, title=None, save_models=True, progress=False
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
    }
    for name, table in extra_tables.items():
        table.to_csv(tables_dir / f"{name}.csv", index=False)
    _wide_test_predictions(result).to_csv(tables_dir / "predictions_test_wide.csv")

    figures = {
        stem: _save_figure(figure, figures_dir / stem)
        for stem, figure in tqdm(study_figures(result).items(), desc="Figures", disable=not progress)
    }
    if save_models:
        models_dir.mkdir(parents=True, exist_ok=True)
        _save_models(result, models_dir, extraction_settings, progress)

    methods = methods_text(result, comparisons, extraction_settings)
    (directory / "methods.md").write_text("# Methods\n\n" + methods, encoding="utf-8")

    feature_sets = list(dict.fromkeys(name for name, _ in result.models))
    per_set_figures = [
        (f"{feature_set}: {kind.replace('_', ' ')}", figures[f"{kind}_{_file_stem(feature_set)}"])
        for feature_set in feature_sets
        for kind in ("roc", "calibration", "decision_curve", "confusion", "waterfall", "lasso", "lasso_coefficients")
        if f"{kind}_{_file_stem(feature_set)}" in figures
    ]
    sections = [
        ("Methods", methods),
        ("Cohort", [("Class balance by split", result.class_balance.reset_index())]
         + ([("Baseline characteristics", result.baseline.reset_index())] if result.baseline is not None else [])),
        ("Test set", [
            ("Metrics (95% CI); threshold chosen on the training set", extra_tables["summary_test"]),
        ]),
        ("Cross-validation on the training set", [
            ("Mean \u00b1 SD [corrected 95% CI]", extra_tables["summary_cv"]),
        ]),
        ("Training set (final models, resubstitution)", extra_tables["summary_train"]),
        ("Model comparisons on the test set", compared if not compared.empty else "No comparison was requested."),
        ("Feature selection", [
            ("Features left after each step (final refit and over CV folds)", result.feature_counts()),
            ("Selected features and LASSO coefficients", result.selected_features()),
        ]),
        ("Figures", per_set_figures),
        ("Files", "Tables (CSV): tables/. Figures (PNG, SVG): figures/. Final models (skops, load with "
                  "radfuse.persistence.load_model): models/. Test-set predictions, one column per model, "
                  "for `radfuse compare`: tables/predictions_test_wide.csv."),
    ]
    return write_html_report(directory / "report.html", title or "radfuse study report", sections)
