"""``radfuse run | compare | predict | demo`` through ``radfuse.cli.main`` on tiny data."""

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LogisticRegression

from radfuse.cli import main
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.persistence import save_model
from radfuse.stats import idi, nri
from radfuse.stats import delong_test


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


def test_run_writes_the_report_and_prints_the_cv_ranking(study_run, capsys):
    code = main(["run", str(study_run / "study.yaml"), "--jobs", "1", "--out", str(study_run / "out"), "--no-progress"])
    assert code == 0
    captured = capsys.readouterr()
    assert "Models ranked by mean CV AUC on the training set" in captured.out and "report ->" in captured.err
    header, *rows = captured.out.splitlines()[1:5]
    for column in ("CV AUC", "test AUC"):
        start = header.index(column)
        assert all(row[start - 2:start] == "  " and row[start].isdigit() for row in rows), f"{column} aligned"
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
        "delong": (delong.estimate, *delong.ci, delong.statistic, delong.pvalue),
        "nri": (reclassified.estimate, *reclassified.ci, reclassified.statistic, reclassified.pvalue),
        "idi": (integrated.estimate, *integrated.ci, integrated.statistic, integrated.pvalue),
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
    printed = capsys.readouterr().err
    assert "Best model per feature set by mean CV AUC" in printed and "finished in" in printed
    for feature_set in ("radiomics", "deep", "early", "ensemble", "stacking"):
        assert f"  {feature_set}/" in printed
    report = out / "report"
    assert (report / "report.html").is_file() and (report / "methods.md").is_file()
    methods = (report / "methods.md").read_text(encoding="utf-8")
    assert "PyRadiomics" in methods and "(ICC(3,1): two-way mixed effects, consistency, single rater) above 0.9" in methods
    assert "fitted within each training fold" in methods and "before the split" not in methods

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


# ------------------------------------------------------------------ common options, errors, exit codes
def test_quiet_verbose_and_log_file(study_run, tmp_path, capsys):
    from radfuse.cli import _logging
    import argparse
    import logging
    import warnings

    log_file = tmp_path / "logs" / "run.log"
    args = argparse.Namespace(quiet=True, verbose=False, log_file=str(log_file))
    with _logging(args):
        logging.getLogger("radfuse.x").info("an info line")
        logging.getLogger("radfuse.x").debug("a debug line")
        warnings.warn("a warning line", UserWarning)
    err = capsys.readouterr().err
    assert "an info line" not in err and "a warning line" in err
    text = log_file.read_text(encoding="utf-8")
    assert "INFO radfuse.x: an info line" in text and "a debug line" in text and "a warning line" in text
    with _logging(argparse.Namespace(quiet=False, verbose=True, log_file=None)):
        logging.getLogger("radfuse.x").debug("now shown")
    assert "now shown" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["compare", "x.csv", "--a", "a", "--b", "b", "--label", "y", "-q", "-v"])


def test_progress_bars_only_on_a_terminal(monkeypatch):
    import argparse
    import sys

    from radfuse.cli import show_progress

    args = argparse.Namespace(quiet=False, no_progress=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert show_progress(args) is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert show_progress(args) is True
    assert show_progress(argparse.Namespace(quiet=True, no_progress=False)) is False
    assert show_progress(argparse.Namespace(quiet=False, no_progress=True)) is False


def test_errors_name_command_line_flags_not_api_arguments():
    from radfuse.cli import _as_flags

    message = "extract_features: P1 failed [read_error]. Fix the input, or pass on_error='record' to list it; n_jobs"
    assert _as_flags(message) == (
        "extract_features: P1 failed [read_error]. Fix the input, or pass --on-error record to list it; --jobs"
    )


def test_output_checks_run_before_any_work_with_documented_exit_codes(tmp_path, capsys, monkeypatch):
    import sys

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    missing_manifest = str(tmp_path / "no-manifest.csv")
    # The manifest does not exist either: the output is checked first, before any reading.
    assert main(["extract", missing_manifest, "-o", str(blocker / "features.csv")]) == 4
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is a file, not a folder" in err and "-o/--output" in err
    assert main(["extract", missing_manifest, "-o", str(tmp_path / "features.xlsx")]) == 1
    assert "cannot tell the format of" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert main(["extract", missing_manifest, "-o", str(tmp_path / "features.parquet")]) == 3
    assert "needs pyarrow" in capsys.readouterr().err
    assert main(["extract", missing_manifest, "-o", str(tmp_path / "out.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["run", "missing.yaml", "--out", str(blocker / "results")]) == 1  # study file read first
    assert main(["demo", "--out", str(blocker / "demo")]) == 4
    assert main(["predict", "m.skops", "--features", "f.csv", "-o", str(tmp_path / "p.txt")]) == 1
    assert "p.txt'; use a .csv suffix" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_output_folder_is_refused_before_work(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert main(["extract", str(tmp_path / "none.csv"), "-o", str(folder / "f.csv")]) == 4
        assert "cannot be written" in capsys.readouterr().err
    finally:
        folder.chmod(0o755)


def test_run_output_inside_a_file_is_refused_before_the_study_runs(study_run, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["run", str(study_run / "study.yaml"), "--out", str(blocker / "results")]) == 4
    assert "is a file, not a folder" in capsys.readouterr().err


def test_extract_exits_5_when_cases_failed_and_accepts_a_pyradiomics_batch_file(tmp_path, capsys):
    pytest.importorskip("radiomics")
    from radfuse.datasets.imaging import make_imaging_cohort
    from radfuse.extract._dependencies import import_sitk

    manifest, _ = make_imaging_cohort(tmp_path / "cohort", n_cases=3, modalities=("US",), second_reader_fraction=0)
    sitk = import_sitk()
    empty = sitk.ReadImage(str(manifest["mask"].iloc[2])) * 0
    sitk.WriteImage(empty, str(tmp_path / "empty_mask.nrrd"))
    batch = pd.DataFrame({"ID": manifest["case_id"], "Image": manifest["image"], "Mask": manifest["mask"]})
    batch.loc[2, "Mask"] = str(tmp_path / "empty_mask.nrrd")
    batch.to_csv(tmp_path / "batch.csv", index=False)
    # 2D ultrasound: PyRadiomics' default 3D shape class would yield nothing (an error).
    (tmp_path / "params.yaml").write_text("featureClass: {firstorder: [], shape2D: []}\nsetting: {force2D: true}\n")
    code = main(["extract", str(tmp_path / "batch.csv"), "--params", str(tmp_path / "params.yaml"),
                 "-o", str(tmp_path / "f.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 5 and "1 work item(s) failed" in err and "--allow-failures" in err
    table = pd.read_csv(tmp_path / "f.csv", index_col=0)
    assert len(table) == 2 and all(column.startswith("radiomics__") for column in table.columns)
    assert main(["extract", str(tmp_path / "batch.csv"), "--params", str(tmp_path / "params.yaml"),
                 "-o", str(tmp_path / "g.csv"), "--allow-failures", "-q"]) == 0


def test_predict_keeps_the_id_column_name(study_run, tmp_path):
    out = study_run / "out"
    if not (out / "models").is_dir():
        main(["run", str(study_run / "study.yaml"), "--out", str(out), "--no-progress"])
    features = pd.read_csv(study_run / "features.csv").rename(columns={"case_id": "patient_id"})
    features.to_csv(tmp_path / "renamed.csv", index=False)
    assert main(["predict", str(out / "models" / "radiomics__nb.skops"), "--features", str(tmp_path / "renamed.csv"),
                 "--id-column", "patient_id", "--subset", "-o", str(tmp_path / "p.csv")]) == 0
    predicted = pd.read_csv(tmp_path / "p.csv")
    assert predicted.columns[0] == "patient_id"
    assert predicted["patient_id"].astype(str).tolist() == features["patient_id"].astype(str).tolist()


def test_compare_prints_aligned_columns_and_small_pvalues_as_such(data_dir, tmp_path, capsys):
    data = pd.read_csv(data_dir / "aSAH.csv")
    data["p_s100b"] = data["s100b"] / (1 + data["s100b"])
    data["p_wfns"] = data["wfns"] / 5
    data.to_csv(tmp_path / "predictions.csv", index=False)
    assert main(["compare", str(tmp_path / "predictions.csv"), "--a", "p_wfns", "--b", "p_s100b",
                 "--label", "outcome", "--pos-label", "Poor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("test"))
    rows = lines[lines.index(header) + 1:lines.index(header) + 4]
    end = header.index("pvalue") + len("pvalue")
    assert all(len(row) == len(header) for row in rows), "right-aligned to the header"
    pvalues = [row[header.index("statistic") + len("statistic"):end].strip() for row in rows]
    expected = [delong_test((data["outcome"] == "Poor").astype(int), data["p_wfns"], data["p_s100b"]).pvalue]
    assert pvalues[0] == (f"{expected[0]:.3f}" if expected[0] >= 0.001 else "<0.001")
    assert "0.0000" not in "\n".join(rows)


def test_run_seed_overrides_the_study_file(study_run, tmp_path):
    assert main(["run", str(study_run / "study.yaml"), "--out", str(tmp_path / "seeded"), "--seed", "7", "-q"]) == 0
    assert "random seed 7" in (tmp_path / "seeded" / "methods.md").read_text(encoding="utf-8")


def test_init_writes_a_commented_study_file_with_every_key(tmp_path, capsys):
    from radfuse.config import load_study_config
    from radfuse.config._schema import _DATA_KEYS, _TOP_KEYS
    from radfuse.pipeline import PROTOCOL_STEPS

    path = tmp_path / "study.yaml"
    assert main(["init", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    for key in (*_TOP_KEYS, *_DATA_KEYS, *PROTOCOL_STEPS, "strategy", "final_estimator", "param_grid",
                "test_file", "test_size", "test_ids", "weighting", "covariates", "predictors", "n_boot"):
        assert f"{key}:" in text, key
    assert sum(line.lstrip().startswith("#") or "  #" in line for line in text.splitlines()) > 60
    assert main(["init", str(path)]) == 1 and "--force" in capsys.readouterr().err
    cohort = make_multimodal_table(n_cases=40, blocks={"MRI": 5}, n_embedding=0, random_state=0)
    cohort.data.rename_axis("case_id").assign(outcome=cohort.target).to_csv(tmp_path / "features.csv")
    config = load_study_config(path)
    assert config.feature_sets == {"radiomics": ["MRI"]}
    assert config.random_state == 0 and config.cv == {"n_splits": 5, "n_repeats": 20}


def test_a_table_without_block_names_gets_the_naming_explained(tmp_path):
    from radfuse.study import Study

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=["mean", "entropy", "volume"])
    y = pd.Series([0, 1] * 15)
    with pytest.raises(ValueError, match="No column is named '<block>__<feature>'"):
        Study(X, y, {"radiomics": ["MRI"]}, progress=False).run()


def test_the_readme_study_file_finds_its_shipped_data():
    from pathlib import Path

    from radfuse.config import load_study_config

    study = Path(__file__).resolve().parent.parent / "examples" / "alnm_protocol.yaml"
    config = load_study_config(study)
    data = config.load_data(progress=False)
    assert data.features.shape[0] == 200 and any(column.startswith("MRI__") for column in data.features.columns)
    assert config.output == study.parent / "alnm_results"
