"""Small frozen result objects returned by every ``radfuse.stats`` function."""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np
import pandas as pd


def _format(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):.4g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_format(item) for item in value) + ")"
    if isinstance(value, (pd.DataFrame, np.ndarray)):
        return f"<{type(value).__name__} shape={value.shape}>"
    return repr(value)


@dataclasses.dataclass(frozen=True, repr=False, kw_only=True)
class StatResult:
    """Base of all result objects: the core fields, a readable repr and a one-row ``to_frame``.

    Every result has the same core, so results of different functions stack
    into one table (``pd.concat([r.to_frame() for r in results])``):

    Attributes
    ----------
    estimate : float
        The quantity the function estimates (an AUC, a difference of AUCs, an
        NRI, ...); each result class says which. NaN for results that
        estimate no single quantity (a calibration table, a validation table).
    ci_lower, ci_upper : float
        The ``1 - alpha`` confidence interval of ``estimate``; NaN where the
        function computes none.
    statistic : float
        The test statistic (z, t, chi-square, ...); NaN where no test is done.
    pvalue : float
        The test's p-value; NaN where no test is done.
    alpha : float or None
        1 - confidence level of the interval; None for functions without an
        interval.
    method : str
        The method that produced ``estimate``, interval and test.

    Subclasses are frozen dataclasses whose own fields follow the core.
    Scalar fields become columns of ``to_frame()``; a two-element tuple field
    ``x_ci`` becomes ``x_ci_lower`` and ``x_ci_upper``; tables and arrays are
    left to their own attributes.
    """

    estimate: float = math.nan
    ci_lower: float = math.nan
    ci_upper: float = math.nan
    statistic: float = math.nan
    pvalue: float = math.nan
    alpha: float | None = None
    method: str = ""

    @property
    def ci(self) -> tuple[float, float]:
        """``(ci_lower, ci_upper)``."""
        return (self.ci_lower, self.ci_upper)

    def to_dict(self) -> dict:
        flat = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple) and len(value) == 2:
                flat[f"{field.name}_lower"], flat[f"{field.name}_upper"] = value
            elif isinstance(value, (numbers.Number, str, np.bool_)) or value is None:
                flat[field.name] = value
        return flat

    def to_frame(self) -> pd.DataFrame:
        """One row, indexed by the class name: the core fields first, then the others."""
        return pd.DataFrame([self.to_dict()], index=[type(self).__name__])

    def __repr__(self) -> str:
        parts = [
            f"{field.name}={_format(getattr(self, field.name))}"
            for field in dataclasses.fields(self)
            if field.repr
        ]
        return f"{type(self).__name__}({', '.join(parts)})"
