"""Harmonisation of multi-centre radiomic features.

``ComBat``  empirical-Bayes removal of additive and multiplicative site
            effects (Johnson et al. 2007), fitted inside the training folds.
"""

from ._combat import ComBat

__all__ = ["ComBat"]
