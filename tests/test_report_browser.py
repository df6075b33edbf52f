"""The HTML report as a reader sees it: rendered by headless Chromium.

Needs Debian's ``chromium`` (CI: ``apt-get install -y chromium``); skipped
with that reason where it is absent. Keeps a screenshot of the report's
first screens in ``$RADFUSE_TEST_ARTIFACTS`` (default ``test-artifacts/``).
"""

import os
from pathlib import Path

import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

from browser_check import check_page, find_chromium, screenshot
from radfuse.datasets import make_multimodal_table
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.study import Study

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed: the browser test of report.html needs `apt-get install -y chromium` "
    "(Debian package 'chromium'); .ci/run must install it for this test to run in CI.",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    X, y = make_multimodal_table(
        n_cases=100, blocks={"US": 20, "MG": 20}, n_embedding=16, class_sep=1.5, return_X_y=True, random_state=0
    )

    def pipeline(classifier, random_state):
        return make_radiomics_pipeline(
            classifier, univariate=False, mrmr={"n_features": 6}, lasso={"cv": 3}, random_state=random_state
        )

    study = Study(
        X, y, {"radiomics": ["US", "MG"], "deep": ["cnn"]}, pipeline=pipeline, classifiers=["lr", "nb"],
        fusion={"stacking": {"blocks": ["radiomics", "deep"], "final_estimator": "lr"}},
        cv=RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0), random_state=0, progress=False,
    )
    return study.run().save(tmp_path_factory.mktemp("browser"), save_models=False)


@pytest.mark.parametrize("width", [1280, 800])
def test_report_renders_every_image_resolves_every_anchor_and_fits_the_page(report, width):
    found = check_page(report, width=width, chromium=CHROMIUM)
    assert found["images"] >= 18
    assert found["broken"] == [], "images that did not decode"
    assert found["anchors"] >= 10 and found["dangling"] == [], "links to ids that do not exist"
    assert found["scroll_width"] <= found["client_width"], "the page scrolls sideways"
    assert found["overflowing"] == [], "elements reaching past the page outside a scrolling box"


def test_report_screenshot_is_kept_as_an_artefact(report):
    folder = Path(os.environ.get("RADFUSE_TEST_ARTIFACTS", "test-artifacts"))
    path = screenshot(report, folder / "report-top.png", chromium=CHROMIUM)
    assert path.stat().st_size > 20_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cohort_report(tmp_path_factory):
    """Issues 14/15: three test cohorts, leave-one-centre-out CV and the clinical models in one report."""
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import LeaveOneGroupOut

    data = make_multimodal_table(n_cases=400, blocks={"US": 20}, n_embedding=0, centres=4, random_state=0)
    rng = np.random.default_rng(0)
    clinical = pd.DataFrame({"age": 55 + 8 * data.target + rng.normal(0, 10, data.target.size),
                             "grade": np.where(rng.random(data.target.size) < 0.4, "G2", "G1")},
                            index=data.data.index)
    parts = {c: (data.data[(data.centre == c).to_numpy()], data.target[(data.centre == c).to_numpy()])
             for c in data.centre.unique()}
    (X_a, y_a), (X_b, y_b), (X_c, y_c), (X_d, y_d) = parts.values()

    def pipeline(classifier, random_state):
        return make_radiomics_pipeline(classifier, univariate=False, spearman=False, mrmr={"n_features": 6},
                                       lasso={"cv": 3}, random_state=random_state)

    study = Study(
        pd.concat([X_a, X_b]), pd.concat([y_a, y_b]), {"us": ["US"]}, pipeline=pipeline, classifiers=["lr", "nb"],
        groups=data.centre, cv=LeaveOneGroupOut(), split={"centre_C": (X_c, y_c), "centre_D": (X_d, y_d)},
        clinical=clinical, clinical_model={"predictors": ["age", "grade"], "n_boot": 20}, progress=False,
    )
    return study.run().save(tmp_path_factory.mktemp("browser-cohorts"), save_models=False, dpi=100)


def test_cohort_and_clinical_report_renders_and_fits_the_page(cohort_report):
    page = cohort_report.read_text(encoding="utf-8")
    assert "Test cohort centre_D" in page and "Metrics per held-out group" in page and "Nomogram" in page
    found = check_page(cohort_report, width=800, chromium=CHROMIUM)
    assert found["images"] >= 15 and found["broken"] == []
    assert found["dangling"] == []
    assert found["scroll_width"] <= found["client_width"], "the page scrolls sideways"
    assert found["overflowing"] == [], "elements reaching past the page outside a scrolling box"
