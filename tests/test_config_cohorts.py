"""Study files with test cohorts, groups, ComBat and clinical models (issues 14 and 15).

``examples/multicentre.yaml`` runs from its file; each new key's mistakes name
the file and the key path, including those found only in the tables' contents.
Reference AUCs come from scikit-learn's ``roc_auc_score``.
"""

import runpy
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from study_file_edits import set_key

from radfuse._files import read_csv_exact
from radfuse.cli import main
from radfuse.config import StudyConfigError, load_study_config
from radfuse.harmonize import ComBat
from radfuse.model_selection import CaseGroupSplitter

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture()
def folder(tmp_path):
    """A copy of the multi-centre example (its YAML and tables) to vary."""
    shutil.copytree(EXAMPLES / "multicentre_data", tmp_path / "multicentre_data")
    return tmp_path


def _example():
    return yaml.safe_load((EXAMPLES / "multicentre.yaml").read_text(encoding="utf-8"))


def _write(folder, study):
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def example_run():
    config = load_study_config(EXAMPLES / "multicentre.yaml")
    study = config.build_study(progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return study, study.run()


def test_example_runs_groups_combat_cohorts_and_clinical_models_from_its_file(example_run):
    study, result = example_run
    assert result.cohorts == ["internal", "centre_B", "centre_C"]
    auc = result.cohort_metrics().query("metric == 'auc'").set_index("cohort")["estimate"]
    for cohort in ("centre_B", "centre_C"):
        y = result.y_cohorts[cohort]
        probability = result.probabilities(("radiomics", "lr"), cohort).loc[y.index]
        assert auc.loc[cohort] == pytest.approx(roc_auc_score(y, probability), abs=1e-12)
        assert len(y) == 40
    model = result.models_[("radiomics", "lr")]
    combat = model.steps[0][1]
    assert isinstance(combat, ComBat) and (combat.batch, list(combat.covariates)) == ("site", ["age"])
    assert study.feature_sets == {"radiomics": ["US", "site", "age"]}
    assert sorted(combat.sites_) == [0, 1, 2]  # A, B, C coded in sorted order
    assert set(result.clinical_models.fits) == {"clinical", "radiomics", "combined"}
    assert result.clinical_models.fits["clinical"].predictors == ["age", "size_mm"]
    assert set(result.clinical_models.data["split"]) == {"train", "internal", "centre_B", "centre_C"}
    assert result.settings["groups"] == "110 groups"


def test_example_keeps_each_patient_on_one_side(example_run):
    study, result = example_run
    lasso = result.models_[("radiomics", "lr")].named_steps["lasso"]
    assert isinstance(lasso.cv, CaseGroupSplitter) and isinstance(lasso.cv.cv, StratifiedGroupKFold)
    predictions = result.predictions
    train = set(predictions.loc[predictions["split"] == "train", "case_id"])
    internal = set(predictions.loc[predictions["split"] == "internal", "case_id"])
    patients = study.groups
    assert not set(patients.loc[list(train)]) & set(patients.loc[list(internal)])
    cv = predictions[predictions["split"] == "cv"]
    assert (cv.assign(patient=patients.loc[cv["case_id"]].to_numpy()).groupby("patient")["fold"].nunique() == 1).all()


def test_example_tables_are_what_their_script_writes(tmp_path):
    runpy.run_path(str(EXAMPLES / "multicentre_data.py"))["write_tables"](tmp_path)
    for path in sorted((EXAMPLES / "multicentre_data").glob("*.csv")):
        # numpy's vectorised exp/log differ in the last bit between releases (1.25 vs 2.x).
        pd.testing.assert_frame_equal(
            read_csv_exact(tmp_path / path.name), read_csv_exact(path), check_exact=False, rtol=1e-13, obj=path.name
        )


def test_radfuse_run_writes_the_report_of_the_example(tmp_path):
    assert main(["run", str(EXAMPLES / "multicentre.yaml"), "--out", str(tmp_path / "out"), "-q"]) == 0
    report = (tmp_path / "out" / "report.html").read_text()
    for section in ("centre_B", "centre_C", "Clinical"):
        assert section in report, section


COHORT_B = {"features": "multicentre_data/centre_b.csv"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("split", {"test_size": 0.3, "centre_B": COHORT_B}), "study.yaml: split: give exactly one of 'test_size'"),
        (("split", {"a": {"test_size": 0.2}, "b": {"test_ids": ["case_0001"]}}),
         "study.yaml: split: cohorts ['a', 'b'] are all internal hold-outs"),
        (("split", {"centre_B": {**COHORT_B, "lables": "x.csv"}}),
         "study.yaml: split.centre_B.lables: unknown key; did you mean 'labels'?"),
        (("split", {"train": COHORT_B}), "study.yaml: split.train: test-cohort names are non-empty strings"),
        (("split", {"test_sise": 0.3}), "study.yaml: split.test_sise: expected a test cohort"),
        (("split", {"centre_B": {"labels": "multicentre_data/labels.csv"}}),
         "study.yaml: split.centre_B.features: missing required key"),
        (("split", {"centre_B": {"features": "multicentre_data/gone.csv"}}),
         "study.yaml: split.centre_B.features: file 'multicentre_data/gone.csv' does not exist"),
        (("split", {"internal": {"test_size": 0.3, "features": "multicentre_data/centre_b.csv"}}),
         "study.yaml: split.internal: give one of an internal hold-out"),
        (("split", {"internal": {"test_size": 1.0}}), "study.yaml: split.internal.test_size: must lie strictly"),
        (("split", {"internal": {"test_ids": "case_0001"}}),
         "study.yaml: split.internal.test_ids: expected a non-empty list of case ids"),
        (("clinical_model.predictors", "age"),
         "study.yaml: clinical_model.predictors: expected a non-empty list of strings"),
        (("clinical_model.feature_set", "radiomic"),
         "study.yaml: clinical_model.feature_set: unknown value 'radiomic'; did you mean 'radiomics'?"),
        (("clinical_model.n_boot", 0), "study.yaml: clinical_model.n_boot: must be at least 1, got 0"),
        (("clinical_model.nboot", 10), "study.yaml: clinical_model.nboot: unknown key; did you mean 'n_boot'?"),
        (("data.clinical", None), "study.yaml: clinical_model: needs the clinical variables"),
        (("data.group_column", None), "study.yaml: data.group_column: missing required key"),
        (("pipeline.combat", {"batch": "site", "covariates": [1]}),
         "study.yaml: pipeline.combat.covariates[0]: expected a string"),
        (("fusion", {"early": {"blocks": ["US", "radiomics"]}}),
         "study.yaml: fusion.early.blocks[0]: 'US' is not a feature set; with pipeline.combat"),
    ],
)
def test_mistakes_in_the_new_keys_name_the_key_path(folder, change, message):
    with pytest.raises(StudyConfigError) as caught:
        load_study_config(_write(folder, set_key(_example(), *change)))
    assert str(caught.value).startswith(message)


def _edit_table(folder, name, edit):
    path = folder / "multicentre_data" / name
    table = pd.read_csv(path, dtype={"case_id": str}).set_index("case_id")
    edit(table).to_csv(path)


@pytest.mark.parametrize(
    ("edit", "change", "message"),
    [
        (("centre_c.csv", lambda t: t.rename(index={t.index[0]: "case_0001"})), None,
         "study.yaml: split.centre_C.features: case id(s) ['case_0001'] are also in data.features"),
        (("centre_c.csv", lambda t: t.rename(index={t.index[1]: pd.read_csv(
            EXAMPLES / "multicentre_data" / "centre_b.csv")["case_id"][0]})), None,
         "are also in split.centre_B.features; a case may be in only one"),
        (("centre_c.csv", lambda t: t.assign(site="D")), None,
         "study.yaml: split.centre_C.features: site(s) ['D'] in column 'site' are not in the training table"),
        (("centre_b.csv", lambda t: t.drop(columns="age")), None,
         "study.yaml: split.centre_B.features: no column 'age' in this test table (read by pipeline.combat.covariates)"),
        (None, ("pipeline.combat.batch", "scanner"),
         "study.yaml: pipeline.combat.batch: no column 'scanner' in the feature table"),
        (("centre_b_clinical.csv", lambda t: t.iloc[1:]), None,
         "study.yaml: data.clinical: no clinical row for case id(s)"),
        (None, ("clinical_model.predictors", ["age", "grade"]),
         "study.yaml: clinical_model.predictors[1]: 'grade' is not a column"),
        (None, ("data.group_column", "patient_id"), "study.yaml: data.group_column: no column 'patient_id'"),
        (("patients.csv", lambda t: t.iloc[2:]), None, "study.yaml: data.groups: no 'patient' (patient or centre)"),
        (None, ("split.internal", {"test_ids": ["case_0001", "nobody"]}),
         "study.yaml: split.internal.test_ids: case id(s) ['nobody'] are not in data.features"),
    ],
)
def test_table_contents_are_checked_with_the_key_path(folder, edit, change, message):
    if edit is not None:
        _edit_table(folder, *edit)
    study = _example() if change is None else set_key(_example(), *change)
    config = load_study_config(_write(folder, study))
    with pytest.raises(StudyConfigError) as caught:
        config.load_data(progress=False)
    assert message in str(caught.value)


def test_cohort_labels_table_internal_case_ids_and_groups_from_the_feature_table(folder):
    data = folder / "multicentre_data"
    features = pd.read_csv(data / "features.csv", dtype={"case_id": str}).set_index("case_id")
    patients = pd.read_csv(data / "patients.csv", dtype={"case_id": str}).set_index("case_id")
    features.join(patients).to_csv(data / "features.csv")
    cohort = pd.read_csv(data / "centre_b.csv", dtype={"case_id": str}).set_index("case_id")
    cohort.drop(columns="malignant").to_csv(data / "centre_b_features.csv")
    cohort[["malignant"]].to_csv(data / "centre_b_labels.csv")
    study = _example()
    del study["data"]["groups"], study["pipeline"]["combat"], study["clinical_model"], study["data"]["clinical"]
    held_out = patients.index[patients["patient"].isin(["P000", "P001"])].tolist()
    study["split"] = {
        "internal": {"test_ids": held_out},
        "centre_B": {"features": "multicentre_data/centre_b_features.csv", "labels": "multicentre_data/centre_b_labels.csv"},
    }
    built = load_study_config(_write(folder, study)).build_study(progress=False)
    assert built.split["internal"] == held_out
    X_b, y_b = built.split["centre_B"]
    assert "malignant" not in X_b.columns and y_b.equals(cohort.loc[X_b.index, "malignant"])
    assert "patient" not in built.features.columns
    assert built.groups.equals(patients["patient"].loc[built.features.index])
    assert built.feature_sets == {"radiomics": ["US"]} and built.clinical is None


def test_combat_with_the_single_test_file_form_codes_its_sites_like_the_training_table(folder):
    study = _example()
    del study["clinical_model"], study["data"]["clinical"]
    study["split"] = {"test_file": "multicentre_data/centre_b.csv"}
    config = load_study_config(_write(folder, study))
    built = config.build_study(progress=False)
    X_test, _ = built.split
    assert set(X_test["site"]) == {1}  # centre B of the sorted training sites A, B, C
    assert sorted(set(built.features["site"])) == [0, 1, 2]
    study["split"] = {"test_file": "multicentre_data/centre_c.csv"}
    _edit_table(folder, "centre_c.csv", lambda t: t.assign(site="D"))
    with pytest.raises(StudyConfigError, match=r"^study.yaml: split.test_file: site\(s\) \['D'\]"):
        load_study_config(_write(folder, study)).load_data(progress=False)


def test_methods_text_counts_the_site_column_as_no_feature(example_run):
    """ComBat removes its site column: 12 radiomic features and the covariate age are the features."""
    from radfuse.report import methods_text

    _, result = example_run
    assert result.harmonisation["radiomics"].batch == "site"
    assert ("'radiomics' (13 features from block(s) US, and the site column 'site' for harmonisation)"
            in methods_text(result))
