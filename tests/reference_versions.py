"""Tolerances that depend on the installed version of a reference library."""

import scipy
import sklearn
from packaging.version import Version

#: radfuse's vectorised Shapiro–Wilk ports scipy's AS R94 routine (swilk),
#: which scipy <= 1.17 runs in single precision: against those versions the
#: p-values agree to 1e-12. scipy 1.18 rewrote swilk; its p-values differ from
#: the old routine's by up to 2.5e-7 relative (n = 1001) and 8e-16 absolute
#: (p near 0 at n = 3), so against it the comparison is at those bounds.
_OLD_SWILK = Version(scipy.__version__) < Version("1.18")
SHAPIRO_RTOL = 1e-12 if _OLD_SWILK else 1e-6
SHAPIRO_ATOL = 0.0 if _OLD_SWILK else 1e-15

#: scikit-learn < 1.8 runs LogisticRegression's one binary lbfgs fit through
#: joblib.Parallel, so under the dask backend it runs on a worker, where
#: distributed 2024.1 hands it X at an address that is not 8-byte aligned; numpy
#: then computes X.T @ gradient in its own loop instead of BLAS, a different
#: summation order. Measured on a stacking meta-learner: 4.4e-16 in the
#: coefficients, 2.2e-16 in the probabilities. From 1.8 the fit stays in the
#: calling process and the results are bit-identical.
DASK_LOGISTIC_ATOL = 1e-15 if Version(sklearn.__version__) < Version("1.8") else 0.0
