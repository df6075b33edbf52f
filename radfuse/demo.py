"""The demo behind ``radfuse demo`` and ``make demo``: images to report in a few minutes.

1. Write a synthetic multimodal lesion cohort (ultrasound, mammography, T2
   and DCE MRI; a second reader for 30% of the cases) with
   :func:`~radfuse.datasets.imaging.make_imaging_cohort`.
2. Extract PyRadiomics features for every modality; the T2 masks are the DCE
   ROIs mapped onto the T2 grid (:class:`~radfuse.extract.MapMaskToImage`).
3. Add a deep-feature block per modality (see :func:`synthetic_embeddings`).
4. Run the protocol -- ICC > 0.9 between the two readers (deep features
   pass unrated), SMOTE, z-score, univariate tests, Spearman pruning, mRMR,
   LASSO, every step fitted in the training folds -- with
   the eight classifiers on the radiomic and deep feature sets, and the three
   fusion strategies (early, weighted ensemble, stacking) of the two.
5. Write the report: tables, figures, models, ``methods.md`` and
   ``report.html``.

To stay within a few minutes on two cores the demo uses fewer CV repeats
than the published protocol (which :mod:`examples.alnm_protocol` states in
full); the methods text records what was run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from .config import ConfiguredPipeline
from .models import PROTOCOL_CLASSIFIERS
from .select import reliability_summary

__all__ = ["run_demo", "synthetic_embeddings"]

log = logging.getLogger("radfuse.demo")


@dataclass(frozen=True)
class DemoSize:
    """How big the demo is: cohort, modalities, CV and classifiers."""

    n_cases: int
    modalities: tuple
    cv_splits: int
    cv_repeats: int
    lasso_splits: int
    lasso_repeats: int
    mrmr_features: int
    classifiers: tuple


FULL = DemoSize(120, ("US", "MG", "T2", "DCE"), 5, 2, 5, 2, 20, PROTOCOL_CLASSIFIERS)
QUICK = DemoSize(120, ("US", "DCE"), 3, 1, 3, 1, 10, ("lr", "nb"))


def synthetic_embeddings(manifest, block: str, *, n_dims: int = 32, name: str = "cnn", random_state=0):
    """Deterministic stand-in for CNN embeddings of one modality's images.

    One convolutional layer with fixed random 3 x 3 (x 3) kernels, a ReLU and
    global average pooling -- the last stage of a CNN such as ResNet-50, with
    untrained weights -- applied to each primary-reader image after dividing
    it by its median intensity. The output has the texture of real
    embeddings (non-negative, correlated, the signal spread over every
    dimension) and carries the lesions' intensity and heterogeneity. The
    kernels are seeded, so the same images always give the same block.

    Real studies bring embeddings of a pretrained network (e.g. ResNet-50
    average-pooling outputs) computed outside radfuse and load them with
    :func:`radfuse.blocks.load_embeddings`.

    Parameters
    ----------
    manifest : DataFrame
        Columns ``case_id``, ``block``, ``image`` (as returned by
        :func:`~radfuse.datasets.imaging.make_imaging_cohort`); the first row
        of each case is used.
    block : str
        The modality whose images are embedded.
    n_dims : int
        Embedding dimensions (kernels).
    name : str
        Block name of the columns (``<name>__f000``, ...).
    random_state : int
        Seed of the kernels and biases.

    Returns
    -------
    DataFrame indexed by ``case_id``.

    Examples
    --------
    >>> import tempfile
    >>> from radfuse.datasets.imaging import make_imaging_cohort
    >>> from radfuse.demo import synthetic_embeddings
    >>> manifest, labels = make_imaging_cohort(tempfile.mkdtemp(), n_cases=4, modalities=("US",))
    >>> embeddings = synthetic_embeddings(manifest, "US", n_dims=4)
    >>> embeddings.shape, embeddings.columns[0], bool((embeddings >= 0).all().all())
    ((4, 4), 'cnn__f000', True)

    References
    ----------
    .. [1] He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for
        image recognition. Proceedings of the IEEE Conference on Computer Vision
        and Pattern Recognition (CVPR), 770-778.
    """
    from .extract._dependencies import import_sitk

    sitk = import_sitk()
    rows = manifest[manifest["block"] == block].drop_duplicates("case_id")
    if rows.empty:
        raise ValueError(f"synthetic_embeddings: the manifest has no image of block {block!r}.")
    rng = np.random.default_rng(random_state)
    kernels = bias = None
    values = np.empty((len(rows), n_dims))
    for row_number, path in enumerate(rows["image"]):
        image = sitk.GetArrayFromImage(sitk.ReadImage(str(path))).astype(np.float64)
        image = image / (np.median(image) or 1.0) - 1.0
        if kernels is None:
            kernels = rng.standard_normal((n_dims,) + (3,) * image.ndim) / np.sqrt(3**image.ndim)
            bias = rng.normal(0.0, 0.5, n_dims)
        for dim in range(n_dims):
            response = ndimage.convolve(image, kernels[dim], mode="nearest") + bias[dim]
            values[row_number, dim] = np.maximum(response, 0.0).mean()
    columns = [f"{name}__f{index:03d}" for index in range(n_dims)]
    return pd.DataFrame(values, index=pd.Index(rows["case_id"].astype(str), name="case_id"), columns=columns)


def _pipeline(size: DemoSize, reliability) -> ConfiguredPipeline:
    return ConfiguredPipeline(
        {
            "icc": {"reliability": reliability, "threshold": 0.9},
            "smote": {"k_neighbors": 5},
            "univariate": {"alpha": 0.05},
            "spearman": {"threshold": 0.9},
            "mrmr": {"n_features": size.mrmr_features},
            "lasso": {"cv": {"n_splits": size.lasso_splits, "n_repeats": size.lasso_repeats}},
        }
    )


def run_demo(out_dir="radfuse-demo", *, n_jobs=2, quick=False, progress=True, random_state=0):
    """Generate, extract, model and report; log the wall time and each feature set's best model by CV AUC.

    Messages go to the ``radfuse.demo`` logger (the command line shows them on
    stderr).

    Parameters
    ----------
    out_dir : str or Path
        Holds ``cohort/`` (images, masks, manifest), ``features.csv`` and
        ``report/`` (the study report).
    n_jobs : int
        Parallel jobs for extraction and for the study's folds.
    quick : bool
        120 cases, two modalities, two classifiers and 3-fold CV: a smoke test
        in well under a minute.
    progress : bool
        Show progress bars.
    random_state : int
        Seed of the cohort, the embeddings and the study.

    Returns
    -------
    StudyResult

    Examples
    --------
    >>> from radfuse.demo import run_demo
    >>> result = run_demo("radfuse-demo", quick=True)  # doctest: +SKIP

    References
    ----------
    .. [1] Lambin, P., Leijenaar, R. T. H., Deist, T. M., et al. (2017). Radiomics:
        the bridge between medical imaging and personalized medicine. Nature
        Reviews Clinical Oncology, 14(12), 749-762.
    .. [2] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    from .datasets.imaging import imaging_cohort_params, make_imaging_cohort
    from .extract import MapMaskToImage, extract_features
    from .report import ranking_text
    from .study import Study

    started = time.perf_counter()
    size = QUICK if quick else FULL
    out_dir = Path(out_dir)
    manifest, labels = make_imaging_cohort(
        out_dir / "cohort", n_cases=size.n_cases, modalities=size.modalities, random_state=random_state
    )
    mapped = {"T2": [MapMaskToImage()]} if "T2" in size.modalities else None
    extraction = extract_features(
        manifest,
        imaging_cohort_params(size.modalities),
        preprocessing=mapped,
        n_jobs=n_jobs,
        cache_dir=out_dir / "cache",
        progress=progress,
    )
    extraction.save(out_dir / "features.csv")
    embeddings = pd.concat(
        [synthetic_embeddings(manifest, block, name=f"cnn_{block}", random_state=random_state) for block in size.modalities],
        axis=1,
    )
    features = extraction.features.join(embeddings, how="inner")
    readers = extraction.reader_tables()
    reliability = reliability_summary(features, readers, threshold=0.9)
    log.info(
        f"radfuse demo: {len(features)} cases, {reliability['n_kept']} of {reliability['n_rated']} "
        f"radiomic features from {', '.join(size.modalities)} with ICC > 0.9, "
        f"+ {embeddings.shape[1]} deep features ({time.perf_counter() - started:.0f} s)"
    )

    late = {"blocks": ["radiomics", "deep"]}
    study = Study(
        features,
        labels.loc[features.index],
        {"radiomics": list(size.modalities), "deep": [f"cnn_{block}" for block in size.modalities]},
        pipeline=_pipeline(size, readers),
        classifiers=size.classifiers,
        fusion={"early": late, "ensemble": late, "stacking": {**late, "final_estimator": "lr"}},
        split=0.3,
        cv=RepeatedStratifiedKFold(n_splits=size.cv_splits, n_repeats=size.cv_repeats, random_state=random_state),
        random_state=random_state,
        n_jobs=n_jobs,
        progress=progress,
    )
    result = study.run()
    log.info(f"radfuse demo: {len(result.models)} models evaluated ({time.perf_counter() - started:.0f} s)")
    extraction_settings = {
        key: extraction.provenance[key] for key in ("params", "preprocessing", "versions", "extracted")
    }
    extraction_settings["reliability"] = reliability
    report = result.save(
        out_dir / "report", overwrite=True,  # a re-run replaces its own earlier report
        extraction_settings=extraction_settings, title="radfuse demo study", progress=progress,
    )

    log.info(f"radfuse demo: finished in {time.perf_counter() - started:.0f} s on {n_jobs} job(s)")
    log.info(ranking_text(result, per_feature_set=True))
    log.info(f"Report: {report}")
    return result
