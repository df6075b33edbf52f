"""The report of multi-cohort, grouped and clinical-model studies (issues 14 and 15).

Every number checked in the report is read from the CSV tables the report
wrote (the StudyResult's own tables) or recomputed with scikit-learn from the
saved predictions, never re-typed.
"""

import html
import re
import warnings

from centre_cohorts import quick_pipeline, three_centres
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import LeaveOneGroupOut

from radfuse.plots import plot_study_roc
from radfuse.report import cohort_summary_table, methods_text
from radfuse.study import Study

COHORTS = ["internal", "centre_B", "centre_C"]
METRICS = ["auc", "accuracy", "sensitivity", "specificity", "ppv", "npv", "f1"]


@pytest.fixture(scope="module")
def centres():
    data, parts, clinical = three_centres()
    return data, list(parts.values()), clinical


def _run(X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Study(X, y, {"us": ["US"]}, pipeline=quick_pipeline, classifiers=["lr", "nb"], progress=False,
                     **{"cv": 3, **kwargs}).run()


@pytest.fixture(scope="module")
def cohort_report(centres, tmp_path_factory):
    """Three test cohorts (an internal hold-out and two centres) and the clinical models."""
    _, ((X_a, y_a), (X_b, y_b), (X_c, y_c)), clinical = centres
    result = _run(X_a, y_a, split={"internal": 0.3, "centre_B": (X_b, y_b), "centre_C": (X_c, y_c)},
                  clinical=clinical, clinical_model={"predictors": ["age", "grade"], "n_boot": 20})
    directory = tmp_path_factory.mktemp("cohorts")
    report = result.save(directory, save_models=False, dpi=60, comparisons=[("us/lr", "us/nb")])
    return result, directory, report.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def grouped_report(centres, tmp_path_factory):
    """Leave-one-centre-out CV on two centres, the third an external cohort."""
    data, ((X_a, y_a), (X_b, y_b), (X_c, y_c)), _ = centres
    result = _run(pd.concat([X_a, X_b]), pd.concat([y_a, y_b]), groups=data.centre,
                  split={"centre_C": (X_c, y_c)}, cv=LeaveOneGroupOut())
    directory = tmp_path_factory.mktemp("grouped")
    report = result.save(directory, save_models=False, dpi=60)
    return result, directory, report.read_text(encoding="utf-8")


def _table_after(page: str, heading: str) -> pd.DataFrame:
    """The first HTML table after the heading whose text starts with ``heading``, as strings."""
    match = re.search(r"<h[23] id=\"[^\"]+\">" + re.escape(html.escape(heading)), page)
    assert match, heading
    markup = page[match.end():].split("</table>")[0]
    header = re.findall(r"<th>(.*?)</th>", markup.split("</thead>")[0])
    body = markup.split("<tbody>")[1]
    rows = [
        [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]
    return pd.DataFrame(rows, columns=header)


def _interval(row) -> str:
    return f"{row.estimate:.3f} ({row.ci_lower:.3f}-{row.ci_upper:.3f})"


def test_every_cohort_has_its_metrics_section_equal_to_cohort_metrics(cohort_report):
    result, directory, page = cohort_report
    saved = pd.read_csv(directory / "tables" / "metrics_cohorts.csv")
    numbers = ["estimate", "ci_lower", "ci_upper"]
    pd.testing.assert_frame_equal(saved[numbers], result.cohort_metrics()[numbers], check_exact=False, rtol=1e-12)
    balance = pd.read_csv(directory / "tables" / "class_balance.csv", index_col="split")
    for cohort in COHORTS:
        n, positive = balance.loc[cohort, "n"], balance.loc[cohort, "n_positive"]
        shown = _table_after(page, f"Test cohort {cohort} ({n} cases, {positive} positive)").set_index("model")
        rows = saved[(saved["cohort"] == cohort) & saved["metric"].isin(METRICS)]
        assert len(rows) == len(shown) * len(METRICS)
        for row in rows.itertuples():
            assert shown.loc[f"{row.feature_set}/{row.classifier}", row.metric] == _interval(row), (cohort, row)
    summary = pd.read_csv(directory / "tables" / "summary_cohorts.csv", dtype=str)
    assert summary["cohort"].drop_duplicates().tolist() == COHORTS
    pd.testing.assert_frame_equal(summary, cohort_summary_table(result), check_dtype=False)


def test_cohort_figures_are_drawn_and_labelled_per_cohort(cohort_report):
    _, directory, page = cohort_report
    for cohort in COHORTS:
        for kind in ("roc", "calibration", "decision_curve", "confusion", "waterfall"):
            assert (directory / "figures" / f"{kind}_us__{cohort}.png").stat().st_size > 1000, (kind, cohort)
        assert f'alt="ROC curves of the us models: cross-validation on the training set and test cohort ' \
               f'&#x27;{cohort}&#x27;."' in page
    assert not (directory / "figures" / "roc_us.png").exists()
    captions = pd.read_csv(directory / "figures" / "captions.csv").set_index("file")
    assert "test cohort 'centre_B' (n = 100)" in captions.loc["roc_us__centre_B.png", "caption"]


def test_roc_figure_of_a_cohort_names_it():
    from radfuse.study import example_study_result

    result = example_study_result()
    assert plot_study_roc(result, "US").axes[1].get_title().startswith("Test set (n = ")
    with pytest.raises(ValueError, match="test cohort"):
        plot_study_roc(result, "US", "centre_B")


def test_roc_figure_of_a_named_cohort_is_titled_with_it(cohort_report):
    result = cohort_report[0]
    figure = plot_study_roc(result, "us", "centre_B")
    assert figure.axes[1].get_title() == f"Test cohort centre_B (n = {result.y_cohorts['centre_B'].size})"


def test_comparisons_are_made_on_every_cohort(cohort_report):
    result, directory, page = cohort_report
    compared = pd.read_csv(directory / "tables" / "comparisons.csv")
    for cohort in COHORTS:
        wide = pd.read_csv(directory / "tables" / f"predictions_{cohort}_wide.csv", index_col="case_id")
        pd.testing.assert_index_equal(wide.index.astype(str), result.y_cohorts[cohort].index.astype(str),
                                      exact=False)
        delong = compared[(compared["cohort"] == cohort) & (compared["test"] == "delong")]
        assert len(delong) == 1
        a, b = delong["a"].item(), delong["b"].item()
        expected = roc_auc_score(wide["y_true"], wide[a]) - roc_auc_score(wide["y_true"], wide[b])
        assert delong["estimate"].item() == pytest.approx(expected, abs=1e-12)
        assert f"<strong>{a} versus {b}</strong> (test cohort {cohort})" in page


def test_methods_text_names_every_cohort_with_its_counts(cohort_report):
    result, directory, _ = cohort_report
    text = (directory / "methods.md").read_text(encoding="utf-8")
    balance = result.class_balance
    for cohort in COHORTS:
        assert f"'{cohort}', {balance.loc[cohort, 'n']} cases ({balance.loc[cohort, 'n_positive']} positive)" in text
    assert "3 test cohorts" in text and "'internal' is the primary test cohort" in text
    assert "applied unchanged to each test cohort" in text
    assert text == "# Methods\n\n" + methods_text(result, [("us/lr", "us/nb")])


def test_clinical_models_section_shows_the_fits_validation_and_calibration(cohort_report):
    result, directory, page = cohort_report
    models = result.clinical_models
    section = page[page.index('">Clinical and rad-score models</h2>'):page.index('">Feature selection</h2>')]
    assert 'alt="Nomogram of the combined clinical and rad-score model."' in section
    assert 'alt="Bias-corrected bootstrap calibration curve of the combined model."' in section
    for stem in ("nomogram_us", "clinical_calibration_us"):
        assert (directory / "figures" / f"{stem}.png").stat().st_size > 1000

    validation = pd.read_csv(directory / "tables" / "clinical_models_validation.csv").set_index("index")
    shown = _table_after(page, "Internal validation of the combined model").set_index("index")
    assert shown.index.tolist() == ["Dxy", "C", "R2", "Intercept", "Slope", "Emax", "D", "U", "Q", "B", "g", "gp"]
    assert f"optimism-corrected C statistic is {validation.loc['C', 'corrected']:.3f}" in page  # the summary
    for column in ("apparent", "optimism", "corrected"):
        assert shown[column].tolist() == [f"{value:.3f}" for value in validation[column]], column

    coefficients = pd.read_csv(directory / "tables" / "clinical_models_coefficients.csv")
    shown = _table_after(page, "Coefficients and odds ratios")
    combined = coefficients[coefficients["model"] == "combined"].set_index("term")
    table = shown[shown["model"] == "combined"].set_index("term")
    assert table.index.tolist() == ["Intercept", "rad_score", "age", "grade=G2"]
    assert table.loc["grade=G2", "odds_ratio"] == f"{combined.loc['grade=G2', 'odds_ratio']:.3f}"
    assert table.loc["age", "or_ci_upper"] == f"{combined.loc['age', 'or_ci_upper']:.3f}"

    error = pd.read_csv(directory / "tables" / "clinical_models_calibration.csv")
    assert f"Mean absolute calibration error (bias-corrected): {models.calibration.mean_absolute_error:.3f}" in section
    assert error["predicted"].is_monotonic_increasing

    compared = pd.read_csv(directory / "tables" / "clinical_models_comparisons.csv")
    shown = _table_after(page, "Comparisons per test cohort")
    assert shown["cohort"].drop_duplicates().tolist() == COHORTS
    assert shown["estimate"].tolist() == [f"{value:.3f}" for value in compared["estimate"]]

    summary = _table_after(page, "Metrics on the training set (apparent) and each test cohort").set_index(
        ["split", "model"])
    data = pd.read_csv(directory / "tables" / "clinical_models_data.csv")
    for cohort in COHORTS:
        part = data[data["split"] == cohort]
        prob = models.fits["combined"].predict_proba(part)
        shown_auc = float(summary.loc[(cohort, "combined"), "auc"].split(" ")[0])
        assert shown_auc == pytest.approx(roc_auc_score(part["y"], prob), abs=5e-4)


def test_methods_state_the_clinical_models_and_their_validation(cohort_report):
    result, directory, _ = cohort_report
    text = (directory / "methods.md").read_text(encoding="utf-8")
    paragraph = text.split("**Clinical and rad-score models.**")[1].split("\n\n")[0]
    for phrase in ("linear predictor", "rms::lrm", "Harrell 2015", "Steyerberg", "B = 20 resamples",
                   "optimism", result.clinical_models.rad_score_formula, "age and grade"):
        assert phrase in paragraph, phrase


def test_leave_one_centre_out_is_reported_per_held_out_centre(grouped_report):
    result, directory, page = grouped_report
    saved = pd.read_csv(directory / "tables" / "metrics_held_out.csv")
    shown = _table_after(page, "Metrics per held-out group")
    assert sorted(shown["held_out"].unique()) == sorted(result.fold_groups.unique())
    shown = shown.set_index(["model", "held_out"])
    for row in saved[saved["metric"].isin(METRICS)].itertuples():
        assert shown.loc[(f"{row.feature_set}/{row.classifier}", row.held_out), row.metric] == _interval(row)
    text = (directory / "methods.md").read_text(encoding="utf-8")
    assert "grouped cross-validation" in text and "LeaveOneGroupOut()" in text and "per held-out group" in text
    assert "stratified 2-fold" not in text
    assert "Chosen model per held-out group" in page


def test_a_study_without_groups_has_no_held_out_section(cohort_report):
    _, directory, page = cohort_report
    assert "per held-out group" not in page
    assert not (directory / "tables" / "summary_held_out.csv").exists()


def test_one_external_cohort_is_named_as_such(grouped_report):
    result, directory, page = grouped_report
    text = (directory / "methods.md").read_text(encoding="utf-8")
    assert "1 test cohort (centre_C: external cohort): 'centre_C', 100 cases" in text
    assert "primary" not in text and "the test cohort was used once" in text
    assert (directory / "figures" / "roc_us__centre_C.png").is_file()
    assert "Clinical and rad-score models" not in page


def test_a_study_with_one_test_set_keeps_its_wording():
    from radfuse.study import example_study_result

    result = example_study_result()
    text = methods_text(result)
    assert result.cohorts == ["test"] and "cohort" not in text
    assert "applied unchanged to the test set" in text and "and a test set of" in text
