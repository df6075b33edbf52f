"""Write the multi-site table that ComBat is tested on (tests/data/combat_input.csv).

Four sites (A: 40, B: 30, C: 24, D: 6 cases), 30 features on scales from
0.1 to 1000, each site with its own additive shift and multiplicative scale
per feature, and two covariates whose effects ComBat must keep: an integer
age and a 0/1 sex indicator (integers, so that neuroCombat, which casts
continuous covariates to float32, sees them exactly). ``split`` marks 80
training rows and 20 new rows from the same sites for the
fit-on-training / transform-new-rows references.

Also writes ``combat_input_edge.csv``: the same table plus site E with a
single case and a feature constant within site B, for sva's edge cases.

Run from the repository root: ``python tests/reference_scripts/combat_make_data.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "data"


def main() -> None:
    rng = np.random.default_rng(14)
    sizes = {"A": 40, "B": 30, "C": 24, "D": 6}
    site = np.repeat(list(sizes), list(sizes.values()))
    n, p = site.size, 30
    age = rng.integers(35, 80, size=n)
    sex = rng.integers(0, 2, size=n)
    scale = 10.0 ** rng.uniform(-1, 3, size=p)
    location = rng.uniform(1, 5, size=p) * scale
    age_effect = rng.normal(0, 0.03, size=p) * scale
    sex_effect = rng.normal(0, 0.5, size=p) * scale
    shift = {s: rng.normal(0, 0.8, size=p) * scale for s in sizes}
    stretch = {s: np.exp(rng.normal(0, 0.35, size=p)) for s in sizes}
    noise = rng.standard_normal((n, p))
    values = np.empty((n, p))
    for s in sizes:
        rows = site == s
        values[rows] = shift[s] + noise[rows] * stretch[s] * scale
    values += location + (age[:, None] - 57) * age_effect + sex[:, None] * sex_effect
    table = pd.DataFrame(values, columns=[f"f{j + 1:02d}" for j in range(p)])
    table["age"] = age
    table["sex"] = sex
    table["site"] = site
    new_rows = np.concatenate([rng.choice(np.flatnonzero(site == s), k, replace=False)
                               for s, k in zip(sizes, (7, 6, 5, 2))])
    table["split"] = np.where(np.isin(np.arange(n), new_rows), "new", "train")
    table.to_csv(OUT / "combat_input.csv", index=False, float_format="%.17g")

    edge = table.drop(columns="split")
    single = edge.iloc[[0]].copy()
    single["site"] = "E"
    single.loc[:, "f01":"f30"] = single.loc[:, "f01":"f30"].to_numpy() * 1.3 + 0.5 * scale
    edge = pd.concat([edge, single], ignore_index=True)
    edge.loc[edge["site"] == "B", "f07"] = 12.5
    edge.to_csv(OUT / "combat_input_edge.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
