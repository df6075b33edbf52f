"""Lazy imports of the optional extraction stack (PyRadiomics, SimpleITK).

``import radfuse`` and ``import radfuse.extract`` never import PyRadiomics, so
users who bring their own feature tables do not need it installed.
"""

from __future__ import annotations

import logging
import platform

import numpy as np

_INSTALL_HINT = (
    "Install the extraction extras with `pip install 'radfuse[extract]'`. "
    "PyRadiomics 3.x imports numpy while it builds, so if that install fails run "
    "`pip install numpy versioneer` and then "
    "`pip install --no-build-isolation pyradiomics` first."
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
