"""Sweep statistics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.stats import mean_ci, paired_effects, scenario_table, t_half_width

T975 = {1: 12.706204736, 2: 4.302652730, 3: 3.182446305}  # t(0.975, dof) from tables


def test_mean_ci_matches_hand_computation():
    """[1,2,3,4]: mean 2.5, sd sqrt(5/3) = 1.2910, half-width t(0.975, 3) * sd / 2."""
    r = mean_ci([1, 2, 3, 4])
    half = T975[3] * math.sqrt(5 / 3) / 2
    assert (r.mean, r.n, r.collapsed) == (2.5, 4, False)
    assert r.sd == pytest.approx(math.sqrt(5 / 3))
    assert r.low == pytest.approx(2.5 - half, rel=1e-9)
    assert r.high == pytest.approx(2.5 + half, rel=1e-9)


def test_mean_ci_other_level():
    """A 90% interval uses t(0.95, dof): for [1, 3], 6.313752 * sqrt(2) / sqrt(2)."""
    r = mean_ci([1.0, 3.0], level=0.90)
    assert r.high - r.mean == pytest.approx(6.313751515, rel=1e-9)


def test_mean_ci_single_value_collapses_with_flag():
    """n = 1: no spread can be estimated; the interval is the value itself, flagged, no NaN."""
    r = mean_ci([7.0])
    assert (r.mean, r.low, r.high, r.n, r.sd, r.collapsed) == (7.0, 7.0, 7.0, 1, 0.0, True)


def test_mean_ci_empty_and_nan():
    """No value: NaN and n = 0; NaNs are dropped, not counted."""
    r = mean_ci([])
    assert r.n == 0 and math.isnan(r.mean) and math.isnan(r.low)
    r = mean_ci([1.0, float("nan"), 3.0])
    assert (r.mean, r.n) == (2.0, 2)


def test_t_half_width_vectorised():
    """Element-wise half-widths; n < 2 gives 0 rather than NaN."""
    half = t_half_width(np.array([1.0, 1.0, 2.0]), np.array([1, 2, 3]))
    assert half[0] == 0.0
    assert half[1] == pytest.approx(T975[1] / math.sqrt(2))
    assert half[2] == pytest.approx(T975[2] * 2 / math.sqrt(3))


def _runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": ["baseline"] * 3 + ["fast"] * 4 + ["none"] * 2,
            "seed": [0, 1, 2, 0, 1, 2, 9, 0, 2],
            "harm": [10.0, 12.0, 14.0, 8.0, 11.0, 11.0, 100.0, 15.0, 15.0],
            "removed": [100.0, 110.0, 120.0, 130.0, 141.0, 149.0, 0.0, 100.0, 120.0],
        }
    )


def test_paired_effects_by_seed():
    """Differences are taken seed by seed; seeds without a partner are left out and counted."""
    eff = paired_effects(_runs(), "baseline", ["harm", "removed"])
    e = eff.set_index(["scenario", "indicator"])
    fast = e.loc[("fast", "harm")]
    # diffs -2, -1, -3: mean -2, sd 1; baseline mean over the pairs 12.
    half = T975[2] / math.sqrt(3)
    assert fast["pairs"] == 3 and fast["unpaired_seeds"] == 1
    assert fast["diff_mean"] == pytest.approx(-2.0)
    assert fast["diff_sd"] == pytest.approx(1.0)
    assert (fast["ci_low"], fast["ci_high"]) == (pytest.approx(-2 - half), pytest.approx(-2 + half))
    assert fast["baseline_mean"] == pytest.approx(12.0)
    assert fast["scenario_mean"] == pytest.approx(10.0)
    assert fast["rel_change_pct"] == pytest.approx(-2 / 12 * 100)
    assert fast["rel_ci_low_pct"] == pytest.approx((-2 - half) / 12 * 100)
    assert not fast["distinguishable"]  # [-4.48, 0.48] spans zero
    # removed: diffs 30, 31, 29 -> mean 30, sd 1: [27.52, 32.48] excludes zero.
    rem = e.loc[("fast", "removed")]
    assert rem["ci_low"] == pytest.approx(30 - half) and rem["distinguishable"]
    assert rem["rel_change_pct"] == pytest.approx(30 / 110 * 100)


def test_paired_effects_baseline_mean_is_over_pairs_only():
    """'none' has seeds 0 and 2: baseline mean (10 + 14) / 2, diffs 5 and 1, one unpaired."""
    e = paired_effects(_runs(), "baseline", ["harm"]).set_index("scenario").loc["none"]
    assert e["pairs"] == 2 and e["unpaired_seeds"] == 1
    assert e["baseline_mean"] == pytest.approx(12.0)
    assert e["diff_mean"] == pytest.approx(3.0)
    half = T975[1] * math.sqrt(8) / math.sqrt(2)  # sd of [5, 1] is sqrt(8)
    assert e["ci_high"] == pytest.approx(3.0 + half)


def test_paired_effects_single_pair_is_flagged_not_distinguishable():
    """One pair: the interval collapses to the difference and is never called an effect."""
    runs = pd.DataFrame({"scenario": ["baseline", "x"], "seed": [0, 0], "v": [1.0, 5.0]})
    e = paired_effects(runs, "baseline", ["v"]).iloc[0]
    assert (e["pairs"], e["diff_mean"], e["ci_low"], e["ci_high"]) == (1, 4.0, 4.0, 4.0)
    assert e["ci_collapsed"] and not e["distinguishable"]


def test_paired_effects_by_swept_parameter():
    """Runs pair only within the same value of a swept parameter."""
    runs = pd.DataFrame(
        {
            "scenario": ["baseline", "baseline", "x", "x"] * 2,
            "p": [1, 1, 1, 1, 2, 2, 2, 2],
            "seed": [0, 1, 0, 1] * 2,
            "v": [1.0, 2.0, 2.0, 3.0, 10.0, 20.0, 15.0, 25.0],
        }
    )
    e = paired_effects(runs, "baseline", ["v"], by=["p"]).set_index("p")
    assert e.loc[1, "diff_mean"] == pytest.approx(1.0) and e.loc[1, "pairs"] == 2
    assert e.loc[2, "diff_mean"] == pytest.approx(5.0)
    assert e.loc[2, "rel_change_pct"] == pytest.approx(5 / 15 * 100)


def test_paired_effects_rejects_ambiguous_pairs():
    """Two baseline runs with the same seed cannot be paired without a `by` column."""
    runs = pd.DataFrame({"scenario": ["baseline"] * 2 + ["x"], "seed": [0, 0, 0], "v": [1.0] * 3})
    with pytest.raises(ValueError, match="more than one run"):
        paired_effects(runs, "baseline", ["v"])


def test_paired_effects_zero_baseline_gives_no_relative_change():
    runs = pd.DataFrame(
        {"scenario": ["baseline"] * 2 + ["x"] * 2, "seed": [0, 1] * 2, "v": [0, 0, 1, 2]}
    )
    e = paired_effects(runs, "baseline", ["v"]).iloc[0]
    assert e["diff_mean"] == 1.5 and math.isnan(e["rel_change_pct"])


def test_scenario_table_groups_and_counts():
    """Mean, sd and interval per scenario and indicator, by hand."""
    runs = pd.DataFrame({"scenario": ["a", "a", "b"], "seed": [0, 1, 0], "x": [1.0, 3.0, 5.0]})
    t = scenario_table(runs, ["x", "absent"], ["scenario"]).set_index("scenario")
    assert list(t["indicator"]) == ["x", "x"]
    assert (t.loc["a", "mean"], t.loc["a", "n"]) == (2.0, 2)
    assert t.loc["a", "sd"] == pytest.approx(math.sqrt(2))
    assert t.loc["a", "ci_high"] == pytest.approx(2 + T975[1] * math.sqrt(2) / math.sqrt(2))
    assert t.loc["b", "ci_low"] == t.loc["b", "ci_high"] == 5.0
    assert t.loc["b", "ci_collapsed"] and not t.loc["a", "ci_collapsed"]
