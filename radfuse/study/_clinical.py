"""Clinical, radiomics (rad-score) and combined logistic models of a finished Study."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral

import pandas as pd
from sklearn.preprocessing import StandardScaler

from .._validation import preview
from ..pipeline import transform_new_cases
from ..select import LassoSelector
from ..stats import (
    BootstrapCalibrationResult,
    LogisticMLE,
    LogisticModelResult,
    ValidationResult,
    bootstrap_calibration,
    bootstrap_validate,
    logistic_model,
    youden_threshold,
)
from ._result import METRICS, fixed_metric_rows, paired_tests
from ._units import complete_cases

STEP = "Study"
#: The three models, in the order papers report them.
CLINICAL_MODELS = ("clinical", "radiomics", "combined")
_KEYS = ("predictors", "feature_set", "n_boot")
#: Comparisons of the combined model with each of its parts, as papers report them.
_COMPARISONS = (("combined", "clinical"), ("combined", "radiomics"), ("radiomics", "clinical"))


def check_clinical_model(spec, clinical, feature_sets) -> dict | None:
    """``Study(clinical_model=...)`` checked: predictors, rad-score feature set, resamples."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise TypeError(
            f"{STEP}: clinical_model must be a dict with 'predictors' (and optionally "
            f"'feature_set', 'n_boot'); got {spec!r}."
        )
    unknown = [key for key in spec if key not in _KEYS]
    if unknown:
        raise ValueError(f"{STEP}: unknown clinical_model key(s) {unknown}; allowed: {list(_KEYS)}.")
    if not isinstance(clinical, pd.DataFrame):
        raise TypeError(
            f"{STEP}: clinical_model needs the clinical variables: pass clinical= a DataFrame by "
            "case id."
        )
    predictors = spec.get("predictors")
    if isinstance(predictors, str) or not isinstance(predictors, Sequence) or not predictors:
        raise ValueError(
            f"{STEP}: clinical_model['predictors'] must be a non-empty list of columns of clinical; "
            f"got {predictors!r}."
        )
    missing = [name for name in predictors if name not in clinical.columns]
    if missing:
        raise ValueError(
            f"{STEP}: clinical_model predictor(s) {missing} are not columns of clinical; its "
            f"columns: {preview(list(clinical.columns))}."
        )
    feature_set = spec.get("feature_set", next(iter(feature_sets)))
    if feature_set not in feature_sets:
        raise ValueError(
            f"{STEP}: clinical_model['feature_set'] {feature_set!r} is not a feature set; feature "
            f"sets: {list(feature_sets)}."
        )
    n_boot = spec.get("n_boot", 200)
    if isinstance(n_boot, bool) or not isinstance(n_boot, Integral) or n_boot < 1:
        raise ValueError(f"{STEP}: clinical_model['n_boot'] must be a positive integer; got {n_boot!r}.")
    return {"predictors": list(predictors), "feature_set": feature_set, "n_boot": int(n_boot)}


def check_clinical_cases(clinical, predictors, ids) -> None:
    """Every case of the study has every clinical predictor (checked before any fit)."""
    values = clinical.reindex(ids)[predictors]
    missing = values.isna()
    if missing.to_numpy().any():
        cases = values.index[missing.any(axis=1).to_numpy()].tolist()
        columns = missing.columns[missing.any(axis=0).to_numpy()].tolist()
        raise ValueError(
            f"{STEP}: clinical_model needs every predictor for every case; case(s) "
            f"{preview(cases)} miss {columns} (or are not in clinical). Impute them or leave the "
            "cases out."
        )


def _lasso_position(model) -> int | None:
    for position, (_, step) in enumerate(getattr(model, "steps", ())):
        if isinstance(step, LassoSelector):
            return position
    return None


@dataclass
class ClinicalModels:
    """The clinical, radiomics and combined logistic models of a Study.

    Each is an unpenalised maximum-likelihood logistic regression
    (:func:`radfuse.stats.logistic_model`, equal to ``rms::lrm``) fitted on
    the training set: ``clinical`` on the clinical predictors,
    ``radiomics`` on the rad-score, ``combined`` on both. The rad-score is the
    linear predictor of the LASSO step of one feature set's final model
    (:meth:`radfuse.select.LassoSelector.rad_score`), fitted once on the
    training set and only applied to the test cohorts. Each model's threshold
    maximises Youden's J on its training probabilities.

    Attributes
    ----------
    fits : dict of str to LogisticModelResult
        ``"clinical"``, ``"radiomics"``, ``"combined"``: coefficients, odds
        ratios, LR test; pass one to :func:`radfuse.plots.plot_nomogram`.
    data : DataFrame
        One row per case (training set and every test cohort): ``split``
        (``"train"`` or the cohort's name), ``y`` (0/1), ``rad_score`` and
        the clinical predictors. Cases missing a block of the rad-score's
        feature set are left out.
    rad_score_model : tuple of str
        The (feature_set, classifier) whose final pipeline's LASSO gives the
        rad-score.
    rad_score_formula : str
        The rad-score as printable text, in the units of the LASSO's input
        (the original feature units when a ``StandardScaler`` directly
        precedes the LASSO).
    thresholds : Series
        Youden threshold of each model, on its training probabilities.
    validation : ValidationResult
        :func:`radfuse.stats.bootstrap_validate` of the combined model
        (``rms::validate``): Harrell's optimism-corrected indexes.
    calibration : BootstrapCalibrationResult
        :func:`radfuse.stats.bootstrap_calibration` of the combined model
        (``rms::calibrate``): apparent, bias-corrected and ideal curves.
    cohorts : list of str
        The test cohorts, the primary one first.
    seed : int

    Notes
    -----
    The bootstrap refits the logistic model on the fixed rad-score, as the
    published rad-score nomograms are validated; the optimism of the
    selection itself is measured by the Study's cross-validation, where the
    whole protocol is refitted in every fold.
    """

    fits: dict[str, LogisticModelResult]
    data: pd.DataFrame
    rad_score_model: tuple[str, str]
    rad_score_formula: str
    thresholds: pd.Series
    validation: ValidationResult
    calibration: BootstrapCalibrationResult
    cohorts: list[str]
    seed: int

    def _split(self, split: str) -> str:
        if split == "test" and "test" not in self.cohorts:
            return self.cohorts[0]
        if split not in ("train", *self.cohorts):
            raise ValueError(
                f"ClinicalModels: split must be 'train', 'test' or a test cohort "
                f"{preview(self.cohorts)}; got {split!r}."
            )
        return split

    def _model(self, model: str) -> str:
        if model not in self.fits:
            raise ValueError(f"ClinicalModels: model must be one of {list(self.fits)}; got {model!r}.")
        return model

    def probabilities(self, model: str, split: str = "test") -> pd.Series:
        """Predicted probabilities of ``model`` on the training set or a test cohort, by case id."""
        model, split = self._model(model), self._split(split)
        rows = self.data[self.data["split"] == split]
        return pd.Series(self.fits[model].predict_proba(rows), index=rows.index, name=model)

    def metrics(self, split: str = "test") -> pd.DataFrame:
        """Every metric of the three models, as :meth:`StudyResult.metrics` (AUC: DeLong CI).

        Returns
        -------
        DataFrame with ``model``, ``metric``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``note``.
        """
        split = self._split(split)
        y = self.data.loc[self.data["split"] == split, "y"]
        rows = []
        for model in self.fits:
            values = fixed_metric_rows(y, self.probabilities(model, split), self.thresholds[model], self.seed)
            rows += [(model, metric, *values[metric]) for metric in METRICS]
        return pd.DataFrame(rows, columns=["model", "metric", "estimate", "ci_lower", "ci_upper", "note"])

    def compare(self, a: str, b: str, split: str = "test") -> pd.DataFrame:
        """DeLong test, NRI and IDI of model ``a`` over ``b`` on one cohort, as :meth:`StudyResult.compare`."""
        a, b, split = self._model(a), self._model(b), self._split(split)
        y = self.data.loc[self.data["split"] == split, "y"]
        table = paired_tests(y, self.probabilities(a, split), self.probabilities(b, split))
        table.attrs.update(a=a, b=b, split=split)
        return table

    def comparisons(self) -> pd.DataFrame:
        """combined vs clinical, combined vs radiomics and radiomics vs clinical on every test cohort.

        Returns
        -------
        DataFrame with ``cohort``, ``a``, ``b``, ``test``, ``estimate``,
        ``ci_lower``, ``ci_upper``, ``statistic``, ``pvalue``.
        """
        frames = [
            self.compare(a, b, cohort).reset_index().assign(cohort=cohort, a=a, b=b)
            for cohort in self.cohorts
            for a, b in _COMPARISONS
        ]
        table = pd.concat(frames, ignore_index=True)
        return table[["cohort", "a", "b", "test", "estimate", "ci_lower", "ci_upper", "statistic", "pvalue"]]

    def coefficients(self) -> pd.DataFrame:
        """The ``table`` of each fit (coefficients, Wald tests, odds ratios), with a ``model`` column."""
        return pd.concat(
            [fit.table.rename_axis("term").reset_index().assign(model=name) for name, fit in self.fits.items()],
            ignore_index=True,
        ).pipe(lambda table: table[["model", *table.columns[:-1]]])

    def to_dict(self) -> dict[str, pd.DataFrame]:
        """The tables by name, for :meth:`StudyResult.to_dict`."""
        return {
            "clinical_models_coefficients": self.coefficients(),
            "clinical_models_metrics": pd.concat(
                [self.metrics(split).assign(split=split) for split in ("train", *self.cohorts)], ignore_index=True
            ),
            "clinical_models_comparisons": self.comparisons(),
            "clinical_models_validation": self.validation.table.rename_axis("index").reset_index(),
            "clinical_models_calibration": self.calibration.table,
            "clinical_models_data": self.data.rename_axis("case_id").reset_index(),
        }


def fit_clinical_models(spec, clinical, model, model_key, columns, X_train, y_train, cohorts, seed, n_jobs):
    """Rad-score from the fitted ``model`` of ``model_key``, then the three logistic models."""
    position = _lasso_position(model)
    if position is None:
        raise ValueError(
            f"{STEP}: clinical_model needs a LassoSelector in the final model of feature set "
            f"{model_key[0]!r} (model {'/'.join(model_key)!r}) to compute the rad-score; its pipeline "
            "has none."
        )
    lasso, before = model.steps[position][1], model[:position]
    tables = {"train": (X_train, y_train), **cohorts}
    frames = []
    for split, (X, y) in tables.items():
        ids = complete_cases(X, columns)
        X = X.loc[ids, columns]
        score = lasso.rad_score(transform_new_cases(before, X) if position else X)
        frames.append(
            clinical.loc[ids, spec["predictors"]].assign(split=split, y=y.loc[ids].to_numpy(), rad_score=score)
        )
    data = pd.concat(frames)
    data = data[["split", "y", "rad_score", *spec["predictors"]]]
    train = data[data["split"] == "train"]
    predictors = {
        "clinical": spec["predictors"],
        "radiomics": ["rad_score"],
        "combined": ["rad_score", *spec["predictors"]],
    }
    fits = {name: logistic_model(train, "y", terms) for name, terms in predictors.items()}
    thresholds = pd.Series(
        {name: youden_threshold(train["y"], fit.predict_proba(train)).threshold for name, fit in fits.items()},
        name="threshold",
    )
    design = fits["combined"].design_matrix(train)
    resampling = {"n_boot": spec["n_boot"], "random_state": seed, "n_jobs": n_jobs}
    scaler = before.steps[-1][1] if position and isinstance(before.steps[-1][1], StandardScaler) else None
    return ClinicalModels(
        fits=fits,
        data=data,
        rad_score_model=model_key,
        rad_score_formula=lasso.rad_score_formula(scaler),
        thresholds=thresholds,
        validation=bootstrap_validate(LogisticMLE(), design, train["y"], **resampling),
        calibration=bootstrap_calibration(LogisticMLE(), design, train["y"], **resampling),
        cohorts=list(cohorts),
        seed=seed,
    )
