"""Installed versions of the libraries radfuse records: in a methods section and in every model file."""

from __future__ import annotations

from importlib import metadata

#: Libraries whose versions a study records and its methods text states (when installed).
REPORTED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "imbalanced-learn",
    "xgboost",
    "lightgbm",
    "pyradiomics",
    "SimpleITK",
    "radfuse",
)


def installed_versions(distributions) -> dict[str, str | None]:
    """The installed version of each distribution, ``None`` for one that is not installed.

    radfuse's own version is ``radfuse.__version__``, the code actually
    running, whatever distribution metadata an installation left behind.

    Examples
    --------
    >>> from radfuse._versions import installed_versions
    >>> installed_versions(["radfuse", "no-such-distribution"])
    {'radfuse': '0.1.0', 'no-such-distribution': None}
    """
    from . import __version__

    versions = {}
    for distribution in distributions:
        if distribution == "radfuse":
            versions[distribution] = __version__
            continue
        try:
            versions[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[distribution] = None
    return versions


def library_versions() -> dict[str, str]:
    """Installed versions of :data:`REPORTED_PACKAGES` (absent ones left out)."""
    return {package: version for package, version in installed_versions(REPORTED_PACKAGES).items() if version}
