"""``radfuse extract``: a manifest in, a feature table and its provenance out."""

from __future__ import annotations

import contextlib
import logging

log = logging.getLogger("radfuse.extract.cli")


def register(subparsers) -> None:
    """Add the ``extract`` sub-command to the ``radfuse`` parser."""
    parser = subparsers.add_parser(
        "extract",
        help="extract PyRadiomics features for every case and block of a manifest",
        description=(
            "Extract PyRadiomics features for a manifest (CSV with case_id, image, mask and optional "
            "block, label, reader; or a PyRadiomics batch CSV with ID, Image, Mask) into one table with "
            "<block>__<feature> columns, plus a <output>.provenance.json sidecar listing settings, file "
            "hashes and failures. 'label' is the mask value of the lesion, not the outcome. Without a "
            "block column every row is block 'radiomics'. Exits 5 when some cases failed."
        ),
    )
    parser.add_argument("manifest", help="manifest CSV; relative paths are read from its folder")
    parser.add_argument(
        "--params",
        default=None,
        help="PyRadiomics parameter file (YAML/JSON), shared or keyed by block; "
        "PyRadiomics defaults when left out",
    )
    parser.add_argument(
        "--preprocessing",
        default=None,
        help="YAML/JSON file of preprocessing steps: a list for every block, or a mapping of "
        "block to list; each step as {step: MapMaskToImage} or "
        "{step: IntensityWindow, lower: 0, upper: 1500}",
    )
    parser.add_argument("-o", "--output", required=True, help="output table, .parquet or .csv")
    parser.add_argument("--jobs", type=int, default=1, help="parallel workers (-1: all cores)")
    parser.add_argument(
        "--cache", default=None, help="cache folder; a re-run reuses finished items"
    )
    parser.add_argument(
        "--dask-scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a dask.distributed cluster, e.g. tcp://10.0.0.5:8786",
    )
    parser.add_argument(
        "--on-error",
        choices=("record", "raise"),
        default="record",
        help="record failures in the sidecar and go on (default), or stop at the first",
    )
    parser.add_argument(
        "--allow-failures", action="store_true",
        help="exit 0 even when some cases failed (they are still listed in the sidecar)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar (shown only on a terminal)")
    parser.set_defaults(func=run_extract)


def run_extract(args) -> int:
    """Handler of ``radfuse extract``; returns the exit code."""
    from ..cli import FailedCases, check_output_folder, check_output_table, show_progress
    from ._extractor import extract_features

    # Everything that can be checked is checked before hours of extraction.
    check_output_table(args.output, "-o/--output")
    if args.cache is not None:
        check_output_folder(args.cache, "--cache")
    preprocessing = None if args.preprocessing is None else _read_steps(args.preprocessing)
    with _cluster(args.dask_scheduler):
        result = extract_features(
            args.manifest,
            args.params,
            preprocessing=preprocessing,
            n_jobs=args.jobs,
            cache_dir=args.cache,
            on_error=args.on_error,
            progress=show_progress(args),
        )
    table, sidecar = result.save(args.output)
    n_cases, n_columns = result.features.shape
    log.info(f"radfuse extract: {n_cases} of {len(result.cases)} cases x {n_columns} features -> {table}")
    log.info(f"radfuse extract: provenance and failures -> {sidecar}")
    if len(result.failures):
        log.warning(
            f"radfuse extract: {len(result.failures)} work item(s) failed:\n"
            + result.failures.to_string(index=False)
        )
        if not args.allow_failures:
            raise FailedCases(
                f"{len(result.failures)} work item(s) failed (listed above and in {sidecar}); the table "
                "holds the other cases. Pass --allow-failures to exit 0."
            )
    return 0


@contextlib.contextmanager
def _cluster(address):
    if address is None:
        yield
        return
    from distributed import Client
    from joblib import parallel_config

    with Client(address), parallel_config(backend="dask"):
        yield


def _read_steps(path):
    from pathlib import Path

    import yaml

    from ._preprocess import step_from_dict

    if not Path(path).is_file():
        raise FileNotFoundError(f"radfuse extract: preprocessing file {path!r} does not exist.")
    content = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if isinstance(content, dict):
        return {block: [step_from_dict(step) for step in steps] for block, steps in content.items()}
    if isinstance(content, list):
        return [step_from_dict(step) for step in content]
    raise ValueError(
        f"radfuse extract: preprocessing file {path!r} must hold a list of steps or a mapping "
        "of block to list of steps."
    )
