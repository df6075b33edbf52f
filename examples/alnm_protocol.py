"""The ALNM protocol from its YAML study file, on a synthetic mammography + MRI cohort.
====================================================================================

Writes a study folder with a copy of ``alnm_protocol.yaml`` and the data it
names -- a feature table of MG and MRI radiomic blocks and two readers'
tables for the cases delineated twice -- then validates and runs the study
file and prints the model comparisons (DeLong, NRI, IDI), calibration and
decision-curve summaries. Figures, tables, models, ``methods.md`` and
``report.html`` land in ``<out>/alnm_results/``.

    python examples/alnm_protocol.py            # the published 20 x 5 CV and 20 x 10 LASSO CV
    python examples/alnm_protocol.py --quick    # 2 x 5 CV and 2 x 5 LASSO CV, a few minutes
    python examples/alnm_protocol.py --write-data   # rewrite examples/alnm_data/ (shipped)

The same cohort, rounded to four significant digits, ships in
``examples/alnm_data/`` so that ``radfuse run examples/alnm_protocol.yaml``
works on a fresh clone; ``--write-data`` is the script that made it.
"""

import argparse
import shutil
from pathlib import Path

import numpy as np
import yaml

from radfuse.config import load_study_config
from radfuse.datasets.multimodal import make_multimodal_table
from radfuse.stats import calibration
from radfuse.stats import decision_curve

# sphinx-gallery runs the script from its own folder without defining __file__.
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()


def write_cohort(folder: Path, n_cases: int = 200, n_second_reader: int = 60, random_state: int = 0,
                 float_format=None) -> None:
    """Feature table plus two readers' tables; a third of the features are poorly reproducible."""
    cohort = make_multimodal_table(
        n_cases=n_cases, blocks={"MG": 120, "MRI": 120}, n_embedding=0, class_sep=0.9,
        weights=(0.6, 0.4), random_state=random_state,
    )
    features = cohort.data.rename_axis("case_id")
    folder.mkdir(parents=True, exist_ok=True)
    features.assign(alnm=cohort.target).to_csv(folder / "features.csv", float_format=float_format)

    rng = np.random.default_rng(random_state)
    reader1 = features.loc[rng.choice(features.index, n_second_reader, replace=False)]
    # The second reader's delineation moves every feature a little, and a third of them a lot.
    spread = np.where(rng.random(reader1.shape[1]) < 1 / 3, 0.8, 0.1) * features.std().to_numpy()
    reader2 = reader1 + rng.normal(size=reader1.shape) * spread
    reader1.to_csv(folder / "reader1.csv", float_format=float_format)
    reader2.to_csv(folder / "reader2.csv", float_format=float_format)


def prepare_study(out: Path, quick: bool, classifiers=None) -> Path:
    """Copy the study file next to its data; shorten the CV for a quick run, keep only ``classifiers``."""
    study = yaml.safe_load((HERE / "alnm_protocol.yaml").read_text())
    if classifiers:
        study["classifiers"] = list(classifiers)
    if quick:
        study["cv"] = {"n_splits": 5, "n_repeats": 2}
        study["pipeline"]["lasso"]["cv"] = {"n_splits": 5, "n_repeats": 2}
    write_cohort(out / "alnm_data")
    path = out / "alnm_protocol.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


def main(out="alnm_example", quick=False, n_jobs=None, classifiers=None):
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    config = load_study_config(prepare_study(out, quick, classifiers))
    result, report = config.run(n_jobs=n_jobs)

    print("\nTest-set AUC (95% DeLong CI) of each classifier on the combined features:")
    auc = result.metrics("test").query("metric == 'auc' and feature_set == 'combined'")
    print(auc[["classifier", "estimate", "ci_lower", "ci_upper"]].to_string(index=False, float_format="%.3f"))

    print("\nModel comparisons on the test set (a = new model, b = reference):")
    for a, b in config.comparisons:
        print(f"{a} vs {b}")
        print(result.compare(a, b).to_string(float_format=lambda value: f"{value:.4f}"))

    best = result.best("auc", split="cv")
    y_test, probability = result.y_test, result.probabilities(best).loc[result.y_test.index]
    calibrated = calibration(y_test, probability, n_bins=5)
    print(f"\nCalibration of {'/'.join(best)} (best CV AUC): Brier {calibrated.brier:.3f}, "
          f"slope {calibrated.slope:.2f}, Hosmer-Lemeshow p = {calibrated.pvalue:.3f}")
    curve = decision_curve(y_test, {"model": probability}, thresholds=[0.2, 0.3, 0.4, 0.5])
    print("Net benefit at threshold probabilities 0.2-0.5:")
    print(curve.pivot(index="threshold", columns="model", values="net_benefit").round(3).to_string())
    print(f"\nReport: {report}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0] or None)
    parser.add_argument("--out", default="alnm_example", help="study folder to create (replaced if present)")
    parser.add_argument("--quick", action="store_true", help="2 x 5 outer and LASSO CV instead of 20 x 5 and 20 x 10")
    parser.add_argument("--jobs", type=int, default=None, help="parallel jobs (default: n_jobs of the YAML)")
    parser.add_argument("--write-data", action="store_true", help="only rewrite the shipped examples/alnm_data/")
    parser.add_argument("--classifiers", nargs="+", default=None, help="only these classifiers (default: the YAML's eight)")
    args = parser.parse_args()
    if args.write_data:
        write_cohort(HERE / "alnm_data", float_format="%.4g")
    else:
        main(args.out, quick=args.quick, n_jobs=args.jobs, classifiers=args.classifiers)
