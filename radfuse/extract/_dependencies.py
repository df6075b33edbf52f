"""Lazy imports of the optional extraction stack (PyRadiomics, SimpleITK).

``import radfuse`` and ``import radfuse.extract`` never import PyRadiomics, so
users who bring their own feature tables do not need it installed.
"""

from __future__ import annotations

import logging
import platform

import numpy as np

# PyRadiomics 3.0.1's setup.py imports numpy and versioneer without declaring
# them, so `pip install "radfuse[extract]"` alone fails building it; it builds
# (Python 3.10 and 3.11 only) against the environment's own numpy.
INSTALL_COMMAND = (
    "pip install numpy versioneer setuptools wheel && "
    'pip install --no-build-isolation pyradiomics==3.0.1 && '
    'pip install "radfuse[extract]"'
)
_INSTALL_HINT = (
    "`pip install 'radfuse[extract]'` alone cannot build PyRadiomics 3.0.1 (its setup.py "
    "needs numpy at build time, and it does not build on Python 3.12 or later); on "
    f"Python 3.10 or 3.11 install the extraction extras with: {INSTALL_COMMAND}"
)


def import_sitk():
    """Return the ``SimpleITK`` module or raise an ImportError saying how to get it."""
    try:
        import SimpleITK
    except ImportError as error:
        raise ImportError(f"radfuse.extract needs SimpleITK. {_INSTALL_HINT}") from error
    return SimpleITK


def import_featureextractor():
    """Return ``radiomics.featureextractor`` or raise an ImportError saying how to get it."""
    try:
        import radiomics
        from radiomics import featureextractor
    except ImportError as error:
        raise ImportError(f"radfuse.extract needs PyRadiomics. {_INSTALL_HINT}") from error
    # PyRadiomics warns on stderr for every image (e.g. "GLCM is symmetrical");
    # radfuse records real failures per case itself, so only errors pass.
    radiomics.setVerbosity(logging.ERROR)
    return featureextractor


def library_versions() -> dict[str, str]:
    """Versions of every library that can change an extracted value."""
    from .. import __version__

    import_featureextractor()
    import radiomics

    sitk = import_sitk()
    return {
        "radfuse": __version__,
        "pyradiomics": str(radiomics.__version__),
        "SimpleITK": str(sitk.Version_VersionString()),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
