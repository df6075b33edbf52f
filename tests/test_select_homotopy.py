"""The batched LASSO homotopy against scikit-learn's LARS-LASSO (lars_path)."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_regression
from sklearn.linear_model import lars_path

from lasso_reference import exact_lasso_path

from radfuse.select import _homotopy
from radfuse.select._homotopy import (
    HomotopyFailed,
    _check_stretch,
    centred_moments,
    lasso_homotopy_path,
)


def whole(X, y, alphas, **kwargs):
    grams, correlations, _, _ = centred_moments(X, y, [np.arange(len(y))])
    coefs, knots = lasso_homotopy_path(grams, correlations, alphas, **kwargs)
    return coefs[0], knots[0]


def test_path_with_a_feature_leaving_equals_lars_lasso():
    # On the diabetes data the LASSO path drops a feature and takes it back
    # (Efron et al. 2004, section 3.1): the LASSO modification is exercised.
    X, y = load_diabetes(return_X_y=True)
    lasso_knots = lars_path(X - X.mean(axis=0), y - y.mean(), method="lasso")[0]
    lar_knots = lars_path(X - X.mean(axis=0), y - y.mean(), method="lar")[0]
    assert lasso_knots.size > lar_knots.size
    alphas = np.geomspace(1.5 * lasso_knots[0], 1e-4 * lasso_knots[0], 400)
    coefs, knots = whole(X, y, alphas)
    expected = exact_lasso_path(X, y, alphas)
    np.testing.assert_allclose(coefs, expected, rtol=0, atol=1e-10 * np.abs(expected).max())
    assert knots[alphas >= lasso_knots[0]].max() == 0
    assert knots.max() == lasso_knots.size - 1


def test_a_batch_of_unequal_problems_equals_each_problem_alone():
    rng = np.random.default_rng(0)
    X, y = make_regression(n_samples=300, n_features=25, n_informative=10, effective_rank=8,
                           noise=1.0, random_state=0)
    parts = [rng.choice(300, size=size, replace=False) for size in (40, 90, 150, 300)]
    alphas = np.geomspace(np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / 300, 1e-5, 60)
    grams, correlations, x_means, y_means = centred_moments(X, y, parts)
    coefs, _ = lasso_homotopy_path(grams, correlations, alphas)
    for part, coef, x_mean, y_mean in zip(parts, coefs, x_means, y_means):
        expected = exact_lasso_path(X[part], y[part], alphas)
        np.testing.assert_allclose(coef, expected, rtol=0, atol=1e-9 * max(np.abs(expected).max(), 1))
        np.testing.assert_allclose(x_mean, X[part].mean(axis=0), rtol=0, atol=1e-14 * np.abs(X).max())
        assert y_mean == pytest.approx(y[part].mean(), rel=0, abs=1e-14 * np.abs(y).max())


def test_moments_of_parts_equal_each_part_centred_alone():
    # Parts as cross-validation makes them (most rows once) and as the
    # bootstrap does (rows repeated, others left out); the moments come from
    # the whole table's less the rows whose count differs.
    rng = np.random.default_rng(1)
    X, y = make_regression(n_samples=120, n_features=8, noise=1.0, random_state=1)
    X, y = X * 50 + 200, y + 1000  # far-off means: the centring must not lose precision
    parts = [np.delete(np.arange(120), np.arange(k, 120, 10)) for k in range(3)]
    parts += [rng.choice(120, size=120, replace=True), np.arange(120), np.arange(10)]
    grams, correlations, x_means, y_means = centred_moments(X, y, parts)
    for part, gram, correlation, x_mean, y_mean in zip(parts, grams, correlations, x_means, y_means):
        X_centred, y_centred = X[part] - X[part].mean(axis=0), y[part] - y[part].mean()
        expected = X_centred.T @ X_centred / len(part)
        np.testing.assert_allclose(gram, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
        np.testing.assert_array_equal(gram, gram.T)
        expected = X_centred.T @ y_centred / len(part)
        np.testing.assert_allclose(correlation, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
        np.testing.assert_allclose(x_mean, X[part].mean(axis=0), rtol=1e-14)
        assert y_mean == pytest.approx(y[part].mean(), rel=1e-14)


def test_a_stretch_missing_the_optimality_conditions_is_recomputed_from_fresh_inverses(monkeypatch):
    # Without the rank-one updates every inverse after the first knot is
    # stale: each stretch must then be caught and recomputed afresh.
    X, y = load_diabetes(return_X_y=True)
    alphas = np.geomspace(1000.0, 0.01, 50)
    expected, expected_knots = whole(X, y, alphas)
    fresh, computed_afresh = [], _homotopy._inverse_on_active_sets

    def counted(*args):
        fresh.append(computed_afresh(*args))
        return fresh[-1]

    monkeypatch.setattr(_homotopy, "_update_inverse", lambda *args: None)
    monkeypatch.setattr(_homotopy, "_inverse_on_active_sets", counted)
    coefs, knots = whole(X, y, alphas)
    assert len(fresh) == knots.max() - 1
    np.testing.assert_allclose(coefs, expected, rtol=0, atol=1e-10 * np.abs(expected).max())
    np.testing.assert_array_equal(knots, expected_knots)


def test_a_singular_active_block_raises():
    X, _ = load_diabetes(return_X_y=True)
    X = np.column_stack([X, X[:, 2]])
    gram = np.cov(X, rowvar=False, bias=True)[None]
    active = np.zeros((1, X.shape[1]), dtype=bool)
    active[0, [0, 2]] = True
    inverse = _homotopy._inverse_on_active_sets(gram, active)
    np.testing.assert_allclose(inverse[0][np.ix_([0, 2], [0, 2])], np.linalg.inv(gram[0][np.ix_([0, 2], [0, 2])]))
    assert not inverse[0][~active[0]].any() and not inverse[0][:, ~active[0]].any()
    active[0, -1] = True
    with pytest.raises(HomotopyFailed, match="singular Gram matrix"):
        _homotopy._inverse_on_active_sets(gram, active)


def test_penalties_above_the_largest_useful_one_give_zero():
    X, y = load_diabetes(return_X_y=True)
    coefs, knots = whole(X, y, np.array([1e6, 1e5]))
    assert not coefs.any() and not knots.any()


def test_constant_feature_and_constant_outcome_are_zero_not_errors():
    X, y = load_diabetes(return_X_y=True)
    X = np.column_stack([X, np.ones(len(y))])
    alphas = np.geomspace(10.0, 0.01, 20)
    coefs, _ = whole(X, y, alphas)
    assert not coefs[-1].any()
    np.testing.assert_allclose(coefs[:-1], exact_lasso_path(X[:, :-1], y, alphas), atol=1e-8)
    flat, knots = whole(X, np.full(len(y), 3.0), alphas)
    assert not flat.any() and not knots.any()


def test_too_few_knots_raise():
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(HomotopyFailed, match="more than 3 knots"):
        whole(X, y, np.geomspace(10.0, 0.01, 20), max_knots=3)


def stretch_between(X, y, method, knot):
    """(offset, slope, e, d, active, signs) of the stretch of scikit-learn's
    ``lars_path(method=method)`` from knot ``knot`` to the next, in the
    homotopy's terms (one problem), and the two penalties."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    gram, correlation = Xc.T @ Xc / len(y), Xc.T @ yc / len(y)
    alphas, _, coefs = lars_path(Xc, yc, method=method)
    upper, lower = alphas[knot], alphas[knot + 1]
    d = (coefs[:, knot] - coefs[:, knot + 1]) / (lower - upper)
    e = coefs[:, knot] + upper * d
    middle = e - (upper + lower) / 2 * d
    active = middle != 0
    signs = np.where(active, np.sign(correlation - gram @ middle), 0.0)
    parts = (correlation - gram @ e, gram @ d, e, d, active, signs)
    return [part[None] for part in parts], np.array([upper]), np.array([lower])


def sign_change_knot(X, y):
    """A knot after which plain LAR carries a coefficient through zero (where the LASSO drops it)."""
    coefs = lars_path(X - X.mean(axis=0), y - y.mean(), method="lar")[2]
    crossing = (coefs[:, :-1] * coefs[:, 1:] < 0).any(axis=0)
    return int(np.flatnonzero(crossing)[0])


@pytest.mark.parametrize("wrong", ["solve", "inactive bound", "sign"])
def test_a_stretch_that_misses_the_optimality_conditions_raises(wrong):
    X, y = load_diabetes(return_X_y=True)
    tolerance = 1e-9 * np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y)
    (offset, slope, e, d, active, signs), upper, lower = stretch_between(X, y, "lasso", 3)
    _check_stretch(offset, slope, e, d, active, signs, upper, lower, tolerance)
    if wrong == "solve":
        perturbed = e * (1 + 1e-6)
        offset = offset - (perturbed - e) @ np.cov(X - X.mean(0), rowvar=False, bias=True)
        e = perturbed
    elif wrong == "inactive bound":
        lower = lower * 0.5  # past the next knot, where another feature has joined
    else:
        knot = sign_change_knot(X, y)
        (offset, slope, e, d, active, signs), upper, lower = stretch_between(X, y, "lar", knot)
    with pytest.raises(HomotopyFailed, match="optimality conditions"):
        _check_stretch(offset, slope, e, d, active, signs, upper, lower, tolerance)
