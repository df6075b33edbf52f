"""ComBat: empirical-Bayes harmonisation of site (scanner, centre) effects."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .._methods_text import MethodSentenceMixin, join_words
from .._validation import check_finite_features, explain_column_mismatch, preview
from ._empirical_bayes import (
    inverse_gamma_prior,
    nonparametric_adjustment,
    parametric_adjustment,
    posterior_mean,
)

_STEP = "ComBat"


class ComBat(MethodSentenceMixin, TransformerMixin, BaseEstimator):
    r"""Remove additive and multiplicative site effects, fitted on training rows only.

    The model of Johnson, Li & Rabinovic (2007) for feature :math:`g` of case
    :math:`j` at site :math:`i` is

    .. math::

        x_{ijg} = \alpha_g + c_{ij}^\top \beta_g + \gamma_{ig}
                  + \delta_{ig}\, \varepsilon_{ijg},
        \qquad \varepsilon_{ijg} \sim N(0, \sigma_g^2),

    with biological covariates :math:`c_{ij}` to preserve. ``fit`` estimates
    the grand mean :math:`\alpha_g`, the covariate coefficients
    :math:`\beta_g`, the pooled variance :math:`\sigma_g^2` and each site's
    location :math:`\gamma_{ig}` and scale :math:`\delta_{ig}`, the latter two
    shrunk by empirical Bayes across the features of a site, exactly as R's
    ``sva::ComBat``. ``transform`` applies these estimates to any rows from
    sites seen in ``fit``, each with its own covariates,

    .. math::

        x^*_{ijg} = \frac{\hat\sigma_g}{\hat\delta^*_{ig}}
                    \left(\frac{x_{ijg} - \hat\alpha_g - c_{ij}^\top\hat\beta_g}
                    {\hat\sigma_g} - \hat\gamma^*_{ig}\right)
                    + \hat\alpha_g + c_{ij}^\top\hat\beta_g,

    so ``fit(X).transform(X)`` is ``fit_transform(X)`` and, inside a pipeline,
    cases of the test fold are harmonised with estimates from the training
    fold only. Without covariates this is ``neuroCombatFromTraining``.

    Parameters
    ----------
    batch : str or int, default="site"
        Column of ``X`` holding the site (scanner, centre) label: a column
        name for a DataFrame, a position for an array. It is dropped from the
        output.
    covariates : list of str or int, default=None
        Numeric columns of ``X`` whose effects are preserved (sva's ``mod``;
        encode a categorical covariate as 0/1 indicator columns). They pass
        through unchanged. Never the outcome, which is unknown for new cases.
    parametric : bool, default=True
        Normal / inverse-gamma priors (sva's ``par.prior = TRUE``); False uses
        sva's non-parametric prior.
    mean_only : bool, default=False
        Adjust locations only (sva's ``mean.only = TRUE``).
    eb : bool, default=True
        Shrink the site effects by empirical Bayes; False uses their
        least-squares estimates (neuroCombat's ``eb=False``).

    Attributes
    ----------
    sites_ : ndarray
        Site labels seen in ``fit``, sorted.
    site_counts_ : ndarray of int
        Training cases per site.
    harmonized_features_ : ndarray of str
        Columns that are harmonised; the others pass through unchanged.
    unadjusted_features_ : list of str
        Features left unadjusted because they are constant within a site.
    grand_mean_, var_pooled_ : ndarray (n_harmonized,)
        :math:`\hat\alpha_g` and :math:`\hat\sigma_g^2`.
    covariate_coef_ : ndarray (n_covariates, n_harmonized)
        :math:`\hat\beta_g`.
    gamma_hat_, delta_hat_ : ndarray (n_sites, n_harmonized)
        Least-squares site locations and scales (standardised units).
    gamma_star_, delta_star_ : ndarray (n_sites, n_harmonized)
        The estimates applied by ``transform``.
    mean_only_ : bool
        Whether scales were left at 1 (``mean_only``, or a single-case site).
    n_iter_ : ndarray of int (n_sites,)
        Iterations of the parametric EB fit per site (0 when not iterated).
    feature_names_in_, n_features_in_ : as in scikit-learn.

    Notes
    -----
    Edge cases follow sva 3.46. A feature constant within a site with more
    than one case is excluded from the estimation and passes through
    unadjusted at every site (a warning names it). A site with a single case
    has no within-site variance: as in sva, the whole fit switches to
    ``mean_only`` (a warning names the site). ``transform`` raises a
    ``ValueError`` naming any site not seen in ``fit``. Missing values are
    rejected. The non-parametric weights are normalised in log space, which
    equals sva's where sva's likelihoods do not underflow.

    References
    ----------
    W. E. Johnson, C. Li and A. Rabinovic, "Adjusting batch effects in
    microarray expression data using empirical Bayes methods",
    Biostatistics 8, 118-127 (2007). J.-P. Fortin et al., "Harmonization of
    cortical thickness measurements across scanners and sites", NeuroImage
    167, 104-120 (2018). F. Orlhac et al., "A guide to ComBat harmonization of
    imaging biomarkers in multicenter studies", Journal of Nuclear Medicine
    63, 172-179 (2022).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radfuse.harmonize import ComBat
    >>> rng = np.random.default_rng(0)
    >>> site = np.repeat(["A", "B", "C"], 20)
    >>> shift = pd.Series(site).map({"A": 0.0, "B": 2.0, "C": -1.0}).to_numpy()
    >>> X = pd.DataFrame(rng.normal(size=(60, 4)) + shift[:, None],
    ...                  columns=["f1", "f2", "f3", "f4"])
    >>> X["age"] = rng.integers(40, 80, size=60)
    >>> X["site"] = site
    >>> harmonised = ComBat(batch="site", covariates=["age"]).fit_transform(X)
    >>> list(harmonised.columns)
    ['f1', 'f2', 'f3', 'f4', 'age']
    >>> X.groupby("site")["f1"].mean().round(1).tolist()
    [-0.1, 2.0, -1.0]
    >>> harmonised.groupby(site)["f1"].mean().round(1).tolist()
    [0.2, 0.3, 0.3]
    """

    _parameter_constraints: dict = {
        "batch": [str, Integral],
        "covariates": ["array-like", str, Integral, None],
        "parametric": ["boolean"],
        "mean_only": ["boolean"],
        "eb": ["boolean"],
    }

    def __init__(self, batch="site", covariates=None, *, parametric=True, mean_only=False, eb=True):
        self.batch = batch
        self.covariates = covariates
        self.parametric = parametric
        self.mean_only = mean_only
        self.eb = eb

    # ------------------------------------------------------------------ layout

    def _column_positions(self, X):
        """Positions of the batch column, the covariates and the features in ``X``."""
        names = self._names(X)
        batch = self._position(X, names, self.batch, "batch")
        covariate_positions = [
            self._position(X, names, c, "covariates") for c in self._covariate_list()
        ]
        if batch in covariate_positions:
            raise ValueError(f"{_STEP}: the batch column {names[batch]!r} is also a covariate.")
        taken = {batch, *covariate_positions}
        features = [i for i in range(len(names)) if i not in taken]
        if not features:
            raise ValueError(
                f"{_STEP}: X has no feature column besides the batch column and the covariates."
            )
        return batch, covariate_positions, features

    def _covariate_list(self) -> list:
        """``covariates`` as a list: one name, or every name of a sequence."""
        if self.covariates is None:
            return []
        if isinstance(self.covariates, (str, Integral)):
            return [self.covariates]
        return list(self.covariates)

    @staticmethod
    def _names(X) -> list[str]:
        if isinstance(X, pd.DataFrame):
            return [str(name) for name in X.columns]
        return [f"x{i}" for i in range(np.shape(X)[1])]

    @staticmethod
    def _position(X, names, key, role) -> int:
        if isinstance(X, pd.DataFrame):
            if key not in X.columns:
                raise ValueError(
                    f"{_STEP}: {role} column {key!r} is not a column of X; its columns "
                    f"include {preview(names)}."
                )
            return int(X.columns.get_loc(key))
        if isinstance(key, bool) or not isinstance(key, Integral) or not 0 <= key < len(names):
            raise ValueError(
                f"{_STEP}: X is an array, so {role} must name columns by position "
                f"(0 to {len(names) - 1}); got {key!r}."
            )
        return int(key)

    @staticmethod
    def _column(X, position) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            return X.iloc[:, position].to_numpy()
        return np.asarray(X)[:, position]

    def _numeric_block(self, X, positions, role) -> np.ndarray:
        names = self._names(X)
        part = X.iloc[:, positions] if isinstance(X, pd.DataFrame) else np.asarray(X)[:, positions]
        try:
            block = np.array(part, dtype=np.float64)
        except (TypeError, ValueError):
            for position in positions:
                try:
                    np.asarray(self._column(X, position), dtype=np.float64)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"{_STEP}: {role} column {names[position]!r} is not numeric; encode it "
                        "as numbers (a categorical covariate as 0/1 indicator columns) or drop it."
                    ) from None
            raise
        check_finite_features(block, [names[p] for p in positions], f"{_STEP} ({role})")
        return block

    # --------------------------------------------------------------------- fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the site effects from the training rows ``X``.

        Parameters
        ----------
        X : DataFrame or array (n_cases, n_columns)
            Features, the batch column and the covariate columns.
        y : ignored
            Present for pipeline compatibility; the outcome is never used.

        Returns
        -------
        self
        """
        X = self._check_table(X, reset=True)
        batch, covariate_positions, feature_positions = self._column_positions(X)
        names = self._names(X)
        labels = self._site_labels(X, batch, names)
        sites, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
        if sites.size < 2:
            raise ValueError(
                f"{_STEP}: the training data come from a single site {preview(sites.tolist())}; "
                "ComBat needs at least two."
            )
        features = self._numeric_block(X, feature_positions, "feature")
        covariates = self._numeric_block(X, covariate_positions, "covariate")
        feature_names = [names[p] for p in feature_positions]

        keep = self._constant_within_site(features, codes, counts, sites, feature_names)
        mean_only = bool(self.mean_only)
        single = sites[counts == 1]
        if single.size and not mean_only:
            warnings.warn(
                f"{_STEP}: site(s) {preview(single.tolist())} have a single case, so their "
                "scale cannot be estimated; as in sva, every site is adjusted for location "
                "only (mean_only=True).",
                UserWarning,
                stacklevel=2,
            )
            mean_only = True

        onehot = np.zeros((codes.size, sites.size))
        onehot[np.arange(codes.size), codes] = 1.0
        design = np.hstack([onehot, covariates])
        self._check_design(design, sites.size, [names[p] for p in covariate_positions])
        data = features[:, keep]
        coef = np.linalg.solve(design.T @ design, design.T @ data)
        grand_mean = (counts / codes.size) @ coef[: sites.size]
        var_pooled = ((data - design @ coef) ** 2).mean(axis=0)
        stand_mean = grand_mean + covariates @ coef[sites.size :]
        standardized = (data - stand_mean) / np.sqrt(var_pooled)

        gamma_hat = np.vstack([standardized[codes == i].mean(axis=0) for i in range(sites.size)])
        if mean_only:
            delta_hat = np.ones_like(gamma_hat)
        else:
            delta_hat = np.vstack(
                [standardized[codes == i].var(axis=0, ddof=1) for i in range(sites.size)]
            )
        gamma_star, delta_star, n_iter = self._site_estimates(
            standardized, codes, sites, gamma_hat, delta_hat, mean_only
        )

        self.sites_ = sites
        self.site_counts_ = counts
        self.batch_position_ = batch
        self.covariate_positions_ = np.asarray(covariate_positions, dtype=int)
        self.feature_positions_ = np.asarray(feature_positions, dtype=int)
        self.harmonized_mask_ = keep
        self.harmonized_features_ = np.asarray(feature_names, dtype=object)[keep]
        self.unadjusted_features_ = [n for n, k in zip(feature_names, keep) if not k]
        self.grand_mean_ = grand_mean
        self.var_pooled_ = var_pooled
        self.covariate_coef_ = coef[sites.size :]
        self.gamma_hat_, self.delta_hat_ = gamma_hat, delta_hat
        self.gamma_star_, self.delta_star_ = gamma_star, delta_star
        self.mean_only_ = mean_only
        self.n_iter_ = n_iter
        return self

    def _check_table(self, X, *, reset: bool):
        if isinstance(X, pd.DataFrame):
            if X.columns.duplicated().any():
                duplicated = X.columns[X.columns.duplicated()].unique().tolist()
                raise ValueError(
                    f"{_STEP}: column name(s) {preview(duplicated)} appear more than once."
                )
            if X.shape[0] == 0:
                raise ValueError(f"{_STEP}: X has no rows (0 samples).")
        else:
            # dtype=None keeps an object array whose batch column holds strings
            X = check_array(X, dtype=None, ensure_all_finite=False)
        with explain_column_mismatch(self, X, _STEP):
            validate_data(self, X, reset=reset, skip_check_array=True)
        if not reset and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{_STEP}: X has {X.shape[1]} columns, but ComBat was fitted with "
                f"{self.n_features_in_} (features, batch and covariates)."
            )
        return X

    def _site_labels(self, X, position, names) -> np.ndarray:
        labels = self._column(X, position)
        missing = pd.isna(pd.Series(labels, dtype=object)).to_numpy()
        if labels.dtype.kind == "f":
            missing = missing | ~np.isfinite(labels)
        if missing.any():
            raise ValueError(
                f"{_STEP}: the batch column {names[position]!r} has {missing.sum()} missing "
                f"(NaN or inf) site label(s) at row position(s) "
                f"{preview(np.flatnonzero(missing).tolist())}."
            )
        return labels

    @staticmethod
    def _constant_within_site(features, codes, counts, sites, feature_names) -> np.ndarray:
        """Mask of features varying within every site with several cases (sva's zero rows)."""
        constant = np.zeros(features.shape[1], dtype=bool)
        for i in np.flatnonzero(counts > 1):
            rows = features[codes == i]
            constant |= np.ptp(rows, axis=0) == 0
        if constant.any():
            culprits = [feature_names[j] for j in np.flatnonzero(constant)]
            warnings.warn(
                f"{_STEP}: {len(culprits)} feature(s) {preview(culprits)} are constant within "
                "a site; as in sva they are left unadjusted at every site and excluded from "
                "the priors.",
                UserWarning,
                stacklevel=3,
            )
        if constant.all():
            raise ValueError(
                f"{_STEP}: every feature is constant within a site; nothing can be harmonised."
            )
        return ~constant

    @staticmethod
    def _check_design(design, n_sites, covariate_names):
        if np.linalg.matrix_rank(design) == design.shape[1]:
            return
        covariates_alone = design[:, n_sites:]
        if covariates_alone.shape[1] and np.linalg.matrix_rank(
            np.hstack([np.ones((design.shape[0], 1)), covariates_alone])
        ) < covariates_alone.shape[1] + 1:
            raise ValueError(
                f"{_STEP}: the covariates {preview(covariate_names)} are confounded with each "
                "other or constant; remove one or more of them."
            )
        raise ValueError(
            f"{_STEP}: covariate(s) {preview(covariate_names)} are confounded with the site "
            "(a covariate determined by the site cannot be told apart from the site effect); "
            "remove the confounded covariate."
        )

    def _site_estimates(self, standardized, codes, sites, gamma_hat, delta_hat, mean_only):
        n_iter = np.zeros(sites.size, dtype=int)
        if not self.eb:
            return gamma_hat, delta_hat, n_iter
        gamma_bar = gamma_hat.mean(axis=1)
        tau2 = gamma_hat.var(axis=1, ddof=1)
        gamma_star = np.empty_like(gamma_hat)
        delta_star = np.ones_like(delta_hat)
        for i, site in enumerate(sites):
            site_data = standardized[codes == i]
            if not self.parametric:
                gamma_star[i], delta_star[i] = nonparametric_adjustment(
                    site_data, gamma_hat[i], delta_hat[i]
                )
            elif mean_only:
                gamma_star[i] = posterior_mean(gamma_hat[i], gamma_bar[i], 1, 1, tau2[i])
            else:
                a, b = inverse_gamma_prior(delta_hat[i])
                gamma_star[i], delta_star[i], n_iter[i] = parametric_adjustment(
                    site_data, gamma_hat[i], delta_hat[i], gamma_bar[i], tau2[i], a, b,
                    site=site.item() if hasattr(site, "item") else site,
                )
        return gamma_star, delta_star, n_iter

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        names = self._covariate_list()
        if not names:
            covariates = "no biological covariates"
        else:
            noun = "covariate" if len(names) == 1 else "covariates"
            covariates = f"the {noun} {join_words(names)} preserved"
        if not self.eb:
            estimates = "least-squares site effects without empirical-Bayes shrinkage"
        else:
            prior = "parametric" if self.parametric else "non-parametric"
            estimates = f"{prior} empirical-Bayes estimates of the site effects"
        adjusted = "location only" if self.mean_only else "location and scale"
        return (
            f"Harmonisation: site effects in column '{self.batch}' were removed with ComBat "
            f"(Johnson, Li and Rabinovic 2007; {estimates}, adjusting {adjusted}, with "
            f"{covariates}), estimated on the training part of each fold only and applied "
            "unchanged to its held-out cases."
        )

    # --------------------------------------------------------------- transform

    def transform(self, X):
        """Harmonise rows from sites seen in ``fit``.

        Parameters
        ----------
        X : DataFrame or array with the columns seen in ``fit``.

        Returns
        -------
        DataFrame or ndarray
            ``X`` without the batch column, features harmonised, covariates
            unchanged; a DataFrame keeps the index and the covariates' dtypes.
        """
        check_is_fitted(self, "gamma_star_")
        X = self._check_table(X, reset=False)
        names = self._names(X)
        labels = self._site_labels(X, self.batch_position_, names)
        known = pd.Index(self.sites_)
        codes = known.get_indexer(pd.Index(labels))
        if (codes < 0).any():
            unseen = pd.unique(pd.Series(labels[codes < 0], dtype=object)).tolist()
            raise ValueError(
                f"{_STEP}: site(s) {preview(unseen)} in column {names[self.batch_position_]!r} "
                f"were not seen in fit (fitted sites: {preview(self.sites_.tolist())}); ComBat "
                "can only harmonise cases from training sites."
            )
        features = self._numeric_block(X, self.feature_positions_, "feature")
        covariates = self._numeric_block(X, self.covariate_positions_, "covariate")
        data = features[:, self.harmonized_mask_]
        stand_mean = self.grand_mean_ + covariates @ self.covariate_coef_
        scale = np.sqrt(self.var_pooled_)
        standardized = (data - stand_mean) / scale
        adjusted = (standardized - self.gamma_star_[codes]) / np.sqrt(self.delta_star_[codes])
        features[:, self.harmonized_mask_] = adjusted * scale + stand_mean
        return self._assemble(X, features, names)

    def _assemble(self, X, features, names):
        output_positions = [i for i in range(len(names)) if i != self.batch_position_]
        if not isinstance(X, pd.DataFrame):
            out = np.asarray(X)[:, output_positions].astype(np.float64)
            out[:, np.searchsorted(output_positions, self.feature_positions_)] = features
            return out
        harmonized = pd.DataFrame(
            features, index=X.index, columns=X.columns[self.feature_positions_]
        )
        passthrough = X.iloc[:, self.covariate_positions_]
        return pd.concat([harmonized, passthrough], axis=1)[X.columns[output_positions]]

    def get_feature_names_out(self, input_features=None):
        """Input column names without the batch column."""
        check_is_fitted(self, "gamma_star_")
        names = input_features
        if names is None:
            names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(self.n_features_in_)]
        if len(names) != self.n_features_in_:
            raise ValueError(
                f"{_STEP}: input_features has {len(names)} names; fit saw "
                f"{self.n_features_in_} columns."
            )
        return np.asarray(
            [str(n) for i, n in enumerate(names) if i != self.batch_position_], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = False
        return tags
