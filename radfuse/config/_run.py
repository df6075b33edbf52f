"""Running a validated study file: loading its tables, building and running its study."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

from .._files import read_case_table
from .._validation import preview
from ..pipeline import make_radiomics_pipeline
from ..select import reliability_summary
from ._schema import Checker, combat_columns


def _read_table(path: Path, id_column: str, what: str) -> pd.DataFrame:
    return read_case_table(path, id_column, source=what, remedy="set data.id_column to one of them")


def _split_label(table: pd.DataFrame, label_column: str, what: str):
    if label_column not in table.columns:
        raise ValueError(
            f"{what}: no label column {label_column!r}; set data.label_column, or give data.labels."
        )
    return table.drop(columns=label_column), table[label_column]


def _column(table: pd.DataFrame, column: str, key: str, what: str, fail) -> pd.Series:
    if column not in table.columns:
        fail(key, f"no column {column!r} in {what}; its columns: {preview(list(table.columns))}")
    return table[column]


def _cohort_tables(split: dict, features, id_column, label_column, fail) -> dict:
    """Each named test cohort: an internal hold-out's fraction or case ids, or an external (X, y).

    A case id may be in only one of data.features and the external cohorts.
    """
    cohorts = {}
    owners = pd.Series("data.features", index=features.index)
    for name, spec in split["cohorts"].items():
        key = f"split.{name}"
        if "test_size" in spec:
            cohorts[name] = spec["test_size"]
            continue
        if "test_ids" in spec:
            unknown = pd.Index(spec["test_ids"]).difference(features.index, sort=False).tolist()
            if unknown:
                fail(f"{key}.test_ids", f"case id(s) {preview(unknown)} are not in data.features")
            cohorts[name] = spec["test_ids"]
            continue
        table = _read_table(spec["features"], id_column, f"{key}.features")
        if "labels" in spec:
            labels_table = _read_table(spec["labels"], id_column, f"{key}.labels")
            _, labels = _split_label(labels_table, label_column, f"{key}.labels")
            table = table.drop(columns=label_column, errors="ignore")
        else:
            table, labels = _split_label(table, label_column, f"{key}.features")
        shared = owners.index.intersection(table.index)
        if not shared.empty:
            fail(
                f"{key}.features",
                f"case id(s) {preview(shared.tolist())} are also in {owners[shared[0]]}; a case may be "
                "in only one of the training table and the test cohorts",
            )
        owners = pd.concat([owners, pd.Series(f"{key}.features", index=table.index)])
        cohorts[name] = (table, labels)
    return cohorts


def _combat_sites(features, tests: dict, columns: list[str], fail):
    """Check ComBat's columns in the training table and each test table; text site labels become codes.

    ``tests`` maps each external test table's key in the study file (e.g.
    ``split.centre_B.features``) to the table. The study checks that every
    column of a feature set is numeric, so site labels such as ``"C1"`` are
    coded ``0, 1, ...`` in the sorted order of the training table's sites. A
    test table may only hold sites of the training table: ComBat harmonises
    the sites it was fitted on.

    Returns
    -------
    features, tests (the same keys)
    """
    batch, covariates = columns[0], columns[1:]
    keys = {batch: "pipeline.combat.batch", **{name: "pipeline.combat.covariates" for name in covariates}}
    for column in columns:
        _column(features, column, keys[column], "the feature table (data)", fail)
    sites = pd.Index(pd.unique(features[batch]))
    for key, table in {keys[batch]: features, **tests}.items():
        missing = table.index[table[batch].isna().to_numpy()].tolist() if batch in table.columns else []
        if missing:
            fail(key, f"no site in column {batch!r} for case id(s) {preview(missing)}")
    for key, table in tests.items():
        for column in columns:
            _column(table, column, key, f"this test table (read by {keys[column]})", fail)
        unseen = pd.Index(pd.unique(table[batch])).difference(sites).tolist()
        if unseen:
            fail(
                key,
                f"site(s) {preview(unseen)} in column {batch!r} are not in the training table; ComBat "
                "harmonises only the sites it was fitted on (test this centre in a study without "
                "pipeline.combat)",
            )
    if pd.api.types.is_numeric_dtype(features[batch]):
        return features, tests
    sites = sorted(sites, key=str)

    def coded(table):
        return table.assign(**{batch: pd.Categorical(table[batch], categories=sites).codes})

    return coded(features), {key: coded(table) for key, table in tests.items()}


def _clinical_table(data: dict, split: dict, ids: pd.Index, predictors, fail) -> pd.DataFrame:
    """data.clinical and the cohorts' own clinical tables, one row for every case."""
    keys = {"data.clinical": data["clinical"]} if "clinical" in data else {}
    keys.update(
        {
            f"split.{name}.clinical": spec["clinical"]
            for name, spec in split.get("cohorts", {}).items()
            if "clinical" in spec
        }
    )
    tables = {key: _read_table(path, data["id_column"], key) for key, path in keys.items()}
    clinical = pd.concat(tables.values())
    twice = clinical.index[clinical.index.duplicated()].unique().tolist()
    if twice:
        fail(
            next(iter(tables)),
            f"case id(s) {preview(twice)} have more than one clinical row (across {', '.join(tables)})",
        )
    missing = ids.difference(clinical.index, sort=False).tolist()
    if missing:
        fail(
            next(iter(tables)),
            f"no clinical row for case id(s) {preview(missing)}; every case of data.features and of the "
            "test cohorts needs one (an external cohort may bring its own: split.<name>.clinical)",
        )
    for index, predictor in enumerate(predictors):
        if predictor not in clinical.columns:
            fail(
                f"clinical_model.predictors[{index}]",
                f"{predictor!r} is not a column of {', '.join(tables)}; "
                f"columns: {preview(list(clinical.columns))}",
            )
    return clinical


def _cv_splitter(spec: dict, seed: int):
    """(Repeated) stratified k-fold; a Study with groups makes it grouped (:func:`radfuse.model_selection.grouped_cv`)."""
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


def preprocessing_steps(records):
    """Preprocessing steps from their records, ``{block: [{"step": name, **fields}, ...]}``.

    The records are what :meth:`~radfuse.extract.PreprocessingStep.to_dict`
    writes into an extraction's provenance (and what a study file lists under
    ``data.preprocessing``), so a saved model's steps can be rebuilt to
    process new images identically. Lists become tuples, as the steps store them.
    """
    if not records:
        return None
    from ..extract import step_from_dict

    def build(record):
        return step_from_dict({key: tuple(value) if isinstance(value, list) else value for key, value in record.items()})

    return {block: [build(record) for record in steps] for block, steps in records.items()}


@dataclass(frozen=True)
class StudyData:
    """The tables a study file points at, loaded."""

    features: pd.DataFrame
    labels: pd.Series
    external: tuple | None = None
    extraction_settings: dict | None = None
    reliability: list | None = None
    cohorts: dict | None = None
    clinical: pd.DataFrame | None = None
    groups: pd.Series | None = None


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
    clinical_model: dict | None = None

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
            from ..extract import extract_features

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
        fail = Checker(self.path).fail
        groups = None
        if "group_column" in data:
            column = data["group_column"]
            if "groups" in data:
                table, key = _read_table(data["groups"], id_column, "data.groups"), "data.groups"
            else:
                table, key = features, "data.features"
            groups = _column(table, column, "data.group_column", key, fail)
            features = features.drop(columns=column, errors="ignore")
            unknown = features.index.difference(groups.dropna().index, sort=False).tolist()
            if unknown:
                fail(key, f"no {column!r} (patient or centre) for case id(s) {preview(unknown)}")
            groups = groups.loc[features.index]
        external, cohorts = None, None
        if "test_file" in self.split:
            external = _split_label(
                _read_table(self.split["test_file"], id_column, "split.test_file"), label_column, "split.test_file"
            )
        elif "cohorts" in self.split:
            cohorts = _cohort_tables(self.split, features, id_column, label_column, fail)
        columns = combat_columns(self.pipeline)
        if columns:
            names = {
                f"split.{name}.features": name
                for name, value in (cohorts or {}).items()
                if isinstance(value, tuple)
            }
            tables = {key: cohorts[name][0] for key, name in names.items()}
            if external is not None:
                tables["split.test_file"] = external[0]
            features, tables = _combat_sites(features, tables, columns, fail)
            if external is not None:
                external = (tables["split.test_file"], external[1])
            for key, name in names.items():
                cohorts[name] = (tables[key], cohorts[name][1])
        clinical = None
        if "clinical" in data or any("clinical" in spec for spec in self.split.get("cohorts", {}).values()):
            tables = [features] + [value[0] for value in (cohorts or {}).values() if isinstance(value, tuple)]
            tables += [] if external is None else [external[0]]
            ids = pd.Index([]).append([table.index for table in tables])
            predictors = (self.clinical_model or {}).get("predictors", [])
            clinical = _clinical_table(data, self.split, ids, predictors, fail)
        return StudyData(
            features, labels, external, extraction_settings, reliability or None, cohorts or None, clinical, groups
        )

    def build_study(self, study_data: StudyData | None = None, *, n_jobs=None, progress=True):
        """The :class:`~radfuse.study.Study` the file describes (data loaded if not given)."""
        from ..study import Study

        study_data = study_data or self.load_data(n_jobs=n_jobs, progress=progress)
        if study_data.cohorts is not None:
            split = study_data.cohorts
        elif study_data.external is not None:
            split = study_data.external
        else:
            split = self.split["test_size"]
        # ComBat reads the batch and covariate columns, so every feature set carries them.
        extra = combat_columns(self.pipeline)
        feature_sets = {
            name: [*entries, *(column for column in extra if column not in entries)]
            for name, entries in self.feature_sets.items()
        }
        steps = dict(self.pipeline)
        if steps.get("icc") not in (None, False):
            icc = steps["icc"] if isinstance(steps["icc"], dict) else {}
            steps["icc"] = {**icc, "reliability": study_data.reliability}
        return Study(
            study_data.features,
            study_data.labels,
            feature_sets,
            pipeline=ConfiguredPipeline(steps),
            classifiers=self.classifiers,
            fusion=self.fusion,
            split=split,
            cv=_cv_splitter(self.cv, self.random_state),
            groups=study_data.groups,
            tuning=self.tuning,
            clinical=study_data.clinical,
            clinical_model=self.clinical_model,
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
        from ..study._result import check_report_folder

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
