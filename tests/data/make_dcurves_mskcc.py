"""Write ``dcurves_mskcc.csv``: Python dcurves' decision curves on the MSKCC tutorial data.

dcurves depends on lifelines, which caps pandas below 3, so the reference is
stored as a file instead of being a test dependency (a test-only package must
not hold radfuse's own dependencies back). Run it in a separate environment:

    python -m venv /tmp/venv-dcurves
    /tmp/venv-dcurves/bin/pip install "dcurves==1.1.7"
    /tmp/venv-dcurves/bin/python tests/data/make_dcurves_mskcc.py

Read by ``tests/test_stats_decision_curve.py::test_matches_python_dcurves``.
"""

from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from dcurves import dca

HERE = Path(__file__).parent
MODELS = ["famhistory", "cancerpredmarker"]
COLUMNS = ["model", "threshold", "n", "prevalence", "test_pos_rate", "tp_rate", "fp_rate",
           "net_benefit"]

data = pd.read_csv(HERE / "dca_mskcc_tutorial.csv")
thresholds = np.arange(100) / 100
curves = dca(data=data, outcome="cancer", modelnames=MODELS, thresholds=list(thresholds))
curves[COLUMNS].to_csv(HERE / "dcurves_mskcc.csv", index=False, float_format="%.17g")
print(f"dcurves {version('dcurves')}, pandas {pd.__version__}: {len(curves)} rows")
