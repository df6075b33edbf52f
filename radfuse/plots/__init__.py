"""Figures of a radiomics study: ROC, calibration, decision curves, LASSO, waterfall.

Every function takes plain data (outcomes, a ``{model name: probabilities}``
mapping, a LASSO's CV curve...) and returns a :class:`matplotlib.figure.Figure`
built without ``pyplot``, so nothing depends on the interactive backend and
no figure lingers in a global registry. Pass ``ax=`` to draw into an existing
axes instead. Functions named ``plot_study_*`` take a
:class:`~radfuse.study.StudyResult` and assemble the panels of one figure.

The same model name gets the same colour in every figure, as long as the
models are passed in the same order.

Examples
--------
>>> import numpy as np
>>> from radfuse.plots import plot_roc
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 80)
>>> scores = {"radiomics": y + rng.normal(0, 0.8, 80), "clinical": rng.normal(size=80)}
>>> fig = plot_roc(y, scores, title="Test set")
>>> [text.get_text().split(" (")[0] for text in fig.axes[0].get_legend().get_texts()]
['radiomics', 'clinical']

Each private module draws one kind of figure and lists its public functions in
its own ``__all__``; this package re-exports them, so a new figure function is
public once its module lists it.
"""

from . import _roc, _calibration, _decision_curve, _waterfall, _lasso, _confusion, _study, _nomogram, _style
from ._roc import *  # noqa: F403
from ._calibration import *  # noqa: F403
from ._decision_curve import *  # noqa: F403
from ._waterfall import *  # noqa: F403
from ._lasso import *  # noqa: F403
from ._confusion import *  # noqa: F403
from ._study import *  # noqa: F403
from ._nomogram import *  # noqa: F403
from ._style import *  # noqa: F403

__all__ = [
    *_roc.__all__,
    *_calibration.__all__,
    *_decision_curve.__all__,
    *_waterfall.__all__,
    *_lasso.__all__,
    *_confusion.__all__,
    *_study.__all__,
    *_nomogram.__all__,
    *_style.__all__,
]
