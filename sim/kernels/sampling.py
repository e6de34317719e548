"""Compiled steps of the sparse Poisson samplers in :mod:`sim.sampling`.

The random numbers are drawn by numpy in :mod:`sim.sampling`; these kernels only
turn them into counts per row. Rates are events per row (per day when the caller's
rows are abusers or shares); counts are int64.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def cumulative_rate(rate: np.ndarray, cum: np.ndarray) -> float:
    """Running total of ``rate`` (n,) into ``cum`` (n,); returns the total (0.0 if empty).

    A rate that is negative or not finite raises ``ValueError`` (it names no key: the
    caller's parameters were checked when the configuration was read).
    """
    total = 0.0
    for i in range(len(rate)):
        r = rate[i]
        if not (r >= 0.0 and r < np.inf):
            raise ValueError("Poisson rates must be finite and >= 0")
        total += r
        cum[i] = total
    return total


@njit(cache=True)
def scatter_events(cum: np.ndarray, u: np.ndarray, total: float, counts: np.ndarray) -> None:
    """Count events at positions ``u x total`` (``u`` (N,) uniforms in [0, 1)) into rows.

    ``cum`` (n,) holds the running total of the rates, ``total`` its last value. Row ``i``
    owns ``[cum[i-1], cum[i])``, so a row with rate 0 gets nothing. ``counts`` (n,) is
    added to in place. A position that rounding puts at or past the total goes to the
    last row with a positive rate.
    """
    n = len(cum)
    if n == 0:
        return
    last = n - 1
    while last > 0 and cum[last - 1] == cum[last]:
        last -= 1
    rows = np.searchsorted(cum, u * total, side="right")
    for j in range(len(u)):
        counts[min(rows[j], last)] += 1


@njit(cache=True)
def event_rows(cum: np.ndarray, u: np.ndarray, total: float, rows: np.ndarray) -> None:
    """The row of each event at ``u x total`` (as :func:`scatter_events`), ascending.

    ``rows`` (N,) is overwritten: row ``i`` appears as many times as events fall in it.
    """
    n = len(cum)
    last = n - 1
    while last > 0 and cum[last - 1] == cum[last]:
        last -= 1
    found = np.searchsorted(cum, u * total, side="right")
    for j in range(len(u)):
        rows[j] = min(found[j], last)
    rows.sort()
