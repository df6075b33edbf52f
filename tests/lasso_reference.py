"""The exact Gaussian LASSO path by an independent route: scikit-learn's LARS-LASSO.

Shared by the tests of ``LassoSelector`` and of the homotopy behind it.
"""

import numpy as np
from sklearn.linear_model import lars_path


def exact_lasso_path(X, y, alphas):
    """The exact LASSO path of centred data at ``alphas`` (features x penalties): the
    knots of scikit-learn's LARS-LASSO, linearly interpolated (the path is
    piecewise linear between them and zero above the first)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    knots, _, coefs = lars_path(X - X.mean(axis=0), y - y.mean(), method="lasso")
    return np.array([np.interp(alphas, knots[::-1], row[::-1], right=0.0) for row in coefs])


def exact_cv_errors(X, y, folds, alphas):
    """Held-out MSE (penalties x splits) of the exact path fitted on each training part."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    errors = []
    for train, test in folds:
        coefs = exact_lasso_path(X[train], y[train], alphas)
        intercepts = y[train].mean() - X[train].mean(axis=0) @ coefs
        errors.append(((X[test] @ coefs + intercepts - y[test][:, None]) ** 2).mean(axis=0))
    return np.column_stack(errors)
