"""Figures: the plotted data equal independent computations of the same quantities."""

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from scipy.integrate import trapezoid
from sklearn.calibration import calibration_curve
from sklearn.linear_model import lasso_path
from sklearn.metrics import brier_score_loss, confusion_matrix, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

from radfuse.models import CLASSIFIERS
from radfuse.plots import (
    plot_calibration,
    plot_confusion_matrices,
    plot_cv_roc,
    plot_decision_curve,
    plot_lasso_coefficients,
    plot_lasso_cv,
    plot_lasso_path,
    plot_roc,
    plot_study_calibration,
    plot_study_confusion_matrices,
    plot_study_decision_curve,
    plot_study_lasso,
    plot_study_lasso_coefficients,
    plot_study_roc,
    plot_study_waterfall,
    plot_waterfall,
)
from radfuse.plots._style import NEGATIVE_COLOUR, POSITIVE_COLOUR
from radfuse.study import example_study_result


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 120)
    logits = {"strong": 2.5 * y - 1.2, "weak": 0.8 * y - 0.4, "noise": np.zeros(120)}
    probs = {name: 1 / (1 + np.exp(-(shift + rng.normal(0, 1, 120)))) for name, shift in logits.items()}
    return y, probs


@pytest.fixture(scope="module")
def study_result():
    return example_study_result()


def _legend_labels(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def _assert_labelled(figure: Figure) -> None:
    for ax in figure.axes:
        if ax.axison:
            assert ax.get_xlabel() and ax.get_ylabel(), "every axes needs both axis labels"
            assert ax.get_title(), "every axes needs a title"


def test_roc_lines_are_sklearn_roc_curves_and_legend_aucs(predictions):
    y, probs = predictions
    figure = plot_roc(y, probs, title="Test set")
    ax = figure.axes[0]
    _assert_labelled(figure)
    labels = _legend_labels(ax)
    assert [label.split(" (")[0] for label in labels] == list(probs)
    for line, label, (name, prob) in zip(ax.get_lines(), labels, probs.items()):
        fpr, tpr, _ = roc_curve(y, prob)
        np.testing.assert_array_equal(line.get_xdata(), fpr)
        np.testing.assert_array_equal(line.get_ydata(), tpr)
        shown = float(re.search(r"AUC ([0-9.]+)", label).group(1))
        assert shown == pytest.approx(roc_auc_score(y, prob), abs=5e-4)


def test_cv_roc_legend_is_mean_and_sd_of_fold_aucs(predictions):
    y, probs = predictions
    folds = {name: [] for name in probs}
    for _, test in StratifiedKFold(4, shuffle=True, random_state=0).split(y, y):
        for name, prob in probs.items():
            folds[name].append((y[test], prob[test]))
    figure = plot_cv_roc(folds)
    ax = figure.axes[0]
    _assert_labelled(figure)
    for line, label, (name, parts) in zip(ax.get_lines(), _legend_labels(ax), folds.items()):
        aucs = np.array([roc_auc_score(y_fold, s) for y_fold, s in parts])
        mean, sd = (float(v) for v in re.search(r"AUC ([0-9.]+) \u00b1 ([0-9.]+)", label).groups())
        assert mean == pytest.approx(aucs.mean(), abs=5e-4)
        assert sd == pytest.approx(aucs.std(ddof=1), abs=5e-4)
        # Vertical averaging on a 101-point grid: the area under the mean curve
        # is the mean AUC up to interpolation error.
        assert trapezoid(line.get_ydata(), line.get_xdata()) == pytest.approx(aucs.mean(), abs=0.02)


def test_calibration_points_equal_sklearn_calibration_curve(predictions):
    y, probs = predictions
    figure = plot_calibration(y, probs, n_bins=5, strategy="uniform")
    ax = figure.axes[0]
    _assert_labelled(figure)
    for line, label, prob in zip(ax.get_lines(), _legend_labels(ax), probs.values()):
        observed, predicted = calibration_curve(y, prob, n_bins=5, strategy="uniform")
        np.testing.assert_allclose(line.get_xdata(), predicted, rtol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), observed, rtol=1e-12)
        brier = float(re.search(r"Brier ([0-9.]+)", label).group(1))
        assert brier == pytest.approx(brier_score_loss(y, prob), abs=5e-4)


def test_decision_curve_net_benefit_follows_the_formula(predictions):
    y, probs = predictions
    thresholds = np.linspace(0.05, 0.6, 12)
    figure = plot_decision_curve(y, probs, thresholds=thresholds)
    ax = figure.axes[0]
    _assert_labelled(figure)
    assert _legend_labels(ax) == [*probs, "Treat all", "Treat none"]
    lines = ax.get_lines()
    n, odds = y.size, thresholds / (1 - thresholds)
    for line, prob in zip(lines, probs.values()):
        treated = prob[:, None] >= thresholds
        tp = (treated & (y[:, None] == 1)).sum(axis=0)
        fp = (treated & (y[:, None] == 0)).sum(axis=0)
        np.testing.assert_allclose(line.get_ydata(), tp / n - fp / n * odds, atol=1e-12)
    prevalence = y.mean()
    np.testing.assert_allclose(lines[len(probs)].get_ydata(), prevalence - (1 - prevalence) * odds, atol=1e-12)
    np.testing.assert_array_equal(lines[len(probs) + 1].get_ydata(), 0.0)


def test_waterfall_bars_are_sorted_probabilities_coloured_by_class(predictions):
    y, probs = predictions
    prob, threshold = probs["strong"], 0.4
    figure = plot_waterfall(y, prob, threshold, class_names=("benign", "malignant"))
    ax = figure.axes[0]
    _assert_labelled(figure)
    bars = sorted(ax.patches, key=lambda bar: bar.get_x())
    tops = np.array([bar.get_y() + bar.get_height() for bar in bars])
    np.testing.assert_allclose(tops, np.sort(prob)[::-1], atol=1e-12)
    assert all(bar.get_y() == pytest.approx(threshold) for bar in bars)
    colours = [bar.get_facecolor() for bar in bars]
    order = np.argsort(-prob, kind="stable")
    expected = [to_rgba(POSITIVE_COLOUR if label else NEGATIVE_COLOUR) for label in y[order]]
    assert colours == expected
    assert any("threshold 0.400" in label for label in _legend_labels(ax))


def test_confusion_matrix_counts_equal_sklearn(predictions):
    y, probs = predictions
    thresholds = {"strong": 0.5, "weak": 0.45, "noise": 0.55}
    figure = plot_confusion_matrices(y, probs, thresholds)
    for ax, (name, prob) in zip(figure.axes, probs.items()):
        expected = confusion_matrix(y, (prob >= thresholds[name]).astype(int))
        shown = np.zeros((2, 2), dtype=int)
        for text in ax.texts:
            row, column = round(text.get_position()[1]), round(text.get_position()[0])
            shown[row, column] = int(text.get_text().split("\n")[0])
        np.testing.assert_array_equal(shown, expected)
        assert ax.get_xlabel() == "Predicted" and ax.get_ylabel() == "True"
        assert name in ax.get_title()


@pytest.fixture(scope="module")
def lasso_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    y = X[:, 0] - 0.5 * X[:, 1] + rng.normal(0, 0.5, 80)
    centred = y - y.mean()
    # 30 alphas from the smallest that zeroes every coefficient down 3 decades,
    # passed explicitly: scikit-learn < 1.7 takes no count as `alphas`.
    alpha_max = np.abs(X.T @ centred).max() / len(y)
    alphas, path, _ = lasso_path(X, centred, alphas=np.geomspace(alpha_max, alpha_max / 1000, 30))
    names = [f"US__feature_{i}" for i in range(6)]
    return alphas, pd.DataFrame(path, index=names, columns=alphas)


def test_lasso_cv_plots_mean_and_se_against_log_lambda(lasso_data):
    alphas, _ = lasso_data
    mean, se = np.linspace(1.0, 0.4, alphas.size), np.full(alphas.size, 0.05)
    figure = plot_lasso_cv(alphas, mean, se, alphas[20])
    ax = figure.axes[0]
    _assert_labelled(figure)
    errorbar = ax.containers[0]
    np.testing.assert_allclose(errorbar.lines[0].get_xdata(), np.log(alphas))
    np.testing.assert_allclose(errorbar.lines[0].get_ydata(), mean)
    segments = errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose([segment[1, 1] - segment[0, 1] for segment in segments], 2 * se)
    chosen = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert chosen[0].get_xdata()[0] == pytest.approx(np.log(alphas[20]))


def test_lasso_path_lines_equal_the_coefficient_path(lasso_data):
    alphas, path = lasso_data
    figure = plot_lasso_path(path, alphas[25])
    ax = figure.axes[0]
    _assert_labelled(figure)
    lines = ax.get_lines()[: len(path)]
    for line, (_, coefficients) in zip(lines, path.iterrows()):
        np.testing.assert_allclose(line.get_xdata(), np.log(alphas))
        np.testing.assert_allclose(line.get_ydata(), coefficients.to_numpy())
    at_choice = path.iloc[:, 25]
    named = [label for label in _legend_labels(ax) if not label.startswith("chosen")]
    assert set(named) == set(at_choice[at_choice != 0].index)


def test_lasso_coefficients_show_only_nonzero_sorted():
    coef = pd.Series([0.4, 0.0, -0.2, 0.1], index=["a", "b", "c", "d"])
    figure = plot_lasso_coefficients(coef)
    ax = figure.axes[0]
    widths = [bar.get_width() for bar in sorted(ax.patches, key=lambda bar: bar.get_y())]
    assert widths == [-0.2, 0.1, 0.4]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["c", "d", "a"]
    assert ax.get_xlabel() == "LASSO coefficient"
    with pytest.raises(ValueError, match="every coefficient is zero"):
        plot_lasso_coefficients(pd.Series([0.0, 0.0], index=["a", "b"]))


def test_saved_png_and_svg_are_non_empty(predictions, tmp_path):
    y, probs = predictions
    figure = plot_roc(y, probs)
    figure.savefig(tmp_path / "roc.png")
    figure.savefig(tmp_path / "roc.svg")
    assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "roc.png").stat().st_size > 10_000
    svg = (tmp_path / "roc.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "strong" in svg


def test_bad_predictions_name_the_model(predictions):
    y, probs = predictions
    with pytest.raises(ValueError, match="predictions of 'short'"):
        plot_roc(y, {"short": probs["strong"][:10]})
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        plot_calibration(y, {"scores": probs["strong"] * 3})
    with pytest.raises(TypeError, match="dict of model name"):
        plot_decision_curve(y, probs["strong"])


def test_study_roc_panels_show_cv_and_test_curves(study_result):
    figure = plot_study_roc(study_result, "MG")
    cv_ax, test_ax = figure.axes
    _assert_labelled(figure)
    # Legends use the classifiers' short labels from radfuse.models.CLASSIFIERS.
    assert [label.split(" (")[0] for label in _legend_labels(test_ax)] == [CLASSIFIERS["lr"].short_label] == ["LR"]
    assert [label.split(" (")[0] for label in _legend_labels(cv_ax)] == ["LR"]
    y = study_result.y_test
    prob = study_result.probabilities("MG/lr").loc[y.index]
    fpr, tpr, _ = roc_curve(y, prob)
    np.testing.assert_array_equal(test_ax.get_lines()[0].get_xdata(), fpr)
    np.testing.assert_array_equal(test_ax.get_lines()[0].get_ydata(), tpr)
    folds = study_result.fold_scores().query("feature_set == 'MG' and classifier == 'lr'")
    mean = float(re.search(r"AUC ([0-9.]+)", _legend_labels(cv_ax)[0]).group(1))
    assert mean == pytest.approx(folds["auc"].mean(), abs=5e-4)


def test_study_figures_are_labelled(study_result):
    figures = [
        plot_study_calibration(study_result, "MG"),
        plot_study_decision_curve(study_result, "MG"),
        plot_study_waterfall(study_result, "MG/lr"),
        plot_study_lasso(study_result, "US"),
        plot_study_lasso_coefficients(study_result, "US"),
    ]
    for figure in figures:
        _assert_labelled(figure)
    matrices = plot_study_confusion_matrices(study_result, "US")
    threshold = float(study_result.thresholds[("US", "lr")])
    assert f"threshold {threshold:.3f}" in matrices.axes[0].get_title()
    with pytest.raises(ValueError, match="no feature set 'missing'"):
        plot_study_calibration(study_result, "missing")


def test_roc_vertices_equal_sklearn_roc_curve_with_ties():
    from radfuse.plots._roc import _roc_vertices

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 50)
    score = np.round(rng.uniform(size=50), 1)  # many ties
    fpr, tpr = _roc_vertices(y, score)
    expected_fpr, expected_tpr, _ = roc_curve(y, score, drop_intermediate=False)
    np.testing.assert_allclose(fpr, expected_fpr, atol=1e-15)
    np.testing.assert_allclose(tpr, expected_tpr, atol=1e-15)


def test_roc_band_equals_percentiles_of_sklearn_curves_on_the_same_resamples(predictions):
    from radfuse.plots import roc_confidence_band

    y, probs = predictions
    score = probs["weak"]
    grid, lower, upper = roc_confidence_band(y, score, n_bootstraps=200, level=0.9, grid_size=21, random_state=5)
    rng = np.random.default_rng(5)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    curves = []
    for _ in range(200):
        cases = np.r_[rng.choice(positives, positives.size), rng.choice(negatives, negatives.size)]
        fpr, tpr, _ = roc_curve(y[cases], score[cases], drop_intermediate=False)
        # Highest sensitivity reached at or below each false-positive rate.
        curves.append([tpr[fpr <= rate].max() for rate in grid])
    np.testing.assert_allclose(lower, np.percentile(curves, 5, axis=0), atol=1e-12)
    np.testing.assert_allclose(upper, np.percentile(curves, 95, axis=0), atol=1e-12)
    fpr, tpr, _ = roc_curve(y, score)
    inside = np.mean([(lo - 1e-9 <= tpr[fpr <= rate].max() <= hi + 1e-9) for rate, lo, hi in zip(grid, lower, upper)])
    assert inside >= 0.9, "the observed curve should lie inside its own bootstrap band"


def test_roc_figure_shades_one_band_per_model(predictions):
    y, probs = predictions
    ax = plot_roc(y, probs, n_bootstraps=50).axes[0]
    assert len(ax.collections) == len(probs)
    assert not plot_roc(y, probs, ci_band=False).axes[0].collections


def test_calibration_panels_show_sklearn_bins_with_statsmodels_wilson_intervals(predictions):
    from statsmodels.stats.proportion import proportion_confint

    from radfuse.plots import calibration_bins, plot_calibration_panels

    y, probs = predictions
    figure = plot_calibration_panels(y, probs, n_bins=4)
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 3
    _assert_labelled(figure)
    ax = figure.axes[0]
    container = ax.containers[0]
    observed, predicted = calibration_curve(y, probs["strong"], n_bins=4, strategy="quantile")
    line = container.lines[0]
    np.testing.assert_allclose(line.get_xdata(), predicted, atol=1e-12)
    np.testing.assert_allclose(line.get_ydata(), observed, atol=1e-12)
    segments = container.lines[2][0].get_segments()
    edges = np.quantile(probs["strong"], np.linspace(0, 1, 5))
    bins = np.clip(np.searchsorted(edges, probs["strong"], side="right") - 1, 0, 3)
    for segment, bin_number in zip(segments, range(4)):
        events, n = int(y[bins == bin_number].sum()), int((bins == bin_number).sum())
        low, high = proportion_confint(events, n, alpha=0.05, method="wilson")
        assert segment[0][1] == pytest.approx(low, abs=1e-10) and segment[1][1] == pytest.approx(high, abs=1e-10)
    assert "Brier" in ax.get_title()
    assert calibration_bins(120) == 10 and calibration_bins(20) == 3


def test_decision_curve_range_defaults_to_half_and_can_follow_the_data(predictions):
    y, probs = predictions
    ax = plot_decision_curve(y, probs).axes[0]
    assert ax.get_xlim() == (0.0, 0.5)
    assert ax.get_lines()[0].get_xdata().max() == pytest.approx(0.5)
    assert 0.5 in np.round(ax.get_xticks(), 6)
    top = np.ceil(np.quantile(np.concatenate(list(probs.values())), 0.99) * 20) / 20
    assert plot_decision_curve(y, probs, threshold_range="data").axes[0].get_xlim()[1] == pytest.approx(top)
    with pytest.raises(ValueError, match="threshold_range"):
        plot_decision_curve(y, probs, threshold_range=(0.4, 0.2))


def test_smoothed_decision_curve_is_less_jagged_and_keeps_the_references(predictions):
    y, probs = predictions
    raw = plot_decision_curve(y, probs).axes[0].get_lines()
    smooth = plot_decision_curve(y, probs, smooth=True).axes[0].get_lines()
    for raw_line, smooth_line in zip(raw[:3], smooth[:3]):
        assert np.abs(np.diff(smooth_line.get_ydata(), 2)).sum() < np.abs(np.diff(raw_line.get_ydata(), 2)).sum()
    np.testing.assert_array_equal(raw[3].get_ydata(), smooth[3].get_ydata())  # treat all


@pytest.mark.parametrize("make", [
    lambda y, p: plot_roc(y, p, n_bootstraps=20),
    lambda y, p: plot_decision_curve(y, p),
    lambda y, p: plot_calibration(y, p),
    lambda y, p: plot_lasso_cv([1.0, 0.1, 0.01], [0.25, 0.18, 0.21], [0.02, 0.02, 0.03], alpha=0.1),
])
def test_legends_sit_outside_the_data_area(predictions, make):
    figure = make(*predictions)
    figure.canvas.draw()  # lays the figure out so the extents are final
    renderer = figure.canvas.get_renderer() if hasattr(figure.canvas, "get_renderer") else figure._get_renderer()
    ax = figure.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))
