"""Write a finished study to disk: tables, figures, models, methods text and one HTML report.

:func:`save_study` (also reachable as ``StudyResult.save(directory)``) lays
out a results folder::

    report.html          self-contained: figures embedded as base64 PNG, no external files
    methods.md           a methods section generated from the study's settings
    tables/*.csv         every table of the study, full precision
    figures/*.png, *.svg every figure
    models/*.skops       the final models, loadable with radfuse.persistence.load_model

The pieces are usable on their own: :func:`methods_text` writes the methods
paragraph, :func:`study_figures` builds the figures and
:func:`write_html_report` turns headings, text, tables and figures into one
HTML file.

Each private module owns one part (tables, figures, methods text, HTML,
saving) and lists its public names in its own ``__all__``; this package
re-exports them. A report figure is one entry of the figure registry in
``_figures``.
"""

from . import _tables, _figures, _methods, _html, _save
from ._tables import *  # noqa: F403
from ._figures import *  # noqa: F403
from ._methods import *  # noqa: F403
from ._html import *  # noqa: F403
from ._save import *  # noqa: F403

__all__ = [
    *_tables.__all__,
    *_figures.__all__,
    *_methods.__all__,
    *_html.__all__,
    *_save.__all__,
]
