"""Sphinx configuration of radfuse's documentation (``make docs``).

The gallery runs every script of ``examples/``; ``RADFUSE_DOCS_FULL=1`` runs them with their published
settings, otherwise with their ``--quick`` settings so the build stays short.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import radfuse  # noqa: E402

project = "radfuse"
author = "radfuse contributors"
copyright = "radfuse contributors"
release = version = radfuse.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
autosummary_generate = True
# Packages list their public names in __all__ and define them in private modules.
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
html_theme = "alabaster"
html_theme_options = {"page_width": "1100px"}
suppress_warnings = ["config.cache"]

FAST_ARGUMENTS = {
    "alnm_protocol.py": ["--quick", "--classifiers", "lr", "nb",
                         "--out", str(Path(__file__).resolve().parent / "_build" / "alnm_example")],
    "leakage_noise.py": ["--quick"],
    "multicentre.py": ["--quick"],
    "protocol_wdbc.py": ["--quick", "--jobs", "1"],
    "fusion_comparison.py": ["--splits", "2", "--repeats", "1", "--jobs", "1"],
}


def example_arguments(gallery_conf, script_vars):
    """Command-line arguments of each example: their quick settings unless RADFUSE_DOCS_FULL=1."""
    if os.environ.get("RADFUSE_DOCS_FULL") == "1":
        return []
    return FAST_ARGUMENTS.get(Path(script_vars["src_file"]).name, [])


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",
    # multicentre_data.py writes the tables of multicentre.yaml; it is not an example.
    "ignore_pattern": r"__init__\.py|multicentre_data\.py",
    "reset_argv": example_arguments,
    "plot_gallery": "True",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
}


_CODE = re.compile(r"(``.*?``|`[^`]*`)")


def _escape_prose(line: str) -> str:
    """Escape what reST would read as markup in plain docstring prose: ``name_`` and ``|x|``."""
    if line.lstrip().startswith((">>>", "...")):
        return line  # a doctest: literal already
    parameter = re.match(r"^(\s*[\w, *]+ : )(.*)$", line)
    if parameter:  # a numpydoc parameter line: the name is literal, its type is prose
        return parameter.group(1) + _escape_prose(parameter.group(2))
    parts = _CODE.split(line)
    for index in range(0, len(parts), 2):
        parts[index] = re.sub(r"(?<![\w\\])(\w+)_(?=[\s,.;:)]|$)", r"\1\\_", parts[index])
        parts[index] = re.sub(r"\|(\w+)\|", r"\\|\1\\|", parts[index])
    return "".join(parts)


def _escape_docstring(app, what, name, obj, options, lines):
    lines[:] = [_escape_prose(line) for line in lines]


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """scikit-learn's generated set_*_request methods document its own glossary, not radfuse."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-process-docstring", _escape_docstring, priority=400)
    app.connect("autodoc-skip-member", _skip_metadata_requests)
