"""Turn a Study's arguments into checked data: cases, feature sets, split, folds.

Everything here runs before any model is fitted, so a bad table, an unknown
block or an impossible cross-validation fails in seconds with a message that
names the cases, columns or keys involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.utils import check_random_state

from .._validation import check_binary_target, check_feature_table, check_finite_features, preview
from ..blocks import block_columns, list_blocks
from ..blocks._naming import block_of
from ..model_selection import grouped_cv

STEP = "Study"


def resolve_seed(random_state) -> int:
    """The one integer seed of a study: ``random_state`` itself when it is an int.

    Every fold's pipeline, the splitters and SMOTE are seeded with this
    integer, so a fold's result depends only on the seed and its data, never
    on which process runs it or in what order.
    """
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _duplicated(index: pd.Index) -> list:
    return index[index.duplicated()].unique().tolist()


def check_cases(features, labels, *, pos_label=None, name: str = "features"):
    """Align labels to a case-indexed table; return the table and 0/1 labels.

    Duplicated or unmatched case ids are errors listing the cases: matching on
    the index is the only safe join, and dropping cases silently would change
    the cohort.
    """
    if not isinstance(features, pd.DataFrame):
        raise TypeError(
            f"{STEP}: {name} must be a pandas DataFrame indexed by case id; got "
            f"{type(features).__name__}."
        )
    if not isinstance(labels, pd.Series):
        raise TypeError(
            f"{STEP}: the labels of {name} must be a pandas Series indexed by the same "
            f"case ids; got {type(labels).__name__}."
        )
    for table_name, index in ((name, features.index), (f"labels of {name}", labels.index)):
        duplicated = _duplicated(index)
        if duplicated:
            raise ValueError(
                f"{STEP}: {table_name} has duplicated case id(s) {preview(duplicated)}; "
                "every case must appear once."
            )
    only_features = features.index.difference(labels.index, sort=False).tolist()
    only_labels = labels.index.difference(features.index, sort=False).tolist()
    if only_features or only_labels:
        raise ValueError(
            f"{STEP}: the case ids of {name} and its labels differ: "
            f"{len(only_features)} case(s) without a label {preview(only_features)}, "
            f"{len(only_labels)} label(s) without features {preview(only_labels)}."
        )
    y01, pos_label = check_binary_target(
        labels.loc[features.index], step=STEP, pos_label=pos_label, name=f"labels of {name}"
    )
    return pd.Series(y01, index=features.index, name="y"), pos_label


def resolve_entries(features: pd.DataFrame, entries, owner: str) -> list[str]:
    """Columns of a list of block names and column names, order kept, no repeats."""
    columns = [str(column) for column in features.columns]
    blocks = list_blocks(columns)
    selected = []
    for entry in [entries] if isinstance(entries, str) else entries:
        if entry in columns:
            selected.append(entry)
        elif entry in blocks:
            selected += block_columns(columns, entry)
        else:
            naming = "" if blocks else (
                " No column is named '<block>__<feature>' (e.g. 'MRI__original_firstorder_Mean'), so the "
                "table has no blocks: prefix each column with its block and two underscores, or list the "
                "columns themselves."
            )
            raise ValueError(
                f"{STEP}: {owner} names {entry!r}, which is neither a block nor a column of "
                f"the feature table; blocks present: {preview(blocks)}.{naming}"
            )
    if not selected:
        raise ValueError(f"{STEP}: {owner} is empty; list at least one block or column.")
    return list(dict.fromkeys(selected))


def resolve_feature_sets(features: pd.DataFrame, feature_sets) -> dict[str, list[str]]:
    """Map each feature-set name to its columns (blocks expanded, order kept)."""
    if not isinstance(feature_sets, Mapping) or not feature_sets:
        raise TypeError(
            f"{STEP}: feature_sets must be a non-empty dict of name -> list of blocks or "
            f"columns, e.g. {{'radiomics': ['US', 'MG']}}; got {feature_sets!r}."
        )
    resolved = {}
    for name, entries in feature_sets.items():
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"{STEP}: feature-set names must be strings without '/'; got {name!r}.")
        resolved[name] = resolve_entries(features, entries, f"feature set {name!r}")
    return resolved


def check_feature_values(table: pd.DataFrame, columns: Sequence[str], part: str) -> None:
    """Numeric, no inf, and NaN only for whole missing blocks (a modality not acquired).

    A case missing some but not all columns of a block is a broken extraction,
    not a missing modality: it is an error naming the cases and columns.
    """
    table = table.loc[:, list(columns)]
    step = f"{STEP} ({part})"
    check_feature_table(table, step)
    values = table.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        check_finite_features(values, list(table.columns), step, case_ids=table.index)
    missing = pd.DataFrame(np.isnan(values), index=table.index, columns=table.columns)
    blocks = [block_of(column) or column for column in table.columns]
    for block, part_missing in missing.T.groupby(blocks, sort=False):
        counts = part_missing.sum(axis=0)
        partial = counts[(counts > 0) & (counts < len(part_missing))]
        if not partial.empty:
            columns_missing = part_missing.index[part_missing[partial.index[0]].to_numpy()].tolist()
            raise ValueError(
                f"{step}: case(s) {preview(partial.index.tolist())} miss some but not all "
                f"columns of block {block!r} (e.g. {preview(columns_missing)} of case "
                f"{partial.index[0]!r}). A missing modality is a block that is NaN in every "
                "column; impute or drop these columns or cases."
            )


def split_cases(features, y, split, seed, *, pos_label=None, groups=None):
    """Training and test tables from a hold-out fraction, test ids or an external set.

    With ``groups`` (a Series by case id), a fraction is held out by whole
    groups and listed test cases may not split a group.

    Returns
    -------
    X_train, y_train, X_test, y_test, description
    """
    if groups is not None and isinstance(split, Real) and not isinstance(split, bool):
        return _grouped_holdout(features, y, split, seed, groups)
    if isinstance(split, tuple) and len(split) == 2:
        X_test, y_test = external_cohort(features, split, pos_label=pos_label)
        return features, y, X_test, y_test, "external test set"
    if isinstance(split, Real) and not isinstance(split, bool):
        if not 0 < split < 1:
            raise ValueError(f"{STEP}: split as a test fraction must lie in (0, 1); got {split!r}.")
        try:
            # Positions, not the index: sklearn cannot index a pandas 3 string
            # Index with its own position arrays.
            train_positions, test_positions = train_test_split(
                np.arange(len(features)), test_size=split, stratify=y.to_numpy(),
                random_state=seed,
            )
            train_ids, test_ids = features.index[train_positions], features.index[test_positions]
        except ValueError as error:
            raise ValueError(
                f"{STEP}: cannot hold out a stratified test fraction {split:g} of {y.size} cases "
                f"(class counts {y.value_counts().to_dict()}): {error} Use more cases, or list "
                "the test cases in split."
            ) from error
        description = f"stratified random hold-out, test fraction {split:g}"
    elif isinstance(split, (Sequence, pd.Index, np.ndarray)) and not isinstance(split, str):
        test_ids = pd.Index(split)
        unknown = test_ids.difference(features.index, sort=False).tolist()
        if unknown or test_ids.has_duplicates:
            raise ValueError(
                f"{STEP}: split lists test case id(s) absent from the table "
                f"{preview(unknown)} or listed twice {preview(_duplicated(test_ids))}."
            )
        train_ids = features.index.difference(test_ids, sort=False)
        description = "given test cases"
    else:
        raise TypeError(
            f"{STEP}: split must be a test fraction (e.g. 0.3), a list of test case ids or "
            f"an external test set (X_test, y_test); got {type(split).__name__}."
        )
    train_ids = features.index[features.index.isin(train_ids)]
    test_ids = features.index[features.index.isin(test_ids)]
    if groups is not None:
        _check_groups_not_split(groups, train_ids, test_ids)
    for part, ids in (("training", train_ids), ("test", test_ids)):
        if y.loc[ids].nunique() < 2:
            raise ValueError(
                f"{STEP}: the {part} set ({ids.size} cases) holds a single class; it needs "
                "cases of both classes."
            )
    return features.loc[train_ids], y.loc[train_ids], features.loc[test_ids], y.loc[test_ids], description


def external_cohort(features, cohort, *, pos_label=None, name="the external test set"):
    """An external ``(X, y)`` cohort checked against the training table: its columns, in order.

    Its case ids must differ from the training table's; the Study never fits
    anything on these cases.
    """
    X_test, y_test = cohort
    y_test, _ = check_cases(X_test, y_test, pos_label=pos_label, name=name)
    shared = features.index.intersection(X_test.index).tolist()
    if shared:
        raise ValueError(
            f"{STEP}: case id(s) {preview(shared)} appear in both the training table "
            f"and {name}; a case may be in only one of them."
        )
    missing = [c for c in features.columns if c not in X_test.columns]
    if missing:
        raise ValueError(f"{STEP}: {name} lacks column(s) {preview(missing)} of the training table.")
    return X_test.loc[:, features.columns], y_test


#: Names a test cohort may not take: they are the other values of ``StudyResult.predictions["split"]``.
RESERVED_SPLITS = ("cv", "train")


def split_cohorts(features, y, split, seed, *, pos_label=None, groups=None):
    """Training table and the test cohorts, by name, from any form of ``Study(split=...)``.

    A fraction, a list of test case ids or one ``(X_test, y_test)`` gives one
    cohort named ``"test"``. A dict names several: at most one *internal*
    entry (a fraction or a list of case ids, held out of ``features`` as
    :func:`split_cases` does) and any number of external ``(X, y)`` cohorts,
    e.g. ``{"internal": 0.3, "centre_B": (X_b, y_b)}``; without an internal
    entry every case of ``features`` is a training case.

    Returns
    -------
    X_train, y_train, cohorts (dict name -> (X, y), in the given order), description
    """
    if not isinstance(split, Mapping):
        X_train, y_train, X_test, y_test, description = split_cases(
            features, y, split, seed, pos_label=pos_label, groups=groups
        )
        return X_train, y_train, {"test": (X_test, y_test)}, description
    if not split:
        raise ValueError(f"{STEP}: split as a dict needs at least one test cohort; got {{}}.")
    for name in split:
        if not isinstance(name, str) or not name or "/" in name or name in RESERVED_SPLITS:
            raise ValueError(
                f"{STEP}: test-cohort names in split must be non-empty strings without '/', other "
                f"than {list(RESERVED_SPLITS)}; got {name!r}."
            )
    external = {name: value for name, value in split.items() if isinstance(value, tuple)}
    internal = [name for name in split if name not in external]
    if len(internal) > 1:
        raise ValueError(
            f"{STEP}: split names {internal} as internal hold-outs (a fraction or case ids); at most "
            "one cohort can be held out of features, the others must be external (X, y) pairs."
        )
    X_train, y_train, cohorts, parts = features, y, {}, []
    if internal:
        X_train, y_train, X_test, y_test, description = split_cases(
            features, y, split[internal[0]], seed, pos_label=pos_label, groups=groups
        )
    seen = features.index
    for name, value in split.items():
        if name in external:
            if len(value) != 2:
                raise ValueError(f"{STEP}: external cohort {name!r} must be a pair (X, y).")
            label = f"external cohort {name!r}"
            cohorts[name] = external_cohort(features, value, pos_label=pos_label, name=label)
            shared = seen.intersection(cohorts[name][0].index).tolist()
            if shared:
                raise ValueError(
                    f"{STEP}: case id(s) {preview(shared)} of {label} appear in another cohort; a "
                    "case may be in only one of them."
                )
            seen = seen.append(cohorts[name][0].index)
            parts.append(f"{name}: external cohort")
        else:
            cohorts[name] = (X_test, y_test)
            parts.append(f"{name}: {description}")
    return X_train, y_train, cohorts, "; ".join(parts)


def make_outer_cv(cv, seed, *, grouped=False):
    """The protocol's 20 x 5 repeated stratified CV unless a splitter is given.

    ``grouped``: the same, keeping each group (patient, centre) in one fold
    (see :func:`grouped_cv`; a splitter of another kind is used as given and
    :func:`outer_folds` checks that no group straddles a fold).
    """
    if cv is None:
        cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=20, random_state=seed)
    elif isinstance(cv, Integral) and not isinstance(cv, bool):
        cv = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    elif not hasattr(cv, "split"):
        raise TypeError(
            f"{STEP}: cv must be None, an int or a scikit-learn splitter; got {cv!r}."
        )
    if grouped and isinstance(cv, (RepeatedStratifiedKFold, StratifiedKFold)):
        return grouped_cv(cv, "cv")
    return cv


def outer_folds(cv, X_train, y_train, groups=None):
    """Materialise the folds, each with its repeat number, and check both classes.

    A new repeat starts when a validation case comes back, so any splitter
    that partitions the cases repeatedly (``RepeatedStratifiedKFold``,
    ``StratifiedKFold``) gets the right grouping. ``groups`` (a Series by
    case id) go to the splitter, and no group may straddle a fold.
    """
    counts = y_train.value_counts().to_dict()
    group_values = None if groups is None else groups.loc[X_train.index].to_numpy()
    try:
        splits = list(cv.split(X_train, y_train, group_values))
    except ValueError as error:
        raise ValueError(
            f"{STEP}: cannot split the training set (class counts {counts}) with {cv!r}: "
            f"{error} Use fewer folds or more cases."
        ) from error
    y_values = y_train.to_numpy()
    folds, repeat, seen = [], 0, np.zeros(len(y_values), dtype=bool)
    for number, (train, test) in enumerate(splits):
        for part, positions in (("training", train), ("validation", test)):
            if np.unique(y_values[positions]).size < 2:
                raise ValueError(
                    f"{STEP}: fold {number} of {cv!r} has a single class in its {part} part; "
                    f"the training set has class counts {counts}. Use fewer folds or more cases."
                )
        if group_values is not None:
            _check_groups_not_split(groups, X_train.index[train], X_train.index[test],
                                    f"fold {number} of {cv!r}")
        if seen[test].any():
            repeat, seen[:] = repeat + 1, False
        seen[test] = True
        folds.append((repeat, train, test))
    if len(folds) < 2:
        raise ValueError(f"{STEP}: cv yields {len(folds)} fold; at least two are needed.")
    return folds


def class_balance(y_train: pd.Series, cohorts: Mapping) -> pd.DataFrame:
    """Cases and class counts of the training set and of each test cohort (by name)."""
    rows = {}
    for part, y in (("train", y_train), *((name, y) for name, (_, y) in cohorts.items())):
        positives = int(y.sum())
        rows[part] = {
            "n": int(y.size),
            "n_positive": positives,
            "n_negative": int(y.size - positives),
            "prevalence": positives / y.size,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("split")


def check_groups(groups, index: pd.Index):
    """Groups (patient or centre of each case) as a Series aligned to the cases, or None."""
    if groups is None:
        return None
    if isinstance(groups, pd.Series):
        unknown = index.difference(groups.index, sort=False).tolist()
        if unknown:
            raise ValueError(
                f"{STEP}: groups has no entry for case id(s) {preview(unknown)}; give every "
                "case its group (patient or centre)."
            )
        groups = groups.loc[index]
    else:
        values = np.asarray(groups, dtype=object)
        if values.ndim != 1 or values.size != index.size:
            raise ValueError(
                f"{STEP}: groups must be a Series indexed by case id or one label per row of "
                f"features ({index.size}); got shape {values.shape}."
            )
        groups = pd.Series(values, index=index)
    missing = groups.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"{STEP}: groups is missing for case(s) {preview(index[missing].tolist())}."
        )
    return groups.rename("group")


def _check_groups_not_split(groups, train_ids, test_ids, where="the hold-out split") -> None:
    shared = sorted(set(groups.loc[train_ids]) & set(groups.loc[test_ids]), key=str)
    if shared:
        raise ValueError(
            f"{STEP}: group(s) {preview(shared)} have cases on both sides of {where}; "
            "all cases of a patient or centre must stay together."
        )


def _grouped_holdout(features, y, split, seed, groups):
    """Hold out whole groups: the first fold of a stratified group K-fold, K = round(1/split)."""
    if not 0 < split < 1:
        raise ValueError(f"{STEP}: split as a test fraction must lie in (0, 1); got {split!r}.")
    n_splits = max(2, int(round(1 / split)))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    try:
        train, test = next(splitter.split(np.zeros(len(y)), y.to_numpy(), groups.to_numpy()))
    except ValueError as error:
        raise ValueError(
            f"{STEP}: cannot hold out 1/{n_splits} of {groups.nunique()} groups: {error}"
        ) from error
    for part, positions in (("training", train), ("test", test)):
        if np.unique(y.to_numpy()[positions]).size < 2:
            raise ValueError(
                f"{STEP}: the grouped {part} set ({positions.size} cases) holds a single "
                "class; it needs cases of both classes (use more groups or another split)."
            )
    description = (
        f"stratified group hold-out, 1 of {n_splits} group folds "
        f"(test fraction {test.size / len(y):.3f}, {np.unique(groups.to_numpy()[test]).size} groups)"
    )
    return (features.iloc[train], y.iloc[train], features.iloc[test], y.iloc[test], description)
