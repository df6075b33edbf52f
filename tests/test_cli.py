"""``radfuse run | compare | predict | demo`` through ``radfuse.cli.main`` on tiny data."""

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

from radfuse.cli import main
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.persistence import save_model
from radfuse.stats.reclassification import idi, nri
from radfuse.stats.roc import delong_test


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    """A tiny study run from a YAML file: the folder, the features table and the report folder."""
    folder = tmp_path_factory.mktemp("cli_run")
    cohort = make_multimodal_table(
        n_cases=100, blocks={"US": 20, "MG": 20}, n_embedding=16, class_sep=1.5, random_state=0
    )
    cohort.frame.rename_axis("case_id").to_csv(folder / "features.csv")
    study = {
        "data": {"features": "features.csv", "label_column": "malignant"},
        "feature_sets": {"radiomics": ["US", "MG"], "deep": ["cnn"]},
        "pipeline": {"univariate": False, "mrmr": {"n_features": 6}, "lasso": {"cv": 3}},
        "classifiers": ["lr", "nb"],
        "cv": {"n_splits": 2, "n_repeats": 2},
        "comparisons": [["radiomics/lr", "deep/lr"]],
        "output": "ignored-because-of---out",
        "random_state": 3,
    }
    (folder / "study.yaml").write_text(yaml.safe_dump(study))
    return folder


def test_run_writes_the_report_and_prints_best_aucs(study_run, capsys):
    code = main(["run", str(study_run / "study.yaml"), "--jobs", "1", "--out", str(study_run / "out"), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Best test AUCs" in printed and "report ->" in printed
    assert (study_run / "out" / "report.html").is_file()
    comparisons = pd.read_csv(study_run / "out" / "tables" / "comparisons.csv")
    assert set(zip(comparisons["a"], comparisons["b"])) == {("radiomics/lr", "deep/lr")}
    assert not (study_run / "ignored-because-of---out").exists()


def test_run_reports_config_mistakes_with_the_key_path(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("data: {features: x.csv, label_column: y}\nfeature_set: {a: [US]}\n")
    assert main(["run", str(tmp_path / "bad.yaml")]) == 1
    assert "bad.yaml: feature_set: unknown key; did you mean 'feature_sets'?" in capsys.readouterr().err


def test_compare_equals_radfuse_stats_on_the_same_file(data_dir, tmp_path, capsys):
    data = pd.read_csv(data_dir / "aSAH.csv")
    # Monotone maps of the biomarkers to (0, 1): the AUCs and DeLong's test are unchanged.
    data["p_s100b"] = data["s100b"] / (1 + data["s100b"])
    data["p_ndka"] = data["ndka"] / (10 + data["ndka"])
    data.to_csv(tmp_path / "predictions.csv", index=False)
    output = tmp_path / "comparison.csv"
    code = main(["compare", str(tmp_path / "predictions.csv"), "--a", "p_s100b", "--b", "p_ndka",
                 "--label", "outcome", "--pos-label", "Poor", "-o", str(output)])
    assert code == 0
    # pROC: roc(aSAH$outcome, aSAH$s100b) has AUC 0.7314, ndka 0.6120.
    assert "AUC A = 0.7314, AUC B = 0.6120" in capsys.readouterr().out
    table = pd.read_csv(output, index_col="test")
    y = (data["outcome"] == "Poor").astype(int)
    assert table.loc["delong", "statistic"] == pytest.approx(1.3908, abs=5e-5)  # pROC roc.test
    assert table.loc["delong", "pvalue"] == pytest.approx(0.1643, abs=5e-5)
    delong = delong_test(y, data["p_s100b"], data["p_ndka"])
    reclassified, integrated = nri(y, data["p_s100b"], data["p_ndka"]), idi(y, data["p_s100b"], data["p_ndka"])
    expected = {
        "delong": (delong.difference, *delong.ci, delong.statistic, delong.pvalue),
        "nri": (reclassified.nri, *reclassified.ci, reclassified.statistic, reclassified.pvalue),
        "idi": (integrated.idi, *integrated.ci, integrated.statistic, integrated.pvalue),
    }
    for test, values in expected.items():
        np.testing.assert_allclose(table.loc[test].to_numpy(dtype=float), values, rtol=1e-12)


def test_compare_of_scores_gives_delong_and_says_why_nri_idi_are_missing(data_dir, capsys):
    code = main(["compare", str(data_dir / "aSAH.csv"), "--a", "s100b", "--b", "ndka", "--label", "outcome",
                 "--pos-label", "Poor"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "1.3908" in printed and "NRI and IDI left out" in printed and "['s100b', 'ndka']" in printed


def test_compare_names_missing_columns_and_string_labels(data_dir, capsys):
    assert main(["compare", str(data_dir / "aSAH.csv"), "--a", "s100b", "--b", "nope", "--label", "outcome"]) == 1
    assert "column(s) ['nope'] not in the predictions file" in capsys.readouterr().err
    assert main(["compare", str(data_dir / "aSAH.csv"), "--a", "s100b", "--b", "ndka", "--label", "outcome"]) == 1
    assert "column 'outcome' has string labels ['Good', 'Poor']" in capsys.readouterr().err


@pytest.fixture()
def saved_model(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["US__a", "US__b", "MG__c"],
                     index=pd.Index([f"p{i}" for i in range(40)], name="case_id"))
    y = (X["US__a"] + rng.normal(0, 0.5, 40) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    path = save_model(model, tmp_path / "model.skops", metadata={"threshold": 0.5})
    return path, model, X


def test_predict_writes_probabilities_of_the_saved_model(saved_model, tmp_path):
    path, model, X = saved_model
    X.iloc[:, ::-1].to_csv(tmp_path / "new.csv")  # columns in another order are matched by name
    assert main(["predict", str(path), "--features", str(tmp_path / "new.csv"), "-o", str(tmp_path / "out.csv")]) == 0
    predictions = pd.read_csv(tmp_path / "out.csv", index_col="case_id")
    expected = model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(predictions["probability"].to_numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(predictions["predicted"].to_numpy(), (expected >= 0.5).astype(int))


def test_predict_refuses_mismatched_columns(saved_model, tmp_path, capsys):
    path, _, X = saved_model
    X.drop(columns="MG__c").to_csv(tmp_path / "missing.csv")
    assert main(["predict", str(path), "--features", str(tmp_path / "missing.csv")]) == 1
    assert "missing 1 column(s) ['MG__c']" in capsys.readouterr().err
    X.assign(extra=1.0).to_csv(tmp_path / "extra.csv")
    assert main(["predict", str(path), "--features", str(tmp_path / "extra.csv")]) == 1
    assert "1 unexpected column(s) ['extra']" in capsys.readouterr().err
    assert main(["predict", str(path), "--features", str(tmp_path / "extra.csv"), "--subset"]) == 0


def test_predict_with_a_study_model_reproduces_its_test_predictions(study_run, tmp_path):
    out = study_run / "out"
    if not (out / "models").is_dir():
        main(["run", str(study_run / "study.yaml"), "--out", str(out), "--no-progress"])
    code = main(["predict", str(out / "models" / "radiomics__nb.skops"), "--features",
                 str(study_run / "features.csv"), "--subset", "-o", str(tmp_path / "p.csv")])
    assert code == 0
    predicted = pd.read_csv(tmp_path / "p.csv", index_col="case_id")
    wide = pd.read_csv(out / "tables" / "predictions_test_wide.csv", index_col="case_id")
    np.testing.assert_allclose(predicted.loc[wide.index, "probability"], wide["radiomics/nb"], rtol=1e-10)


@pytest.mark.slow
def test_demo_quick_runs_end_to_end_and_predicts_new_images(tmp_path, capsys):
    pytest.importorskip("radiomics")  # PyRadiomics does not build on Python >= 3.12
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--jobs", "2", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "Best test AUC per feature set" in printed and "finished in" in printed
    for feature_set in ("radiomics", "deep", "early", "ensemble", "stacking"):
        assert f"  {feature_set} " in printed
    report = out / "report"
    assert (report / "report.html").is_file() and (report / "methods.md").is_file()
    methods = (report / "methods.md").read_text(encoding="utf-8")
    assert "PyRadiomics" in methods and "ICC3 > 0.9" in methods

    # New images through the model's saved extraction settings: the test cases' manifest rows.
    wide = pd.read_csv(report / "tables" / "predictions_test_wide.csv", index_col="case_id")
    manifest = pd.read_csv(out / "cohort" / "manifest.csv")
    chosen = wide.index[:6]
    manifest[manifest["case_id"].isin(chosen) & (manifest["reader"] == "R1")].to_csv(
        out / "cohort" / "new.csv", index=False
    )
    code = main(["predict", str(report / "models" / "radiomics__lr.skops"), "--manifest",
                 str(out / "cohort" / "new.csv"), "-o", str(tmp_path / "new_predictions.csv")])
    assert code == 0
    predicted = pd.read_csv(tmp_path / "new_predictions.csv", index_col="case_id")
    np.testing.assert_allclose(predicted.loc[chosen, "probability"], wide.loc[chosen, "radiomics/lr"], rtol=1e-9)
