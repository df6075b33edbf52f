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
      clinical: clinical.csv          # optional: clinical variables by case id
      groups: patients.csv            # optional: patient or centre of each case ...
      group_column: patient           # ... kept on one side of the split and of every fold
    feature_sets:
      radiomics: [MG, MRI]
    pipeline:
      combat: {batch: site, covariates: [age]}   # optional: columns of the feature tables
      icc: {threshold: 0.9}
      smote: {k_neighbors: 5}
      zscore: true
      univariate: {alpha: 0.05}
      spearman: {threshold: 0.9}
      mrmr: {n_features: 30}
      lasso: {cv: {n_splits: 10, n_repeats: 20}, rule: min}
    classifiers: [lr, nb, svm, knn, xgboost, lightgbm, adaboost, mlp]
    cv: {n_splits: 5, n_repeats: 20}
    split: {test_size: 0.3}           # or  split: {test_file: centre2.csv}, or named cohorts:
    #   split: {internal: {test_size: 0.3}, centre_B: {features: b.csv, labels: b_labels.csv}}
    clinical_model: {predictors: [age, grade], feature_set: radiomics, n_boot: 200}
    comparisons: [[radiomics/mlp, radiomics/lr]]
    output: results
    random_state: 0
    n_jobs: 2

With ``pipeline.combat`` the batch and covariate columns are added to every
feature set (ComBat drops the batch column; covariates pass through), text
site labels are coded as integers, and every test cohort may only hold sites
of the training table (ComBat harmonises the sites it was fitted on).

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

from ._load import load_study_config, run_study_file
from ._run import (
    ConfiguredPipeline,
    StudyConfig,
    StudyData,
    preprocessing_steps,
)
from ._schema import StudyConfigError, safe_load_unique

__all__ = [
    "ConfiguredPipeline",
    "StudyConfig",
    "StudyConfigError",
    "StudyData",
    "load_study_config",
    "preprocessing_steps",
    "run_study_file",
    "safe_load_unique",
]
