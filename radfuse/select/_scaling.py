"""Exact rescaling of columns whose magnitude would overflow the statistics."""

from __future__ import annotations

import numpy as np

# Fourth powers (Welch's degrees of freedom) of values within 2**±128 neither
# overflow nor underflow.
_SAFE_EXPONENT = 128


def scaled_to_safe_magnitude(block: np.ndarray) -> np.ndarray:
    """Columns of extreme magnitude multiplied by a power of two that brings them near 1.

    Correlations and two-group tests are invariant to a positive rescaling
    of a feature, and a power-of-two factor is exact in floating point: the
    results are those of the raw data, but squares and variances of
    features near 1e154 no longer overflow, nor do those near 1e-300
    underflow. Columns whose largest |value| lies within 2**±128 are
    returned as they are (the same array when none needs scaling).

    Examples
    --------
    >>> import numpy as np
    >>> from radfuse.select._scaling import scaled_to_safe_magnitude
    >>> scaled_to_safe_magnitude(np.array([[1e200, 3.0], [-2e200, 4.0]])).round(3)
    array([[ 0.327,  3.   ],
           [-0.653,  4.   ]])
    """
    _, exponent = np.frexp(np.maximum(block.max(axis=0), -block.min(axis=0)))
    extreme = np.abs(exponent) > _SAFE_EXPONENT
    if not extreme.any():
        return block
    # The factor itself must stay a finite float (subnormal columns get 2**1020).
    # A float64 array, not the scalar 1.0: numpy 1.x's value-based casting
    # would compute ldexp(1.0, ...) in half precision.
    powers = np.ldexp(np.ones(exponent.shape), -np.clip(exponent, -1020, 1020))
    factor = np.where(extreme, powers, 1.0)
    return block * factor
