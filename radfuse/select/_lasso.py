"""LASSO feature selection with the penalty chosen by (repeated) cross-validation."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso
# The coordinate-descent kernels behind ``lasso_path``, called directly (see
# _centred_lasso_path for why).
from sklearn.linear_model import _cd_fast
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._methods_text import describe_cv
from .._validation import cv_splits, explain_column_mismatch, feature_names_of
from ._base import FeatureFilter
from ._homotopy import HomotopyFailed, centred_moments, lasso_homotopy_path

MAX_NEWTON_STEPS = 100
MAX_STEP_HALVINGS = 30
#: glmnet's floor on the IRLS weights p(1 - p), which keeps the working
#: response finite when a fitted probability reaches 0 or 1.
MIN_NEWTON_WEIGHT = 1e-5
#: Up to this many features the Gaussian LASSO's paths are followed exactly
#: (see _homotopy_applies).
HOMOTOPY_MAX_FEATURES = 100


class LassoSelector(FeatureFilter):
    """Keep the features with a non-zero LASSO coefficient at a cross-validated penalty.

    The model, for every penalty :math:`\\lambda` of a decreasing grid, is

    * ``model="linear"`` (Gaussian LASSO on the 0/1 outcome, what published
      radiomics studies fit with glmnet):

      .. math:: \\min_{\\beta_0, \\beta} \\frac{1}{2n} \\sum_i
                (y_i - \\beta_0 - x_i^\\top \\beta)^2 + \\lambda \\|\\beta\\|_1

    * ``model="logistic"`` (L1-penalised logistic regression):

      .. math:: \\min_{\\beta_0, \\beta} \\frac{1}{n} \\sum_i
                \\ell(y_i, \\beta_0 + x_i^\\top \\beta) + \\lambda \\|\\beta\\|_1,
                \\quad \\ell = \\text{log-loss},

      fitted by glmnet's proximal Newton method (:func:`l1_logistic_path`);
      scikit-learn's ``LogisticRegression(l1_ratio=1, C=1 / (n \\lambda))``
      solves the same problem, but SAGA needs thousands of epochs on
      correlated features and liblinear penalises the intercept.

    Each split of ``cv`` fits the whole path on its training part and scores
    it on its held-out part: mean squared error for ``"linear"``, mean
    log-loss (half the binomial deviance) for ``"logistic"``. The errors
    :math:`e_{\\lambda f}` of penalty :math:`\\lambda` on split :math:`f` have
    mean :math:`\\bar e_\\lambda` and standard error
    :math:`\\mathrm{SE}_\\lambda = \\mathrm{sd}_f(e_{\\lambda f}) / \\sqrt{F}`
    over all :math:`F` splits, the unweighted average of scikit-learn's
    ``LassoCV`` (``cv_weights="equal"``), or glmnet's ``cvm`` and ``cvsd``,
    which weight each split by its held-out size (``cv_weights="fold_size"``;
    the two differ when folds are unequal). The rule picks

    * ``"min"``: :math:`\\lambda_{min} = \\arg\\min \\bar e_\\lambda`
      (the largest one on ties);
    * ``"1se"``: the largest :math:`\\lambda` with
      :math:`\\bar e_\\lambda \\le \\bar e_{\\lambda_{min}} + \\mathrm{SE}_{\\lambda_{min}}`,
      a sparser model as good as the best within noise.

    The model is then refitted on all training data at that penalty and the
    features with a non-zero coefficient are kept. When that keeps fewer than
    ``min_features`` (a small or uninformative training fold), the penalty
    becomes the largest one of the all-data path that keeps ``min_features``,
    the rule glmnet users apply; ``selection_rule_`` records which rule
    applied. The refitted linear predictor is the rad-score
    (:meth:`rad_score`, formula by :meth:`rad_score_formula`).

    Features are used as given: z-score them earlier in the pipeline
    (``StandardScaler``), since the L1 penalty treats all coefficients alike.

    Parameters
    ----------
    cv : int, cross-validation generator or iterable, default=10
        Splits for choosing the penalty. An int gives ``StratifiedKFold``
        with that many folds; any scikit-learn splitter works, including
        ``RepeatedStratifiedKFold(n_splits=10, n_repeats=20)``, the published
        protocol. At least two splits are needed.
    rule : {"min", "1se"}, default="min"
        How the penalty is chosen from the CV error curve (see above).
    model : {"linear", "logistic"}, default="linear"
        Gaussian LASSO on the 0/1 outcome, or L1 logistic regression.
    alphas : array-like of float, default=None
        The penalty grid :math:`\\lambda`. By default ``n_alphas`` values
        log-spaced from :math:`\\lambda_{max}` down to
        :math:`\\varepsilon \\lambda_{max}`, where
        :math:`\\lambda_{max} = \\max_j |\\sum_i (x_{ij} - \\bar x_j)(y_i - \\bar y)| / n`
        is the smallest penalty that zeroes every coefficient (of both models).
        This is the grid of :class:`~sklearn.linear_model.LassoCV` and glmnet.
    n_alphas : int, default=100
        Length of the default grid.
    eps : float, default=1e-3
        :math:`\\lambda_{min} / \\lambda_{max}` of the default grid.
    max_iter : int, default=1000
        Maximum coordinate-descent iterations per penalty (see ``solver_``:
        the exact path of the linear model has none).
    tol : float, default=1e-4
        Coordinate-descent tolerance (scikit-learn's meaning for each model).
    min_features : int, default=1
        The fewest features to keep. 0 turns the fallback off: a penalty that
        keeps nothing then raises ``ValueError``.
    cv_weights : {"equal", "fold_size"}, default="equal"
        Weights of the splits in the mean CV error and its standard error:
        scikit-learn's equal weights or glmnet's held-out sizes.
    n_jobs : int, default=None
        Splits fitted by coordinate descent in parallel through joblib
        (threads: it releases the GIL); the homotopy runs every split in one
        vectorised pass. Every solver is deterministic, so the result does
        not depend on ``n_jobs``.

    Attributes
    ----------
    alpha_ : float
        The penalty of the refit: the cross-validated one, or the
        ``min_features`` fallback (see ``selection_rule_``).
    alphas_ : ndarray of shape (n_alphas,)
        The penalty grid, decreasing.
    cv_errors_ : ndarray of shape (n_alphas, n_splits)
        Held-out error per penalty and split (what ``LassoCV.mse_path_``
        holds for ``model="linear"``); also readable as ``mse_path_``.
    cv_mean_ : ndarray of shape (n_alphas,)
        Mean CV error per penalty (weighted by ``cv_weights``).
    cv_se_ : ndarray of shape (n_alphas,)
        Its standard error, ``std(ddof=1) / sqrt(n_splits)`` for equal
        weights. With repeated CV the splits of different repetitions
        overlap, so this understates the uncertainty of the mean; it is still
        the quantity glmnet's 1-SE rule uses when given all folds.
    coef_path_ : ndarray of shape (n_features_in_, n_alphas)
        Coefficients along ``alphas_`` fitted on all training data, as in
        each split: the data of a coefficient-path figure.
    intercept_path_ : ndarray of shape (n_alphas,)
        Intercepts along the same path.
    selection_rule_ : {"cv", "min_features"}
        Whether ``alpha_`` is the cross-validated penalty or the
        ``min_features`` fallback.
    coef_ : ndarray of shape (n_features_in_,)
        Coefficients of the refitted model, one per input feature.
    intercept_ : float
    n_iter_ : int
        Work of the refit: knots of the exact path from its start to
        ``alpha_`` (homotopy), coordinate-descent epochs, or Newton steps at
        ``alpha_`` (``"logistic"``).
    solver_ : {"homotopy", "coordinate descent"}
        How the paths were fitted. The linear model follows its exact path
        (LARS-LASSO homotopy, every split at once) when it has at most
        ``HOMOTOPY_MAX_FEATURES`` (100) features and every training part has
        more cases than features; otherwise, or when a Gram matrix is
        numerically singular on the path (duplicated columns), it uses
        scikit-learn's coordinate descent, ``LassoCV``'s solver, to ``tol``.
        The logistic model always uses coordinate descent.
    support_ : ndarray of bool, shape (n_features_in_,)
        ``coef_ != 0``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    Notes
    -----
    Exact path: the Gaussian LASSO path is piecewise linear in the penalty,
    so the homotopy gives every penalty's solution to rounding error (equal
    to scikit-learn's ``lars_path(method="lasso")`` and to ``LassoCV`` run to
    ``tol=1e-12``, to 1e-10 in the tests). ``LassoCV`` at its default
    ``tol=1e-4`` stops short of it: on the protocol's table its held-out
    errors differ from the exact ones by up to 1.7%. The homotopy is also
    faster, 9x the coordinate-descent path on the protocol's 20 x 10-fold
    CV of 30 features (``benchmarks/bench_lasso.py``).

    Coordinate descent runs scikit-learn's kernel once per penalty, warm
    started from one penalty to the next, on the centred Gram matrix when
    there are more training cases than features, exactly as ``lasso_path``
    inside ``LassoCV`` calls it (so the errors equal its ``mse_path_``), but
    without ``lasso_path``'s per-penalty overhead.

    Raises
    ------
    ValueError
        From ``fit`` when the chosen penalty keeps fewer than
        ``min_features`` features and no penalty of the grid keeps that many
        (with ``min_features=0``: when it keeps none); the message names the
        rule and ``alpha_``, which is set.

    See Also
    --------
    sklearn.linear_model.LassoCV : the same problem for ``model="linear"``,
        ``rule="min"`` and a single (non-repeated) splitter.

    References
    ----------
    Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
    Journal of the Royal Statistical Society, Series B, 58(1), 267-288.
    Friedman, J., Hastie, T., & Tibshirani, R. (2010). Regularization paths
    for generalized linear models via coordinate descent. Journal of
    Statistical Software, 33(1), 1-22. (The penalty grid and the one-
    standard-error rule.)
    Efron, B., Hastie, T., Johnstone, I., & Tibshirani, R. (2004). Least angle
    regression. The Annals of Statistics, 32(2), 407-499. (The exact path.)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import RepeatedStratifiedKFold
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from radfuse.select import LassoSelector
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> cv = RepeatedStratifiedKFold(n_splits=10, n_repeats=2, random_state=0)
    >>> model = make_pipeline(StandardScaler(), LassoSelector(cv=cv, rule="1se"))
    >>> model.set_output(transform="pandas").fit(X, y).transform(X).shape
    (569, 19)
    >>> lasso = model[-1]
    >>> print(f"{lasso.alpha_:.4f}")
    0.0031

    >>> lasso.selection_rule_, lasso.solver_
    ('cv', 'homotopy')

    The rad-score of the first three cases, and its first terms in the
    original feature units (the formula applies to unscaled features):

    >>> lasso.rad_score(model[:-1].transform(X))[:3].round(2)
    0   -0.11
    1    0.16
    2   -0.11
    Name: rad_score, dtype: float64
    >>> lasso.rad_score_coefficients(scaler=model[0])[:3].round(4)
    intercept       2.1500
    mean radius    -0.0055
    mean texture   -0.0051
    Name: coefficient, dtype: float64
    """

    _parameter_constraints: dict = {
        "cv": ["cv_object"],
        "rule": [StrOptions({"min", "1se"})],
        "model": [StrOptions({"linear", "logistic"})],
        "alphas": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "min_features": [Interval(Integral, 0, None, closed="left")],
        "cv_weights": [StrOptions({"equal", "fold_size"})],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        cv=10,
        rule="min",
        model="linear",
        alphas=None,
        n_alphas=100,
        eps=1e-3,
        max_iter=1000,
        tol=1e-4,
        min_features=1,
        cv_weights="equal",
        n_jobs=None,
    ):
        self.cv = cv
        self.rule = rule
        self.model = model
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.max_iter = max_iter
        self.tol = tol
        self.min_features = min_features
        self.cv_weights = cv_weights
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Cross-validate the penalty path, refit at the chosen penalty, select.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, free of NaN and inf, typically z-scored.
        y : array-like of shape (n_samples,)
            Binary outcome.

        Returns
        -------
        self
        """
        step = type(self).__name__
        # The splitter sees the table as given: a grouped one looks up each case's group by its id.
        cases = X
        X, y01, _ = self._validate_training_data(X, y)
        y01 = y01.astype(np.float64)
        if self.min_features > X.shape[1]:
            raise ValueError(
                f"{step}: min_features={self.min_features} exceeds the {X.shape[1]} "
                "input features."
            )

        self.alphas_ = self._penalty_grid(X, y01)
        splits = cv_splits(self.cv, cases if isinstance(cases, pd.DataFrame) else X, y01, step=step)
        if len(splits) < 2:
            raise ValueError(
                f"{step}: cv yields {len(splits)} split; at least two are needed to "
                "estimate the CV error and its standard error."
            )
        errors, self.intercept_path_, self.coef_path_, path_steps = self._fit_paths(X, y01, splits)
        self.cv_errors_ = np.column_stack(errors)
        fold_sizes = np.array([len(test) for _, test in splits], dtype=np.float64)
        self.cv_mean_, self.cv_se_ = _cv_mean_and_se(self.cv_errors_, fold_sizes, self.cv_weights)

        chosen = _choose_penalty(self.cv_mean_, self.cv_se_, self.rule)
        self.selection_rule_ = "cv"
        self.alpha_ = float(self.alphas_[chosen])
        self.coef_, self.intercept_, self.n_iter_ = self._refit(X, y01, chosen, path_steps)
        if np.count_nonzero(self.coef_) < self.min_features:
            self._refit_keeping_min_features(X, y01, path_steps)
        self._set_support(
            self.coef_ != 0,
            f"a non-zero {self.model} LASSO coefficient at alpha_={self.alpha_:.4g} "
            f"(rule={self.rule!r}, min_features={self.min_features})",
        )
        return self

    def _fit_paths(self, X, y, splits):
        """Held-out errors of every split and the all-data path, by the solver
        ``solver_`` names; also the path's steps (knots or Newton steps) per penalty."""
        step = type(self).__name__
        self.solver_ = "homotopy" if _homotopy_applies(X, splits, self.model) else "coordinate descent"
        if self.solver_ == "homotopy":
            try:
                return _exact_linear_paths(X, y, splits, self.alphas_)
            except HomotopyFailed:
                self.solver_ = "coordinate descent"
        path_errors = _linear_path_errors if self.model == "linear" else _logistic_path_errors
        solver_params = {"max_iter": self.max_iter, "tol": self.tol}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            errors = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(path_errors)(X, y, train, test, self.alphas_, solver_params)
                for train, test in splits
            )
            intercepts, coefs, newton_steps = _full_data_path(
                X, y, self.alphas_, self.model, solver_params
            )
        _summarise_convergence_warnings(caught, step, len(splits), self.alphas_.size)
        return errors, intercepts, coefs, newton_steps

    def _refit(self, X, y, index, path_steps):
        """Coefficients, intercept and iterations of the all-data fit at ``alphas_[index]``.

        By coordinate descent the linear model is refitted from zero as
        ``LassoCV`` does (so ``coef_`` equals its ``coef_``); the homotopy
        and the logistic path are exact or deterministic, so the all-data
        path already holds the refit.
        """
        if self.solver_ == "coordinate descent" and self.model == "linear":
            refit = Lasso(alpha=self.alphas_[index], max_iter=self.max_iter, tol=self.tol)
            refit.fit(X, y)
            return refit.coef_, float(refit.intercept_), refit.n_iter_
        return (
            self.coef_path_[:, index].copy(),
            float(self.intercept_path_[index]),
            int(path_steps[index]),
        )

    def _refit_keeping_min_features(self, X, y, path_steps):
        """glmnet users' rule for a degenerate fold: the largest penalty whose
        all-data fit keeps ``min_features`` features."""
        kept_on_path = np.count_nonzero(self.coef_path_, axis=0)
        for index in np.flatnonzero(kept_on_path >= self.min_features):
            coef, intercept, n_iter = self._refit(X, y, index, path_steps)
            if np.count_nonzero(coef) >= self.min_features:
                self.selection_rule_ = "min_features"
                self.alpha_ = float(self.alphas_[index])
                self.coef_, self.intercept_, self.n_iter_ = coef, intercept, n_iter
                return
        raise ValueError(
            f"{type(self).__name__}: at the cross-validated alpha_={self.alpha_:.4g} "
            f"(rule={self.rule!r}) {np.count_nonzero(self.coef_)} feature(s) have a "
            f"non-zero coefficient, and no penalty of the grid keeps "
            f"min_features={self.min_features} (at most {kept_on_path.max()}); extend the "
            "grid to smaller penalties (alphas or eps) or lower min_features."
        )

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        model = "Gaussian (least-squares)" if self.model == "linear" else "L1-penalised logistic"
        rule = "minimising" if self.rule == "min" else "within one standard error of the minimum of"
        # Once fitted, the linear model says how its path was computed (see solver_).
        solver = {
            "homotopy": " along its exact solution path (LARS-LASSO homotopy)",
            "coordinate descent": f" by coordinate descent (tolerance {self.tol:g})",
        }.get(getattr(self, "solver_", None), "") if self.model == "linear" else ""
        return (
            f"LASSO: a {model} LASSO was fitted{solver}, its penalty lambda chosen as the value {rule} the "
            f"cross-validated error over {describe_cv(self.cv)}, and features with a non-zero "
            "coefficient at that penalty were kept."
        )

    @property
    def mse_path_(self):
        """``cv_errors_`` under ``LassoCV``'s name (mean log-loss for ``model="logistic"``)."""
        check_is_fitted(self, "cv_errors_")
        return self.cv_errors_

    def rad_score(self, X):
        """Linear predictor of the refitted model: the rad-score of each case.

        :math:`\\hat\\beta_0 + x^\\top \\hat\\beta` with the fitted coefficients
        (the dropped features have coefficient 0), so scoring a test set
        refits nothing. For ``model="logistic"`` it is the log-odds of the
        positive class. Use it as a predictor of a combined clinical +
        radiomics model, e.g. ``clinical.assign(rad_score=lasso.rad_score(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            The same columns as in ``fit`` (for a pipeline, the output of the
            steps before this one).

        Returns
        -------
        pandas.Series named ``"rad_score"``
            Indexed like ``X`` when ``X`` is a DataFrame.
        """
        check_is_fitted(self, "coef_")
        index = X.index if isinstance(X, pd.DataFrame) else None
        with explain_column_mismatch(self, X, type(self).__name__):
            X = validate_data(self, X, dtype=np.float64, reset=False)
        return pd.Series(X @ self.coef_ + self.intercept_, index=index, name="rad_score")

    def decision_function(self, X):
        """The rad-score as an array, under scikit-learn's name (see :meth:`rad_score`)."""
        return self.rad_score(X).to_numpy()

    def rad_score_coefficients(self, scaler=None):
        """Intercept and coefficients of the selected features: the rad-score formula.

        Parameters
        ----------
        scaler : fitted StandardScaler, default=None
            The z-scoring step right before this one. When given, the
            coefficients are expressed in the original feature units:
            :math:`\\beta_j / s_j` and intercept
            :math:`\\beta_0 - \\sum_j \\beta_j m_j / s_j` for the scaler's means
            :math:`m_j` and scales :math:`s_j`, so that the formula applied to
            unscaled features gives the same rad-score.

        Returns
        -------
        pandas.Series named ``"coefficient"``
            ``"intercept"`` first, then the selected features in input order.
        """
        check_is_fitted(self, "coef_")
        coef, intercept = self.coef_, self.intercept_
        if scaler is not None:
            mean, scale = self._scaler_moments(scaler)
            coef = coef / scale
            intercept = intercept - coef @ mean
        names = np.asarray(feature_names_of(self, self.n_features_in_), dtype=object)
        return pd.Series(
            np.concatenate([[intercept], coef[self.support_]]),
            index=pd.Index(["intercept", *names[self.support_]], dtype=object),
            name="coefficient",
        )

    def rad_score_formula(self, scaler=None, digits=4):
        """The rad-score formula as printable text, e.g. for a paper's methods.

        Parameters
        ----------
        scaler : fitted StandardScaler, default=None
            See :meth:`rad_score_coefficients`.
        digits : int, default=4
            Significant digits of each number.

        Returns
        -------
        str
            ``"rad_score = b0 + b1 * feature_1 - b2 * feature_2 ..."``.
        """
        coefficients = self.rad_score_coefficients(scaler)
        terms = [f"{coefficients.iloc[0]:.{digits}g}"]
        for name, value in coefficients.iloc[1:].items():
            sign = "-" if value < 0 else "+"
            terms.append(f"{sign} {abs(value):.{digits}g} * {name}")
        return "rad_score = " + " ".join(terms)

    def _scaler_moments(self, scaler):
        """Means and scales of a fitted StandardScaler over this step's input columns."""
        step = type(self).__name__
        if not isinstance(scaler, StandardScaler):
            raise TypeError(
                f"{step}: scaler must be the fitted StandardScaler right before this step; "
                f"got {type(scaler).__name__}."
            )
        check_is_fitted(scaler)
        if scaler.n_features_in_ != self.n_features_in_:
            raise ValueError(
                f"{step}: the scaler was fitted on {scaler.n_features_in_} features, this "
                f"step on {self.n_features_in_}; pass the StandardScaler right before it."
            )
        ours = getattr(self, "feature_names_in_", None)
        theirs = getattr(scaler, "feature_names_in_", None)
        if ours is not None and theirs is not None and not np.array_equal(ours, theirs):
            first = int(np.flatnonzero(ours != theirs)[0])
            raise ValueError(
                f"{step}: the scaler's column {first} is {theirs[first]!r}, this step's is "
                f"{ours[first]!r}; pass the StandardScaler right before it."
            )
        mean = scaler.mean_ if scaler.with_mean else np.zeros(self.n_features_in_)
        scale = scaler.scale_ if scaler.with_std else np.ones(self.n_features_in_)
        return mean, scale

    def _penalty_grid(self, X, y):
        step = type(self).__name__
        if self.alphas is not None:
            alphas = np.asarray(self.alphas, dtype=np.float64)
            valid = np.isfinite(alphas) & (alphas > 0)
            if alphas.ndim != 1 or alphas.size == 0 or not valid.all():
                raise ValueError(
                    f"{step}: alphas must be a non-empty 1-D sequence of positive finite "
                    f"penalties; got {self.alphas!r}."
                )
            return np.sort(alphas)[::-1]
        n_samples = X.shape[0]
        alpha_max = np.max(np.abs((X - X.mean(axis=0)).T @ (y - y.mean()))) / n_samples
        if alpha_max == 0:
            raise ValueError(
                f"{step}: every feature is constant, so no penalty gives a non-zero "
                "coefficient; remove constant features before this step."
            )
        return np.geomspace(alpha_max, alpha_max * self.eps, num=self.n_alphas)


def _summarise_convergence_warnings(caught, step, n_splits, n_alphas):
    """Re-issue recorded warnings, folding the solvers' per-fit
    ConvergenceWarnings (hundreds under repeated CV) into one."""
    n_fits = (n_splits + 1) * n_alphas
    unconverged = 0
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            unconverged += 1
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if unconverged:
        warnings.warn(
            f"{step}: the solver did not converge in {unconverged} of {n_fits} "
            f"(penalty, data) fits ({n_splits} splits and the full data), usually at the "
            "smallest penalties. Increase max_iter "
            "or tol, or use a shorter grid (larger eps).",
            ConvergenceWarning,
        )


def _cv_mean_and_se(errors, fold_sizes, cv_weights):
    """Mean CV error per penalty and its standard error over the splits.

    ``"equal"``: :math:`\\bar e = \\frac1F\\sum_f e_f`, SE = sd / sqrt(F), as
    ``LassoCV`` averages ``mse_path_``. ``"fold_size"``: ``cv.glmnet``'s
    ``cvm`` and ``cvsd``, each split weighted by its held-out size
    :math:`n_f`: :math:`\\bar e = \\sum_f n_f e_f / \\sum_f n_f` and
    :math:`\\mathrm{SE} = \\sqrt{\\sum_f n_f (e_f - \\bar e)^2 / \\sum_f n_f / (F - 1)}`,
    so that :math:`\\bar e` of one K-fold pass is the mean error over all
    held-out cases.
    """
    n_splits = errors.shape[1]
    if cv_weights == "equal":
        return errors.mean(axis=1), errors.std(axis=1, ddof=1) / np.sqrt(n_splits)
    weights = fold_sizes / fold_sizes.sum()
    mean = errors @ weights
    variance = (errors - mean[:, None]) ** 2 @ weights / (n_splits - 1)
    return mean, np.sqrt(variance)


def _full_data_path(X, y, alphas, model, solver_params):
    """Intercepts, coefficients (features x penalties) and Newton steps (None
    for the linear model) of the path on all training data, fitted as each
    split's path is."""
    if model == "logistic":
        return l1_logistic_path(X, y, alphas, **solver_params)
    X_offset, y_offset = X.mean(axis=0), y.mean()
    coefs = _centred_lasso_path(X - X_offset, y - y_offset, alphas, **solver_params)
    return y_offset - X_offset @ coefs, coefs, None


def _choose_penalty(cv_mean, cv_se, rule):
    """Index into the decreasing grid of the penalty the rule picks."""
    best = int(np.argmin(cv_mean))
    if rule == "min":
        return best
    within_one_se = cv_mean <= cv_mean[best] + cv_se[best]
    return int(np.argmax(within_one_se))


def _homotopy_applies(X, splits, model):
    """Whether the linear model's paths are followed exactly: on few enough
    features (the homotopy's cost grows with the fourth power of the active
    set, coordinate descent's with the square) and more training cases than
    features in every split (else the LASSO solution need not be unique)."""
    n_features = X.shape[1]
    return (
        model == "linear"
        and n_features <= HOMOTOPY_MAX_FEATURES
        and min(len(train) for train, _ in splits) > n_features
    )


def _exact_linear_paths(X, y, splits, alphas):
    """:func:`_fit_paths` by the homotopy: every split's path and the all-data
    path in one batch of problems (the all-data one last)."""
    parts = [train for train, _ in splits] + [np.arange(X.shape[0])]
    grams, correlations, x_means, y_means = centred_moments(X, y, parts)
    coefs, knots = lasso_homotopy_path(grams, correlations, alphas)
    errors = [
        _held_out_mse(X[test], y[test], x_means[index], y_means[index], coefs[index])
        for index, (_, test) in enumerate(splits)
    ]
    return errors, y_means[-1] - x_means[-1] @ coefs[-1], coefs[-1], knots[-1]


def _linear_path_errors(X, y, train, test, alphas, solver_params):
    """Held-out MSE along the Gaussian LASSO path fitted on ``train``.

    Centring the training part and predicting with the intercept
    ``y_offset - X_offset @ coef`` is what ``LassoCV`` does, so the errors
    match its ``mse_path_``.
    """
    X_train, y_train = X[train], y[train]
    X_offset, y_offset = X_train.mean(axis=0), y_train.mean()
    coefs = _centred_lasso_path(X_train - X_offset, y_train - y_offset, alphas, **solver_params)
    return _held_out_mse(X[test], y[test], X_offset, y_offset, coefs)


def _held_out_mse(X_test, y_test, X_offset, y_offset, coefs):
    """MSE of held-out cases per penalty, for coefficients (features x
    penalties) fitted on data centred by ``X_offset`` and ``y_offset``."""
    predictions = (X_test - X_offset) @ coefs + y_offset
    return ((predictions - y_test[:, None]) ** 2).mean(axis=0)


def _logistic_path_errors(X, y, train, test, alphas, solver_params):
    """Held-out mean log-loss along the L1 logistic path fitted on ``train``."""
    intercepts, coefs, _ = l1_logistic_path(X[train], y[train], alphas, **solver_params)
    linear_predictor = X[test] @ coefs + intercepts
    return _log_loss(y[test][:, None], linear_predictor).mean(axis=0)


def l1_logistic_path(X, y, alphas, *, max_iter=1000, tol=1e-4):
    """L1-penalised logistic regression along a decreasing penalty grid.

    Minimises :math:`\\frac{1}{n}\\sum_i \\ell(y_i, \\beta_0 + x_i^\\top\\beta)
    + \\lambda\\|\\beta\\|_1` (intercept unpenalised) for every
    :math:`\\lambda` by glmnet's proximal Newton method: each step solves the
    weighted LASSO of the quadratic approximation of the log-loss
    (working response :math:`z = \\eta + (y - p) / w`, weights
    :math:`w = p(1 - p)`, floored at ``1e-5`` as in glmnet) with
    scikit-learn's coordinate descent, halving the step while the penalised
    objective does not decrease. Each penalty starts from the previous
    solution. Unlike SAGA, the result is deterministic and reaches full
    precision on correlated radiomics features in a few steps.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) with values 0 and 1
    alphas : ndarray of shape (n_alphas,), decreasing
    max_iter : int, default=1000
        Coordinate-descent iterations per Newton step.
    tol : float, default=1e-4
        Coordinate-descent tolerance; Newton steps stop when no coefficient
        moves by more than ``tol`` times the largest one.

    Returns
    -------
    intercepts : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas)
    n_iters : ndarray of int, shape (n_alphas,)
        Newton steps taken at each penalty.

    References
    ----------
    Friedman, J., Hastie, T., & Tibshirani, R. (2010). Regularization paths
    for generalized linear models via coordinate descent. Journal of
    Statistical Software, 33(1), 1-22, section 3.
    """
    n_features = X.shape[1]
    y_mean = y.mean()
    intercept, coef = np.log(y_mean / (1.0 - y_mean)), np.zeros(n_features)
    intercepts, coefs = np.empty(alphas.size), np.empty((n_features, alphas.size))
    n_iters = np.zeros(alphas.size, dtype=int)
    for k, alpha in enumerate(alphas):
        objective = _penalised_log_loss(X, y, intercept, coef, alpha)
        for n_iters[k] in range(1, MAX_NEWTON_STEPS + 1):
            linear_predictor = intercept + X @ coef
            prob = expit(linear_predictor)
            weight = np.maximum(prob * (1.0 - prob), MIN_NEWTON_WEIGHT)
            working = linear_predictor + (y - prob) / weight
            x_mean = weight @ X / weight.sum()
            z_mean = weight @ working / weight.sum()
            root_weight = np.sqrt(weight)
            X_weighted = root_weight[:, None] * (X - x_mean)
            z_weighted = root_weight * (working - z_mean)
            step_coef = _centred_lasso_path(
                X_weighted, z_weighted, np.array([alpha]), coef_init=coef,
                max_iter=max_iter, tol=tol,
            )[:, 0]
            step_intercept = z_mean - x_mean @ step_coef
            new_objective = _penalised_log_loss(X, y, step_intercept, step_coef, alpha)
            for _ in range(MAX_STEP_HALVINGS):
                if new_objective <= objective:
                    break
                step_coef = (coef + step_coef) / 2
                step_intercept = (intercept + step_intercept) / 2
                new_objective = _penalised_log_loss(X, y, step_intercept, step_coef, alpha)
            change = max(
                np.max(np.abs(step_coef - coef), initial=0), abs(step_intercept - intercept)
            )
            scale = max(np.max(np.abs(step_coef), initial=0), abs(step_intercept), 1.0)
            intercept, coef, objective = step_intercept, step_coef, new_objective
            if change <= tol * scale:
                break
        else:
            warnings.warn(
                f"l1_logistic_path: Newton steps did not converge at alpha={alpha:.4g} "
                f"within {MAX_NEWTON_STEPS} steps.",
                ConvergenceWarning,
            )
        intercepts[k], coefs[:, k] = intercept, coef
    return intercepts, coefs, n_iters


class _UnusedSeed:
    """The random generator handed to scikit-learn's coordinate-descent kernels.

    Each kernel call draws one seed with ``rng.randint`` for random
    coordinate selection, which cyclic descent never uses. Drawing it from
    numpy's global generator, as ``lasso_path`` does, costs microseconds per
    (penalty, split) and advances the user's global random state.
    """

    @staticmethod
    def randint(low, high):
        return low


def _centred_lasso_path(X, y, alphas, coef_init=None, *, max_iter, tol):
    """``lasso_path`` of centred data: the same kernel calls, without its overhead.

    The iterates are scikit-learn's own (``LassoCV`` agrees to the last bit),
    so the calls are made exactly as ``enet_path`` makes them: penalty
    ``alpha * n_samples``, no L2 term, cyclic order, each penalty warm started
    from the previous solution, on the Gram matrix when there are more cases
    than features (``LassoCV``'s ``precompute="auto"``). What is left out is
    the per-penalty Python work of ``enet_path`` and the per-call validation,
    which on a few dozen features cost more than the descent itself, and the
    Gram kernel's call at a penalty that zeroes every coefficient of a zero
    start: there its duality gap is exactly 0, so it returns the start.
    ``coef_init`` is not modified.
    """
    n_samples, n_features = X.shape
    coef = np.zeros(n_features) if coef_init is None else np.array(coef_init, dtype=np.float64)
    coefs = np.empty((n_features, alphas.size))
    use_gram = n_samples > n_features
    if use_gram:
        xy = X.T @ y
        kernel, data = _cd_fast.enet_coordinate_descent_gram, (X.T @ X, xy, y)
        largest_correlation = np.max(np.abs(xy), initial=0.0)
    else:
        kernel, data = _cd_fast.enet_coordinate_descent, (np.asfortranarray(X), y)
    for k, alpha in enumerate(alphas):
        penalty = alpha * n_samples
        if use_gram and largest_correlation <= penalty and not coef.any():
            coefs[:, k] = 0.0
            continue
        coef = kernel(coef, penalty, 0.0, *data, max_iter, tol, _UnusedSeed, False, False)[0]
        coefs[:, k] = coef
    return coefs


def _log_loss(y, linear_predictor):
    """Per-case log-loss from the log-odds, without forming probabilities."""
    return np.logaddexp(0.0, linear_predictor) - y * linear_predictor


def _penalised_log_loss(X, y, intercept, coef, alpha):
    return _log_loss(y, intercept + X @ coef).mean() + alpha * np.abs(coef).sum()
