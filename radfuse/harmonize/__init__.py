"""Harmonisation of multi-centre radiomic features.

``ComBat``                empirical-Bayes removal of additive and multiplicative
                          site effects (Johnson et al. 2007), fitted inside the
                          training folds
``centre_effects``        Kruskal-Wallis test of each feature across centres
``centre_effect_summary`` how many features carry a centre effect, before/after

The figure ``plot_centre_pca`` lives in ``radfuse.harmonize.plots`` so that
importing ComBat does not import matplotlib.
"""

from ._combat import ComBat
from ._diagnostics import centre_effect_summary, centre_effects

__all__ = ["ComBat", "centre_effect_summary", "centre_effects"]
