"""R's ``lowess(x, y, iter = 0)`` (Cleveland 1979, R's ``clowess``), as ``rms::calibrate`` uses it."""

from __future__ import annotations

import numpy as np


def _local_fit(x, y, n, xs, nleft, nright):
    """Weighted local line at ``xs`` over points nleft..nright (0-based), ties on the
    right included; None when every weight is zero (R's ``lowest``)."""
    span = x[n - 1] - x[0]
    h = max(xs - x[nleft], x[nright] - xs)
    h9, h1 = 0.999 * h, 0.001 * h
    candidates = np.arange(nleft, n)
    r = np.abs(x[candidates] - xs)
    # The window ends at the first point beyond the radius on the right of xs
    # (so ties past nright are picked up); points beyond it on the left weigh 0.
    beyond = np.flatnonzero((r > h9) & (x[candidates] > xs))
    end = beyond[0] if beyond.size else candidates.size
    index, r = candidates[:end], r[:end]
    w = np.where(r <= h1, 1.0, (1.0 - (r / h) ** 3) ** 3)
    w[r > h9] = 0.0
    total = w.sum()
    if total <= 0.0:
        return None
    w = w / total
    if h > 0.0:
        centre = np.sum(w * x[index])
        spread = np.sum(w * (x[index] - centre) ** 2)
        if np.sqrt(spread) > 0.001 * span:
            w = w * ((xs - centre) / spread * (x[index] - centre) + 1.0)
    return float(np.sum(w * y[index]))


def lowess(x, y, f: float = 2 / 3):
    """Sorted ``x`` and the lowess fit at each, as R's ``lowess(x, y, f, iter = 0)``
    with its default ``delta = 0.01 * diff(range(x))``.

    Reference: Cleveland, W. S. (1979). Robust locally weighted regression and
    smoothing scatterplots. JASA, 74(368), 829-836.
    """
    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, dtype=np.float64)[order], np.asarray(y, dtype=np.float64)[order]
    n = x.size
    fitted = np.empty(n)
    if n < 2:
        fitted[:] = y
        return x, fitted
    delta = 0.01 * (x[-1] - x[0])
    ns = max(2, min(n, int(f * n + 1e-7)))
    nleft, nright = 0, ns - 1
    last = -1
    i = 0
    while True:
        if nright < n - 1:
            # Move the window right while that shrinks its radius.
            if x[i] - x[nleft] > x[nright + 1] - x[i]:
                nleft += 1
                nright += 1
                continue
        value = _local_fit(x, y, n, x[i], nleft, nright)
        fitted[i] = y[i] if value is None else value
        if last < i - 1:
            # Points skipped within delta: linear interpolation.
            alpha = (x[last + 1 : i] - x[last]) / (x[i] - x[last])
            fitted[last + 1 : i] = alpha * fitted[i] + (1.0 - alpha) * fitted[last]
        last = i
        cut = x[last] + delta
        i = last + 1
        while i < n:
            if x[i] > cut:
                break
            if x[i] == x[last]:
                fitted[i] = fitted[last]
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= n - 1:
            break
    return x, fitted
