"""A user's first session on a plain ``pip install radfuse pyarrow``.

Runs a small Study on the bundled breast-cancer blocks, saves its report,
reloads one saved model and predicts the held-out cases with it; the reloaded
model must give the study's own test-set probabilities. Run it outside the
checkout (``make check-user-install``) so the installed package is tested.
"""

import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

import radfuse
from radfuse.datasets.wdbc import load_wdbc_blocks
from radfuse.persistence import load_model
from radfuse.study import Study

# The environment lives inside the checkout (.venv-user/), so compare with the
# source package folder itself, not with the whole checkout.
if Path(radfuse.__file__).resolve().parent == Path(__file__).resolve().parents[1] / "radfuse":
    sys.exit(f"radfuse was imported from the checkout ({radfuse.__file__}), not the install")

X, y = load_wdbc_blocks(return_X_y=True)
result = Study(X, y, {"mean": ["mean"]}, classifiers=["lr"], cv=3, progress=False).run()
with tempfile.TemporaryDirectory() as directory:
    report = result.save(directory)
    saved = sorted(Path(directory, "models").glob("*.skops"))
    if not report.exists() or len(saved) != 1:
        sys.exit(f"report {report} exists: {report.exists()}; saved models: {saved}")
    model = load_model(saved[0])
    expected = result.probabilities(("mean", "lr"), "test")
    X_test = X.loc[expected.index, list(model.feature_names)]
    probabilities = model.predict_proba(X_test)[:, 1]
    np.testing.assert_allclose(probabilities, expected.to_numpy(float), rtol=1e-12, atol=1e-15)
print(
    f"user install OK: Python {sys.version.split()[0]}, radfuse {radfuse.__version__}, "
    f"pandas {pd.__version__} (strings: {pd.Series(['a']).dtype}), numpy {np.__version__}, "
    f"scikit-learn {version('scikit-learn')}, imbalanced-learn {version('imbalanced-learn')}; "
    f"{len(expected)} test cases predicted identically after reload"
)
