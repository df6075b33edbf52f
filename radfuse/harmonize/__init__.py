"""Harmonisation of multi-centre radiomic features.

=========================  =====================================================
``ComBat``                 empirical-Bayes removal of additive and multiplicative
                           site effects (Johnson et al. 2007), fitted inside the
                           training folds
``centre_effects``         Kruskal-Wallis test of each feature across centres
``centre_effect_summary``  how many features carry a centre effect, before/after
``plot_centre_pca``        first two principal components coloured by centre
=========================  =====================================================

``plot_centre_pca`` is imported on first use, so that importing ComBat does
not import matplotlib.
"""

from ._combat import ComBat
from ._diagnostics import centre_effect_summary, centre_effects

__all__ = ["ComBat", "centre_effect_summary", "centre_effects", "plot_centre_pca"]


def __getattr__(name):
    # PEP 562: the figure module (and matplotlib) is loaded on first access.
    if name == "plot_centre_pca":
        from ._plots import plot_centre_pca

        return plot_centre_pca
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
