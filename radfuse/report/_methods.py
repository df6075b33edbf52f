"""The methods section of a study, generated from its resolved settings."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .._methods_text import count_noun, icc_form, join_words
from .._versions import REPORTED_PACKAGES, library_versions
from ..models import CLASSIFIERS, classifier_label
from ._tables import default_comparisons, has_named_cohorts, model_name, pipeline_steps

__all__ = [
    "REPORTED_PACKAGES",
    "clinical_methods",
    "library_versions",
    "methods_text",
]

#: Significance level of the per-feature Kruskal-Wallis tests of centre effects.
CENTRE_EFFECT_ALPHA = 0.05


def describe_step(name: str, step, *, class_counts=None, kept_range=None) -> str:
    """One methods sentence for a pipeline step, stating its parameters.

    A step that describes itself (``describe_method``, as every protocol step
    does) writes its own sentence; any other step gets a generic one naming
    its class and its parameters.

    Parameters
    ----------
    name : str
        The step's name in the pipeline.
    step : estimator
    class_counts : (int, int), optional
        (negatives, positives) of the training set.
    kept_range : (int, int), optional
        (min, max) features the step kept over the final refit and the CV folds.
    """
    describe_method = getattr(step, "describe_method", None)
    if callable(describe_method):
        return describe_method(class_counts=class_counts, kept_range=kept_range)
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


def _describe_feature_sets(feature_sets: Mapping[str, list], harmonisation: Mapping | None = None) -> str:
    """Each feature set with its feature count; ComBat's site column is named, not counted.

    ``harmonisation`` maps a feature set to the fitted ComBat its pipelines
    start with: the site column is removed there, so it is no feature.
    """
    from ..blocks import list_blocks

    parts = []
    for name, columns in feature_sets.items():
        blocks = list_blocks(columns)
        origin = f" from block(s) {', '.join(blocks)}" if blocks else ""
        combat = (harmonisation or {}).get(name)
        site = ""
        if combat is not None and combat.batch in columns:
            columns = [column for column in columns if column != combat.batch]
            site = f", and the site column '{combat.batch}' for harmonisation"
        parts.append(f"'{name}' ({count_noun(len(columns), 'feature')}{origin}{site})")
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


def held_out_shown(result) -> bool:
    """Whether the report has per-held-out-group results: a grouped study (``Study(groups=...)``) with CV folds."""
    return result.fold_groups is not None and not result.fold_groups.empty


def clinical_methods(models, tested: str = "the test set") -> str:
    """The methods paragraph of the clinical, radiomics (rad-score) and combined logistic models.

    Parameters
    ----------
    models : ClinicalModels
        ``StudyResult.clinical_models``.
    tested : str
        How the text names where the models were tested.

    References
    ----------
    .. [1] Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.).
        Springer. (``rms``: ``lrm``, ``nomogram``, ``validate``, ``calibrate``.)
    .. [2] Harrell, F. E., Lee, K. L., & Mark, D. B. (1996). Multivariable
        prognostic models. Statistics in Medicine, 15(4), 361-387.
    .. [3] Steyerberg, E. W. (2019). Clinical Prediction Models (2nd ed.). Springer.
    """
    predictors = join_words([str(name) for name in models.fits["clinical"].predictors])
    n_boot = models.validation.n_resamples
    failed = models.validation.n_failed
    return (
        "**Clinical and rad-score models.** The rad-score was the linear predictor (intercept plus "
        "coefficient-weighted features) of the LASSO step of the final model "
        f"{model_name(*models.rad_score_model)}, fitted on the training set and applied unchanged to "
        f"{tested} ({models.rad_score_formula}). Three logistic regression models were fitted on the training "
        "set by unpenalised maximum likelihood (as rms::lrm; Harrell 2015): a clinical model "
        f"({predictors}), a radiomics model (the rad-score alone) and a combined model (the rad-score and "
        f"{predictors}); categorical predictors were dummy-coded against their first level, and odds ratios "
        "are given with Wald 95% confidence intervals. Each model's threshold maximised Youden's J on its "
        "training probabilities. The combined model is presented as a nomogram. It was internally validated "
        f"by Harrell's optimism-corrected bootstrap with B = {n_boot} resamples (as rms::validate; Harrell, "
        "Lee & Mark 1996; Steyerberg 2019): the model was refitted on each resample and scored on the "
        "resample and on the original training set, and the mean difference (the optimism) was subtracted "
        "from the apparent Somers' Dxy, C statistic, Nagelkerke R\u00b2, calibration intercept and slope, "
        "Brier score and the other indexes"
        + (f" ({failed} resample(s) without a maximum-likelihood fit were left out)" if failed else "")
        + "; a bias-corrected calibration curve (lowess, as rms::calibrate) was estimated from "
        f"{models.calibration.n_resamples} resamples. The bootstrap refits the logistic model on the fixed "
        "rad-score; the optimism of the feature selection itself is measured by the cross-validation, "
        f"where the whole protocol is refitted in every fold. On {tested}, the combined model was compared "
        "with the clinical and the radiomics model, and the radiomics with the clinical model, by DeLong's "
        "test, NRI and IDI."
    )


def centre_effect_methods(result) -> str:
    """The methods sentence of the centre-effect diagnostic, or "" when no pipeline starts with ComBat."""
    table = result.centre_effects(alpha=CENTRE_EFFECT_ALPHA)
    if table.empty:
        return ""
    counts = table.set_index(["feature_set", "stage"])
    found = "; ".join(
        f"{int(counts.loc[(name, 'before'), 'n_significant'])} of the {int(counts.loc[(name, 'before'), 'n_features'])} "
        f"{name} features (across {int(counts.loc[(name, 'before'), 'n_centres'])} centres) before ComBat and "
        f"{int(counts.loc[(name, 'after'), 'n_significant'])} after it"
        for name in dict.fromkeys(table["feature_set"])
    )
    return (
        "**Centre effects.** Each harmonised feature of the training set was tested for a difference between "
        f"centres with the Kruskal-Wallis test (alpha = {CENTRE_EFFECT_ALPHA:g}, uncorrected) before and after "
        f"the ComBat harmonisation fitted on the training set; a centre effect was found in {found}."
    )


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
    in_cohorts = has_named_cohorts(result)
    n_train, pos_train = int(balance.loc["train", "n"]), int(balance.loc["train", "n_positive"])
    n_test = sum(int(balance.loc[cohort, "n"]) for cohort in result.cohorts)
    pos_test = sum(int(balance.loc[cohort, "n_positive"]) for cohort in result.cohorts)
    fusion = settings.get("fusion") or {}
    plain_sets = {name: cols for name, cols in settings["feature_sets"].items()}

    paragraphs = []
    if in_cohorts:
        cohorts = "; ".join(
            f"'{cohort}', {int(balance.loc[cohort, 'n'])} cases ({int(balance.loc[cohort, 'n_positive'])} positive)"
            for cohort in result.cohorts
        )
        design = (
            f"**Study design.** The {n_train + n_test} cases ({pos_train + pos_test} positive, label "
            f"'{result.pos_label}') formed a training set of {n_train} cases ({pos_train} positive) and "
            f"{count_noun(len(result.cohorts), 'test cohort')} ({settings['split']}): {cohorts}"
            + (f"; '{result.cohorts[0]}' is the primary test cohort. " if len(result.cohorts) > 1 else ". ")
        )
    else:
        design = (
            f"**Study design.** The {n_train + n_test} cases ({pos_train + pos_test} positive, label "
            f"'{result.pos_label}') were split ({settings['split']}) into a training set of {n_train} cases "
            f"({pos_train} positive) and a test set of {n_test} cases ({pos_test} positive). "
        )
    if settings.get("groups"):
        design += (
            f"Cases were grouped ({settings['groups']}, e.g. patients or centres); the hold-out split and the "
            "cross-validation folds kept every group on one side. "
        )
    design += (
        (
            "Apart from the outcome-free reliability filter described below, all "
            if extraction_settings and extraction_settings.get("reliability")
            else "All "
        )
        + "feature selection, resampling, scaling and model fitting used the training set only; the test "
        + ("cohorts were used once each, to evaluate the final models." if len(result.cohorts) > 1 else
           f"{'cohort' if in_cohorts else 'set'} was used once, to evaluate the final models.")
    )
    if extraction_settings:
        design += " " + _describe_extraction(extraction_settings)
    design += (
        f" Models were built from {count_noun(len(plain_sets), 'feature set')}: "
        f"{_describe_feature_sets(plain_sets, result.harmonisation)}."
    )
    paragraphs.append(design)

    plain_models = [key for key in result.models if key[0] not in fusion]
    steps = pipeline_steps(result.models_[plain_models[0]]) if plain_models else []
    if steps:
        class_counts = (n_train - pos_train, pos_train)
        kept_ranges = _kept_ranges(result, plain_models[0][0])
        described = " ".join(
            f"({number}) {describe_step(name, step, class_counts=class_counts, kept_range=kept_ranges.get(name))}"
            for number, (name, step) in enumerate(steps, 1)
        )
        paragraphs.append(
            f"**Feature selection.** Within every training part, the following steps were applied in order: "
            f"{described} Every step was fitted on the training part of each cross-validation fold and, for "
            "the final models, on the whole training set, so no information from validation or test cases "
            "entered feature selection."
        )

    centre_effects = centre_effect_methods(result)
    if centre_effects:
        paragraphs.append(centre_effects)

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
    tested = "each test cohort" if in_cohorts else "the test set"
    if settings.get("groups"):
        scheme = (
            f"{count_noun(n_repeats, 'repeat')} of grouped cross-validation ({n_folds} fits; splitter "
            f"{settings['cv']}), each group's cases in one fold"
        )
    else:
        scheme = (
            f"{count_noun(n_repeats, 'repeat')} of stratified {k}-fold cross-validation ({n_folds} fits; "
            f"splitter {settings['cv']})"
        )
    evaluation = (
        f"**Evaluation.** Each model was evaluated on the training set by {scheme}, and then refitted on the "
        f"whole training set and applied to {tested}. Cross-validated metrics are reported as mean \u00b1 SD "
        "over folds with 95% confidence intervals from the corrected resampled t statistic of Nadeau and "
        "Bengio, which allows for the overlap between training parts of different folds. "
    )
    if held_out_shown(result):
        evaluation += (
            "The out-of-fold predictions were also scored per held-out group (e.g. leave-one-centre-out: each "
            "centre scored by the models trained on the other centres), with the intervals used on the test "
            "set. "
        )
    evaluation += (
        "The classification "
        f"threshold of each model was chosen by {settings['threshold']} and applied unchanged to {tested}. "
        f"On {tested}, the AUC is given with a DeLong 95% confidence interval, accuracy, sensitivity, "
        "specificity, PPV and NPV with Wilson score intervals, and F1 with a bootstrap interval. Calibration "
        "was assessed with calibration curves, the Brier score, calibration intercept and slope and the "
        "Hosmer-Lemeshow test, and clinical utility with decision curve analysis (net benefit against "
        "treat-all and treat-none)."
    )
    paragraphs.append(evaluation)
    if comparisons:
        pairs = "; ".join(f"{a} versus {b}" for a, b in comparisons)
        paragraphs.append(
            f"**Model comparison.** On {tested}, models were compared pairwise with DeLong's test for "
            "correlated AUCs, the category-free net reclassification improvement (NRI) and the integrated "
            f"discrimination improvement (IDI), all two-sided at alpha = 0.05: {pairs}."
        )
    if result.clinical_models is not None:
        paragraphs.append(clinical_methods(result.clinical_models, tested))

    # The versions the study ran with, recorded when it ran.
    versions = {package: version for package, version in settings["versions"].items() if package != "python"}
    versions["python"] = settings["versions"].get("python", "")
    software = ", ".join(f"{package} {version}" for package, version in versions.items() if version)
    paragraphs.append(
        f"**Software and reproducibility.** Analyses ran in Python with {software}. Every random step (split, "
        f"folds, SMOTE, LASSO cross-validation, tie-breaking and the classifiers) was seeded with random "
        f"seed {settings['seed']}, so the results are reproducible whatever the number of parallel jobs."
    )
    return "\n\n".join(paragraphs) + "\n"
