"""``radfuse run | compare | predict | demo``: studies, comparisons and predictions from the shell."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ._files import read_case_table

log = logging.getLogger("radfuse.cli")


def register(subparsers) -> None:
    """Add the ``init``, ``run``, ``compare``, ``predict`` and ``demo`` sub-commands."""
    init = subparsers.add_parser(
        "init",
        help="write a commented study file listing every key",
        description="Write a YAML study file with every key, its default and what it does, as "
        "comments; edit it and run it with `radfuse run`.",
    )
    init.add_argument("study", nargs="?", default="study.yaml", help="file to write (default: study.yaml)")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(func=init_command)

    run = subparsers.add_parser(
        "run",
        help="run the study a YAML file describes and write its report",
        description="Validate a YAML study file, run the protocol and write tables, figures, "
        "models, methods.md and report.html to the output folder.",
    )
    run.add_argument("study", help="YAML study file; relative paths are read from its folder")
    run.add_argument("--jobs", type=int, default=None, help="parallel jobs (overrides n_jobs of the file)")
    run.add_argument("--out", default=None, help="output folder (overrides output of the file)")
    run.add_argument("--seed", type=int, default=None, help="random seed (overrides random_state of the file)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bars (shown only on a terminal)")
    run.add_argument("--overwrite", action="store_true",
                     help="replace an earlier study in the output folder (only the files it listed)")
    run.set_defaults(func=run_study_command)

    compare = subparsers.add_parser(
        "compare",
        help="DeLong, NRI and IDI of two models' predictions",
        description="Compare two models' predicted probabilities on the same cases: DeLong's test "
        "of the AUCs, the category-free NRI and the IDI of model A over model B.",
    )
    compare.add_argument("predictions", help="CSV (or Parquet) with one row per case")
    compare.add_argument("--a", required=True, help="column of the new model's probabilities")
    compare.add_argument("--b", required=True, help="column of the reference model's probabilities")
    compare.add_argument("--label", required=True, help="column of the true outcome")
    compare.add_argument("--pos-label", default=None, help="the positive outcome (needed for text labels)")
    compare.add_argument("-o", "--output", default=None, help="also write the table to this CSV")
    compare.set_defaults(func=compare_command)

    predict = subparsers.add_parser(
        "predict",
        help="apply a saved model to a feature table or to new images",
        description="Predict with a model saved by radfuse (.skops). The feature table must have "
        "exactly the model's training columns (use --subset to pick them from a wider table); "
        "with --manifest, new images are extracted with the model's saved extraction settings.",
    )
    predict.add_argument("model", help="model file written by radfuse (models/*.skops of a study)")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--features", help="feature table (CSV or Parquet), one row per case")
    source.add_argument("--manifest", help="manifest CSV of new images and masks to extract first")
    predict.add_argument(
        "--id-column", default="case_id", help="case id column of the table; kept, under its name, in the output"
    )
    predict.add_argument(
        "--subset", action="store_true", help="ignore columns the model was not trained on"
    )
    predict.add_argument("--jobs", type=int, default=1, help="parallel extraction workers")
    predict.add_argument("-o", "--output", default=None, help="CSV of predictions (default: print)")
    predict.set_defaults(func=predict_command)

    demo = subparsers.add_parser(
        "demo",
        help="the whole pipeline on a synthetic imaging cohort",
        description="Generate a synthetic multimodal imaging cohort, extract radiomic features, add "
        "a CNN-embedding block, run the protocol with eight classifiers and three fusion strategies, "
        "and write the report.",
    )
    demo.add_argument("--out", default="radfuse-demo", help="output folder (default: radfuse-demo)")
    demo.add_argument("--jobs", type=int, default=2, help="parallel jobs (default: 2)")
    demo.add_argument("--quick", action="store_true", help="a smaller cohort and CV for a fast check")
    demo.add_argument("--seed", type=int, default=0, help="seed of the cohort, embeddings and study (default: 0)")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bars (shown only on a terminal)")
    demo.set_defaults(func=demo_command)


# ------------------------------------------------------------------ run
def run_study_command(args) -> int:
    """Handler of ``radfuse run``."""
    from .cli import check_output_folder, show_progress
    from .config import load_study_config
    from .report import ranking_text

    config = load_study_config(args.study)
    if args.seed is not None:
        config = dataclasses.replace(config, random_state=args.seed)
    output = Path(args.out) if args.out is not None else config.output
    check_output_folder(output, "--out" if args.out is not None else f"{args.study}: output")
    result, report = config.run(n_jobs=args.jobs, output=output, progress=show_progress(args),
                                 overwrite=args.overwrite)
    print(ranking_text(result, top=10))
    log.info(f"radfuse run: report -> {report}")
    return 0


# ------------------------------------------------------------------ compare
def _outcome(values: pd.Series, pos_label) -> np.ndarray:
    """0/1 outcome; ``pos_label`` from the command line is compared as text."""
    from ._validation import check_binary_target

    name = f"column {values.name!r}"
    if pos_label is None:
        return check_binary_target(values.to_numpy(), step="the predictions file", name=name)[0]
    text = values.astype(str).to_numpy()
    return check_binary_target(text, step="the predictions file", pos_label=str(pos_label), name=name)[0]


def compare_predictions(table: pd.DataFrame, a: str, b: str, label: str, pos_label=None) -> pd.DataFrame:
    """DeLong's test, and NRI and IDI when both columns are probabilities, of ``a`` over ``b``.

    Returns
    -------
    DataFrame indexed by test (``delong``, then ``nri`` and ``idi``) with
    ``estimate`` (AUC difference a - b, NRI, IDI), ``ci_lower``,
    ``ci_upper``, ``statistic``, ``pvalue``. ``attrs`` hold both AUCs, the
    case counts and, when NRI and IDI were left out because a column holds
    scores outside [0, 1], the reason.
    """
    from .stats import delong_test, idi, nri

    missing = [column for column in (a, b, label) if column not in table.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not in the predictions file; it has {list(table.columns)}."
        )
    y = _outcome(table[label], pos_label)
    score_a, score_b = table[a].to_numpy(dtype=float), table[b].to_numpy(dtype=float)
    delong = delong_test(y, score_a, score_b)
    results = {"delong": delong}
    outside = [name for name, score in ((a, score_a), (b, score_b)) if ((score < 0) | (score > 1)).any()]
    if not outside:
        results["nri"], results["idi"] = nri(y, score_a, score_b), idi(y, score_a, score_b)
    # Every stats result has the same core columns; one row per test.
    result = pd.concat([test.to_frame() for test in results.values()])
    result = result[["estimate", "ci_lower", "ci_upper", "statistic", "pvalue"]]
    result.index = pd.Index(list(results), name="test")
    result.attrs.update(auc_a=delong.auc_a, auc_b=delong.auc_b, n=int(y.size), n_positive=int(y.sum()))
    if outside:
        result.attrs["skipped"] = (
            f"NRI and IDI left out: they compare predicted risks, and column(s) {outside} hold "
            "values outside [0, 1]. Pass probabilities to get them."
        )
    return result


def compare_command(args) -> int:
    """Handler of ``radfuse compare``."""
    if args.output:
        from .cli import check_output_table

        check_output_table(args.output, "-o/--output", (".csv",))
    table = read_case_table(args.predictions, source="the predictions file")
    result = compare_predictions(table, args.a, args.b, args.label, args.pos_label)
    attrs = result.attrs
    print(
        f"{args.a} (A) vs {args.b} (B): {attrs['n']} cases, {attrs['n_positive']} positive; "
        f"AUC A = {attrs['auc_a']:.4f}, AUC B = {attrs['auc_b']:.4f}"
    )
    print("delong: AUC A - AUC B; nri: category-free NRI of A over B; idi: IDI of A over B")
    print(_comparison_text(result))
    if "skipped" in attrs:
        print(attrs["skipped"])
    if args.output:
        result.to_csv(args.output)
    return 0


def _comparison_text(result: pd.DataFrame) -> str:
    """The comparison table aligned, numbers to 4 decimals, p-values as ``<0.001`` below that."""
    from .report import aligned_text, format_pvalue

    shown = pd.DataFrame(
        {
            "test": result.index,
            **{
                column: [f"{value:.4f}" for value in result[column]]
                for column in ("estimate", "ci_lower", "ci_upper", "statistic")
            },
            "pvalue": [format_pvalue(value) for value in result["pvalue"]],
        }
    )
    return aligned_text(shown, right=tuple(shown.columns[1:]), indent=0)


# ------------------------------------------------------------------ predict
def _features_from_manifest(model, manifest, n_jobs) -> pd.DataFrame:
    from .config import preprocessing_steps
    from .extract import extract_features

    settings = model.extraction_settings
    if not settings:
        raise ValueError(
            "the model was saved without extraction settings, so new images cannot "
            "be processed the same way; extract them yourself and use --features."
        )
    result = extract_features(
        manifest,
        settings["params"],
        preprocessing=preprocessing_steps(settings.get("preprocessing")),
        n_jobs=n_jobs,
        on_error="record",
    )
    if len(result.failures):
        log.warning(
            f"radfuse predict: {len(result.failures)} image(s) failed and get no prediction:\n"
            + result.failures.to_string(index=False)
        )
    return result.features


def predict_command(args) -> int:
    """Handler of ``radfuse predict``."""
    from .cli import check_output_table
    from .persistence import load_model

    if args.output:
        check_output_table(args.output, "-o/--output", (".csv",))
    model = load_model(args.model)
    if args.manifest:
        features = _features_from_manifest(model, args.manifest, args.jobs)
        subset = True
    else:
        features = read_case_table(
            args.features, args.id_column, source="--features",
            remedy="name the case id column with --id-column",
        )
        subset = args.subset
    if subset:
        # Only the extra columns go; missing ones are still named by the model's column check.
        trained = set(model.feature_names)
        features = features.loc[:, [column for column in features.columns if column in trained]]
    probability = model.predict_proba(features)[:, 1]
    id_name = features.index.name or args.id_column
    predictions = pd.DataFrame({"probability": probability}, index=features.index.rename(id_name))
    threshold = model.metadata.get("threshold")
    if threshold is not None:
        predictions["predicted"] = (probability >= threshold).astype(int)
    if args.output:
        predictions.to_csv(args.output)
        log.info(f"radfuse predict: {len(predictions)} case(s) -> {args.output}")
    else:
        print(predictions.to_csv(), end="")
    return 0


# ------------------------------------------------------------------ demo
def demo_command(args) -> int:
    """Handler of ``radfuse demo``."""
    from .cli import check_output_folder, show_progress
    from .demo import run_demo

    check_output_folder(args.out, "--out")
    run_demo(args.out, n_jobs=args.jobs, quick=args.quick, progress=show_progress(args), random_state=args.seed)
    return 0


# ------------------------------------------------------------------ init
def init_command(args) -> int:
    """Handler of ``radfuse init``: write the commented template study file."""
    from ._study_template import TEMPLATE

    path = Path(args.study)
    if path.exists() and not args.force:
        raise ValueError(f"{path} exists; pass --force to replace it.")
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ValueError(f"{path}: a study file is YAML; name it *.yaml.")
    from .cli import check_output_folder

    check_output_folder(path.parent if str(path.parent) else Path("."), "study file folder")
    path.write_text(TEMPLATE, encoding="utf-8")
    log.info(f"radfuse init: wrote {path}; edit the data paths and run `radfuse run {path}`.")
    return 0
