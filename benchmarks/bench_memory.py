"""Peak memory of the correlation step and of the whole protocol, each in a fresh process.

(a) ``CorrelationPruner`` at n=3000, p=30,000 (target: within 2 GB; the p x p
    version needed three 7.2 GB matrices and raised ``MemoryError``);
(b) the same step at n=1000, p=5000 against the dense p x p computation it
    replaced (same kept set asserted);
(c) ``make_radiomics_pipeline("lr")`` fitted on 2000 x 20,000 (target: peak
    below 1.5 GB) and saved with ``radfuse.persistence.save_model`` (target:
    below 5 MB).

Peak resident memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of a
child process, so one measurement cannot inflate the next. The rows report
memory in the time columns, as labelled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
from sklearn.datasets import make_classification

from benchmarks import machine_note, print_rows

_PRELUDE = """
import json, resource, sys, time
import numpy as np
from sklearn.datasets import make_classification

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def correlated_table(n, p, seed=0):
    # Blocks of 10 features share a factor, so many pairs exceed 0.9.
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    factors = rng.normal(size=(n, p // 10)) + 0.5 * y[:, None]
    X = np.repeat(factors, 10, axis=1)
    del factors
    # Noise added in slices, so making the table does not outgrow fitting on it.
    for start in range(0, p, 1000):
        X[:, start:start + 1000] += 0.25 * rng.normal(size=(n, min(1000, p - start)))
    return X, y
"""

_PRUNER = """
from radfuse.select import CorrelationPruner
X, y = correlated_table({n}, {p})
before = peak_mib()
start = time.perf_counter()
pruner = CorrelationPruner().fit(X, y)
print(json.dumps({{"seconds": time.perf_counter() - start, "input_mib": X.nbytes / 2**20,
                  "baseline_mib": before, "peak_mib": peak_mib(),
                  "kept": int(pruner.get_support().sum())}}))
"""

_DENSE = """
from radfuse.select import correlation_matrix
X, y = correlated_table({n}, {p})
before = peak_mib()
start = time.perf_counter()
with_outcome = correlation_matrix(np.column_stack([X, y]))
strength = np.round(np.abs(with_outcome[:-1, :-1]), 12)
relevance = np.round(np.abs(with_outcome[:-1, -1]), 12)
first, second = np.nonzero(np.triu(strength > 0.9, k=1))
order = np.argsort(-strength[first, second], kind="stable")
support = np.ones(X.shape[1], dtype=bool)
for i, j in zip(first[order], second[order]):
    if support[i] and support[j]:
        support[i if relevance[i] < relevance[j] else j] = False
print(json.dumps({{"seconds": time.perf_counter() - start, "input_mib": X.nbytes / 2**20,
                  "baseline_mib": before, "peak_mib": peak_mib(),
                  "kept": int(support.sum())}}))
"""

_PROTOCOL = """
import os, tempfile
import pandas as pd
from radfuse.pipeline import make_radiomics_pipeline
from radfuse.persistence import save_model
X = pd.DataFrame(np.load("{data}"), copy=False)
X.columns = [f"f{{i}}" for i in range(X.shape[1])]
y = np.load("{labels}")
before = peak_mib()
start = time.perf_counter()
model = make_radiomics_pipeline("lr", random_state=0, n_jobs=1).fit(X, y)
seconds = time.perf_counter() - start
path = save_model(model, os.path.join(tempfile.mkdtemp(), "protocol.skops"))
print(json.dumps({{"seconds": seconds, "input_mib": X.memory_usage().sum() / 2**20,
                  "baseline_mib": before, "peak_mib": peak_mib(),
                  "model_mib": os.path.getsize(path) / 2**20}}))
"""


def measure(body: str, **sizes) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON line."""
    code = _PRELUDE + textwrap.dedent(body).format(**sizes)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    rows = []
    large = measure(_PRUNER, n=3000, p=30_000)
    rows.append({
        "what": "CorrelationPruner n=3000 p=30000 peak RSS [GiB]",
        "radfuse_s": large["peak_mib"] / 1024,
        "peer_s": float("nan"),
        "ratio": float("nan"),
        "note": (f"target <= 2 GiB; input {large['input_mib']:.0f} MiB, process before fit "
                 f"{large['baseline_mib']:.0f} MiB; {large['seconds']:.1f} s; kept "
                 f"{large['kept']}; dense p x p version not run (three 6.7 GiB matrices); "
                 f"{machine_note()}"),
    })
    ours, dense = measure(_PRUNER, n=1000, p=5000), measure(_DENSE, n=1000, p=5000)
    rows.append({
        "what": "CorrelationPruner n=1000 p=5000 peak RSS [GiB] vs dense",
        "radfuse_s": ours["peak_mib"] / 1024,
        "peer_s": dense["peak_mib"] / 1024,
        "ratio": dense["peak_mib"] / ours["peak_mib"],
        "note": (f"same kept set: {ours['kept'] == dense['kept']} ({ours['kept']}); "
                 f"time {ours['seconds']:.2f} s vs {dense['seconds']:.2f} s (one run each); "
                 f"{machine_note()}"),
    })
    with tempfile.TemporaryDirectory() as folder:
        # Made here, so the child's peak is the fit's and not make_classification's.
        X, y = make_classification(n_samples=2000, n_features=20000, n_informative=40,
                                   n_redundant=400, random_state=0)
        data, labels = os.path.join(folder, "X.npy"), os.path.join(folder, "y.npy")
        np.save(data, X)
        np.save(labels, y)
        del X
        protocol = measure(_PROTOCOL, data=data, labels=labels)
    rows.append({
        "what": "protocol fit 2000x20000 peak RSS [GiB]; model [MiB]",
        "radfuse_s": protocol["peak_mib"] / 1024,
        "peer_s": protocol["model_mib"],
        "ratio": float("nan"),
        "note": (f"targets: peak < 1.5 GB, saved model < 5 MB (peer column = model file "
                 f"MiB); input {protocol['input_mib']:.0f} MiB, process before fit "
                 f"{protocol['baseline_mib']:.0f} MiB; fit {protocol['seconds']:.0f} s; "
                 f"{machine_note()}"),
    })
    return rows


if __name__ == "__main__":
    print_rows(run())
