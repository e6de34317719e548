"""Sparse samplers for rare events over many rows: Poisson counts drawn per event.

Most abusers attempt nothing on a given day and most shares draw no report, so drawing
one Poisson number per row (``rng.poisson(rate)``) spends its time on rows that end at
zero: numpy takes an exponential per element. :func:`poisson_counts` and
:func:`poisson_rows` draw the same distribution from a few numbers per *event* instead,
by the superposition property: independent ``Poisson(rate[i])`` counts are, jointly, a
``Poisson(sum(rate))`` total split among the rows in proportion to their rates (a
multinomial given the total). The split places one uniform per event on the running
total of the rates.

This is exact (not an approximation); ``tests/test_sampling.py`` checks the moments
and the distribution against scipy's. The cost is O(rows + events) with two numpy
calls, against one numpy draw per row: at 10,000 users a day's attempts by 1,000
abusers take about 5 us instead of 15-30.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import sampling as ksampling


def poisson_counts(rng: np.random.Generator, rate: np.ndarray) -> np.ndarray:
    """Independent Poisson counts, one per row, with the given rates.

    Args:
        rng: the stream to draw from (one Poisson total, then one uniform per event).
        rate: expected events per row (n,), float64, finite and >= 0.

    Returns:
        int64 (n,): the events of each row.
    """
    cum = np.empty(len(rate))
    total = ksampling.cumulative_rate(rate, cum)
    counts = np.zeros(len(rate), np.int64)
    n_events = rng.poisson(total)
    if n_events:
        ksampling.scatter_events(cum, rng.random(n_events), total, counts)
    return counts


def poisson_rows(rng: np.random.Generator, rate: np.ndarray) -> np.ndarray:
    """The events of independent Poisson counts as rows: row ``i`` repeated ``counts[i]`` times.

    The draws are those of :func:`poisson_counts` (the same stream gives
    ``np.bincount(poisson_rows(...)) == poisson_counts(...)``); cheaper when the caller
    wants one entry per event.

    Args:
        rng: the stream to draw from (one Poisson total, then one uniform per event).
        rate: expected events per row (n,), float64, finite and >= 0.

    Returns:
        int64 (N,): ascending row indices, one per event.
    """
    cum = np.empty(len(rate))
    total = ksampling.cumulative_rate(rate, cum)
    rows = np.empty(rng.poisson(total), np.int64)
    if len(rows):
        ksampling.event_rows(cum, rng.random(len(rows)), total, rows)
    return rows
