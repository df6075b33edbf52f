"""A three-centre cohort with clinical variables, shared by the cohort and clinical-model tests."""

import numpy as np
import pandas as pd

from radfuse.datasets import make_multimodal_table
from radfuse.pipeline import make_radiomics_pipeline


def quick_pipeline(classifier, random_state):
    """The protocol with cheap selection: mRMR to 8 features and a 3-fold LASSO."""
    return make_radiomics_pipeline(classifier, univariate=False, spearman=False, mrmr={"n_features": 8},
                                   lasso={"cv": 3}, random_state=random_state)


def three_centres():
    """300 cases from three centres: the table, ``{centre: (X, y)}`` and clinical variables (age, grade)."""
    data = make_multimodal_table(n_cases=300, blocks={"US": 20}, n_embedding=0, centres=3, random_state=0)
    rng = np.random.default_rng(0)
    y = data.target
    clinical = pd.DataFrame(
        {"age": 55 + 8 * y + rng.normal(0, 10, y.size),
         "grade": np.where(rng.random(y.size) < 0.3 + 0.3 * y, "G2", "G1")},
        index=data.data.index,
    )
    parts = {}
    for centre in data.centre.unique():
        rows = (data.centre == centre).to_numpy()
        parts[centre] = (data.data[rows], y[rows])
    return data, parts, clinical
