"""The study file's schema: each section's keys, types and ranges, checked with key paths."""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Mapping
from pathlib import Path

import yaml
from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

from .._files import TABLE_SUFFIXES
from ..pipeline import PROTOCOL_STEPS

class StudyConfigError(ValueError):
    """A study file that cannot be run; the message names the file and key path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from radfuse.config import load_study_config
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"case_id": ["a", "b", "c", "d"], "y": [0, 1, 0, 1],
    ...               "US__glcm_Contrast": [1.0, 2.0, 3.0, 4.0]}).to_csv(folder / "features.csv", index=False)
    >>> _ = (folder / "study.yaml").write_text(
    ...     "data: {features: features.csv, label_column: y}\\nfeature_sets: {all: [US]}\\n"
    ...     "pipeline: {spearman: {threshhold: 0.9}}\\n")
    >>> from radfuse.config import StudyConfigError
    >>> try:
    ...     load_study_config(folder / "study.yaml")
    ... except StudyConfigError as error:
    ...     print(error)
    study.yaml: pipeline.spearman.threshhold: unknown key; did you mean 'threshold'?

    References
    ----------
    .. [1] Sandve, G. K., Nekrutenko, A., Taylor, J., & Hovig, E. (2013). Ten simple
        rules for reproducible computational research. PLoS Computational
        Biology, 9(10), e1003285.
    """


def _type_name(value) -> str:
    return type(value).__name__


class Checker:
    """Walks the parsed YAML, resolving paths and raising errors with key paths."""

    def __init__(self, path: Path):
        self.path = path
        self.folder = path.parent

    def fail(self, key: str, problem: str):
        where = f"{key}: " if key else ""
        raise StudyConfigError(f"{self.path.name}: {where}{problem}")

    def mapping(self, value, key: str, allowed=None, required=()) -> dict:
        """A mapping whose keys are among ``allowed`` (any keys when None)."""
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a mapping of keys to values, got {value!r} ({_type_name(value)})")
        for name in value:
            if allowed is not None and name not in allowed:
                close = difflib.get_close_matches(str(name), list(allowed), n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
                self.fail(self.join(key, name), f"unknown key; {hint}")
        for name in required:
            if name not in value:
                self.fail(self.join(key, name), "missing required key")
        return dict(value)

    @staticmethod
    def join(key: str, name) -> str:
        return f"{key}.{name}" if key else str(name)

    def integer(self, value, key: str, minimum=None) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            self.fail(key, f"expected an integer, got {value!r} ({_type_name(value)})")
        if minimum is not None and value < minimum:
            self.fail(key, f"must be at least {minimum}, got {value}")
        return int(value)

    def number(self, value, key: str, low=None, high=None) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            self.fail(key, f"expected a number, got {value!r} ({_type_name(value)})")
        if (low is not None and value <= low) or (high is not None and value >= high):
            self.fail(key, f"must lie strictly between {low} and {high}, got {value}")
        return float(value)

    def string(self, value, key: str, choices=None) -> str:
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {value!r} ({_type_name(value)})")
        if choices is not None and value not in choices:
            close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"choose one of {', '.join(choices)}"
            self.fail(key, f"unknown value {value!r}; {hint}")
        return value

    def string_list(self, value, key: str, choices=None) -> list[str]:
        if isinstance(value, str) or not isinstance(value, list) or not value:
            self.fail(key, f"expected a non-empty list of strings, got {value!r} ({_type_name(value)})")
        return [self.string(item, f"{key}[{index}]", choices) for index, item in enumerate(value)]

    def existing_file(self, value, key: str, suffixes=None) -> Path:
        self.string(value, key)
        path = Path(value) if Path(value).is_absolute() else self.folder / value
        if not path.is_file():
            self.fail(key, f"file {value!r} does not exist (looked for {path.resolve()})")
        if suffixes and path.suffix.lower() not in suffixes:
            self.fail(key, f"file {value!r} must end in {' or '.join(suffixes)}")
        return path.resolve()

    def folder_path(self, value, key: str) -> Path:
        self.string(value, key)
        path = Path(value)
        return (path if path.is_absolute() else self.folder / path).resolve()


# ---------------------------------------------------------------- sections
_DATA_KEYS = (
    "features", "manifest", "params", "preprocessing", "cache_dir", "labels",
    "id_column", "label_column", "pos_label", "reliability", "clinical", "groups", "group_column",
)


def _check_data(checker: Checker, data) -> dict:
    data = checker.mapping(data, "data", _DATA_KEYS, required=("label_column",))
    sources = [name for name in ("features", "manifest") if name in data]
    if len(sources) != 1:
        checker.fail("data", "give exactly one of 'features' (a feature table) or 'manifest' (images to extract)")
    checked = {
        "id_column": checker.string(data.get("id_column", "case_id"), "data.id_column"),
        "label_column": checker.string(data["label_column"], "data.label_column"),
        "pos_label": data.get("pos_label"),
    }
    if "features" in data:
        checked["features"] = checker.existing_file(data["features"], "data.features", TABLE_SUFFIXES)
        for name in ("params", "preprocessing", "cache_dir"):
            if name in data:
                checker.fail(f"data.{name}", "only used with data.manifest (extraction)")
    else:
        checked["manifest"] = checker.existing_file(data["manifest"], "data.manifest", (".csv",))
        params = data.get("params")
        if isinstance(params, str):
            params = checker.existing_file(params, "data.params", (".yaml", ".yml", ".json"))
        elif params is not None and not isinstance(params, Mapping):
            checker.fail("data.params", f"expected a parameter file or mapping, got {_type_name(params)}")
        checked["params"] = params
        checked["preprocessing"] = _check_preprocessing(checker, data.get("preprocessing"))
        if "cache_dir" in data:
            checked["cache_dir"] = checker.folder_path(data["cache_dir"], "data.cache_dir")
    if "labels" in data:
        checked["labels"] = checker.existing_file(data["labels"], "data.labels", TABLE_SUFFIXES)
    elif "manifest" in data:
        checker.fail("data.labels", "missing required key: a manifest needs a labels table")
    if "clinical" in data:
        checked["clinical"] = checker.existing_file(data["clinical"], "data.clinical", TABLE_SUFFIXES)
    if "groups" in data:
        checked["groups"] = checker.existing_file(data["groups"], "data.groups", TABLE_SUFFIXES)
        if "group_column" not in data:
            checker.fail(
                "data.group_column",
                "missing required key: name the column of data.groups that holds each case's patient or centre",
            )
    if "group_column" in data:
        checked["group_column"] = checker.string(data["group_column"], "data.group_column")
    if "reliability" in data:
        tables = data["reliability"]
        if not isinstance(tables, list) or len(tables) < 2:
            checker.fail("data.reliability", "expected a list of at least two feature tables (one per reader)")
        checked["reliability"] = [
            checker.existing_file(table, f"data.reliability[{index}]", TABLE_SUFFIXES)
            for index, table in enumerate(tables)
        ]
    return checked


def _check_preprocessing(checker: Checker, spec):
    """``{block: [{step: MapMaskToImage, ...}, ...]}`` -> validated plain dicts."""
    if spec is None:
        return None
    from ..extract import PREPROCESSING_STEPS

    names = list(PREPROCESSING_STEPS)
    spec = checker.mapping(spec, "data.preprocessing")
    checked = {}
    for block, steps in spec.items():
        key = f"data.preprocessing.{block}"
        if not isinstance(steps, list):
            checker.fail(key, f"expected a list of steps, got {_type_name(steps)}")
        checked[block] = []
        for index, step in enumerate(steps):
            step_key = f"{key}[{index}]"
            if not isinstance(step, Mapping) or "step" not in step:
                checker.fail(step_key, "expected a mapping with a 'step' key, e.g. {step: MapMaskToImage}")
            checker.string(step["step"], f"{step_key}.step", names)
            checked[block].append(dict(step))
    return checked


def _check_step_params(checker: Checker, name: str, spec) -> dict | bool:
    """A step's parameters, checked against its class's ``_parameter_constraints``.

    The parameters radfuse sets itself (seed, jobs, the readers' tables) may
    not be given; the LASSO's ``cv`` is given as ``{n_splits, n_repeats}``.
    """
    key = f"pipeline.{name}"
    if isinstance(spec, bool):
        return spec
    step = PROTOCOL_STEPS[name]
    managed = step.managed_params()
    allowed = [param for param in step.estimator._get_param_names() if param not in managed]
    if step.repeated_cv is not None:
        allowed.append("cv")
    spec = checker.mapping(spec, key, allowed)
    constraints = getattr(step.estimator, "_parameter_constraints", {})
    checked = {}
    for param, value in spec.items():
        param_key = f"{key}.{param}"
        if param == "cv" and step.repeated_cv is not None:
            checked[param] = _check_cv(checker, value, param_key)
            continue
        if param in constraints:
            if isinstance(value, bool) and not any(
                constraint in ("boolean", bool, "no_validation") for constraint in constraints[param]
            ):
                # scikit-learn's Interval admits True/False as 1/0; in a study file they are a mistake.
                checker.fail(
                    param_key, f"got {value!r} (bool); {step.estimator.__name__} takes no true/false for {param!r}"
                )
            try:
                validate_parameter_constraints(
                    {param: constraints[param]}, {param: value}, caller_name=step.estimator.__name__
                )
            except InvalidParameterError as error:
                checker.fail(param_key, str(error))
        checked[param] = value
    return checked


def _check_pipeline(checker: Checker, pipeline, data: dict) -> dict:
    if pipeline is None:
        return {}
    pipeline = checker.mapping(pipeline, "pipeline", list(PROTOCOL_STEPS))
    checked = {name: _check_step_params(checker, name, spec) for name, spec in pipeline.items()}
    if isinstance(checked.get("combat"), dict):
        _check_combat_columns(checker, checked["combat"])
    if checked.get("icc") not in (None, False) and "reliability" not in data and "manifest" not in data:
        checker.fail(
            "pipeline.icc",
            "needs repeated delineations: list the readers' tables in data.reliability, or extract "
            "from a manifest with a second reader",
        )
    return checked


def _check_combat_columns(checker: Checker, combat: dict) -> None:
    """ComBat's batch and covariates as column names: a study file adds them to every feature set."""
    if "batch" in combat:
        checker.string(combat["batch"], "pipeline.combat.batch")
    covariates = combat.get("covariates")
    if isinstance(covariates, str):
        combat["covariates"] = [covariates]
    elif covariates:
        combat["covariates"] = checker.string_list(covariates, "pipeline.combat.covariates")


def combat_columns(pipeline: dict) -> list[str]:
    """The columns ComBat reads besides the features (batch, then covariates); [] without ComBat."""
    combat = pipeline.get("combat")
    if combat in (None, False):
        return []
    combat = combat if isinstance(combat, dict) else {}
    return [combat.get("batch", "site"), *(combat.get("covariates") or [])]


def _check_cv(checker: Checker, value, key: str):
    if isinstance(value, Mapping):
        value = checker.mapping(value, key, ("n_splits", "n_repeats"), required=("n_splits",))
        return {
            "n_splits": checker.integer(value["n_splits"], f"{key}.n_splits", minimum=2),
            "n_repeats": checker.integer(value.get("n_repeats", 1), f"{key}.n_repeats", minimum=1),
        }
    return {"n_splits": checker.integer(value, key, minimum=2), "n_repeats": 1}


_SPLIT_FORMS = ("test_size", "test_file")
_INTERNAL_KEYS = ("test_size", "test_ids")
_EXTERNAL_KEYS = ("features", "labels", "clinical")
#: Names a test cohort may not take: the other values of a study's ``predictions["split"]``.
_RESERVED_COHORTS = ("cv", "train")
_COHORT_FORMS = (
    "an internal hold-out {test_size: 0.3} or {test_ids: [case ids]}, or an external cohort "
    "{features: table.csv, labels: labels.csv, clinical: clinical.csv} (labels and clinical optional)"
)


def _check_split(checker: Checker, split) -> dict:
    """``{test_size}``, ``{test_file}`` or named cohorts ``{"cohorts": {name: spec}}``."""
    if split is None:
        return {"test_size": 0.3}
    split = checker.mapping(split, "split")
    if not split:
        checker.fail("split", f"expected test_size, test_file or named test cohorts, each {_COHORT_FORMS}")
    if any(name in _SPLIT_FORMS for name in split):
        if len(split) != 1:
            checker.fail(
                "split",
                "give exactly one of 'test_size' (hold-out fraction) or 'test_file' (external test set), "
                "or name several test cohorts, e.g. {internal: {test_size: 0.3}, centre_B: {features: b.csv}}",
            )
        if "test_size" in split:
            return {"test_size": checker.number(split["test_size"], "split.test_size", 0, 1)}
        return {"test_file": checker.existing_file(split["test_file"], "split.test_file", TABLE_SUFFIXES)}
    cohorts = {name: _check_cohort(checker, name, spec) for name, spec in split.items()}
    internal = [name for name, spec in cohorts.items() if "features" not in spec]
    if len(internal) > 1:
        checker.fail(
            "split",
            f"cohorts {internal} are all internal hold-outs (test_size or test_ids); at most one cohort "
            "can be held out of data.features, the others must be external (features: ...)",
        )
    return {"cohorts": cohorts}


def _check_cohort(checker: Checker, name, spec) -> dict:
    key = f"split.{name}"
    if not isinstance(name, str) or not name or "/" in name or name in _RESERVED_COHORTS:
        checker.fail(
            key, f"test-cohort names are non-empty strings without '/', other than {list(_RESERVED_COHORTS)}"
        )
    if not isinstance(spec, Mapping):
        close = difflib.get_close_matches(name, _SPLIT_FORMS, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        checker.fail(key, f"expected a test cohort: {_COHORT_FORMS}; got {spec!r} ({_type_name(spec)}){hint}")
    spec = checker.mapping(spec, key, (*_INTERNAL_KEYS, *_EXTERNAL_KEYS))
    internal = [form for form in _INTERNAL_KEYS if form in spec]
    if internal:
        if len(spec) != 1:
            checker.fail(key, f"give one of {_COHORT_FORMS}; got keys {list(spec)}")
        if "test_size" in spec:
            return {"test_size": checker.number(spec["test_size"], f"{key}.test_size", 0, 1)}
        ids = spec["test_ids"]
        if isinstance(ids, str) or not isinstance(ids, list) or not ids:
            checker.fail(f"{key}.test_ids", f"expected a non-empty list of case ids, got {ids!r}")
        for index, case in enumerate(ids):
            if isinstance(case, bool) or not isinstance(case, (str, numbers.Integral)):
                checker.fail(f"{key}.test_ids[{index}]", f"expected a case id, got {case!r} ({_type_name(case)})")
        return {"test_ids": [str(case) for case in ids]}
    if "features" not in spec:
        checker.fail(f"{key}.features", f"missing required key; a test cohort is {_COHORT_FORMS}")
    return {
        part: checker.existing_file(spec[part], f"{key}.{part}", TABLE_SUFFIXES)
        for part in _EXTERNAL_KEYS
        if part in spec
    }


def _check_feature_sets(checker: Checker, feature_sets) -> dict:
    if not isinstance(feature_sets, Mapping) or not feature_sets:
        checker.fail("feature_sets", "expected a mapping of set name to a list of blocks or columns")
    checked = {}
    for name, entries in feature_sets.items():
        key = f"feature_sets.{name}"
        if not isinstance(name, str) or "/" in name:
            checker.fail(key, "feature-set names must be strings without '/'")
        checked[name] = [entries] if isinstance(entries, str) else checker.string_list(entries, key)
    return checked


def _check_fusion(checker: Checker, fusion, feature_sets: dict) -> dict | None:
    if fusion is None:
        return None
    from ..study import check_fusion_spec

    try:
        return check_fusion_spec(fusion, feature_sets, where=checker.path.name)
    except (TypeError, ValueError) as error:
        raise StudyConfigError(str(error)) from None


def _check_combat_fusion(checker: Checker, pipeline: dict, fusion, feature_sets: dict) -> None:
    """With ComBat, each fusion block must be a feature set: only those carry the batch column."""
    if not combat_columns(pipeline) or not fusion:
        return
    for name, spec in fusion.items():
        for index, block in enumerate(spec["blocks"]):
            if block not in feature_sets:
                checker.fail(
                    f"fusion.{name}.blocks[{index}]",
                    f"{block!r} is not a feature set; with pipeline.combat every fusion block must name a "
                    f"feature set (feature sets: {', '.join(feature_sets)}), to which the batch column is added",
                )


def _check_clinical_model(checker: Checker, spec, data: dict, model_sets) -> dict | None:
    """``clinical_model: {predictors, feature_set, n_boot}``; the predictors are columns of data.clinical."""
    if spec is None:
        return None
    spec = checker.mapping(
        spec, "clinical_model", ("predictors", "feature_set", "n_boot"), required=("predictors",)
    )
    if "clinical" not in data:
        checker.fail(
            "clinical_model",
            "needs the clinical variables: give data.clinical, a table of case ids and clinical columns",
        )
    checked = {"predictors": checker.string_list(spec["predictors"], "clinical_model.predictors")}
    if "feature_set" in spec:
        checked["feature_set"] = checker.string(spec["feature_set"], "clinical_model.feature_set", model_sets)
    if "n_boot" in spec:
        checked["n_boot"] = checker.integer(spec["n_boot"], "clinical_model.n_boot", minimum=1)
    return checked


def _check_tuning(checker: Checker, tuning, classifiers):
    if tuning is None or isinstance(tuning, bool):
        return tuning or None
    tuning = checker.mapping(tuning, "tuning", ("cv", "scoring", "param_grid"))
    checked = {}
    if "cv" in tuning:
        checked["cv"] = checker.integer(tuning["cv"], "tuning.cv", minimum=2)
    if "scoring" in tuning:
        checked["scoring"] = checker.string(tuning["scoring"], "tuning.scoring")
    if "param_grid" in tuning:
        grids = checker.mapping(tuning["param_grid"], "tuning.param_grid", classifiers)
        checked["param_grid"] = {
            name: checker.mapping(grid, f"tuning.param_grid.{name}") for name, grid in grids.items()
        }
    return checked


def _check_comparisons(checker: Checker, comparisons, model_sets, classifiers) -> list[tuple[str, str]]:
    if comparisons is None:
        return None
    if not isinstance(comparisons, list):
        checker.fail("comparisons", "expected a list of [model_a, model_b] pairs, e.g. [[combined/lr, radiomics/lr]]")
    checked = []
    for index, pair in enumerate(comparisons):
        key = f"comparisons[{index}]"
        if not isinstance(pair, list) or len(pair) != 2:
            checker.fail(key, f"expected a pair [model_a, model_b], got {pair!r}")
        for side, model in enumerate(pair):
            model_key = f"{key}[{side}]"
            checker.string(model, model_key)
            feature_set, _, classifier = model.partition("/")
            checker.string(feature_set, f"{model_key} (feature set)", model_sets)
            checker.string(classifier, f"{model_key} (classifier)", classifiers)
        checked.append((pair[0], pair[1]))
    return checked


_TOP_KEYS = (
    "name", "data", "feature_sets", "pipeline", "classifiers", "fusion", "tuning", "cv",
    "split", "clinical_model", "comparisons", "output", "random_state", "n_jobs",
)


class _DuplicateKeyError(yaml.YAMLError):
    """A YAML mapping gives one key twice (PyYAML would keep the last value silently)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping, naming it and its lines."""

    def construct_mapping(self, node, deep=False):
        first_line = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                earlier = first_line.setdefault(key, line)
            except TypeError:  # an unhashable key: PyYAML's own error names it
                break
            if earlier != line:
                raise _DuplicateKeyError(
                    f"key {key!r} is given twice in one mapping (lines {earlier} and {line}); "
                    "only one value can apply, so remove the other"
                )
        return super().construct_mapping(node, deep=deep)


def safe_load_unique(text: str):
    """``yaml.safe_load`` that raises ``yaml.YAMLError`` for a key given twice, naming key and lines.

    Examples
    --------
    >>> from radfuse.config import safe_load_unique
    >>> safe_load_unique("cv: {n_splits: 5}\\nname: a\\ncv: {n_splits: 10}\\n")
    Traceback (most recent call last):
    ...
    radfuse.config._schema._DuplicateKeyError: key 'cv' is given twice in one mapping (lines 1 and 3); only one value can apply, so remove the other
    """
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


