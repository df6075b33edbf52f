"""The base of estimators holding one estimator per block, and block column positions.

:class:`BlockComposition` and :func:`block_indices` are shared by
:class:`~radfuse.blocks.BlockTransformer` and the fusion estimators of
:mod:`radfuse.fusion`; they are not part of the public API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import preview
from ._naming import SEPARATOR, block_members, check_block_name


class BlockComposition(BaseEstimator):
    """Parameter handling for estimators holding a ``{block: estimator}`` dict.

    scikit-learn's ``_BaseComposition`` does this for lists of ``(name,
    estimator)`` pairs; here the dict is stored untouched by ``__init__`` (so
    ``clone`` works) and exposed to ``get_params``/``set_params`` as
    ``<attr>__<block>`` and ``<attr>__<block>__<parameter>``, which is what
    ``GridSearchCV`` needs for names like ``blocks__US__clf__C``.
    """

    _estimators_attr: str

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        estimators = getattr(self, self._estimators_attr)
        if not deep or not isinstance(estimators, Mapping):
            return params
        for name, estimator in estimators.items():
            key = f"{self._estimators_attr}{SEPARATOR}{name}"
            params[key] = estimator
            if hasattr(estimator, "get_params") and not isinstance(estimator, type):
                for param, value in estimator.get_params(deep=True).items():
                    params[f"{key}{SEPARATOR}{param}"] = value
        return params

    def set_params(self, **params):
        attr = self._estimators_attr
        if attr in params:
            setattr(self, attr, params.pop(attr))
        prefix = attr + SEPARATOR
        nested = {
            key[len(prefix) :]: params.pop(key) for key in list(params) if key.startswith(prefix)
        }
        if nested:
            estimators = dict(getattr(self, attr))
            per_estimator = defaultdict(dict)
            for key, value in nested.items():
                name, _, param = key.partition(SEPARATOR)
                if name not in estimators:
                    raise ValueError(
                        f"{type(self).__name__}.set_params: no block named {name!r} in "
                        f"{attr}; blocks: {preview(list(estimators))}."
                    )
                if param:
                    per_estimator[name][param] = value
                else:
                    estimators[name] = value
            for name, block_params in per_estimator.items():
                estimators[name].set_params(**block_params)
            setattr(self, attr, estimators)
        return super().set_params(**params)

    def _check_estimator_mapping(self, keywords: tuple[str, ...] = ()) -> dict:
        """Validate the dict; ``keywords`` are strings accepted instead of an estimator."""
        step = type(self).__name__
        estimators = getattr(self, self._estimators_attr)
        if not isinstance(estimators, Mapping) or not estimators:
            raise TypeError(
                f"{step}: {self._estimators_attr} must be a non-empty dict "
                f"{{block name: estimator}}; got {estimators!r}."
            )
        for name, estimator in estimators.items():
            check_block_name(name, step=step)
            if isinstance(estimator, type):
                raise TypeError(
                    f"{step}: block {name!r} needs an estimator instance "
                    f"({estimator.__name__}()), not the class."
                )
            if isinstance(estimator, str) and estimator in keywords:
                continue
            if not hasattr(estimator, "fit"):
                accepted = " or ".join(["an estimator", *map(repr, keywords)])
                raise TypeError(
                    f"{step}: block {name!r} maps to {estimator!r}; expected {accepted}."
                )
        return dict(estimators)


def block_indices(columns: Sequence[str], blocks: Iterable[str], overrides=None, *, step: str):
    """Integer positions of each block's columns.

    ``overrides`` maps a block to explicit column names or integer positions
    and replaces the ``<block>__`` prefix rule for that block.
    """
    columns = list(columns)
    position = {name: i for i, name in enumerate(columns)}
    indices = {}
    for block in blocks:
        if overrides is None:
            indices[block] = np.array([position[c] for c in block_members(columns, block, step=step)])
            continue
        spec = list(overrides[block])
        if not spec:
            raise ValueError(f"{step}: block_columns[{block!r}] is empty.")
        if all(isinstance(item, (int, np.integer)) and not isinstance(item, bool) for item in spec):
            out_of_range = [item for item in spec if not -len(columns) <= item < len(columns)]
            if out_of_range:
                raise ValueError(
                    f"{step}: block_columns[{block!r}] refers to column position(s) "
                    f"{preview(out_of_range)}, but X has {len(columns)} feature(s)."
                )
            indices[block] = np.asarray(spec, dtype=np.intp) % len(columns)
        elif all(isinstance(item, str) for item in spec):
            unknown = [item for item in spec if item not in position]
            if unknown:
                raise ValueError(
                    f"{step}: block_columns[{block!r}] names column(s) {preview(unknown)} "
                    "that are not in X."
                )
            indices[block] = np.array([position[item] for item in spec])
        else:
            raise TypeError(
                f"{step}: block_columns[{block!r}] must list column names or integer "
                "positions, not a mix."
            )
    return indices
