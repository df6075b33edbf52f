"""Late fusion of feature blocks: a weighted ensemble and stacking.

Multimodal radiomics studies compare three ways of combining modalities
(Lu et al., 2024):

* **early fusion** -- concatenate the blocks and fit one model. This needs no
  class of its own: it is an ordinary (imbalanced-learn) ``Pipeline`` on the
  joined table, optionally starting with a
  :class:`~radfuse.blocks.BlockTransformer` that reduces each block first
  (e.g. PCA to 32 components per CNN block);
* **ensemble** -- one model per block, probabilities averaged with weights
  from a softmax over each model's cross-validated accuracy
  (:class:`WeightedEnsemble`);
* **stacking** -- one model per block, whose *out-of-fold* probabilities feed a
  meta-learner (:class:`StackingFusion`).

Both classes take ``blocks={name: estimator}``; by default each estimator sees
the columns named ``<name>__*`` (see :mod:`radfuse.blocks`), or the columns
listed in ``block_columns``. Outcomes are binary; the positive class is
``classes_[1]`` (the larger label, e.g. 1 = malignant), and base estimators are
fitted on the 0/1-encoded outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import ClassifierMixin, TransformerMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict, cross_val_score
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._validation import (
    check_same_cases,
    cv_splits,
    explain_column_mismatch,
    feature_names_of,
    preview,
)
from .blocks._composition import BlockComposition, block_indices

__all__ = ["StackingFusion", "WeightedEnsemble"]


def _positive_column(predictions: np.ndarray, method: str) -> np.ndarray:
    """Positive-class probability (or decision value) of a 0/1-fitted model."""
    return predictions[:, 1] if method == "predict_proba" else predictions


@contextmanager
def _naming_block(step: str, block: str):
    """Prefix a base estimator's error with the fusion step and the block it came from."""
    try:
        yield
    except (ValueError, TypeError) as error:
        kind = ValueError if isinstance(error, ValueError) else TypeError
        raise kind(f"{step}: block {block!r}: {error}") from error


def _fit_block(step: str, block: str, estimator, X, y):
    with _naming_block(step, block):
        return clone(estimator).fit(X, y)


class _BlockFusion(ClassifierMixin, BlockComposition):
    """One estimator per block, fitted on that block's columns only."""

    _estimators_attr = "blocks"

    def _check_X(self, X, *, reset: bool):
        # Base estimators validate values themselves (some accept NaN), so a
        # DataFrame is passed through untouched to keep its column names.
        if isinstance(X, pd.DataFrame):
            with explain_column_mismatch(self, X, type(self).__name__):
                validate_data(self, X, skip_check_array=True, reset=reset)
            return X
        return validate_data(self, X, reset=reset, ensure_all_finite=False)

    def _validate_training_data(self, X, y):
        """Check X, y and the blocks; return X and the 0/1-encoded outcome."""
        step = type(self).__name__
        check_same_cases(step, X=X, y=y)
        blocks = self._check_estimator_mapping()
        X = self._check_X(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size != 2:
            raise ValueError(
                f"{step}: Only binary classification is supported; y has {classes.size} "
                f"class(es) {preview(classes.tolist())}, but fusion combines each block's "
                "positive-class probability."
            )
        self.classes_ = classes

        self._check_block_columns(blocks)
        columns = feature_names_of(self, X.shape[1])
        self.block_indices_ = block_indices(columns, blocks, self.block_columns, step=step)
        used = np.zeros(len(columns), dtype=bool)
        for indices in self.block_indices_.values():
            used[indices] = True
        self.unused_features_ = np.asarray(columns, dtype=object)[~used]
        return X, (y == classes[1]).astype(np.int64), blocks

    def _check_block_columns(self, blocks) -> None:
        step = type(self).__name__
        overrides = self.block_columns
        if overrides is None:
            return
        missing = [name for name in blocks if name not in overrides]
        extra = [name for name in overrides if name not in blocks]
        if missing or extra:
            raise ValueError(
                f"{step}: block_columns must have exactly the keys of blocks; missing "
                f"{preview(missing)}, unknown {preview(extra)}."
            )

    def _block_data(self, X, block: str):
        indices = self.block_indices_[block]
        return X.iloc[:, indices] if isinstance(X, pd.DataFrame) else X[:, indices]

    def _folds(self, X, y01) -> list:
        # Materialised once so every block is cross-validated on the same folds,
        # even with a shuffling splitter whose random_state is None.
        return cv_splits(self.cv, X, y01, step=type(self).__name__)

    def _out_of_fold_scores(self, X, y01, blocks, method: str) -> np.ndarray:
        folds = self._folds(X, y01)
        columns = []
        for name, estimator in blocks.items():
            with _naming_block(type(self).__name__, name):
                predictions = cross_val_predict(
                    clone(estimator),
                    self._block_data(X, name),
                    y01,
                    cv=folds,
                    method=method,
                    n_jobs=self.n_jobs,
                )
            columns.append(_positive_column(predictions, method))
        return np.column_stack(columns)

    def _refit_blocks(self, X, y01, blocks) -> dict:
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_block)(type(self).__name__, name, estimator, self._block_data(X, name), y01)
            for name, estimator in blocks.items()
        )
        return dict(zip(blocks, fitted))

    def _block_scores(self, X, method: str) -> np.ndarray:
        return np.column_stack(
            [
                _positive_column(getattr(estimator, method)(self._block_data(X, name)), method)
                for name, estimator in self.estimators_.items()
            ]
        )

    def predict_proba_blocks(self, X) -> pd.DataFrame:
        """Positive-class probability of every block's model.

        The models are those refitted on all training data. Useful to compare
        a single block with the fused model (DeLong test, NRI) on the same cases.

        Returns
        -------
        DataFrame of shape (n_samples, n_blocks)
            One column per block, indexed like ``X`` when ``X`` is a DataFrame.
        """
        check_is_fitted(self, "estimators_")
        X = self._check_X(X, reset=False)
        return pd.DataFrame(
            self._block_scores(X, "predict_proba"),
            columns=list(self.estimators_),
            index=X.index if isinstance(X, pd.DataFrame) else None,
        )

    def predict(self, X):
        """Class with the larger fused probability."""
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


class WeightedEnsemble(_BlockFusion):
    r"""Average per-block probabilities with softmax-normalised weights.

    One model per block is fitted on that block's columns. Each model's
    performance :math:`s_b` is estimated by cross-validation on the training
    data, and the fused probability is

    .. math::

        p(x) = \sum_b w_b\, p_b(x), \qquad
        w_b = \frac{\exp(s_b / T)}{\sum_c \exp(s_c / T)},

    with :math:`p_b` the block model refitted on all training data and
    :math:`T` the temperature. This is the accuracy-weighted softmax ensemble of
    Lu et al. (2024), a weighted-average combiner in Kuncheva's (2014) terms.
    With :math:`T = 1` and accuracies between 0 and 1 the weights differ by at
    most a factor :math:`e`; a smaller :math:`T` favours the best block more.

    Parameters
    ----------
    blocks : dict of str to classifier
        Block name to base estimator (any classifier with ``predict_proba``,
        including imbalanced-learn pipelines with SMOTE and feature selection).
        Tunable as ``blocks__<block>__<param>``.
    weighting : {"softmax_accuracy", "softmax_auc", "equal"}, default="softmax_accuracy"
        Score :math:`s_b`: mean cross-validated accuracy or ROC AUC (scikit-learn
        scorers ``"accuracy"`` and ``"roc_auc"``), or equal weights without
        cross-validation.
    temperature : float, default=1.0
        Softmax temperature :math:`T > 0`.
    cv : int, cross-validation generator or iterable, default=5
        Folds for :math:`s_b`; an int means ``StratifiedKFold(cv)``. All blocks
        use the same folds.
    block_columns : dict of str to list, default=None
        Columns of each block as names or integer positions, replacing the
        ``<block>__`` prefix rule (needed for NumPy input).
    n_jobs : int, default=None
        Parallel jobs for cross-validation and refitting, through joblib.

    Attributes
    ----------
    estimators_ : dict of str to estimator
        Block models refitted on all training data.
    weights_ : Series
        :math:`w_b` per block; sums to 1.
    block_scores_ : Series or None
        :math:`s_b` per block; None with ``weighting="equal"``.
    block_indices_ : dict of str to ndarray
        Column positions of each block.
    unused_features_ : ndarray of str
        Input columns that belong to no block and are ignored.
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the positive class.
    n_features_in_, feature_names_in_ : as in scikit-learn.

    See Also
    --------
    StackingFusion : learns the combination with a meta-learner.

    References
    ----------
    .. [1] Lu G, Tian R, Yang W, Liu R, Liu D, Xiang Z, Zhang G. Deep learning
       radiomics based on multimodal imaging for distinguishing benign and
       malignant breast tumours. Front Med. 2024;11:1402967.
       doi:10.3389/fmed.2024.1402967
    .. [2] Kuncheva LI. Combining Pattern Classifiers: Methods and Algorithms.
       2nd ed. Hoboken, NJ: Wiley; 2014. Chapter 5 (weighted average).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from radfuse.datasets.wdbc import load_wdbc_blocks
    >>> X, y = load_wdbc_blocks(return_X_y=True)
    >>> base = make_pipeline(StandardScaler(), LogisticRegression())
    >>> ensemble = WeightedEnsemble({"mean": base, "se": base, "worst": base}).fit(X, y)
    >>> ensemble.block_scores_.round(3).tolist()  # 5-fold accuracies
    [0.933, 0.868, 0.977]
    >>> ensemble.weights_.round(3).tolist()
    [0.335, 0.314, 0.35]
    >>> ensemble.predict_proba_blocks(X).shape
    (569, 3)
    """

    _weightings = {"softmax_accuracy": "accuracy", "softmax_auc": "roc_auc", "equal": None}

    _parameter_constraints: dict = {
        "blocks": [Mapping],
        "weighting": [StrOptions(set(_weightings))],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "cv": ["cv_object"],
        "block_columns": [Mapping, None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        blocks,
        *,
        weighting="softmax_accuracy",
        temperature=1.0,
        cv=5,
        block_columns=None,
        n_jobs=None,
    ):
        self.blocks = blocks
        self.weighting = weighting
        self.temperature = temperature
        self.cv = cv
        self.block_columns = block_columns
        self.n_jobs = n_jobs

    @_fit_context(
        # blocks holds estimators, which validate their own parameters when fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Score each block by cross-validation, then refit it on all of ``X``."""
        step = type(self).__name__
        X, y01, blocks = self._validate_training_data(X, y)

        scoring = self._weightings[self.weighting]
        if scoring is None:
            self.block_scores_ = None
            weights = np.full(len(blocks), 1.0 / len(blocks))
        else:
            folds = self._folds(X, y01)
            scores = []
            for name, estimator in blocks.items():
                with _naming_block(step, name):
                    scores.append(
                        cross_val_score(
                            clone(estimator),
                            self._block_data(X, name),
                            y01,
                            cv=folds,
                            scoring=scoring,
                            n_jobs=self.n_jobs,
                            error_score="raise",
                        ).mean()
                    )
            scores = np.array(scores)
            self.block_scores_ = pd.Series(scores, index=list(blocks), name=scoring)
            exponent = np.exp((scores - scores.max()) / self.temperature)
            weights = exponent / exponent.sum()
        self.weights_ = pd.Series(weights, index=list(blocks), name="weight")
        self.estimators_ = self._refit_blocks(X, y01, blocks)
        return self

    def predict_proba(self, X):
        """Weighted average of the block models' probabilities.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        positive = self.predict_proba_blocks(X).to_numpy() @ self.weights_.to_numpy()
        return np.column_stack([1.0 - positive, positive])


class StackingFusion(TransformerMixin, _BlockFusion):
    r"""Stack per-block models with a meta-learner trained on out-of-fold predictions.

    Stacked generalisation (Wolpert, 1992) with one base model per block. For
    training case :math:`i` in fold :math:`k(i)`, the meta-feature of block
    :math:`b` is :math:`z_{ib} = p_b^{(-k(i))}(x_i)`, the prediction of block
    :math:`b`'s model fitted *without* fold :math:`k(i)`; the meta-learner
    :math:`g` is fitted on :math:`(z_i, y_i)`. Using out-of-fold rather than
    in-sample predictions is what keeps flexible base models (unpruned trees,
    1-NN) from handing the meta-learner perfectly fitted inputs (Breiman, 1996).
    New cases are predicted as :math:`g(p_1(x), \dots, p_B(x))` with every
    :math:`p_b` refitted on all training data.

    Parameters
    ----------
    blocks : dict of str to classifier
        Block name to base estimator (including imbalanced-learn pipelines
        with SMOTE and selection). Tunable as ``blocks__<block>__<param>``.
    final_estimator : classifier, default=None
        Meta-learner; ``LogisticRegression()`` when None. Any classifier works
        (SVM, XGBoost, ...). Tunable as ``final_estimator__<param>``.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the out-of-fold predictions; an int means
        ``StratifiedKFold(cv)`` without shuffling, as in scikit-learn's
        ``StackingClassifier``. All blocks use the same folds.
    stack_method : {"predict_proba", "decision_function"}, default="predict_proba"
        Base-model output used as meta-feature: the positive-class probability
        or the decision value (e.g. for an SVM without probability estimates).
    passthrough : bool, default=False
        Also give the meta-learner the original features.
    block_columns : dict of str to list, default=None
        Columns of each block as names or integer positions, replacing the
        ``<block>__`` prefix rule (needed for NumPy input).
    n_jobs : int, default=None
        Parallel jobs for cross-validation and refitting, through joblib.

    Attributes
    ----------
    estimators_ : dict of str to estimator
        Block models refitted on all training data.
    final_estimator_ : estimator
        The meta-learner fitted on the out-of-fold meta-features.
    block_indices_ : dict of str to ndarray
        Column positions of each block.
    unused_features_ : ndarray of str
        Input columns that belong to no block (and, without passthrough, are ignored).
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the positive class.
    n_features_in_, feature_names_in_ : as in scikit-learn.

    Notes
    -----
    ``fit_transform(X, y)`` returns the out-of-fold meta-features the
    meta-learner was trained on, whereas ``fit(X, y).transform(X)`` returns the
    refitted base models' in-sample predictions. Inside a pipeline the next
    step therefore never learns from in-sample base predictions (the same
    cross-fitting contract as scikit-learn's ``TargetEncoder``).

    See Also
    --------
    WeightedEnsemble : fixed softmax weights instead of a meta-learner.

    References
    ----------
    .. [1] Wolpert DH. Stacked generalization. Neural Netw. 1992;5(2):241-259.
       doi:10.1016/S0893-6080(05)80023-1
    .. [2] Breiman L. Stacked regressions. Mach Learn. 1996;24(1):49-64.
    .. [3] Lu G, Tian R, Yang W, Liu R, Liu D, Xiang Z, Zhang G. Deep learning
       radiomics based on multimodal imaging for distinguishing benign and
       malignant breast tumours. Front Med. 2024;11:1402967.
       doi:10.3389/fmed.2024.1402967
    .. [4] Kuncheva LI. Combining Pattern Classifiers: Methods and Algorithms.
       2nd ed. Hoboken, NJ: Wiley; 2014.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from radfuse.datasets.wdbc import load_wdbc_blocks
    >>> X, y = load_wdbc_blocks(return_X_y=True)
    >>> base = make_pipeline(StandardScaler(), LogisticRegression())
    >>> stack = StackingFusion({"mean": base, "se": base, "worst": base}).fit(X, y)
    >>> stack.get_feature_names_out().tolist()
    ['mean', 'se', 'worst']
    >>> stack.final_estimator_.coef_.round(2)
    array([[2.15, 1.44, 5.28]])
    """

    _parameter_constraints: dict = {
        "blocks": [Mapping],
        "final_estimator": [HasMethods("fit"), None],
        "cv": ["cv_object"],
        "stack_method": [StrOptions({"predict_proba", "decision_function"})],
        "passthrough": ["boolean"],
        "block_columns": [Mapping, None],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        blocks,
        final_estimator=None,
        *,
        cv=5,
        stack_method="predict_proba",
        passthrough=False,
        block_columns=None,
        n_jobs=None,
    ):
        self.blocks = blocks
        self.final_estimator = final_estimator
        self.cv = cv
        self.stack_method = stack_method
        self.passthrough = passthrough
        self.block_columns = block_columns
        self.n_jobs = n_jobs

    def _meta_features(self, scores: np.ndarray, X) -> pd.DataFrame:
        index = X.index if isinstance(X, pd.DataFrame) else None
        meta = pd.DataFrame(scores, columns=list(self.block_indices_), index=index)
        if not self.passthrough:
            return meta
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(X, columns=feature_names_of(self, X.shape[1]))
        return pd.concat([meta, X.set_axis(meta.index, axis=0)], axis=1)

    @_fit_context(
        # blocks and final_estimator hold estimators, which validate their own
        # parameters when fitted
        prefer_skip_nested_validation=False
    )
    def fit_transform(self, X, y):
        """Fit, and return the out-of-fold meta-features the meta-learner saw.

        Returns
        -------
        ndarray of shape (n_samples, n_blocks + n_passthrough_features)
        """
        step = type(self).__name__
        X, y01, blocks = self._validate_training_data(X, y)
        lacking = [name for name, est in blocks.items() if not hasattr(est, self.stack_method)]
        if lacking:
            raise ValueError(
                f"{step}: the estimator(s) of block(s) {preview(lacking)} have no "
                f"{self.stack_method}; choose another stack_method or estimator (e.g. "
                "radfuse.models.make_classifier('svm'), a calibrated SVC)."
            )
        if self.passthrough:
            clashes = sorted(set(blocks) & set(feature_names_of(self, X.shape[1])))
            if clashes:
                raise ValueError(
                    f"{step}: with passthrough=True the block name(s) {preview(clashes)} "
                    "equal input column names; rename the blocks."
                )
        out_of_fold = self._out_of_fold_scores(X, y01, blocks, self.stack_method)
        self.estimators_ = self._refit_blocks(X, y01, blocks)
        meta = self._meta_features(out_of_fold, X)
        final = LogisticRegression() if self.final_estimator is None else self.final_estimator
        self.final_estimator_ = clone(final).fit(meta, y01)
        return meta.to_numpy()

    @_fit_context(
        # blocks and final_estimator hold estimators, which validate their own
        # parameters when fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Fit base models out-of-fold, the meta-learner, then refit the base models."""
        self.fit_transform(X, y)
        return self

    def transform(self, X):
        """Meta-features of new cases: the refitted base models' outputs.

        Returns
        -------
        ndarray of shape (n_samples, n_blocks + n_passthrough_features)
        """
        check_is_fitted(self, "estimators_")
        X = self._check_X(X, reset=False)
        return self._meta_features(self._block_scores(X, self.stack_method), X).to_numpy()

    def predict_proba(self, X):
        """Meta-learner's probabilities from the refitted base models' outputs.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        check_is_fitted(self, "estimators_")
        X = self._check_X(X, reset=False)
        meta = self._meta_features(self._block_scores(X, self.stack_method), X)
        return self.final_estimator_.predict_proba(meta)

    def get_feature_names_out(self, input_features=None):
        """Block names, then the input features when ``passthrough=True``."""
        check_is_fitted(self, "estimators_")
        names = list(self.estimators_)
        if self.passthrough and input_features is None:
            names += feature_names_of(self, self.n_features_in_)
        elif self.passthrough:
            names += [str(name) for name in input_features]
        return np.asarray(names, dtype=object)
