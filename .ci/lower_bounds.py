"""Print pyproject.toml's lower bounds as exact pins: the minimum test environment.

Every ``name>=X`` of the dependencies and of the listed extras becomes
``name==X``; used as a pip constraints file, it installs the oldest versions
radfuse declares it supports, so the declared range is tested at both ends.

    python .ci/lower_bounds.py extract dask parquet test > constraints-min.txt
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8"))["project"]
requirements = list(project["dependencies"])
for extra in sys.argv[1:]:
    requirements += project["optional-dependencies"][extra]
for requirement in requirements:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?>=([^,;\s]+)", requirement.replace(" ", ""))
    if match is None:
        sys.exit(f"lower_bounds.py: {requirement!r} has no plain `>=` lower bound to pin")
    print(f"{match[1]}=={match[3]}")
