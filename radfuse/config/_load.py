"""Reading a study file: YAML without duplicate keys, every section validated."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..models import CLASSIFIERS, PROTOCOL_CLASSIFIERS
from ._run import StudyConfig
from ._schema import (
    _TOP_KEYS,
    StudyConfigError,
    Checker,
    _check_comparisons,
    _check_clinical_model,
    _check_combat_fusion,
    _check_cv,
    _check_data,
    _check_feature_sets,
    _check_fusion,
    _check_pipeline,
    _check_split,
    _check_tuning,
    safe_load_unique,
)


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
    checker = Checker(path.resolve())
    try:
        raw = safe_load_unique(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise StudyConfigError(f"{path.name}: not valid YAML: {error}") from error
    raw = checker.mapping(raw if raw is not None else {}, "", _TOP_KEYS, required=("data", "feature_sets"))
    data = _check_data(checker, raw["data"])
    feature_sets = _check_feature_sets(checker, raw["feature_sets"])
    classifiers = checker.string_list(raw.get("classifiers", list(PROTOCOL_CLASSIFIERS)), "classifiers", list(CLASSIFIERS))
    fusion = _check_fusion(checker, raw.get("fusion"), feature_sets)
    pipeline = _check_pipeline(checker, raw.get("pipeline"), data)
    _check_combat_fusion(checker, pipeline, fusion, feature_sets)
    early = [name for name, spec in (fusion or {}).items() if spec["strategy"] == "early"]
    clinical_model = _check_clinical_model(checker, raw.get("clinical_model"), data, [*feature_sets, *early])
    random_state = checker.integer(raw.get("random_state", 0), "random_state", minimum=0)
    n_jobs = raw.get("n_jobs")
    return StudyConfig(
        path=checker.path,
        name=checker.string(raw.get("name", path.stem), "name"),
        data=data,
        feature_sets=feature_sets,
        pipeline=pipeline,
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
        clinical_model=clinical_model,
    )


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
