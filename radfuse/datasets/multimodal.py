"""A synthetic multimodal cohort: radiomic blocks per modality and a CNN block."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.utils import Bunch, check_random_state

from ..blocks import SEPARATOR
from ..blocks._naming import check_block_name
from ._centres import assign_centres, centre_shares, check_effect_sizes

_STEP = "make_multimodal_table"

_IMAGE_TYPES = (
    "original",
    "wavelet-LLH",
    "wavelet-LHL",
    "wavelet-LHH",
    "wavelet-HLL",
    "wavelet-HLH",
    "wavelet-HHL",
    "wavelet-HHH",
    "wavelet-LLL",
    "log-sigma-1-0-mm-3D",
    "log-sigma-2-0-mm-3D",
    "log-sigma-3-0-mm-3D",
    "square",
    "squareroot",
    "logarithm",
    "exponential",
    "gradient",
)

# PyRadiomics 3.0.1 texture and first-order features (shape features exist for
# the original image only and are left out so every image type has the same set).
_FEATURE_CLASSES = {
    "firstorder": "10Percentile 90Percentile Energy Entropy InterquartileRange Kurtosis "
    "Maximum MeanAbsoluteDeviation Mean Median Minimum Range RobustMeanAbsoluteDeviation "
    "RootMeanSquared Skewness TotalEnergy Uniformity Variance",
    "glcm": "Autocorrelation ClusterProminence ClusterShade ClusterTendency Contrast "
    "Correlation DifferenceAverage DifferenceEntropy DifferenceVariance Id Idm Idmn Idn "
    "Imc1 Imc2 InverseVariance JointAverage JointEnergy JointEntropy MCC "
    "MaximumProbability SumAverage SumEntropy SumSquares",
    "glrlm": "GrayLevelNonUniformity GrayLevelNonUniformityNormalized GrayLevelVariance "
    "HighGrayLevelRunEmphasis LongRunEmphasis LongRunHighGrayLevelEmphasis "
    "LongRunLowGrayLevelEmphasis LowGrayLevelRunEmphasis RunEntropy RunLengthNonUniformity "
    "RunLengthNonUniformityNormalized RunPercentage RunVariance ShortRunEmphasis "
    "ShortRunHighGrayLevelEmphasis ShortRunLowGrayLevelEmphasis",
    "glszm": "GrayLevelNonUniformity GrayLevelNonUniformityNormalized GrayLevelVariance "
    "HighGrayLevelZoneEmphasis LargeAreaEmphasis LargeAreaHighGrayLevelEmphasis "
    "LargeAreaLowGrayLevelEmphasis LowGrayLevelZoneEmphasis SizeZoneNonUniformity "
    "SizeZoneNonUniformityNormalized SmallAreaEmphasis SmallAreaHighGrayLevelEmphasis "
    "SmallAreaLowGrayLevelEmphasis ZoneEntropy ZonePercentage ZoneVariance",
    "gldm": "DependenceEntropy DependenceNonUniformity DependenceNonUniformityNormalized "
    "DependenceVariance GrayLevelNonUniformity GrayLevelVariance HighGrayLevelEmphasis "
    "LargeDependenceEmphasis LargeDependenceHighGrayLevelEmphasis "
    "LargeDependenceLowGrayLevelEmphasis LowGrayLevelEmphasis SmallDependenceEmphasis "
    "SmallDependenceHighGrayLevelEmphasis SmallDependenceLowGrayLevelEmphasis",
    "ngtdm": "Busyness Coarseness Complexity Contrast Strength",
}

RADIOMIC_FEATURE_NAMES = tuple(
    f"{image_type}_{feature_class}_{feature}"
    for image_type in _IMAGE_TYPES
    for feature_class, features in _FEATURE_CLASSES.items()
    for feature in features.split()
)

_GROUP_SIZE = 10
_CNN_LATENT = 8


def _class_separations(class_sep, block_names) -> dict:
    if isinstance(class_sep, Mapping):
        missing = [name for name in block_names if name not in class_sep]
        unknown = [name for name in class_sep if name not in block_names]
        if missing or unknown:
            raise ValueError(
                f"{_STEP}: class_sep must give a value for every block {list(block_names)}; "
                f"missing {missing}, unknown {unknown}."
            )
        separations = dict(class_sep)
    else:
        separations = dict.fromkeys(block_names, class_sep)
    for name, value in separations.items():
        if not isinstance(value, Real) or value < 0:
            raise ValueError(
                f"{_STEP}: class_sep for block {name!r} must be a number >= 0; got {value!r}."
            )
    return separations


def _outcome(n_cases: int, weights, rng) -> np.ndarray:
    if weights is None:
        weights = (0.5, 0.5)
    if len(weights) != 2 or not np.isclose(sum(weights), 1) or min(weights) <= 0:
        raise ValueError(
            f"{_STEP}: weights must be two positive class proportions (benign, malignant) "
            f"summing to 1; got {weights!r}."
        )
    n_positive = int(round(n_cases * weights[1]))
    if min(n_positive, n_cases - n_positive) < 2:
        raise ValueError(
            f"{_STEP}: n_cases={n_cases} with weights={tuple(weights)} leaves fewer than two "
            "cases in a class; increase n_cases or balance the classes."
        )
    return rng.permutation(np.repeat([0, 1], [n_cases - n_positive, n_positive]))


def _radiomic_block(y, n_features: int, n_informative: int, class_sep: float, rng):
    """Correlated groups, log-normal or shifted marginals, wildly different scales."""
    n_cases = y.size
    n_groups = max(1, n_features // _GROUP_SIZE)
    group = rng.randint(n_groups, size=n_features)
    loading = rng.uniform(0.4, 0.9, size=n_features)
    latent = rng.standard_normal((n_cases, n_groups))
    z = latent[:, group] * loading + rng.standard_normal((n_cases, n_features)) * np.sqrt(
        1 - loading**2
    )
    informative = np.sort(rng.choice(n_features, size=n_informative, replace=False))
    z[:, informative] += class_sep * y[:, None]

    skewed = rng.uniform(size=n_features) < 0.5
    spread = rng.uniform(0.3, 1.0, size=n_features)
    scale = 10.0 ** rng.uniform(-3, 4, size=n_features)
    offset = rng.uniform(0, 5, size=n_features)
    values = np.where(skewed, np.exp(spread * z), z + offset) * scale
    return values, informative


def _embedding_block(y, n_dims: int, class_sep: float, rng) -> np.ndarray:
    """ReLU of a random projection of a few latent factors, one class-shifted."""
    latent = rng.standard_normal((y.size, _CNN_LATENT))
    latent[:, 0] += class_sep * y
    projection = rng.standard_normal((_CNN_LATENT, n_dims)) / np.sqrt(_CNN_LATENT)
    bias = rng.normal(-0.3, 0.3, size=n_dims)
    return np.maximum(latent @ projection + bias, 0.0)


def _centre_effects(values, shares: dict, shift: float, scale: float, rng):
    """Assign centres in the given shares; apply per-centre, per-feature location and scale."""
    check_effect_sizes(_STEP, centre_shift=shift, centre_scale=scale)
    n_cases, n_features = values.shape
    codes = assign_centres(shares, n_cases, rng)
    additive = rng.normal(0.0, shift, size=(len(shares), n_features))
    multiplicative = np.exp(rng.normal(0.0, scale, size=(len(shares), n_features)))
    mean, spread = values.mean(axis=0), values.std(axis=0, ddof=1)
    shifted = mean + multiplicative[codes] * (values - mean) + additive[codes] * spread
    return np.asarray(list(shares), dtype=object)[codes], shifted


def make_multimodal_table(
    n_cases: int = 200,
    blocks: Mapping[str, int] | None = None,
    *,
    n_embedding: int = 64,
    embedding_block: str = "cnn",
    n_informative: int = 5,
    class_sep=0.8,
    weights=None,
    centres=None,
    centre_shift: float = 0.5,
    centre_scale: float = 0.3,
    random_state=0,
    return_X_y: bool = False,
):
    r"""Generate a deterministic multimodal radiomics cohort.

    Each radiomic block mimics a PyRadiomics table of one modality: columns
    ``<block>__<image type>_<class>_<feature>`` (e.g.
    ``US__original_glcm_Contrast``) whose values come from a latent-factor
    model. Features fall into correlated groups of about 10 sharing a latent
    factor with loadings :math:`\lambda_j \sim U(0.4, 0.9)`,

    .. math::

        z_{ij} = \lambda_j f_{i,g(j)} + \sqrt{1 - \lambda_j^2}\, e_{ij}
                 + \delta\, y_i\, [j \in \mathcal{I}],

    so within-group correlations are :math:`\lambda_j \lambda_k`; the
    ``n_informative`` features :math:`\mathcal{I}` of a block are shifted by
    :math:`\delta` = ``class_sep`` standard deviations in malignant cases. Half
    the features are then log-normal (:math:`\exp(\sigma_j z_{ij})`) and all
    are scaled by :math:`10^{U(-3, 4)}`, as radiomic features span many orders
    of magnitude. These transforms are monotone, so every informative feature
    has ROC AUC :math:`\Phi(\delta / \sqrt{2})` in the population and every
    other one 0.5.

    With ``centres``, each case is imaged at one centre (scanner) whose
    effect on feature :math:`j` is additive and multiplicative, as in the
    ComBat model: :math:`x'_{ij} = m_j + \theta_{cj}(x_{ij} - m_j)
    + \gamma_{cj} s_j`, with the feature's cohort mean :math:`m_j` and SD
    :math:`s_j`, :math:`\gamma_{cj} \sim N(0, \text{centre\_shift}^2)` and
    :math:`\log\theta_{cj} \sim N(0, \text{centre\_scale}^2)`, for every
    feature including the embedding block. The centres are independent of the
    outcome, so the effects are pure nuisance.

    The embedding block (``<embedding_block>__f0000``...) imitates CNN
    average-pool outputs: a ReLU of a random projection of 8 latent factors, the
    first shifted by ``class_sep`` in malignant cases, so values are
    non-negative, partly zero, and the signal is spread over all dimensions.

    Parameters
    ----------
    n_cases : int, default=200
        Number of cases.
    blocks : dict of str to int, default=None
        Radiomic block name to number of features (at most
        ``len(RADIOMIC_FEATURE_NAMES)`` = 1581). None means
        ``{"US": 100, "MG": 100, "MRI": 100}``.
    n_embedding : int, default=64
        Dimensions of the embedding block; 0 leaves it out.
    embedding_block : str, default="cnn"
        Name of the embedding block.
    n_informative : int, default=5
        Informative features per radiomic block.
    class_sep : float or dict of str to float, default=0.8
        Class shift :math:`\delta` (in standard deviations) for all blocks, or
        per block name (radiomic blocks and the embedding block).
    weights : sequence of two floats, default=None
        Proportions of benign (0) and malignant (1) cases; None means equal.
    centres : int or dict of str to float, default=None
        None: a single centre without effects (the table is then identical
        to earlier radfuse versions). An int ``k``: centres ``"C1"`` ...
        ``"Ck"`` with equal shares; a dict: centre name to share of the
        cases (shares summing to 1).
    centre_shift : float, default=0.5
        SD of the additive centre effects, in units of each feature's SD.
    centre_scale : float, default=0.3
        SD of the log multiplicative centre effects.
    random_state : int, RandomState instance or None, default=0
        Seed; the same seed gives the same table.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (DataFrame indexed ``case_0001``...), ``target`` (Series
        ``"malignant"``, 1 = malignant), ``frame``, ``feature_names``,
        ``target_names`` (``["benign", "malignant"]``), ``blocks`` (block ->
        its columns), ``informative`` (radiomic block -> its informative
        columns), ``population_auc`` (radiomic block -> AUC
        :math:`\Phi(\delta / \sqrt{2})` of each informative feature) and
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True.

    Examples
    --------
    >>> cohort = make_multimodal_table(n_cases=50, blocks={"US": 20, "MRI": 30},
    ...                                n_embedding=8, weights=(0.4, 0.6))
    >>> cohort.data.shape
    (50, 58)
    >>> list(cohort.blocks)
    ['US', 'MRI', 'cnn']
    >>> int(cohort.target.sum())
    30
    >>> cohort.data.columns[0]
    'US__original_firstorder_10Percentile'
    >>> multicentre = make_multimodal_table(n_cases=60, blocks={"US": 20}, n_embedding=0,
    ...                                     centres={"A": 0.5, "B": 0.3, "C": 0.2})
    >>> multicentre.centre.value_counts().sort_index().tolist()
    [30, 18, 12]
    """
    if blocks is None:
        blocks = {"US": 100, "MG": 100, "MRI": 100}
    if not isinstance(n_cases, Integral) or n_cases < 4:
        raise ValueError(f"{_STEP}: n_cases must be an integer >= 4; got {n_cases!r}.")
    if not isinstance(blocks, Mapping) or not blocks:
        raise ValueError(f"{_STEP}: blocks must be a non-empty dict {{block name: n_features}}.")
    if not isinstance(n_embedding, Integral) or n_embedding < 0:
        raise ValueError(f"{_STEP}: n_embedding must be an integer >= 0; got {n_embedding!r}.")
    for name, n_features in blocks.items():
        check_block_name(name, step=_STEP)
        valid = isinstance(n_features, Integral) and 1 <= n_features <= len(RADIOMIC_FEATURE_NAMES)
        if not valid:
            raise ValueError(
                f"{_STEP}: block {name!r} asks for {n_features!r} features; give an integer "
                f"between 1 and {len(RADIOMIC_FEATURE_NAMES)}."
            )
        if not 0 <= n_informative <= n_features:
            raise ValueError(
                f"{_STEP}: n_informative={n_informative} exceeds the {n_features} features "
                f"of block {name!r}."
            )
    block_names = list(blocks) + ([embedding_block] if n_embedding else [])
    if n_embedding:
        check_block_name(embedding_block, step=_STEP)
        if embedding_block in blocks:
            raise ValueError(
                f"{_STEP}: embedding_block {embedding_block!r} is also a radiomic block."
            )
    separations = _class_separations(class_sep, block_names)

    rng = check_random_state(random_state)
    y = _outcome(n_cases, weights, rng)
    parts, columns, informative = [], {}, {}
    for name, n_features in blocks.items():
        values, informative_positions = _radiomic_block(
            y, n_features, n_informative, separations[name], rng
        )
        columns[name] = [f"{name}{SEPARATOR}{f}" for f in RADIOMIC_FEATURE_NAMES[:n_features]]
        informative[name] = [columns[name][j] for j in informative_positions]
        parts.append(values)
    if n_embedding:
        parts.append(_embedding_block(y, n_embedding, separations[embedding_block], rng))
        width = max(4, len(str(n_embedding - 1)))
        columns[embedding_block] = [
            f"{embedding_block}{SEPARATOR}f{j:0{width}d}" for j in range(n_embedding)
        ]

    index = pd.Index([f"case_{i:04d}" for i in range(1, n_cases + 1)], name="case_id")
    feature_names = [column for block_columns in columns.values() for column in block_columns]
    values = np.hstack(parts)
    centre = None
    if centres is not None:
        # drawn after everything else, so the other values stay those of a one-centre table
        labels, values = _centre_effects(values, centre_shares(centres, _STEP), centre_shift,
                                         centre_scale, rng)
        centre = pd.Series(labels, index=index, name="centre")
    data = pd.DataFrame(values, index=index, columns=feature_names)
    target = pd.Series(y, index=index, name="malignant")
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=pd.concat([data, target], axis=1),
        feature_names=np.asarray(feature_names, dtype=object),
        target_names=np.array(["benign", "malignant"]),
        blocks=columns,
        informative=informative,
        population_auc={name: float(norm.cdf(separations[name] / np.sqrt(2))) for name in blocks},
        centre=centre,
        DESCR=(
            f"Synthetic multimodal radiomics cohort (radfuse.datasets.make_multimodal_table): "
            f"{n_cases} cases, {int(y.sum())} malignant; blocks "
            f"{ {name: len(block_columns) for name, block_columns in columns.items()} }; "
            f"class_sep {separations}."
        ),
    )
