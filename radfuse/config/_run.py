"""Running a validated study file: loading its tables, building and running its study."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

from ..pipeline import make_radiomics_pipeline
from ..select import reliability_summary


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
        external = None
        if "test_file" in self.split:
            external = _split_label(
                _read_table(self.split["test_file"], id_column, "split.test_file"), label_column, "split.test_file"
            )
        return StudyData(features, labels, external, extraction_settings, reliability or None)

    def build_study(self, study_data: StudyData | None = None, *, n_jobs=None, progress=True):
        """The :class:`~radfuse.study.Study` the file describes (data loaded if not given)."""
        from ..study import Study

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
