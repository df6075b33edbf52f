r"""Compare two models' predictions in five lines with radfuse.stats.
=================================================================

In code::

    import pandas as pd
    from radfuse.stats import delong_test, idi, nri
    y, new, old = pd.read_csv("predictions.csv")[["y_true", "new", "old"]].T.to_numpy()
    print(delong_test(y, new, old), nri(y, new, old), idi(y, new, old), sep="\n")

Give this script a CSV with the outcome and each model's predicted probabilities on the
same cases -- e.g. ``tables/predictions_test_wide.csv`` of a radfuse study
report -- or run without arguments to use simulated predictions::

    python examples/compare_two_models.py
    python examples/compare_two_models.py results/tables/predictions_test_wide.csv \
        --label y_true --new combined/lr --old radiomics/lr

The same comparison from the shell: ``radfuse compare FILE --a NEW --b OLD --label y_true``.
"""

import argparse

import numpy as np
import pandas as pd

from radfuse.stats import delong_test, idi, nri


def simulated_predictions(n_cases=150, random_state=0) -> pd.DataFrame:
    """Outcome and two models' probabilities; the new model sees more of the signal."""
    rng = np.random.default_rng(random_state)
    y = rng.integers(0, 2, n_cases)
    risk = 1.6 * y - 0.8 + rng.normal(0, 1, n_cases)
    return pd.DataFrame({
        "y_true": y,
        "new": 1 / (1 + np.exp(-(risk + rng.normal(0, 0.6, n_cases)))),
        "old": 1 / (1 + np.exp(-(0.5 * risk + rng.normal(0, 1.0, n_cases)))),
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0] or None)
    parser.add_argument("predictions", nargs="?", help="CSV of outcomes and probabilities")
    parser.add_argument("--label", default="y_true")
    parser.add_argument("--new", default="new")
    parser.add_argument("--old", default="old")
    args = parser.parse_args()
    data = pd.read_csv(args.predictions) if args.predictions else simulated_predictions()
    y, new, old = data[args.label], data[args.new], data[args.old]
    print(delong_test(y, new, old), nri(y, new, old), idi(y, new, old), sep="\n")
