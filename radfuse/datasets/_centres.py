"""Centres (scanners) of the synthetic cohorts: who is imaged where, and checks."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np


def centre_shares(centres, step: str) -> dict[str, float]:
    """``centres`` (an int or a dict name -> share) as a dict of shares summing to 1."""
    if isinstance(centres, Integral) and not isinstance(centres, bool):
        if centres < 1:
            raise ValueError(f"{step}: centres must be at least 1; got {centres!r}.")
        return {f"C{k + 1}": 1 / centres for k in range(centres)}
    if not isinstance(centres, Mapping) or not centres:
        raise ValueError(
            f"{step}: centres must be an int or a dict {{centre name: share of cases}}; "
            f"got {centres!r}."
        )
    shares = np.asarray(list(centres.values()), dtype=float)
    if (shares <= 0).any() or not np.isclose(shares.sum(), 1):
        raise ValueError(
            f"{step}: centre shares must be positive and sum to 1; got {dict(centres)!r}."
        )
    return {str(name): float(share) for name, share in centres.items()}


def check_effect_sizes(step: str, **sizes) -> None:
    """Centre-effect SDs must be numbers >= 0."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, Real) or value < 0:
            raise ValueError(f"{step}: {name} must be a number >= 0; got {value!r}.")


def assign_centres(shares: dict[str, float], n_cases: int, rng) -> np.ndarray:
    """Centre codes in random order, ``floor(share * n)`` each, the remainder to the first."""
    counts = np.floor(np.asarray(list(shares.values())) * n_cases).astype(int)
    counts[: n_cases - counts.sum()] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))
