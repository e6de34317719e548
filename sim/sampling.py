"""Sparse samplers for rare events over many rows: Poisson counts and binomial thinning.

Most abusers attempt nothing on a given day and most shares draw no report, so drawing
one Poisson number per row (``rng.poisson(rate)``) spends its time on rows that end at
zero: numpy takes an exponential per element. These samplers draw the same
distributions from a few numbers per *event* instead:

* :func:`poisson_counts` (and :func:`poisson_rows`) use the superposition property: independent
  ``Poisson(rate[i])`` counts are, jointly, a ``Poisson(sum(rate))`` total split among
  the rows in proportion to their rates (a multinomial given the total). The split
  places one uniform per event on the cumulative rates.
* :func:`binomial_thin` draws ``Binomial(n[i], p)`` as ``n[i]`` Bernoulli(p) trials, one
  uniform per event.

Both are exact (not approximations); ``tests/test_sampling.py`` checks the moments and
the distribution against scipy's. The cost is O(rows + events) with two numpy calls,
against one numpy draw per row: at 10,000 users a day's attempts by 1,000 abusers take
about 3 us instead of 15 (``benchmarks/README.md``).
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


def binomial_thin(rng: np.random.Generator, n: np.ndarray, p: float) -> np.ndarray:
    """``Binomial(n[i], p)`` per row, as ``n[i]`` Bernoulli trials (one uniform per trial).

    Args:
        rng: the stream to draw from (``sum(n)`` uniforms).
        n: trials per row (n,), int64 >= 0; cheap when the total is small.
        p: success probability in [0, 1].

    Returns:
        int64 (n,): successes per row.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"binomial_thin: p={p} must be in [0, 1]")
    kept = np.empty(len(n), np.int64)
    ksampling.thin_counts(n, rng.random(int(n.sum())), p, kept)
    return kept
