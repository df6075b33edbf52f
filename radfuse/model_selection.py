"""Cross-validation for grouped cases: several lesions per patient, several centres.

scikit-learn's group splitters need the groups at ``split`` time, but a step
inside a pipeline (the LASSO's inner CV, ``GridSearchCV`` tuning, stacking's
out-of-fold scores) only ever sees a fold's training table. The pieces here
carry the groups to those inner splits by case id:
:class:`CaseGroupSplitter` looks each row's group up by the table's index,
:func:`grouped_cv` turns a stratified splitter into its grouped counterpart,
and :func:`group_inner_cv` does both for every ``cv`` of an estimator.
:class:`RepeatedStratifiedGroupKFold` is the protocol's repeated CV, grouped.
"""

from __future__ import annotations

import copy
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold, StratifiedKFold
from sklearn.utils import check_random_state

from ._validation import preview

__all__ = ["CaseGroupSplitter", "RepeatedStratifiedGroupKFold", "group_inner_cv", "grouped_cv"]


class RepeatedStratifiedGroupKFold:
    """``StratifiedGroupKFold`` repeated with a new shuffle each time.

    scikit-learn has no repeated version of the grouped splitter; this gives
    the protocol's 20 x 5 repeated CV with each group in one fold per repeat.
    """

    def __init__(self, n_splits=5, n_repeats=20, random_state=None):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def split(self, X, y, groups):
        rng = check_random_state(self.random_state)
        for _ in range(self.n_repeats):
            seed = rng.randint(np.iinfo(np.int32).max)
            yield from StratifiedGroupKFold(self.n_splits, shuffle=True, random_state=seed).split(
                X, y, groups
            )

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits * self.n_repeats

    def __repr__(self) -> str:
        return (
            f"RepeatedStratifiedGroupKFold(n_splits={self.n_splits}, n_repeats={self.n_repeats}, "
            f"random_state={self.random_state})"
        )


class CaseGroupSplitter:
    """A grouped splitter that finds each case's group from the table's case ids.

    Inner cross-validations (``GridSearchCV`` tuning, stacking's out-of-fold
    scores) receive only the training part of a fold, without groups; this
    splitter looks the groups up by the DataFrame's index, so inner folds keep
    patients or centres together too.

    Parameters
    ----------
    cv : splitter
        A group splitter (e.g. ``StratifiedGroupKFold``).
    groups : Series
        The group (patient, centre) of each case, indexed by case id.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.model_selection import GroupKFold
    >>> from radfuse.model_selection import CaseGroupSplitter
    >>> patients = pd.Series(["p1", "p1", "p2", "p2"], index=["a", "b", "c", "d"])
    >>> X = pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0]}, index=["d", "a", "b", "c"])
    >>> [X.index[test].tolist() for _, test in CaseGroupSplitter(GroupKFold(2), patients).split(X)]
    [['d', 'c'], ['a', 'b']]
    """

    def __init__(self, cv, groups: pd.Series):
        self.cv = cv
        self.groups = groups

    def _groups_of(self, X):
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                f"CaseGroupSplitter: grouped inner cross-validation needs the case-indexed DataFrame; "
                f"got {type(X).__name__}."
            )
        unknown = X.index.difference(self.groups.index)
        if unknown.size:
            raise ValueError(
                f"CaseGroupSplitter: grouped inner cross-validation: row id(s) {preview(unknown.tolist())} "
                "name no case with a group. Steps before it must keep the case ids (a sampler "
                "must label its synthetic cases, as radfuse.pipeline.CheckedSMOTE does)."
            )
        return self.groups.loc[X.index].to_numpy()

    def _plan(self, X):
        """The splitter and the groups to split ``X`` with.

        When the cases hold fewer groups than ``cv`` has folds (e.g.
        leave-one-centre-out over three centres leaves two centres in each
        training part, too few for a 10-fold CV grouped by centre), there is
        one fold per group; when they all belong to one group, nothing can
        straddle, so each case is its own group. Either way a warning says so.
        """
        groups = self._groups_of(X)
        n_splits = getattr(self.cv, "n_splits", None)
        n_groups = np.unique(groups).size
        if not isinstance(n_splits, Integral) or n_splits <= n_groups:
            return self.cv, groups
        if n_groups == 1:
            warnings.warn(
                f"CaseGroupSplitter: grouped inner cross-validation: all {len(groups)} cases belong "
                f"to one group ({groups[0]!r}); {self.cv!r} splits them case by case.",
                UserWarning,
                stacklevel=3,
            )
            return self.cv, np.arange(len(groups))
        warnings.warn(
            f"CaseGroupSplitter: grouped inner cross-validation: the {len(groups)} cases hold "
            f"{n_groups} groups (patients or centres), fewer than the {n_splits} folds of "
            f"{self.cv!r}; using {n_groups} folds, one group each.",
            UserWarning,
            stacklevel=3,
        )
        capped = copy.copy(self.cv)
        capped.n_splits = n_groups
        return capped, groups

    def split(self, X, y=None, groups=None):
        splitter, groups = self._plan(X)
        yield from splitter.split(X, y, groups)

    def get_n_splits(self, X=None, y=None, groups=None):
        if X is None:
            return self.cv.get_n_splits()
        splitter, groups = self._plan(X)
        return splitter.get_n_splits(X, y, groups)

    def __repr__(self) -> str:
        return f"{self.cv!r} grouped by case"


def _uses_groups(cv) -> bool:
    if isinstance(cv, (RepeatedStratifiedGroupKFold, CaseGroupSplitter)):
        return True
    routing = cv.get_metadata_routing() if hasattr(cv, "get_metadata_routing") else None
    return bool(getattr(getattr(routing, "split", None), "requests", {}).get("groups"))


def grouped_cv(cv, parameter: str):
    """The grouped counterpart of a stratified splitter (or of an int, k folds).

    ``StratifiedKFold`` becomes ``StratifiedGroupKFold`` and
    ``RepeatedStratifiedKFold`` :class:`RepeatedStratifiedGroupKFold`, with
    the same folds, repeats, shuffling and seed; splitters that already
    split by groups are returned as they are. Any other splitter cannot keep
    groups together and is refused, naming ``parameter``.

    Examples
    --------
    >>> from sklearn.model_selection import RepeatedStratifiedKFold
    >>> from radfuse.model_selection import grouped_cv
    >>> grouped_cv(RepeatedStratifiedKFold(n_splits=10, n_repeats=20, random_state=0), "cv")
    RepeatedStratifiedGroupKFold(n_splits=10, n_repeats=20, random_state=0)
    >>> grouped_cv(5, "cv")
    StratifiedGroupKFold(n_splits=5, random_state=None, shuffle=False)

    References
    ----------
    Roberts, D. R. et al. (2017). Cross-validation strategies for data with
    temporal, spatial, hierarchical, or phylogenetic structure. Ecography,
    40(8), 913-929.
    """
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        return StratifiedGroupKFold(n_splits=cv)
    if isinstance(cv, RepeatedStratifiedKFold):
        return RepeatedStratifiedGroupKFold(
            n_splits=cv.cvargs["n_splits"], n_repeats=cv.n_repeats, random_state=cv.random_state
        )
    if isinstance(cv, StratifiedKFold):
        return StratifiedGroupKFold(n_splits=cv.n_splits, shuffle=cv.shuffle, random_state=cv.random_state)
    if _uses_groups(cv):
        return cv
    raise ValueError(
        f"grouped_cv: with groups, {parameter}={cv!r} would split the cases of one patient or centre "
        "across folds; use an int, a (Repeated)StratifiedKFold (made grouped here) or a group "
        "splitter such as StratifiedGroupKFold or LeaveOneGroupOut."
    )


def group_inner_cv(estimator, groups: pd.Series):
    """``estimator`` with every inner cross-validation (``cv`` parameter) grouped by case.

    Inner fits receive only a fold's training table, without groups; each
    ``cv`` (e.g. the LASSO step's) becomes :func:`grouped_cv` of it inside a
    :class:`CaseGroupSplitter`, which finds each row's group from the
    table's case ids. SMOTE's synthetic cases carry their parent case's id
    (:class:`radfuse.pipeline.CheckedSMOTE`), so they stay in its fold.
    :class:`radfuse.study.Study` does this for every pipeline when given ``groups``.

    Examples
    --------
    >>> import pandas as pd
    >>> from radfuse.pipeline import make_radiomics_pipeline
    >>> from radfuse.model_selection import group_inner_cv
    >>> patients = pd.Series(["p1", "p1", "p2"], index=["a", "b", "c"])
    >>> model = group_inner_cv(make_radiomics_pipeline(random_state=0), patients)
    >>> model.named_steps["lasso"].cv
    RepeatedStratifiedGroupKFold(n_splits=10, n_repeats=20, random_state=0) grouped by case

    A sampler that numbers its output rows afresh (imbalanced-learn's own
    samplers) would make the case ids meaningless downstream, and with
    integer case ids silently wrong; it is refused:

    >>> from imblearn.over_sampling import SMOTE
    >>> group_inner_cv(make_radiomics_pipeline(smote=SMOTE(), random_state=0), patients)
    Traceback (most recent call last):
    ...
    ValueError: group_inner_cv: the sampler SMOTE() numbers its output rows afresh, ...
    """
    # Imported here: radfuse.pipeline imports this module (through the methods text).
    from .pipeline import CheckedSMOTE

    params = estimator.get_params(deep=True)
    grouped = {}
    for name, value in params.items():
        if not (name == "cv" or name.endswith("__cv")) or isinstance(value, (str, CaseGroupSplitter)):
            continue
        # cv=None is scikit-learn's default of 5 folds.
        grouped[name] = CaseGroupSplitter(grouped_cv(5 if value is None else value, name), groups)
    relabelling = [
        value for value in params.values() if hasattr(value, "fit_resample") and not isinstance(value, CheckedSMOTE)
    ]
    if grouped and relabelling:
        raise ValueError(
            f"group_inner_cv: the sampler {relabelling[0]!r} numbers its output rows afresh, so the "
            f"grouped inner cross-validation ({', '.join(grouped)}) could not find each row's patient "
            "or centre; use radfuse.pipeline.CheckedSMOTE, which labels each synthetic case with the "
            "id of the case it was made from."
        )
    return estimator.set_params(**grouped)


