"""Small frozen result objects returned by every ``radfuse.stats`` function."""

from __future__ import annotations

import dataclasses
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


@dataclasses.dataclass(frozen=True, repr=False)
class StatResult:
    """Base of all result objects: a readable repr and a one-row ``to_frame``.

    Subclasses are frozen dataclasses. Scalar fields become columns of
    ``to_frame()``; a two-element tuple field ``ci`` becomes ``ci_lower`` and
    ``ci_upper``; tables and arrays are left to their own attributes.
    """

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
        return pd.DataFrame([self.to_dict()], index=[type(self).__name__])

    def __repr__(self) -> str:
        parts = [
            f"{field.name}={_format(getattr(self, field.name))}"
            for field in dataclasses.fields(self)
            if field.repr
        ]
        return f"{type(self).__name__}({', '.join(parts)})"
