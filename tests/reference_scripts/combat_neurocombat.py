"""Reference outputs of the neuroCombat package (0.2.12) for radfuse's ComBat tests.

neuroCombat is not a radfuse dependency (it is run in its own environment,
``pip install neuroCombat==0.2.12``); its outputs are committed instead:

- ``combat_neurocombat_{par,nonpar,par_meanonly,noeb}.csv``: all 100 cases of
  ``combat_input.csv`` harmonised with age (continuous) and sex (categorical)
  preserved; ``noeb`` is ``eb=False``, which sva has no switch for.
- ``combat_neurocombat_from_training.csv``: estimates fitted without
  covariates on the rows with ``split == "train"``, applied by
  ``neuroCombatFromTraining`` to the rows with ``split == "new"`` (in file
  order).

Cases are in rows; values are written with 17 significant digits. Run from
the repository root: ``python tests/reference_scripts/combat_neurocombat.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from neuroCombat import neuroCombat, neuroCombatFromTraining

DATA = Path(__file__).resolve().parents[1] / "data"


def main() -> None:
    table = pd.read_csv(DATA / "combat_input.csv")
    features = [c for c in table.columns if c.startswith("f")]
    # float64 features-by-cases array: neuroCombat would cast a DataFrame to float32
    dat = table[features].to_numpy(dtype=np.float64).T
    covars = table[["site", "age", "sex"]]
    variants = {
        "par": {},
        "nonpar": {"parametric": False},
        "par_meanonly": {"mean_only": True},
        "noeb": {"eb": False},
    }
    for name, options in variants.items():
        result = neuroCombat(dat.copy(), covars, "site", categorical_cols=["sex"],
                             continuous_cols=["age"], **options)
        pd.DataFrame(result["data"].T, columns=features).to_csv(
            DATA / f"combat_neurocombat_{name}.csv", index=False, float_format="%.17g"
        )

    train = (table["split"] == "train").to_numpy()
    fitted = neuroCombat(dat[:, train].copy(), table.loc[train, ["site"]], "site")
    applied = neuroCombatFromTraining(dat[:, ~train].copy(), table.loc[~train, "site"].to_numpy(),
                                      fitted["estimates"])
    pd.DataFrame(applied["data"].T, columns=features).to_csv(
        DATA / "combat_neurocombat_from_training.csv", index=False, float_format="%.17g"
    )


if __name__ == "__main__":
    main()
