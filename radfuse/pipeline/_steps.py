"""The protocol's step registry and the factory that assembles its pipeline.

:data:`PROTOCOL_STEPS` is the one map from a step name to its estimator class
and radfuse's defaults for it. :func:`make_radiomics_pipeline` builds its
steps from it, and the study-file loader (:mod:`radfuse.config`) validates a
file's ``pipeline:`` section against it. A new protocol step is a class (with
``_parameter_constraints`` and ``describe_method``) plus one entry here and
its keyword in :func:`make_radiomics_pipeline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import RepeatedStratifiedKFold

from ..harmonize import ComBat
from ..models import make_classifier
from ..select import CorrelationPruner, ICCFilter, LassoSelector, MRMRSelector, UnivariateFilter
from ._checked import CheckedSMOTE, CheckedStandardScaler
from ._pipeline import RadiomicsPipeline


@dataclass(frozen=True)
class ProtocolStep:
    """One step of the protocol: its estimator class and radfuse's defaults for it.

    Parameters
    ----------
    estimator : type
        The step's estimator class; its ``_parameter_constraints`` are the
        rules a study file's parameters for the step are checked against.
    defaults : mapping
        radfuse's defaults where they differ from the class's own.
    seeded : bool
        Whether the step takes the pipeline's ``random_state``.
    parallel : bool
        Whether the step takes the pipeline's ``n_jobs``.
    repeated_cv : tuple of (n_splits, n_repeats), optional
        The step's default ``cv``: repeated stratified k-fold, seeded with the
        pipeline's ``random_state``.
    required : mapping of str to (str, str)
        Parameters without a default, which the caller must give: what each
        holds and an example (the ICC step's repeated delineations).
    """

    estimator: type
    defaults: Mapping = field(default_factory=dict)
    seeded: bool = False
    parallel: bool = False
    repeated_cv: tuple | None = None
    required: Mapping = field(default_factory=dict)

    def managed_params(self) -> tuple:
        """Parameters radfuse sets itself (seed, jobs, required data, CV splitter)."""
        return (
            *(("random_state",) if self.seeded else ()),
            *(("n_jobs",) if self.parallel else ()),
            *(("cv",) if self.repeated_cv else ()),
            *self.required,
        )

    def build(self, name: str, spec, *, random_state=None, n_jobs=None):
        """The step's estimator for a :func:`make_radiomics_pipeline` argument.

        ``spec`` is ``True`` (radfuse's defaults), a dict of parameters
        overriding them, or an estimator (cloned).
        """
        if isinstance(spec, BaseEstimator):
            return clone(spec)
        if spec is not True and not isinstance(spec, dict):
            raise TypeError(
                f"make_radiomics_pipeline: step {name!r} must be True, False, a dict of "
                f"parameters or an estimator; got {type(spec).__name__}."
            )
        params = {} if spec is True else spec
        for param, (what, example) in self.required.items():
            if param not in params:
                raise ValueError(
                    f"make_radiomics_pipeline: the {name!r} step needs {what}; pass "
                    f"{name}={{{param!r}: {example}}}."
                )
        seeded = {"random_state": random_state} if self.seeded else {}
        if self.repeated_cv is not None:
            n_splits, n_repeats = self.repeated_cv
            seeded["cv"] = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)
        parallel = {"n_jobs": n_jobs} if self.parallel else {}
        try:
            return self.estimator(**{**self.defaults, **seeded, **parallel, **params})
        except TypeError as error:
            raise ValueError(f"make_radiomics_pipeline: step {name!r}: {error}") from error


#: The protocol's steps in order: name -> :class:`ProtocolStep` (class and radfuse's defaults).
PROTOCOL_STEPS = MappingProxyType({
    "combat": ProtocolStep(ComBat),
    "icc": ProtocolStep(
        ICCFilter, required={"reliability": ("the repeated delineations", "[reader1_table, reader2_table]")}
    ),
    "smote": ProtocolStep(CheckedSMOTE, {"k_neighbors": 5}, seeded=True),
    "zscore": ProtocolStep(CheckedStandardScaler),
    "univariate": ProtocolStep(UnivariateFilter, {"alpha": 0.05}),
    "spearman": ProtocolStep(CorrelationPruner, {"threshold": 0.9}, seeded=True),
    "mrmr": ProtocolStep(MRMRSelector, {"n_features": 30}),
    "lasso": ProtocolStep(LassoSelector, {"rule": "min"}, parallel=True, repeated_cv=(10, 20)),
})


def make_radiomics_pipeline(
    classifier="lr",
    *,
    combat=False,
    icc=False,
    smote=True,
    zscore=True,
    univariate=True,
    spearman=True,
    mrmr=True,
    lasso=True,
    random_state=None,
    n_jobs=None,
) -> Pipeline:
    """Build the radiomics protocol as an ``imblearn.pipeline.Pipeline``.

    Each step argument is ``True`` (radfuse's default for that step, from
    :data:`PROTOCOL_STEPS`), ``False`` (leave the step out), a dict of
    parameters overriding the defaults, or an estimator used as given (cloned).

    Parameters
    ----------
    classifier : str or estimator
        A name for :func:`radfuse.models.make_classifier` or a classifier.
    combat : bool, dict or estimator
        :class:`~radfuse.harmonize.ComBat` as the first step, harmonising
        site effects inside each training fold; off by default. ``True``
        reads the site from a column ``"site"``; ``combat={"batch": "centre",
        "covariates": ["age"]}`` names the columns. The batch column is
        dropped; the covariates stay in the table for the later steps.
    icc : bool, dict or estimator
        :class:`~radfuse.select.ICCFilter`; off by default because it needs
        the second reader's tables: ``icc={"reliability": [r1, r2]}``.
    smote : bool, dict or estimator
        ``SMOTE(k_neighbors=5)``.
    zscore : bool, dict or estimator
        ``StandardScaler()`` (as :class:`CheckedStandardScaler`, which names
        an overflow).
    univariate : bool, dict or estimator
        ``UnivariateFilter(alpha=0.05)``: t-test, Welch or Mann-Whitney by
        normality and variance.
    spearman : bool, dict or estimator
        ``CorrelationPruner(threshold=0.9)``.
    mrmr : bool, dict or estimator
        ``MRMRSelector(n_features=30)``.
    lasso : bool, dict or estimator
        ``LassoSelector`` with 20 x repeated stratified 10-fold CV, minimum-MSE
        lambda.
    random_state : int or None
        Seeds SMOTE, the LASSO's CV splits, random tie-breaking and the
        classifier.
    n_jobs : int or None
        Parallel jobs of the LASSO cross-validation (joblib).

    Returns
    -------
    RadiomicsPipeline
        An ``imblearn.pipeline.Pipeline`` (one warning per kind per fit, new
        cases checked by name); steps named as the arguments, then
        ``"clf"``; output set to pandas.

    References
    ----------
    The step order and thresholds follow the mammography + MRI radiomics study
    of axillary lymph-node metastasis that radfuse's protocol reproduces
    (ICC > 0.9, SMOTE k = 5, z-score, t/Welch/Mann-Whitney p < 0.05,
    Spearman |rho| > 0.9, mRMR, LASSO with 20 x 10-fold CV).
    SMOTE: Chawla et al., Journal of Artificial Intelligence Research 16,
    321-357 (2002). Feature-selection inside cross-validation: C. Ambroise and
    G. J. McLachlan, "Selection bias in gene extraction on the basis of
    microarray gene-expression data", PNAS 99, 6562-6566 (2002).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from radfuse.pipeline import make_radiomics_pipeline
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = make_radiomics_pipeline("lr", mrmr={"n_features": 10},
    ...                                 lasso={"cv": 5}, random_state=0)
    >>> model.fit(X, y).predict_proba(X.iloc[:2]).shape
    (2, 2)
    """
    specs = locals()
    steps = [
        (name, PROTOCOL_STEPS[name].build(name, specs[name], random_state=random_state, n_jobs=n_jobs))
        for name in PROTOCOL_STEPS
        if specs[name] is not False and specs[name] is not None
    ]
    if isinstance(classifier, str):
        classifier = make_classifier(classifier, random_state=random_state)
    else:
        classifier = clone(classifier)
    steps.append(("clf", classifier))
    return RadiomicsPipeline(steps).set_output(transform="pandas")
