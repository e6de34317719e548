"""Sweep statistics against hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.stats import mean_ci, paired_effects, scenario_table


def test_mean_ci_matches_hand_computation():
    """[1,2,3,4]: mean 2.5, sd 1.2910, t(0.975, 3) = 3.182446."""
    m, lo, hi, n = mean_ci([1, 2, 3, 4])
    half = 3.182446305 * 1.2909944487 / 2.0
    assert (m, n) == (2.5, 4)
    assert lo == pytest.approx(2.5 - half, rel=1e-6)
    assert hi == pytest.approx(2.5 + half, rel=1e-6)


def test_mean_ci_edge_cases():
    """One value: a degenerate interval at the value; none: NaN with n = 0; NaN ignored."""
    assert mean_ci([7.0]) == (7.0, 7.0, 7.0, 1)
    m, _lo, _hi, n = mean_ci([])
    assert n == 0 and math.isnan(m)
    assert mean_ci([1.0, float("nan"), 3.0])[0] == 2.0


def test_paired_effects_by_seed():
    """Differences are taken seed by seed; unmatched seeds are left out."""
    runs = pd.DataFrame(
        {
            "scenario": ["baseline"] * 3 + ["fast"] * 4,
            "seed": [0, 1, 2, 0, 1, 2, 9],
            "harm": [10.0, 12.0, 14.0, 8.0, 11.0, 11.0, 100.0],
        }
    )
    e = paired_effects(runs, ["harm"]).iloc[0]
    diffs = [-2.0, -1.0, -3.0]
    _m, lo, hi, _n = mean_ci(diffs)
    assert e["pairs"] == 3 and e["diff_mean"] == pytest.approx(-2.0)
    assert (e["ci_low"], e["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert e["baseline_mean"] == pytest.approx(12.0)
    assert e["rel_change_pct"] == pytest.approx(-2.0 / 12.0 * 100)
    # sd of diffs = 1, half-width = 4.302653 / sqrt(3) = 2.484: interval [-4.48, 0.48] spans zero.
    assert hi == pytest.approx(-2.0 + 4.302652730 / math.sqrt(3), rel=1e-6)
    assert not e["distinguishable"]


def test_scenario_table_groups_and_counts():
    """Mean and interval per scenario and indicator."""
    runs = pd.DataFrame({"scenario": ["a", "a", "b"], "seed": [0, 1, 0], "x": [1.0, 3.0, 5.0]})
    t = scenario_table(runs, ["x"], ["scenario"]).set_index("scenario")
    assert t.loc["a", "mean"] == 2.0 and t.loc["a", "n"] == 2
    assert t.loc["b", "ci_low"] == t.loc["b", "ci_high"] == 5.0
