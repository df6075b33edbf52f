"""A whole study from one YAML file, validated before anything runs.

A study file names the data (a feature table, or a manifest of images to
extract), the feature sets, the protocol's steps and thresholds, the
classifiers, fusion models, the cross-validation and split, the model
comparisons and where to write the results::

    name: ALNM protocol
    data:
      features: features.csv          # or  manifest: cohort/manifest.csv (+ params:)
      labels: labels.csv              # optional when the label column is in the table
      id_column: case_id
      label_column: malignant
      reliability: [reader1.csv, reader2.csv]   # repeated delineations for the ICC step
    feature_sets:
      radiomics: [MG, MRI]
    pipeline:
      icc: {threshold: 0.9}
      smote: {k_neighbors: 5}
      zscore: true
      univariate: {alpha: 0.05}
      spearman: {threshold: 0.9}
      mrmr: {n_features: 30}
      lasso: {cv: {n_splits: 10, n_repeats: 20}, rule: min}
    classifiers: [lr, nb, svm, knn, xgboost, lightgbm, adaboost, mlp]
    cv: {n_splits: 5, n_repeats: 20}
    split: {test_size: 0.3}           # or  split: {test_file: centre2.csv}
    comparisons: [[radiomics/mlp, radiomics/lr]]
    output: results
    random_state: 0
    n_jobs: 2

Every problem is reported with the file and the key path, e.g.
``study.yaml: pipeline.spearman.threshhold: unknown key; did you mean
'threshold'?``. Relative paths are read from the YAML file's folder.

Examples
--------
>>> import tempfile, pathlib
>>> from radfuse.config import StudyConfigError, load_study_config
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "study.yaml").write_text(
...     "data: {features: x.csv, label_column: y}\\nfeature_sets: {all: [US]}\\n")
>>> try:
...     load_study_config(folder / "study.yaml")
... except StudyConfigError as error:
...     print(str(error).split(" (")[0])
study.yaml: data.features: file 'x.csv' does not exist
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

from .models import CLASSIFIERS, PROTOCOL_CLASSIFIERS
from .pipeline import PROTOCOL_STEPS, make_radiomics_pipeline

__all__ = ["StudyConfig", "StudyConfigError", "load_study_config", "run_study_file"]

_TABLE_SUFFIXES = (".csv", ".parquet")
#: Step parameters radfuse sets itself, which a study file may not override.
_MANAGED_PARAMS = ("random_state", "n_jobs", "reliability", "cv")
_FUSION_STRATEGIES = ("early", "ensemble", "stacking")


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


def _step_classes() -> dict[str, type]:
    from imblearn.over_sampling import SMOTE
    from sklearn.preprocessing import StandardScaler

    from .select.correlation import CorrelationPruner
    from .select.icc import ICCFilter
    from .select.lasso import LassoSelector
    from .select.mrmr import MRMRSelector
    from .select.univariate import UnivariateFilter

    return {
        "icc": ICCFilter,
        "smote": SMOTE,
        "zscore": StandardScaler,
        "univariate": UnivariateFilter,
        "spearman": CorrelationPruner,
        "mrmr": MRMRSelector,
        "lasso": LassoSelector,
    }


def _type_name(value) -> str:
    return type(value).__name__


class _Checker:
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
    "id_column", "label_column", "pos_label", "reliability",
)


def _check_data(checker: _Checker, data) -> dict:
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
        checked["features"] = checker.existing_file(data["features"], "data.features", _TABLE_SUFFIXES)
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
        checked["labels"] = checker.existing_file(data["labels"], "data.labels", _TABLE_SUFFIXES)
    elif "manifest" in data:
        checker.fail("data.labels", "missing required key: a manifest needs a labels table")
    if "reliability" in data:
        tables = data["reliability"]
        if not isinstance(tables, list) or len(tables) < 2:
            checker.fail("data.reliability", "expected a list of at least two feature tables (one per reader)")
        checked["reliability"] = [
            checker.existing_file(table, f"data.reliability[{index}]", _TABLE_SUFFIXES)
            for index, table in enumerate(tables)
        ]
    return checked


def _check_preprocessing(checker: _Checker, spec):
    """``{block: [{step: MapMaskToImage, ...}, ...]}`` -> validated plain dicts."""
    if spec is None:
        return None
    from .extract import preprocess

    names = [
        name
        for name, value in vars(preprocess).items()
        if isinstance(value, type)
        and issubclass(value, preprocess.PreprocessingStep)
        and value is not preprocess.PreprocessingStep
    ]
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


def _check_step_params(checker: _Checker, name: str, spec, estimator_class) -> dict | bool:
    key = f"pipeline.{name}"
    if isinstance(spec, bool):
        return spec
    defaults = estimator_class().get_params() if name != "icc" else estimator_class(None).get_params()
    allowed = [param for param in defaults if param not in _MANAGED_PARAMS]
    if name == "lasso":
        allowed.append("cv")
    spec = checker.mapping(spec, key, allowed)
    checked = {}
    for param, value in spec.items():
        param_key = f"{key}.{param}"
        if name == "lasso" and param == "cv":
            checked[param] = _check_cv(checker, value, param_key)
            continue
        default = defaults[param]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                checker.fail(param_key, f"expected true or false, got {value!r} ({_type_name(value)})")
        elif isinstance(default, numbers.Integral):
            checker.integer(value, param_key)
        elif isinstance(default, numbers.Real):
            checker.number(value, param_key)
        checked[param] = value
    return checked


def _check_pipeline(checker: _Checker, pipeline, data: dict) -> dict:
    if pipeline is None:
        return {}
    classes = _step_classes()
    pipeline = checker.mapping(pipeline, "pipeline", PROTOCOL_STEPS)
    checked = {name: _check_step_params(checker, name, spec, classes[name]) for name, spec in pipeline.items()}
    if checked.get("icc") not in (None, False) and "reliability" not in data and "manifest" not in data:
        checker.fail(
            "pipeline.icc",
            "needs repeated delineations: list the readers' tables in data.reliability, or extract "
            "from a manifest with a second reader",
        )
    return checked


def _check_cv(checker: _Checker, value, key: str):
    if isinstance(value, Mapping):
        value = checker.mapping(value, key, ("n_splits", "n_repeats"), required=("n_splits",))
        return {
            "n_splits": checker.integer(value["n_splits"], f"{key}.n_splits", minimum=2),
            "n_repeats": checker.integer(value.get("n_repeats", 1), f"{key}.n_repeats", minimum=1),
        }
    return {"n_splits": checker.integer(value, key, minimum=2), "n_repeats": 1}


def _check_split(checker: _Checker, split) -> dict:
    if split is None:
        return {"test_size": 0.3}
    split = checker.mapping(split, "split", ("test_size", "test_file"))
    if len(split) != 1:
        checker.fail("split", "give exactly one of 'test_size' (hold-out fraction) or 'test_file' (external test set)")
    if "test_size" in split:
        return {"test_size": checker.number(split["test_size"], "split.test_size", 0, 1)}
    return {"test_file": checker.existing_file(split["test_file"], "split.test_file", _TABLE_SUFFIXES)}


def _check_feature_sets(checker: _Checker, feature_sets) -> dict:
    if not isinstance(feature_sets, Mapping) or not feature_sets:
        checker.fail("feature_sets", "expected a mapping of set name to a list of blocks or columns")
    checked = {}
    for name, entries in feature_sets.items():
        key = f"feature_sets.{name}"
        if not isinstance(name, str) or "/" in name:
            checker.fail(key, "feature-set names must be strings without '/'")
        checked[name] = [entries] if isinstance(entries, str) else checker.string_list(entries, key)
    return checked


def _check_fusion(checker: _Checker, fusion, feature_sets: dict) -> dict | None:
    if fusion is None:
        return None
    from .fusion import StackingFusion, WeightedEnsemble

    fusion = checker.mapping(fusion, "fusion")
    checked = {}
    for name, spec in fusion.items():
        key = f"fusion.{name}"
        if name in feature_sets:
            checker.fail(key, "a fusion model may not share its name with a feature set")
        spec = checker.mapping(spec, key)
        strategy = checker.string(
            spec.get("strategy", name), f"{key}.strategy" if "strategy" in spec else key, _FUSION_STRATEGIES
        )
        params = {
            "ensemble": WeightedEnsemble({}).get_params(deep=False),
            "stacking": StackingFusion({}).get_params(deep=False),
        }.get(strategy, {})
        allowed = ["strategy", "blocks", *[p for p in params if p not in ("blocks", "block_columns", "n_jobs")]]
        spec = checker.mapping(spec, key, allowed, required=("blocks",))
        blocks = checker.string_list(spec["blocks"], f"{key}.blocks")
        if len(blocks) < 2:
            checker.fail(f"{key}.blocks", "fusion needs at least two feature sets or blocks")
        if "final_estimator" in spec:
            checker.string(spec["final_estimator"], f"{key}.final_estimator", list(CLASSIFIERS))
        checked[name] = {**spec, "blocks": blocks}
    return checked


def _check_tuning(checker: _Checker, tuning, classifiers):
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


def _check_comparisons(checker: _Checker, comparisons, model_sets, classifiers) -> list[tuple[str, str]]:
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
    "split", "comparisons", "output", "random_state", "n_jobs",
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
    radfuse.config._DuplicateKeyError: key 'cv' is given twice in one mapping (lines 1 and 3); only one value can apply, so remove the other
    """
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def load_study_config(path) -> StudyConfig:
    """Read and validate a YAML study file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    StudyConfig

    Raises
    ------
    FileNotFoundError
        The study file does not exist.
    StudyConfigError
        (a ``ValueError``) for YAML syntax errors, a key given twice (with
        both line numbers), unknown keys (with the
        closest valid key), values of the wrong type or range, missing
        required keys and data files that do not exist; the message starts
        with the file name and the key path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from radfuse.config import load_study_config
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"case_id": ["a", "b", "c", "d"], "y": [0, 1, 0, 1],
    ...               "US__glcm_Contrast": [1.0, 2.0, 3.0, 4.0]}).to_csv(folder / "features.csv", index=False)
    >>> _ = (folder / "study.yaml").write_text(
    ...     "data: {features: features.csv, label_column: y}\\nfeature_sets: {all: [US]}\\n")
    >>> config = load_study_config(folder / "study.yaml")
    >>> config.name, config.cv, config.split
    ('study', {'n_splits': 5, 'n_repeats': 20}, {'test_size': 0.3})

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Sandve, G. K., Nekrutenko, A., Taylor, J., & Hovig, E. (2013). Ten simple
        rules for reproducible computational research. PLoS Computational
        Biology, 9(10), e1003285.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_study_config: study file {str(path)!r} does not exist.")
    checker = _Checker(path.resolve())
    try:
        raw = safe_load_unique(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise StudyConfigError(f"{path.name}: not valid YAML: {error}") from error
    raw = checker.mapping(raw if raw is not None else {}, "", _TOP_KEYS, required=("data", "feature_sets"))
    data = _check_data(checker, raw["data"])
    feature_sets = _check_feature_sets(checker, raw["feature_sets"])
    classifiers = checker.string_list(raw.get("classifiers", list(PROTOCOL_CLASSIFIERS)), "classifiers", list(CLASSIFIERS))
    fusion = _check_fusion(checker, raw.get("fusion"), feature_sets)
    random_state = checker.integer(raw.get("random_state", 0), "random_state", minimum=0)
    n_jobs = raw.get("n_jobs")
    return StudyConfig(
        path=checker.path,
        name=checker.string(raw.get("name", path.stem), "name"),
        data=data,
        feature_sets=feature_sets,
        pipeline=_check_pipeline(checker, raw.get("pipeline"), data),
        classifiers=classifiers,
        fusion=fusion,
        tuning=_check_tuning(checker, raw.get("tuning"), classifiers),
        cv=_check_cv(checker, raw["cv"], "cv") if "cv" in raw else {"n_splits": 5, "n_repeats": 20},
        split=_check_split(checker, raw.get("split")),
        comparisons=_check_comparisons(
            checker, raw.get("comparisons"), [*feature_sets, *(fusion or {})], classifiers
        ),
        output=checker.folder_path(raw.get("output", "results"), "output"),
        random_state=random_state,
        n_jobs=None if n_jobs is None else checker.integer(n_jobs, "n_jobs"),
    )


# ------------------------------------------------------------------ running
def _read_table(path: Path, id_column: str, what: str) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        table = pd.read_parquet(path)
        if id_column in table.columns:
            table = table.set_index(id_column)
    else:
        table = pd.read_csv(path, dtype={id_column: str}, float_precision="round_trip")
        if id_column not in table.columns:
            raise ValueError(
                f"{what} {path.name}: no id column {id_column!r}; set data.id_column to one of "
                f"{list(table.columns[:5])}..."
            )
        table = table.set_index(id_column)
    table.index = table.index.astype(str)
    return table


def _split_label(table: pd.DataFrame, label_column: str, what: str):
    if label_column not in table.columns:
        raise ValueError(
            f"{what}: no label column {label_column!r}; set data.label_column, or give data.labels."
        )
    return table.drop(columns=label_column), table[label_column]


def _cv_splitter(spec: dict, seed: int):
    if spec["n_repeats"] == 1:
        return StratifiedKFold(n_splits=spec["n_splits"], shuffle=True, random_state=seed)
    return RepeatedStratifiedKFold(n_splits=spec["n_splits"], n_repeats=spec["n_repeats"], random_state=seed)


@dataclass(frozen=True)
class ConfiguredPipeline:
    """The pipeline factory of a study file: ``(classifier, random_state) -> Pipeline``.

    ``steps`` are the keyword arguments of
    :func:`~radfuse.pipeline.make_radiomics_pipeline`; the LASSO's CV is
    built here so that it is seeded with the study's seed.
    """

    steps: dict = field(default_factory=dict)

    def __call__(self, classifier, random_state):
        steps = {name: dict(spec) if isinstance(spec, dict) else spec for name, spec in self.steps.items()}
        if isinstance(steps.get("lasso"), dict) and "cv" in steps["lasso"]:
            steps["lasso"]["cv"] = _cv_splitter(steps["lasso"]["cv"], random_state)
        return make_radiomics_pipeline(classifier, **steps, random_state=random_state)


def _fit_icc(features, reliability, icc_params):
    from .select.icc import ICCFilter

    icc = ICCFilter(list(reliability), **icc_params).fit(features)
    support = icc.get_support()
    summary = {
        "icc_type": icc.icc_type,
        "threshold": icc.threshold,
        "unrated": icc.unrated,
        "n_cases": int(icc.n_cases_),
        "n_rated": int(icc.rated_.sum()),
        "n_kept": int((support & icc.rated_).sum()),
        "n_unrated": int((~icc.rated_).sum()),
    }
    return support, summary


def reliability_summary(features: pd.DataFrame, reliability, **icc_params) -> dict:
    """What the ICC step of a study decides, for the methods text.

    A study file runs the ICC step inside every feature set's pipeline, so it
    is fitted in each training fold like every other step. It uses nothing
    but the repeated delineations, so it keeps the same rated features in
    every fold and feature set; this summary fits it once on the whole table
    to state those decisions.

    Parameters
    ----------
    features : DataFrame
    reliability : list of DataFrame
        One feature table per reader (see :class:`~radfuse.select.icc.ICCFilter`).
    **icc_params
        ``threshold``, ``icc_type``, ``unrated`` of ``ICCFilter``.

    Returns
    -------
    dict
        ``icc_type``, ``threshold``, ``unrated``, ``n_cases`` (delineated by
        every reader), ``n_rated``, ``n_kept`` (rated features kept) and
        ``n_unrated`` (features without ratings, e.g. deep features: they
        pass with the default ``unrated="keep"``).
    """
    return _fit_icc(features, reliability, icc_params)[1]


def reliability_filter(features: pd.DataFrame, reliability, **icc_params):
    """Drop the features whose inter-reader ICC does not exceed the threshold, once, before a study.

    Study files no longer need this (their ICC step runs inside the
    pipeline); it is for tables prepared by hand.

    Parameters
    ----------
    features : DataFrame
    reliability : list of DataFrame
        One feature table per reader (see :class:`~radfuse.select.icc.ICCFilter`).
    **icc_params
        ``threshold``, ``icc_type``, ``unrated`` of ``ICCFilter``.

    Returns
    -------
    kept : DataFrame
        ``features`` without the unreliable columns.
    summary : dict
        As :func:`reliability_summary`.
    """
    support, summary = _fit_icc(features, reliability, icc_params)
    return features.loc[:, support], summary


def preprocessing_steps(records):
    """Preprocessing steps from their records, ``{block: [{"step": name, **fields}, ...]}``.

    The records are what :meth:`~radfuse.extract.PreprocessingStep.to_dict`
    writes into an extraction's provenance (and what a study file lists under
    ``data.preprocessing``), so a saved model's steps can be rebuilt to
    process new images identically. Lists become tuples, as the steps store them.
    """
    if not records:
        return None
    from .extract import preprocess

    def build(record):
        fields = {key: tuple(value) if isinstance(value, list) else value for key, value in record.items()}
        return getattr(preprocess, fields.pop("step"))(**fields)

    return {block: [build(record) for record in steps] for block, steps in records.items()}


@dataclass(frozen=True)
class StudyData:
    """The tables a study file points at, loaded."""

    features: pd.DataFrame
    labels: pd.Series
    external: tuple | None = None
    extraction_settings: dict | None = None
    reliability: list | None = None


@dataclass(frozen=True)
class StudyConfig:
    """A validated study file; see :func:`load_study_config`.

    Unset keys hold radfuse's defaults (the protocol's eight classifiers,
    20 repeats of 5-fold CV, a 30% test split, output folder ``results``) and
    relative paths are resolved against the YAML file's folder, so the object
    states the whole study. :meth:`run` executes it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from radfuse.config import load_study_config
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"case_id": ["a", "b", "c", "d"], "y": [0, 1, 0, 1],
    ...               "US__glcm_Contrast": [1.0, 2.0, 3.0, 4.0]}).to_csv(folder / "features.csv", index=False)
    >>> _ = (folder / "study.yaml").write_text(
    ...     "data: {features: features.csv, label_column: y}\\nfeature_sets: {all: [US]}\\n")
    >>> config = load_study_config(folder / "study.yaml")
    >>> config.classifiers[:3], config.output.name
    (['lr', 'nb', 'svm'], 'results')
    >>> config.load_data(progress=False).labels.tolist()
    [0, 1, 0, 1]

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Sandve, G. K., Nekrutenko, A., Taylor, J., & Hovig, E. (2013). Ten simple
        rules for reproducible computational research. PLoS Computational
        Biology, 9(10), e1003285.
    """

    path: Path
    name: str
    data: dict
    feature_sets: dict
    pipeline: dict
    classifiers: list
    fusion: dict | None
    tuning: object
    cv: dict
    split: dict
    comparisons: list | None
    output: Path
    random_state: int
    n_jobs: int | None

    def load_data(self, *, n_jobs=None, progress=True) -> StudyData:
        """Read (or extract) the features, labels and the readers' tables of the ICC step.

        ``extraction_settings`` of the result holds the extraction provenance
        (manifest studies) and the ICC summary (``"reliability"``, see
        :func:`reliability_summary`), both for the methods text. The ICC
        step itself runs inside each feature set's pipeline.
        """
        data = self.data
        id_column, label_column = data["id_column"], data["label_column"]
        extraction_settings, reliability = None, []
        if "features" in data:
            features = _read_table(data["features"], id_column, "data.features")
        else:
            from .extract import extract_features

            extraction = extract_features(
                data["manifest"],
                data["params"],
                preprocessing=preprocessing_steps(data["preprocessing"]),
                n_jobs=n_jobs,
                cache_dir=data.get("cache_dir"),
                progress=progress,
            )
            features = extraction.features
            extraction_settings = {
                key: extraction.provenance[key] for key in ("params", "preprocessing", "versions", "extracted")
            }
            if self.pipeline.get("icc") not in (None, False) and "reliability" not in data:
                reliability = extraction.reader_tables()
        if "labels" in data:
            labels_table = _read_table(data["labels"], id_column, "data.labels")
            _, labels = _split_label(labels_table, label_column, "data.labels")
            features = features.drop(columns=label_column, errors="ignore")
        else:
            features, labels = _split_label(features, label_column, "data.features")
        if "reliability" in data:
            reliability = [_read_table(path, id_column, "data.reliability") for path in data["reliability"]]
        icc = self.pipeline.get("icc")
        if icc not in (None, False):
            summary = reliability_summary(features, reliability, **(icc if isinstance(icc, dict) else {}))
            extraction_settings = {**(extraction_settings or {}), "reliability": summary}
        external = None
        if "test_file" in self.split:
            external = _split_label(
                _read_table(self.split["test_file"], id_column, "split.test_file"), label_column, "split.test_file"
            )
        return StudyData(features, labels, external, extraction_settings, reliability or None)

    def build_study(self, study_data: StudyData | None = None, *, n_jobs=None, progress=True):
        """The :class:`~radfuse.study.Study` the file describes (data loaded if not given)."""
        from .study import Study

        study_data = study_data or self.load_data(n_jobs=n_jobs, progress=progress)
        split = study_data.external if study_data.external is not None else self.split["test_size"]
        steps = dict(self.pipeline)
        if steps.get("icc") not in (None, False):
            icc = steps["icc"] if isinstance(steps["icc"], dict) else {}
            steps["icc"] = {**icc, "reliability": study_data.reliability}
        return Study(
            study_data.features,
            study_data.labels,
            self.feature_sets,
            pipeline=ConfiguredPipeline(steps),
            classifiers=self.classifiers,
            fusion=self.fusion,
            split=split,
            cv=_cv_splitter(self.cv, self.random_state),
            tuning=self.tuning,
            pos_label=self.data["pos_label"],
            random_state=self.random_state,
            n_jobs=self.n_jobs if n_jobs is None else n_jobs,
            progress=progress,
        )

    def run(self, *, n_jobs=None, output=None, progress=True, overwrite=False):
        """Load the data, run the study and write its report.

        The output folder is checked first (writable, and empty unless
        ``overwrite=True``; see :meth:`StudyResult.save`), so no work is lost
        to a late error.

        Returns
        -------
        result : StudyResult
        report : Path of the HTML report
        """
        from .study._result import check_report_folder

        folder = Path(output) if output is not None else self.output
        check_report_folder(folder, overwrite=overwrite, step=f"{self.path.name}: output")
        study_data = self.load_data(n_jobs=n_jobs if n_jobs is not None else self.n_jobs, progress=progress)
        result = self.build_study(study_data, n_jobs=n_jobs, progress=progress).run()
        report = result.save(
            folder,
            overwrite=overwrite,
            comparisons=self.comparisons,
            extraction_settings=study_data.extraction_settings,
            title=self.name,
            progress=progress,
        )
        return result, report


def run_study_file(path, *, n_jobs=None, output=None, progress=True, overwrite=False):
    """Validate, run and report the study a YAML file describes.

    Returns
    -------
    result : StudyResult
    report : Path of the HTML report

    Parameters
    ----------
    path : str or Path
        The YAML study file (see :func:`load_study_config`).
    n_jobs : int, optional
        Overrides the file's ``n_jobs``.
    output : str or Path, optional
        Overrides the file's ``output`` folder.
    progress : bool
        Show progress bars.
    overwrite : bool
        Replace an earlier study in the output folder (see
        :meth:`StudyResult.save`); checked before the study runs.

    Examples
    --------
    >>> from radfuse.config import run_study_file
    >>> result, report = run_study_file("examples/alnm_protocol.yaml", n_jobs=2)  # doctest: +SKIP
    >>> report.name  # doctest: +SKIP
    'report.html'

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    .. [2] Lambin, P., Leijenaar, R. T. H., Deist, T. M., et al. (2017). Radiomics:
        the bridge between medical imaging and personalized medicine. Nature
        Reviews Clinical Oncology, 14(12), 749-762.
    .. [3] Sandve, G. K., Nekrutenko, A., Taylor, J., & Hovig, E. (2013). Ten simple
        rules for reproducible computational research. PLoS Computational
        Biology, 9(10), e1003285.
    """
    return load_study_config(path).run(
        n_jobs=n_jobs, output=output, progress=progress, overwrite=overwrite
    )
