"""The Wisconsin Diagnostic Breast Cancer data as three feature blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.utils import Bunch

from ..blocks import SEPARATOR

WDBC_BLOCKS = ("mean", "se", "worst")

_RECODING_NOTE = """
radfuse recoding
----------------
Columns are renamed ``<block>__<feature>`` with three blocks: ``mean``
("mean radius" -> ``mean__radius``), ``se`` (standard error, "radius error" ->
``se__radius``) and ``worst`` ("worst radius" -> ``worst__radius``); spaces
become underscores (``mean__concave_points``). The target is recoded so that
**1 = malignant** (212 cases) and 0 = benign (357), the radiomics convention
of a positive malignant class; scikit-learn's ``load_breast_cancer`` uses
0 = malignant. Cases are indexed ``case_0001`` ... ``case_0569`` in
scikit-learn's row order.
"""


def _block_name(sklearn_name: str) -> str:
    """``"mean radius"`` -> ``"mean__radius"``, ``"radius error"`` -> ``"se__radius"``."""
    if sklearn_name.endswith(" error"):
        block, feature = "se", sklearn_name[: -len(" error")]
    else:
        block, _, feature = sklearn_name.partition(" ")
    return f"{block}{SEPARATOR}{feature.replace(' ', '_')}"


def load_wdbc_blocks(*, return_X_y: bool = False, as_frame: bool = True):
    """Load the Wisconsin breast cancer data as blocks ``mean``, ``se``, ``worst``.

    The 30 nuclear features of fine-needle aspirates (Street et al., 1993) are
    ten measurements (radius, texture, ..., fractal dimension) summarised over
    the nuclei of an image as their mean, standard error and worst (mean of the
    three largest) value -- three natural blocks for fusion experiments.

    ======================  ==========================
    Cases                   569 (212 malignant, 357 benign)
    Features                30 = 3 blocks x 10, real, positive
    Target                  1 = malignant, 0 = benign
    ======================  ==========================

    Note that the target is the reverse of scikit-learn's
    ``load_breast_cancer`` (where 0 = malignant), so that the positive class
    is malignant as in radiomics studies.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        ``data`` as a DataFrame indexed by case id (``case_0001``...) and
        ``target`` as a Series named ``"malignant"``; NumPy arrays otherwise.

    Returns
    -------
    data : Bunch
        ``data``, ``target``, ``frame`` (data and target; None when
        ``as_frame=False``), ``feature_names``, ``target_names``
        (``["benign", "malignant"]``, indexed by target code), ``blocks``
        (block name -> its column names) and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True.

    References
    ----------
    .. [1] Street WN, Wolberg WH, Mangasarian OL. Nuclear feature extraction for
       breast tumor diagnosis. Proc SPIE 1905, Biomedical Image Processing and
       Biomedical Visualization. 1993:861-870. doi:10.1117/12.148698

    Examples
    --------
    >>> data = load_wdbc_blocks()
    >>> data.data.shape
    (569, 30)
    >>> data.blocks["se"][:2]
    ['se__radius', 'se__texture']
    >>> data.target.value_counts().sort_index().tolist()
    [357, 212]
    >>> data.target_names.tolist()
    ['benign', 'malignant']
    """
    source = load_breast_cancer()
    feature_names = [_block_name(str(name)) for name in source.feature_names]
    target = (source.target == 0).astype(np.int64)
    blocks = {
        block: [name for name in feature_names if name.startswith(block + SEPARATOR)]
        for block in WDBC_BLOCKS
    }
    data, frame = source.data, None
    if as_frame:
        index = pd.Index([f"case_{i:04d}" for i in range(1, len(target) + 1)], name="case_id")
        data = pd.DataFrame(source.data, index=index, columns=feature_names)
        target = pd.Series(target, index=index, name="malignant")
        frame = pd.concat([data, target], axis=1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=np.asarray(feature_names, dtype=object),
        target_names=np.array(["benign", "malignant"]),
        blocks=blocks,
        DESCR=source.DESCR + _RECODING_NOTE,
    )
