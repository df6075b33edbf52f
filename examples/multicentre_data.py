"""Write the small tables of ``examples/multicentre.yaml`` (into ``examples/multicentre_data/``).

A synthetic three-centre cohort (``make_multimodal_table(centres=...)``: each
centre's scanner shifts and scales every feature) of 12 ultrasound features,
with a ``site`` column for ComBat and ``age`` as its covariate. The cases of
centre A and the earlier cases of centres B and C are the development table
(two lesions per patient, so ``groups`` keeps a patient's lesions together);
the last 40 cases of B and of C are two later test cohorts. ComBat
harmonises only sites it was fitted on, so both test cohorts come from
centres that also contributed training cases. Clinical variables (age,
tumour size) are drawn with a mild association with the outcome.

Run from the repository root: ``python examples/multicentre_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from radfuse.datasets import make_multimodal_table

N_TEST = 40


def write_tables(folder, random_state: int = 0) -> None:
    """Write features, labels, patients, clinical and the two cohorts' tables to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cohort = make_multimodal_table(n_cases=300, blocks={"US": 12}, n_embedding=0, n_informative=4,
                                   centres={"A": 0.4, "B": 0.3, "C": 0.3}, centre_shift=1.0,
                                   random_state=random_state)
    rng = np.random.default_rng(random_state)
    y = cohort.target
    clinical = pd.DataFrame(
        {"age": np.round(rng.normal(55 + 4 * y, 10), 0), "size_mm": np.round(rng.gamma(4 + y, 5), 1)},
        index=cohort.data.index,
    )
    features = cohort.data.assign(site=cohort.centre, age=clinical["age"]).rename_axis("case_id")
    labels = y.rename("malignant").rename_axis("case_id")
    tests = {name: features.index[(features["site"] == site).to_numpy()][-N_TEST:]
             for name, site in (("centre_b", "B"), ("centre_c", "C"))}
    development = features.index.difference(tests["centre_b"].append(tests["centre_c"]), sort=False)
    features.loc[development].to_csv(folder / "features.csv")
    labels.loc[development].to_csv(folder / "labels.csv")
    patients = pd.Series([f"P{i // 2:03d}" for i in range(development.size)], index=development, name="patient")
    patients.rename_axis("case_id").to_csv(folder / "patients.csv")
    clinical.loc[development].rename_axis("case_id").to_csv(folder / "clinical.csv")
    for name, ids in tests.items():
        features.loc[ids].assign(malignant=labels.loc[ids]).to_csv(folder / f"{name}.csv")
        clinical.loc[ids].rename_axis("case_id").to_csv(folder / f"{name}_clinical.csv")


if __name__ == "__main__":
    write_tables(Path(__file__).resolve().parent / "multicentre_data")
