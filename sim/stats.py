"""Statistics for sweeps: means with t-intervals, and effects paired by replicate.

Scenarios that share a replicate index (``seed``) share their random numbers, so the
effect of a scenario is estimated from the per-seed differences with the baseline
(a paired t-interval), which is far tighter than comparing two independent means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(
    values: Sequence[float] | np.ndarray, level: float = 0.95
) -> tuple[float, float, float, int]:
    """Mean and two-sided t-interval of the mean.

    Returns:
        (mean, low, high, n). With one value the interval collapses to the value itself
        (no spread can be estimated); with none, everything is NaN and n = 0.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(x.mean())
    if n == 1:
        return m, m, m, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half, n


def scenario_table(
    runs: pd.DataFrame, indicators: Sequence[str], by: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Per group (e.g. scenario) and indicator: n, mean, sd and the t-interval.

    Args:
        runs: one row per run with the ``by`` columns and the indicator columns.
    """
    rows = []
    for key, grp in runs.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for ind in indicators:
            if ind not in grp:
                continue
            m, lo, hi, n = mean_ci(grp[ind], level)
            sd = float(grp[ind].std(ddof=1)) if n > 1 else 0.0
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "indicator": ind,
                    "n": n,
                    "mean": m,
                    "sd": sd,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    return pd.DataFrame(rows)


def paired_effects(
    runs: pd.DataFrame,
    indicators: Sequence[str],
    baseline: str = "baseline",
    scenario_col: str = "scenario",
    seed_col: str = "seed",
    by: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """Each scenario minus the baseline, paired by seed (and by the ``by`` columns).

    Returns one row per scenario (and ``by`` group) and indicator with: ``pairs``,
    ``baseline_mean``, ``diff_mean``, ``ci_low``/``ci_high`` (t-interval of the paired
    differences), ``rel_change_pct`` (and its interval, relative to the baseline mean)
    and ``distinguishable`` (the interval excludes zero).
    """
    keys = [*by, seed_col]
    base = runs[runs[scenario_col] == baseline]
    rows = []
    for scen, grp in runs[runs[scenario_col] != baseline].groupby(scenario_col, sort=True):
        merged = grp.merge(base, on=keys, suffixes=("", "__base"))
        groups = merged.groupby(list(by), sort=True) if by else [((), merged)]
        for bkey, g in groups:
            bkey = bkey if isinstance(bkey, tuple) else (bkey,)
            for ind in indicators:
                if ind not in g or f"{ind}__base" not in g:
                    continue
                diff = g[ind].to_numpy(float) - g[f"{ind}__base"].to_numpy(float)
                m, lo, hi, n = mean_ci(diff, level)
                bmean = float(g[f"{ind}__base"].mean()) if n else float("nan")
                scale = 100.0 / abs(bmean) if bmean else float("nan")
                rows.append(
                    {
                        scenario_col: scen,
                        **dict(zip(by, bkey, strict=True)),
                        "indicator": ind,
                        "pairs": n,
                        "baseline_mean": bmean,
                        "diff_mean": m,
                        "ci_low": lo,
                        "ci_high": hi,
                        "rel_change_pct": m * scale,
                        "rel_ci_low_pct": lo * scale,
                        "rel_ci_high_pct": hi * scale,
                        "distinguishable": bool(n > 1 and (lo > 0 or hi < 0)),
                    }
                )
    return pd.DataFrame(rows)
