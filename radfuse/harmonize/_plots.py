"""The centre-effect figure: first two principal components coloured by centre."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from ._diagnostics import _features_and_centres

_STEP = "plot_centre_pca"


def plot_centre_pca(tables, centre, *, random_state=0) -> Figure:
    """Scatter of the first two principal components per table, coloured by centre.

    Centre effects show as clouds of one colour apart from the others; after
    harmonisation the centres overlap. Each table is z-scored and gets its
    own PCA, and each panel's title gives the variance its two components
    explain.

    Parameters
    ----------
    tables : dict of str to DataFrame
        E.g. ``{"before": X, "after ComBat": harmonised}``: one panel each,
        same rows, numeric features only.
    centre : array-like (n_cases,)
        Each case's centre.
    random_state : int, default=0
        Seed of the PCA solver.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per table, one scatter per centre (legend on the first).

    References
    ----------
    Orlhac et al., "A guide to ComBat harmonization of imaging biomarkers in
    multicenter studies", Journal of Nuclear Medicine 63, 172-179 (2022).

    Examples
    --------
    >>> from radfuse.datasets import make_multimodal_table
    >>> from radfuse.harmonize import ComBat, plot_centre_pca
    >>> cohort = make_multimodal_table(n_cases=90, blocks={"US": 30}, n_embedding=0, centres=3)
    >>> after = ComBat(batch="site").fit_transform(cohort.data.assign(site=cohort.centre))
    >>> fig = plot_centre_pca({"before": cohort.data, "after": after}, cohort.centre)
    >>> [ax.get_title().split(" (")[0] for ax in fig.axes]
    ['before', 'after']
    """
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"{_STEP}: tables must be a non-empty dict {{panel title: table}}.")
    figure = Figure(figsize=(4.2 * len(tables), 4.0), layout="constrained")
    axes = figure.subplots(1, len(tables), squeeze=False)[0]
    for ax, (title, table) in zip(axes, tables.items()):
        values, _, codes, n_groups = _features_and_centres(table, centre, _STEP)
        if values.shape[1] < 2:
            raise ValueError(f"{_STEP}: table {title!r} needs at least two features for PCA.")
        pca = PCA(n_components=2, random_state=random_state)
        scores = pca.fit_transform(StandardScaler().fit_transform(values))
        names = pd.factorize(pd.Series(np.asarray(centre, dtype=object)), sort=True)[1]
        for k in range(n_groups):
            rows = codes == k
            ax.scatter(scores[rows, 0], scores[rows, 1], s=14, alpha=0.75, label=str(names[k]))
        explained = pca.explained_variance_ratio_ * 100
        ax.set_title(f"{title} (PC1 {explained[0]:.0f}%, PC2 {explained[1]:.0f}%)")
        ax.set_xlabel("PC1")
        ax.set_ylabel("PC2")
    axes[0].legend(title="centre", fontsize="small")
    return figure
