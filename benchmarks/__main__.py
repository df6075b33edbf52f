"""Run every ``benchmarks/bench_*.py`` and print one table row per measurement."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path

from benchmarks import HEADER, format_row


def discover() -> list[str]:
    folder = Path(__file__).resolve().parent
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([str(folder)])
        if info.name.startswith("bench_")
    )


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(available)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available}")
    print(HEADER)
    print("-" * len(HEADER))
    for name in args.names or available:
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.bench_{name}")
        for row in module.run():
            print(format_row(row), flush=True)
        print(f"# {name}: {time.perf_counter() - started:.1f} s in all", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
