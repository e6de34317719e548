"""The sparse samplers (sim/sampling.py) draw the distributions they claim, and their kernels."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats

from sim.kernels import sampling as ks
from sim.sampling import poisson_counts, poisson_rows


def _chi2_pvalue(observed: np.ndarray, pmf: np.ndarray) -> float:
    """Chi-square goodness of fit of counts of values 0..k-1 (last bin: k-1 and above)."""
    expected = pmf * observed.sum()
    return float(stats.chisquare(observed, expected).pvalue)


def test_poisson_counts_match_independent_poissons() -> None:
    """Each row is Poisson with its own rate; rows are uncorrelated; zero rates give zeros."""
    rng = np.random.default_rng(1)
    rate = np.array([0.0, 0.01, 0.2, 1.5, 0.0, 4.0, 0.05])
    draws = np.array([poisson_counts(rng, rate) for _ in range(20_000)])
    assert draws.dtype == np.int64
    assert not draws[:, [0, 4]].any()
    mean, var = draws.mean(axis=0), draws.var(axis=0)
    se = np.sqrt(np.maximum(rate, 1e-12) / len(draws))
    assert np.all(np.abs(mean - rate) < 5 * se)
    assert np.allclose(var[rate > 0.1], rate[rate > 0.1], rtol=0.06)
    # Whole distribution of one row (rate 4): chi-square against Poisson(4).
    k = 12
    observed = np.bincount(np.minimum(draws[:, 5], k - 1), minlength=k)
    pmf = stats.poisson.pmf(np.arange(k), 4.0)
    pmf[-1] += stats.poisson.sf(k - 1, 4.0)
    assert _chi2_pvalue(observed, pmf) > 1e-3
    # Independent Poissons are uncorrelated (a multinomial split with a fixed total is not).
    corr = np.corrcoef(draws[:, 3], draws[:, 5])[0, 1]
    assert abs(corr) < 4 / np.sqrt(len(draws))


def test_poisson_counts_total_is_poisson_of_the_sum() -> None:
    rng = np.random.default_rng(2)
    rate = np.random.default_rng(3).random(500) * 0.02  # ~5 events a day, as abusers
    totals = np.array([poisson_counts(rng, rate).sum() for _ in range(20_000)])
    lam = rate.sum()
    k = 16
    observed = np.bincount(np.minimum(totals, k - 1), minlength=k)
    pmf = stats.poisson.pmf(np.arange(k), lam)
    pmf[-1] += stats.poisson.sf(k - 1, lam)
    assert _chi2_pvalue(observed, pmf) > 1e-3


def test_poisson_rows_are_the_events_of_poisson_counts() -> None:
    """Same stream, same draws: the rows are the counts' events, ascending."""
    rate = np.random.default_rng(6).random(300) * 0.05
    for seed in range(20):
        rows = poisson_rows(np.random.default_rng(seed), rate)
        counts = poisson_counts(np.random.default_rng(seed), rate)
        assert rows.dtype == np.int64
        assert_array_equal(rows, np.repeat(np.arange(300), counts))
    assert poisson_rows(np.random.default_rng(0), np.zeros(0)).shape == (0,)


def test_poisson_counts_edge_cases() -> None:
    rng = np.random.default_rng(0)
    assert poisson_counts(rng, np.zeros(0)).shape == (0,)
    assert_array_equal(poisson_counts(rng, np.zeros(5)), np.zeros(5, np.int64))
    for bad in (-0.1, np.nan, np.inf):
        with pytest.raises(ValueError, match="finite and >= 0"):
            poisson_counts(rng, np.array([0.5, bad]))


def test_kernels_against_their_array_formulas() -> None:
    """cumulative_rate is np.cumsum; scatter_events is searchsorted + bincount; event_rows
    is the sorted searchsorted."""
    rng = np.random.default_rng(5)
    rate = rng.random(200) * (rng.random(200) < 0.3)
    cum = np.empty(200)
    total = ks.cumulative_rate(rate, cum)
    assert_array_equal(cum, np.cumsum(rate))
    assert total == cum[-1]
    u = rng.random(40)
    counts = np.zeros(200, np.int64)
    ks.scatter_events(cum, u, total, counts)
    ref = np.bincount(np.searchsorted(cum, u * total, side="right"), minlength=200)
    assert_array_equal(counts, ref)
    assert not counts[rate == 0].any()
    rows = np.empty(40, np.int64)
    ks.event_rows(cum, u, total, rows)
    assert_array_equal(rows, np.sort(np.searchsorted(cum, u * total, side="right")))


def test_scatter_events_rounding_at_the_total_goes_to_the_last_positive_row() -> None:
    cum = np.array([0.5, 1.0, 1.0, 1.0])  # rows 2 and 3 have rate 0
    counts = np.zeros(4, np.int64)
    ks.scatter_events(cum, np.array([1.0, 0.0]), 1.0, counts)  # u = 1.0 stands for rounding up
    assert_array_equal(counts, [1, 1, 0, 0])
