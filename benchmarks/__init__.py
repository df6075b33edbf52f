"""Performance benchmarks: radfuse against the peer implementation it replaces.

Run ``python -m benchmarks`` (or ``make bench``) for all of them, or
``python -m benchmarks mrmr delong`` for a selection. Benchmarks are never
timed unit tests: they print ratios, they do not assert.
"""
