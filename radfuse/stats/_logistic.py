"""Unpenalised maximum-likelihood logistic regression matched to R's ``rms::lrm``:
the clinical + rad-score model of a radiomics paper, as a table and as an estimator."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api import types
from scipy import special, stats
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import validate_params
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_binary_target, check_same_cases, feature_names_of, preview
from ._inference import wald_test
from ._ml_logistic import NotConvergedError, SeparationError, fit_logistic
from ._params import ALPHA, POS_LABEL
from ._result import StatResult

__all__ = [
    "LikelihoodRatioTest",
    "LogisticMLE",
    "LogisticModelResult",
    "NotConvergedError",
    "SeparationError",
    "logistic_model",
]

_STEP = "logistic_model"


@dataclasses.dataclass(frozen=True, repr=False)
class LikelihoodRatioTest(StatResult):
    r"""Likelihood-ratio test of the model against the intercept-only model.

    ``statistic`` is the chi-square :math:`-2\log L_0 - (-2\log L)` on ``df``
    degrees of freedom, ``pvalue`` its upper tail; ``method`` is
    ``"likelihood ratio"``. No quantity is estimated: ``estimate`` and the
    interval are NaN, ``alpha`` None.
    """

    df: int


@dataclasses.dataclass(frozen=True, repr=False)
class LogisticModelResult(StatResult):
    """A fitted ``logistic_model``; ``table`` holds one row per term.

    ``levels`` maps each categorical predictor to its levels (the first is the
    reference), ``ranges`` each continuous predictor to the (low, high) values
    a nomogram draws by default (``rms::datadist``'s display quantiles).

    One row per term, so the terms stay in ``table``; ``to_frame()`` is the
    model's one-row summary. Its core fields: ``statistic`` and ``pvalue``
    of the likelihood-ratio test (``lr_test``), ``alpha`` of the odds-ratio
    intervals, ``method`` ``"maximum likelihood"``; ``estimate`` and the
    interval are NaN (the estimates are per term).
    """

    table: pd.DataFrame
    lr_test: LikelihoodRatioTest
    covariance: pd.DataFrame = dataclasses.field(repr=False)
    n: int
    n_events: int
    log_likelihood: float
    null_log_likelihood: float
    n_iterations: int
    outcome: str
    predictors: list
    levels: Mapping = dataclasses.field(repr=False)
    ranges: Mapping = dataclasses.field(repr=False)

    @property
    def coef(self) -> pd.Series:
        """The coefficients, intercept first, indexed by term name."""
        return self.table["coef"]

    def design_matrix(self, data: pd.DataFrame) -> pd.DataFrame:
        """The model's terms (without the intercept) computed on ``data``, dummy-coded
        with the fitted levels; a level unseen in the fit is an error."""
        return _design(data, self.predictors, self.levels)

    def linear_predictor(self, data: pd.DataFrame) -> np.ndarray:
        """:math:`\\hat\\beta_0 + x^\\top \\hat\\beta` for each row of ``data``."""
        coef = self.coef.to_numpy()
        return coef[0] + self.design_matrix(data).to_numpy() @ coef[1:]

    def predict_proba(self, data: pd.DataFrame) -> np.ndarray:
        """Predicted probability of the event for each row of ``data``."""
        return special.expit(self.linear_predictor(data))


def _is_categorical(column: pd.Series) -> bool:
    return (
        types.is_bool_dtype(column)
        or isinstance(column.dtype, pd.CategoricalDtype)
        or types.is_object_dtype(column)
        or types.is_string_dtype(column)
    )


def _levels_of(column: pd.Series) -> tuple:
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = set(column.dropna().unique().tolist())
        unused = [level for level in column.cat.categories if level not in present]
        if unused:
            raise ValueError(
                f"{_STEP}: categorical predictor {column.name!r} has level(s) "
                f"{preview(unused)} with no case; a level without cases has no coefficient. "
                "Drop the unused categories (Series.cat.remove_unused_categories())."
            )
        return tuple(column.cat.categories.tolist())
    # R's factor(): levels in sorted order.
    return tuple(sorted(column.unique().tolist()))


def _design(data: pd.DataFrame, predictors: Sequence, levels: Mapping) -> pd.DataFrame:
    missing = [name for name in predictors if name not in data.columns]
    if missing:
        raise ValueError(f"{_STEP}: predictor column(s) {preview(missing)} not found in data.")
    columns = {}
    for name in predictors:
        column = data[name]
        if name in levels:
            values = column.to_numpy(dtype=object)
            unknown = sorted({str(v) for v in values} - {str(level) for level in levels[name]})
            if unknown:
                raise ValueError(
                    f"{_STEP}: categorical predictor {name!r} has level(s) {preview(unknown)} "
                    f"not seen in the fit (levels {preview(list(levels[name]))})."
                )
            for level in levels[name][1:]:
                columns[f"{name}={level}"] = (values == level).astype(np.float64)
        else:
            columns[str(name)] = column.to_numpy(dtype=np.float64)
    return pd.DataFrame(columns, index=data.index)


def _check_data(data, outcome, predictors):
    predictors = list(predictors)
    if not predictors:
        raise ValueError(f"{_STEP}: predictors is empty; list at least one column name.")
    repeated = sorted({str(p) for p in predictors if predictors.count(p) > 1})
    if repeated:
        raise ValueError(f"{_STEP}: predictor(s) {preview(repeated)} are listed more than once.")
    absent = [name for name in [outcome, *predictors] if name not in data.columns]
    if absent:
        raise ValueError(f"{_STEP}: column(s) {preview(absent)} not found in data.")
    if outcome in predictors:
        raise ValueError(f"{_STEP}: the outcome {outcome!r} cannot also be a predictor.")
    incomplete = data[[outcome, *predictors]].isna()
    if incomplete.to_numpy().any():
        columns = incomplete.columns[incomplete.any()].tolist()
        rows = data.index[incomplete.any(axis=1)].tolist()
        raise ValueError(
            f"{_STEP}: missing values in column(s) {preview(columns)} of {len(rows)} "
            f"case(s) {preview(rows)}; impute or drop them before fitting."
        )
    return predictors


def _display_range(values: np.ndarray) -> tuple[float, float]:
    """``rms::datadist``'s display limits: quantiles q and 1 - q, q = 10 / max(n, 200)."""
    q = 10 / max(values.size, 200)
    low, high = np.quantile(values, [q, 1 - q])
    return float(low), float(high)


def _collinear_terms(X: np.ndarray, names: Sequence[str]) -> list[str]:
    """Terms that are linear combinations of the terms (and intercept) before them."""
    scaled = X / np.maximum(np.abs(X).max(axis=0), np.finfo(float).tiny)
    return [
        names[j]
        for j in range(1, X.shape[1])
        if np.linalg.matrix_rank(scaled[:, : j + 1]) < j + 1
    ]


@validate_params(
    {
        "data": [pd.DataFrame],
        "outcome": [Hashable],
        "predictors": ["array-like"],
        "alpha": ALPHA,
        "pos_label": POS_LABEL,
    },
    prefer_skip_nested_validation=True,
)
def logistic_model(
    data, outcome, predictors, alpha: float = 0.05, *, pos_label=None
) -> LogisticModelResult:
    r"""Binary logistic regression by unpenalised maximum likelihood, as ``rms::lrm``.

    Fits :math:`\operatorname{logit} P(y = 1 \mid x) = \beta_0 + x^\top\beta`
    by Newton-Raphson from the intercept-only model, with step halving, until
    no coefficient moves by more than :math:`10^{-10}` (relative): the
    quadratic convergence then puts the estimate at the optimum to rounding
    error (``rms::lrm`` 6.5 stops once :math:`-2\log L` changes by less than
    0.025, a few 1e-6 short of it).

    * ``table``, one row per term (``Intercept`` first): ``coef``
      :math:`\hat\beta_j`; ``se`` from the inverse information matrix
      :math:`(X^\top W X)^{-1}`, :math:`W = \operatorname{diag}\{\hat p_i(1 - \hat p_i)\}`;
      Wald ``z`` :math:`= \hat\beta_j / SE_j` and its two-sided normal ``pvalue``;
      ``odds_ratio`` :math:`e^{\hat\beta_j}` per unit of the predictor (per
      level against the reference level) with the Wald interval
      :math:`e^{\hat\beta_j \pm z_{1-\alpha/2} SE_j}` (``or_ci_lower``,
      ``or_ci_upper``). The intercept is a log-odds, not a log odds ratio:
      its three odds-ratio cells are NaN.
    * ``lr_test``: :math:`\chi^2 = -2\log L_0 - (-2\log L)` on as many
      degrees of freedom as terms, against the intercept-only model.

    Numeric columns enter as they are (per-unit effects). Boolean, string,
    object and categorical columns are dummy-coded against their first level
    (sorted order, or category order for a pandas categorical, as R's
    ``factor``), with terms named ``column=level``, e.g. ``grade=G2``.

    When the outcome is separated (completely or quasi-completely) by a
    combination of the predictors, the maximum-likelihood estimate does not
    exist (Albert & Anderson 1984); Newton-Raphson then fails to converge,
    Konis's (2007) linear program confirms the separation, and a
    :class:`SeparationError` names the terms involved. Near-separation, where
    the MLE exists but is large, converges to it.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per case. Missing values in the used columns are an error.
    outcome : column label
        Binary outcome; the larger value is the event (``True``, 1, ...)
        unless ``pos_label`` says otherwise.
    predictors : list of column labels
        Terms of the model, in order.
    alpha : float
        1 - confidence level of the odds-ratio intervals.
    pos_label : label, optional
        The event; required when the outcome holds strings.

    Returns
    -------
    LogisticModelResult
        ``table``, ``lr_test``, ``covariance`` (a DataFrame over the terms),
        ``n``, ``n_events``, ``log_likelihood``, ``null_log_likelihood``,
        ``n_iterations``, the model description (``outcome``, ``predictors``,
        ``levels``, ``ranges``) and ``linear_predictor(data)`` /
        ``predict_proba(data)`` for new cases.

    Raises
    ------
    SeparationError
        The MLE does not exist.
    ValueError
        A missing column or value, a non-binary outcome, an unused category
        or a term that is a linear combination of the others (named).

    References
    ----------
    Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.), ch. 10-11.
    Springer. (R package ``rms``, functions ``lrm`` and ``lrm.fit``.)
    Albert, A., & Anderson, J. A. (1984). On the existence of maximum
    likelihood estimates in logistic regression models. Biometrika, 71(1), 1-10.
    Konis, K. (2007). Linear programming algorithms for detecting separated
    data in binary logistic regression models. DPhil thesis, University of Oxford.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radfuse.stats import logistic_model
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"rad_score": rng.normal(size=300),
    ...                      "grade": rng.choice(["G1", "G2", "G3"], 300)})
    >>> data["y"] = rng.binomial(1, 1 / (1 + np.exp(-(data["rad_score"] - 0.5))))
    >>> fit = logistic_model(data, "y", ["rad_score", "grade"])
    >>> fit.table.index.tolist()
    ['Intercept', 'rad_score', 'grade=G2', 'grade=G3']
    >>> fit.lr_test.df, bool(fit.lr_test.pvalue < 0.001)
    (3, True)
    """
    predictors = _check_data(data, outcome, predictors)
    y01, _ = check_binary_target(
        data[outcome].to_numpy(), step=_STEP, pos_label=pos_label, name=f"outcome {outcome!r}"
    )
    levels, ranges = {}, {}
    for name in predictors:
        column = data[name]
        if _is_categorical(column):
            levels[name] = _levels_of(column)
            if len(levels[name]) < 2:
                raise ValueError(
                    f"{_STEP}: categorical predictor {name!r} has the single level "
                    f"{levels[name][0]!r}; it cannot explain anything."
                )
        else:
            ranges[name] = _display_range(column.to_numpy(dtype=np.float64))
    terms = _design(data, predictors, levels)
    names = ["Intercept", *terms.columns]
    X = np.column_stack([np.ones(len(terms)), terms.to_numpy()])
    not_finite = terms.columns[~np.isfinite(terms.to_numpy()).all(axis=0)].tolist()
    if not_finite:
        raise ValueError(f"{_STEP}: term(s) {preview(not_finite)} contain inf values.")
    collinear = _collinear_terms(X, names)
    if collinear:
        raise ValueError(
            f"{_STEP}: term(s) {preview(collinear)} are linear combinations of the terms "
            "before them (or constant); their coefficients are not identifiable."
        )
    fit = fit_logistic(X, y01.astype(np.float64), names=names, step=_STEP)

    se = np.sqrt(np.diag(fit.covariance))
    rows = []
    for name, estimate, error in zip(names, fit.coef, se):
        z, pvalue, (lower, upper) = wald_test(float(estimate), float(error), alpha)
        is_intercept = name == "Intercept"
        rows.append(
            {
                "coef": float(estimate),
                "se": float(error),
                "z": z,
                "pvalue": pvalue,
                "odds_ratio": np.nan if is_intercept else float(np.exp(estimate)),
                "or_ci_lower": np.nan if is_intercept else float(np.exp(lower)),
                "or_ci_upper": np.nan if is_intercept else float(np.exp(upper)),
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(names, name="term"))
    chi2 = fit.null_deviance - fit.deviance
    df = len(names) - 1
    lr_test = LikelihoodRatioTest(
        statistic=chi2, pvalue=float(stats.chi2.sf(chi2, df)), method="likelihood ratio", df=df
    )
    return LogisticModelResult(
        statistic=lr_test.statistic,
        pvalue=lr_test.pvalue,
        alpha=alpha,
        method="maximum likelihood",
        table=table,
        lr_test=lr_test,
        covariance=pd.DataFrame(fit.covariance, index=names, columns=names),
        n=int(y01.size),
        n_events=int(y01.sum()),
        log_likelihood=-fit.deviance / 2,
        null_log_likelihood=-fit.null_deviance / 2,
        n_iterations=fit.n_iterations,
        outcome=outcome,
        predictors=list(predictors),
        levels=levels,
        ranges=ranges,
    )


class LogisticMLE(ClassifierMixin, BaseEstimator):
    """Unpenalised maximum-likelihood logistic regression as a scikit-learn classifier.

    The estimator of :func:`logistic_model` (same Newton-Raphson, same
    optimum as ``rms::lrm.fit``) for numeric feature matrices, so that
    :func:`~radfuse.stats.bootstrap_validate` reproduces ``rms::validate``.
    Unlike ``LogisticRegression(penalty=None)`` it refuses separated data:
    ``fit`` raises :class:`SeparationError` when the MLE does not exist, and
    ``bootstrap_validate`` leaves such resamples out, as rms does.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray of shape (2,)
    covariance_ : ndarray of shape (n_features + 1, n_features + 1)
        Inverse information matrix, intercept first.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when fitted on a DataFrame

    References
    ----------
    Harrell, F. E. (2015). Regression Modeling Strategies (2nd ed.). Springer.

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.stats import LogisticMLE
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    >>> model = LogisticMLE().fit(X, y)
    >>> model.coef_.shape, model.predict_proba(X[:2]).shape
    ((1, 2), (2, 2))
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    _parameter_constraints: dict = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        check_same_cases("LogisticMLE", X=X, y=y)
        X, y = validate_data(self, X, y, dtype=np.float64)
        # One type_of_target call (it is slow) instead of check_classification_targets too.
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {target_type}. LogisticMLE needs a binary outcome "
                "(two classes)."
            )
        if target_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{target_type} (LogisticMLE needs exactly two classes; y has "
                f"{np.unique(y).size})."
            )
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            raise ValueError(
                f"LogisticMLE: y has only one class ({self.classes_[0]}); a logistic "
                "model needs cases of both classes."
            )
        y01 = (y == self.classes_[1]).astype(np.float64)
        names = ["Intercept", *feature_names_of(self, X.shape[1])]
        design = np.column_stack([np.ones(X.shape[0]), X])
        fit = fit_logistic(design, y01, names=names, step="LogisticMLE")
        self.intercept_ = fit.coef[:1].copy()
        self.coef_ = fit.coef[None, 1:].copy()
        self.covariance_ = fit.covariance
        self.n_iter_ = fit.n_iterations
        return self

    def decision_function(self, X):
        """The linear predictor (log-odds of ``classes_[1]``)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.intercept_[0] + X @ self.coef_[0]

    def predict_proba(self, X):
        check_is_fitted(self)
        probability = special.expit(self.decision_function(X))
        return np.column_stack([1.0 - probability, probability])

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
