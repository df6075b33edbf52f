"""LASSO feature selection with the penalty chosen by (repeated) cross-validation."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso
# The coordinate-descent kernels behind ``lasso_path``, called directly (see
# _centred_lasso_path for why).
from sklearn.linear_model import _cd_fast
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import cv_splits
from ._base import FeatureFilter

RULES = ("min", "1se")
MODELS = ("linear", "logistic")
CV_WEIGHTS = ("equal", "fold_size")
MAX_NEWTON_STEPS = 100
MAX_STEP_HALVINGS = 30
#: glmnet's floor on the IRLS weights p(1 - p), which keeps the working
#: response finite when a fitted probability reaches 0 or 1.
MIN_NEWTON_WEIGHT = 1e-5


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
    over all :math:`F` splits (glmnet's ``cvsd``). The rule picks

    * ``"min"``: :math:`\\lambda_{min} = \\arg\\min \\bar e_\\lambda`
      (the largest one on ties);
    * ``"1se"``: the largest :math:`\\lambda` with
      :math:`\\bar e_\\lambda \\le \\bar e_{\\lambda_{min}} + \\mathrm{SE}_{\\lambda_{min}}`,
      a sparser model as good as the best within noise.

    The model is then refitted on all training data at that penalty and the
    features with a non-zero coefficient are kept. Its linear predictor is the
    rad-score (:meth:`radscore`).

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
        Maximum solver iterations per penalty.
    tol : float, default=1e-4
        Solver tolerance (scikit-learn's meaning for each model).
    n_jobs : int, default=None
        Splits fitted in parallel through joblib (threads: coordinate descent
        releases the GIL). Both solvers are deterministic, so the result does
        not depend on ``n_jobs``.

    Attributes
    ----------
    alpha_ : float
        The chosen penalty :math:`\\lambda`.
    alphas_ : ndarray of shape (n_alphas,)
        The penalty grid, decreasing.
    cv_errors_ : ndarray of shape (n_alphas, n_splits)
        Held-out error per penalty and split (``LassoCV.mse_path_`` for
        ``model="linear"``).
    cv_mean_ : ndarray of shape (n_alphas,)
        Mean CV error per penalty.
    cv_se_ : ndarray of shape (n_alphas,)
        Its standard error, ``std(ddof=1) / sqrt(n_splits)``. With repeated
        CV the splits of different repetitions overlap, so this understates
        the uncertainty of the mean; it is still the quantity glmnet's 1-SE
        rule uses when given all folds.
    coef_ : ndarray of shape (n_features_in_,)
        Coefficients of the refitted model, one per input feature.
    intercept_ : float
    n_iter_ : int
        Iterations of the refit: coordinate-descent epochs (``"linear"``) or
        Newton steps at ``alpha_`` (``"logistic"``).
    support_ : ndarray of bool, shape (n_features_in_,)
        ``coef_ != 0``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    Notes
    -----
    Speed: every split runs ``lasso_path`` once over the whole grid, warm
    started from one penalty to the next, on the centred Gram matrix when
    there are more training cases than features (``LassoCV``'s own choice,
    so the errors agree with its ``mse_path_`` to rounding) and without
    ``lasso_path``'s per-call input validation. The published 20 x 10-fold
    protocol on 270 cases and 30 features takes about 0.5 s with
    ``model="linear"`` (``LassoCV`` on the same 200 splits: 2 s) and 10 s
    with ``model="logistic"`` on one core.

    Raises
    ------
    ValueError
        From ``fit`` when every coefficient is zero at the chosen penalty
        (typical with ``rule="1se"`` on features unrelated to the outcome);
        the message names the rule and ``alpha_``, which is set.

    See Also
    --------
    sklearn.linear_model.LassoCV : same penalty for ``model="linear"``,
        ``rule="min"`` and a single (non-repeated) splitter.

    References
    ----------
    Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
    Journal of the Royal Statistical Society, Series B, 58(1), 267-288.
    Friedman, J., Hastie, T., & Tibshirani, R. (2010). Regularization paths
    for generalized linear models via coordinate descent. Journal of
    Statistical Software, 33(1), 1-22. (The penalty grid and the one-
    standard-error rule.)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import RepeatedStratifiedKFold
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from radfuse.select.lasso import LassoSelector
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> cv = RepeatedStratifiedKFold(n_splits=10, n_repeats=2, random_state=0)
    >>> model = make_pipeline(StandardScaler(), LassoSelector(cv=cv, rule="1se"))
    >>> model.set_output(transform="pandas").fit(X, y).transform(X).shape
    (569, 19)
    >>> lasso = model[-1]
    >>> print(f"{lasso.alpha_:.4f}")
    0.0031

    The rad-score of the first three cases (linear predictor on z-scores):

    >>> lasso.radscore(model[:-1].transform(X))[:3].round(2)
    array([-0.11,  0.16, -0.11])
    """

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
        self.n_jobs = n_jobs

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
        self._check_params()
        X, y01, _ = self._validate_training_data(X, y)
        y01 = y01.astype(np.float64)

        self.alphas_ = self._penalty_grid(X, y01)
        splits = cv_splits(self.cv, X, y01, step=step)
        if len(splits) < 2:
            raise ValueError(
                f"{step}: cv yields {len(splits)} split; at least two are needed to "
                "estimate the CV error and its standard error."
            )
        path_errors = _linear_path_errors if self.model == "linear" else _logistic_path_errors
        solver_params = {"max_iter": self.max_iter, "tol": self.tol}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            errors = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(path_errors)(X, y01, train, test, self.alphas_, solver_params)
                for train, test in splits
            )
        _summarise_convergence_warnings(caught, step, n_fits=len(splits) * self.alphas_.size)
        self.cv_errors_ = np.column_stack(errors)
        self.cv_mean_ = self.cv_errors_.mean(axis=1)
        self.cv_se_ = self.cv_errors_.std(axis=1, ddof=1) / np.sqrt(len(splits))
        chosen = _choose_penalty(self.cv_mean_, self.cv_se_, self.rule)
        self.alpha_ = float(self.alphas_[chosen])

        if self.model == "linear":
            refit = Lasso(alpha=self.alpha_, **solver_params).fit(X, y01)
            self.coef_, self.intercept_ = refit.coef_, float(refit.intercept_)
            self.n_iter_ = refit.n_iter_
        else:
            intercepts, coefs, n_iters = l1_logistic_path(
                X, y01, self.alphas_[: chosen + 1], **solver_params
            )
            self.coef_, self.intercept_ = coefs[:, -1], float(intercepts[-1])
            self.n_iter_ = n_iters[-1]
        self._set_support(
            self.coef_ != 0,
            f"a non-zero {self.model} LASSO coefficient at alpha_={self.alpha_:.4g} "
            f"(rule={self.rule!r})",
        )
        return self


    def radscore(self, X):
        """Linear predictor of the refitted model: the rad-score of each case.

        :math:`\\hat\\beta_0 + x^\\top \\hat\\beta`, over all input features
        (the dropped ones have coefficient 0). For ``model="logistic"`` it is
        the log-odds of the positive class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            The same columns as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_

    def decision_function(self, X):
        """The rad-score under scikit-learn's name, see :meth:`radscore`."""
        return self.radscore(X)

    def _check_params(self):
        step = type(self).__name__
        if self.rule not in RULES:
            raise ValueError(f"{step}: rule must be one of {RULES}; got {self.rule!r}.")
        if self.model not in MODELS:
            raise ValueError(f"{step}: model must be one of {MODELS}; got {self.model!r}.")
        if not isinstance(self.n_alphas, Integral) or self.n_alphas < 1:
            raise ValueError(f"{step}: n_alphas must be a positive integer; got {self.n_alphas!r}.")
        if not isinstance(self.eps, Real) or not 0 < self.eps < 1:
            raise ValueError(f"{step}: eps must lie in (0, 1); got {self.eps!r}.")

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


def _summarise_convergence_warnings(caught, step, n_fits):
    """Re-issue recorded warnings, folding the solvers' per-fit
    ConvergenceWarnings (hundreds under repeated CV) into one."""
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
            "(penalty, split) fits, usually at the smallest penalties. Increase max_iter "
            "or tol, or use a shorter grid (larger eps).",
            ConvergenceWarning,
        )


def _choose_penalty(cv_mean, cv_se, rule):
    """Index into the decreasing grid of the penalty the rule picks."""
    best = int(np.argmin(cv_mean))
    if rule == "min":
        return best
    within_one_se = cv_mean <= cv_mean[best] + cv_se[best]
    return int(np.argmax(within_one_se))


def _linear_path_errors(X, y, train, test, alphas, solver_params):
    """Held-out MSE along the Gaussian LASSO path fitted on ``train``.

    Centring the training part and predicting with the intercept
    ``y_offset - X_offset @ coef`` is what ``LassoCV`` does, so the errors
    match its ``mse_path_``.
    """
    X_train, y_train = X[train], y[train]
    X_offset, y_offset = X_train.mean(axis=0), y_train.mean()
    coefs = _centred_lasso_path(X_train - X_offset, y_train - y_offset, alphas, **solver_params)
    predictions = (X[test] - X_offset) @ coefs + y_offset
    return ((predictions - y[test][:, None]) ** 2).mean(axis=0)



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
