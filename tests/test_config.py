"""YAML study files: a valid file round-trips into a Study; every mistake names its key path."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.model_selection import RepeatedStratifiedKFold
from study_file_edits import set_key

from radfuse.config import StudyConfigError, load_study_config
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.select import CorrelationPruner, LassoSelector, reliability_filter


@pytest.fixture()
def folder(tmp_path):
    cohort = make_multimodal_table(n_cases=60, blocks={"US": 8, "MG": 8}, n_embedding=4, random_state=0)
    table = cohort.data.assign(outcome=np.where(cohort.target == 1, "malignant", "benign"))
    (tmp_path / "data").mkdir()
    table.rename_axis("case_id").to_csv(tmp_path / "data" / "features.csv")
    return tmp_path


VALID = {
    "name": "Config test",
    "data": {"features": "data/features.csv", "label_column": "outcome", "pos_label": "malignant"},
    "feature_sets": {"radiomics": ["US", "MG"], "deep": ["cnn"]},
    "pipeline": {
        "smote": {"k_neighbors": 3},
        "univariate": False,
        "spearman": {"threshold": 0.85},
        "mrmr": {"n_features": 5},
        "lasso": {"cv": {"n_splits": 4, "n_repeats": 3}, "rule": "1se"},
    },
    "classifiers": ["lr", "nb"],
    "fusion": {"stacking": {"blocks": ["radiomics", "deep"], "final_estimator": "lr"}},
    "cv": {"n_splits": 3, "n_repeats": 2},
    "split": {"test_size": 0.25},
    "comparisons": [["stacking/lr", "radiomics/lr"]],
    "output": "results",
    "random_state": 7,
    "n_jobs": 1,
}


def _write(folder, content, name="study.yaml"):
    path = folder / name
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


def _changed(path_and_value):
    """VALID with one key set (``None`` deletes it); keys are dotted paths."""
    return set_key(copy.deepcopy(VALID), *path_and_value)


def test_valid_file_round_trips_into_a_study(folder):
    config = load_study_config(_write(folder, VALID))
    assert config.data["features"] == (folder / "data" / "features.csv").resolve()
    assert config.output == (folder / "results").resolve()
    assert config.cv == {"n_splits": 3, "n_repeats": 2}
    assert config.comparisons == [("stacking/lr", "radiomics/lr")]

    study = config.build_study(progress=False)
    assert study.feature_sets == VALID["feature_sets"] and study.classifiers == ["lr", "nb"]
    assert study.split == 0.25 and study.random_state == 7 and study.pos_label == "malignant"
    assert isinstance(study.cv, RepeatedStratifiedKFold) and study.cv.get_n_splits() == 6
    assert "outcome" not in study.features.columns and study.labels.name == "outcome"
    assert study.labels.index.equals(study.features.index)

    pipeline = study.pipeline("lr", 7)
    assert [name for name, _ in pipeline.steps] == ["smote", "zscore", "spearman", "mrmr", "lasso", "clf"]
    assert pipeline.named_steps["smote"].k_neighbors == 3
    assert isinstance(pipeline.named_steps["spearman"], CorrelationPruner)
    assert pipeline.named_steps["spearman"].threshold == 0.85
    lasso = pipeline.named_steps["lasso"]
    assert isinstance(lasso, LassoSelector) and lasso.rule == "1se"
    assert (lasso.cv.n_repeats, lasso.cv.cvargs["n_splits"], lasso.cv.random_state) == (3, 4, 7)


def test_relative_paths_resolve_against_the_yaml_folder(folder, monkeypatch):
    nested = folder / "studies"
    nested.mkdir()
    study = _changed(("data.features", "../data/features.csv"))
    monkeypatch.chdir(folder / "data")
    config = load_study_config(_write(nested, study))
    assert config.data["features"] == (folder / "data" / "features.csv").resolve()
    assert config.output == (nested / "results").resolve()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("pipeline.spearman", {"threshhold": 0.9}),
         "study.yaml: pipeline.spearman.threshhold: unknown key; did you mean 'threshold'?"),
        (("clasifiers", ["lr"]), "study.yaml: clasifiers: unknown key; did you mean 'classifiers'?"),
        (("classifiers", ["lr", "xgbost"]),
         "study.yaml: classifiers[1]: unknown value 'xgbost'; did you mean 'xgboost'?"),
        (("pipeline.lasso", {"rule": "min", "cv": {"n_splits": "ten"}}),
         "study.yaml: pipeline.lasso.cv.n_splits: expected an integer, got 'ten' (str)"),
        # Step parameters are checked with the step class's own _parameter_constraints.
        (("pipeline.spearman", {"threshold": "high"}),
         "study.yaml: pipeline.spearman.threshold: The 'threshold' parameter of CorrelationPruner must be"),
        (("pipeline.spearman", {"threshold": 5}),
         "study.yaml: pipeline.spearman.threshold: The 'threshold' parameter of CorrelationPruner must be"),
        (("pipeline.smote", {"k_neighbors": 2.5}),
         "study.yaml: pipeline.smote.k_neighbors: The 'k_neighbors' parameter of CheckedSMOTE must be an int in "
         "the range [1, inf) or an object implementing 'kneighbors' and 'kneighbors_graph'. Got 2.5 instead."),
        (("pipeline.smote", {"k_neighbors": 0}),
         "study.yaml: pipeline.smote.k_neighbors: The 'k_neighbors' parameter of CheckedSMOTE must be an int in "
         "the range [1, inf)"),
        (("pipeline.smote", {"k_neighbors": True}),
         "study.yaml: pipeline.smote.k_neighbors: got True (bool); CheckedSMOTE takes no true/false for 'k_neighbors'"),
        (("pipeline.smote", {"sampling_strategy": "most"}),
         "study.yaml: pipeline.smote.sampling_strategy: The 'sampling_strategy' parameter of CheckedSMOTE must be"),
        (("pipeline.zscore", {"with_mean": "yes"}),
         "study.yaml: pipeline.zscore.with_mean: The 'with_mean' parameter of CheckedStandardScaler must be an "
         "instance of 'bool'"),
        (("pipeline.smote", {"random_state": 1}),
         "study.yaml: pipeline.smote.random_state: unknown key; allowed keys: k_neighbors, sampling_strategy"),
        (("pipeline.combat", {"batch": 3}), "study.yaml: pipeline.combat.batch: expected a string, got 3 (int)"),
        (("pipeline.combat", {"batch": "site", "eb": "yes"}), "study.yaml: pipeline.combat.eb: The 'eb' parameter"),
        (("pipeline.combat", {"batch": "site", "random_state": 0}),
         "study.yaml: pipeline.combat.random_state: unknown key"),
        (("cv", {"n_splits": 1}), "study.yaml: cv.n_splits: must be at least 2, got 1"),
        (("split", {"test_size": 1.5}), "study.yaml: split.test_size: must lie strictly between 0 and 1, got 1.5"),
        (("data.label_column", None), "study.yaml: data.label_column: missing required key"),
        (("feature_sets", None), "study.yaml: feature_sets: missing required key"),
        (("data.features", "data/missing.csv"), "study.yaml: data.features: file 'data/missing.csv' does not exist"),
        (("comparisons", [["combined/lr", "radiomics/lr"]]),
         "study.yaml: comparisons[0][0] (feature set): unknown value 'combined'"),
        (("comparisons", [["radiomics/lr"]]), "study.yaml: comparisons[0]: expected a pair"),
        (("fusion", {"stacking": {"blocks": ["radiomics", "deep"], "final_estimator": "svn"}}),
         "study.yaml: fusion.stacking.final_estimator: unknown value 'svn'; did you mean 'svm'?"),
        (("fusion", {"blend": {"blocks": ["radiomics", "deep"]}}),
         "study.yaml: fusion.blend: unknown value 'blend'"),
        (("pipeline.icc", {"threshold": 0.9}), "study.yaml: pipeline.icc: needs repeated delineations"),
        (("random_state", True), "study.yaml: random_state: expected an integer, got True (bool)"),
    ],
)
def test_mistakes_name_the_key_path(folder, change, message):
    with pytest.raises(StudyConfigError) as caught:
        load_study_config(_write(folder, _changed(change)))
    assert str(caught.value).startswith(message)


def test_yaml_syntax_errors_and_missing_study_file(folder):
    with pytest.raises(StudyConfigError, match="study.yaml: not valid YAML"):
        load_study_config(_write(folder, "data: [unclosed\n"))
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        load_study_config(folder / "nowhere.yaml")


def test_labels_file_and_external_test_set(folder):
    table = pd.read_csv(folder / "data" / "features.csv", index_col="case_id")
    table[["outcome"]].to_csv(folder / "data" / "labels.csv")
    table.drop(columns="outcome").iloc[:40].to_csv(folder / "data" / "centre1.csv")
    table.iloc[40:].to_csv(folder / "data" / "centre2.csv")
    study = _changed(("data.features", "data/centre1.csv"))
    study["data"]["labels"] = "data/labels.csv"
    study["split"] = {"test_file": "data/centre2.csv"}
    built = load_study_config(_write(folder, study)).build_study(progress=False)
    X_test, y_test = built.split
    assert list(X_test.index) == list(table.index[40:]) and "outcome" not in X_test.columns
    assert built.labels.loc["case_0001"] == table.loc["case_0001", "outcome"]
    assert len(built.features) == 40


def test_manifest_study_extracts_features_and_filters_by_icc(tmp_path):
    pytest.importorskip("radiomics")  # PyRadiomics does not build on Python >= 3.12
    from radfuse.datasets.imaging import imaging_cohort_params, make_imaging_cohort

    make_imaging_cohort(tmp_path / "cohort", n_cases=16, modalities=("US", "MG"), second_reader_fraction=0.5)
    study = {
        "data": {
            "manifest": "cohort/manifest.csv",
            "params": imaging_cohort_params(("US", "MG")),
            "preprocessing": {"US": [{"step": "IntensityWindow", "lower": 0, "upper": 255}]},
            "labels": "cohort/labels.csv",
            "label_column": "malignant",
        },
        "feature_sets": {"ultrasound": ["US"], "both": ["US", "MG"]},
        "pipeline": {"icc": {"threshold": 0.8}},
    }
    config = load_study_config(_write(tmp_path, study))
    data = config.load_data(n_jobs=1, progress=False)
    reliability = data.extraction_settings["reliability"]
    assert reliability["n_cases"] == 8 and reliability["threshold"] == 0.8
    assert reliability["n_kept"] < reliability["n_rated"] == data.features.shape[1]
    # The ICC step runs inside each feature set's pipeline, fitted in every fold.
    built = config.build_study(data, progress=False)
    icc_step = built.pipeline("lr", 0).named_steps["icc"]
    assert len(icc_step.reliability) == 2
    us = [c for c in data.features.columns if c.startswith("US__")]
    fitted = icc_step.fit(data.features[us])
    kept = [c for c in data.features.columns if c in set(fitted.get_feature_names_out())]
    expected = reliability_filter(data.features, icc_step.reliability, threshold=0.8)[0]
    assert kept == [c for c in expected.columns if c.startswith("US__")]
    assert data.extraction_settings["preprocessing"]["US"][0]["step"] == "IntensityWindow"
    assert set(data.extraction_settings["params"]) == {"US", "MG"}
    assert data.labels.index.equals(data.features.index) and data.labels.name == "malignant"

    study["data"]["preprocessing"] = {"US": [{"step": "IntensityWindw"}]}
    with pytest.raises(StudyConfigError, match="data.preprocessing.US\\[0\\].step: unknown value 'IntensityWindw'; "
                                               "did you mean 'IntensityWindow'\\?"):
        load_study_config(_write(tmp_path, study))
