"""Statistics for sweeps: means with t-intervals, and effects paired by replicate.

Scenarios that share a replicate index (``seed``) share their random numbers, so the
effect of a scenario is estimated from the per-seed differences with the baseline (a
paired t-interval). That is much tighter than comparing two independent means, because
the noise common to both runs of a replicate cancels.

Conventions (tested in ``tests/test_stats.py``):

* Intervals are two-sided Student t-intervals of the mean, ``mean +- t(1 - a/2, n - 1) *
  sd / sqrt(n)`` with the sample standard deviation (``ddof=1``).
* With a single value no spread can be estimated. Rather than NaN (which would silently
  drop out of plots and tables), the interval collapses to the value itself and the flag
  ``ci_collapsed`` is set; such an interval is never called distinguishable from zero.
* With no (finite) value, every number is NaN and ``n`` is 0. NaNs in the input are
  ignored, not counted.
* Relative changes divide the paired mean difference and its interval by the baseline
  mean over the same pairs (treated as fixed), times 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

NAN = float("nan")


class MeanCI(NamedTuple):
    """Mean of a sample with its two-sided t-interval."""

    mean: float
    low: float
    high: float
    n: int
    sd: float
    collapsed: bool  # True when n < 2: the interval is the mean itself, not an estimate


def t_half_width(sd: float | np.ndarray, n: int | np.ndarray, level: float = 0.95) -> Any:
    """Half-width of the t-interval of a mean: ``t(0.5 + level/2, n-1) * sd / sqrt(n)``.

    Works element-wise on arrays; entries with ``n < 2`` get 0 (a collapsed interval).
    """
    n_arr = np.asarray(n, dtype=float)
    dof = np.where(n_arr >= 2, n_arr - 1, 1.0)  # placeholder dof avoids a NaN warning
    half = (
        stats.t.ppf(0.5 + level / 2, dof)
        * np.asarray(sd, dtype=float)
        / np.sqrt(np.maximum(n_arr, 1.0))
    )
    half = np.where(n_arr >= 2, half, 0.0)
    return float(half) if np.ndim(half) == 0 else half


def mean_ci(values: Iterable[float] | np.ndarray | pd.Series, level: float = 0.95) -> MeanCI:
    """Mean and two-sided ``level`` t-interval of the mean of ``values``.

    Returns:
        ``MeanCI(mean, low, high, n, sd, collapsed)``. One value: ``low == high == mean``,
        ``sd == 0`` and ``collapsed`` True. No value: NaNs and ``n == 0``.
    """
    x = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return MeanCI(NAN, NAN, NAN, 0, NAN, True)
    m = float(x.mean())
    if n == 1:
        return MeanCI(m, m, m, 1, 0.0, True)
    sd = float(x.std(ddof=1))
    half = t_half_width(sd, n, level)
    return MeanCI(m, m - half, m + half, n, sd, False)


def _as_tuple(key: Any) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def scenario_table(
    runs: pd.DataFrame,
    indicators: Sequence[str],
    by: Sequence[str] = ("scenario",),
    level: float = 0.95,
) -> pd.DataFrame:
    """Per group of ``by`` (e.g. scenario and swept parameters) and indicator: n, mean, sd, CI.

    Args:
        runs: one row per run, with the ``by`` columns and the indicator columns.
        indicators: indicator columns to summarise (missing ones are skipped).
        by: grouping columns; each group's rows are the replicates.
        level: confidence level of the interval.

    Returns:
        Long table with columns ``*by, indicator, n, mean, sd, ci_low, ci_high,
        ci_collapsed``.
    """
    rows = []
    present = [i for i in indicators if i in runs.columns]
    for key, grp in runs.groupby(list(by), sort=True, dropna=False):
        for ind in present:
            r = mean_ci(grp[ind], level)
            rows.append(
                {
                    **dict(zip(by, _as_tuple(key), strict=True)),
                    "indicator": ind,
                    "n": r.n,
                    "mean": r.mean,
                    "sd": r.sd,
                    "ci_low": r.low,
                    "ci_high": r.high,
                    "ci_collapsed": r.collapsed,
                }
            )
    cols = [*by, "indicator", "n", "mean", "sd", "ci_low", "ci_high", "ci_collapsed"]
    return pd.DataFrame(rows, columns=cols)


EFFECT_COLUMNS = [
    "indicator",
    "pairs",
    "unpaired_seeds",
    "baseline_mean",
    "scenario_mean",
    "diff_mean",
    "diff_sd",
    "ci_low",
    "ci_high",
    "rel_change_pct",
    "rel_ci_low_pct",
    "rel_ci_high_pct",
    "distinguishable",
    "ci_collapsed",
]


def _check_unique(df: pd.DataFrame, keys: list[str], what: str) -> None:
    """Pairing needs one run per key; duplicates would silently multiply pairs."""
    dup = df.duplicated(keys)
    if dup.any():
        example = df.loc[dup, keys].iloc[0].to_dict()
        raise ValueError(
            f"{what} has more than one run for {example}; add the varying parameter to `by`"
        )


def paired_effects(
    runs: pd.DataFrame,
    baseline: str,
    indicators: Sequence[str],
    by: Sequence[str] = (),
    scenario_col: str = "scenario",
    seed_col: str = "seed",
    level: float = 0.95,
) -> pd.DataFrame:
    """Each scenario minus ``baseline``, paired by seed within each ``by`` group.

    Only seeds present in both the scenario and the baseline (for the same ``by`` values)
    form pairs; ``unpaired_seeds`` counts the seeds left out on either side.

    Args:
        runs: one row per run with ``scenario_col``, ``seed_col``, ``by`` and indicators.
        baseline: name of the reference scenario.
        indicators: indicator columns (missing ones are skipped).
        by: further columns that must match for two runs to pair (swept parameters).
        level: confidence level of the interval of the mean paired difference.

    Returns:
        One row per scenario, ``by`` group and indicator; columns ``scenario_col``, ``*by``
        and :data:`EFFECT_COLUMNS`. Empty (with those columns) if nothing pairs.
    """
    by = list(by)
    keys = [*by, seed_col]
    present = [i for i in indicators if i in runs.columns]
    base = runs[runs[scenario_col] == baseline]
    _check_unique(base, keys, f"baseline '{baseline}'")
    rows = []
    others = runs[runs[scenario_col] != baseline]
    for scen, grp in others.groupby(scenario_col, sort=True):
        _check_unique(grp, keys, f"scenario '{scen}'")
        merged = grp.merge(base, on=keys, how="outer", suffixes=("", "__base"), indicator=True)
        groups = merged.groupby(by, sort=True, dropna=False) if by else [((), merged)]
        for bkey, g in groups:
            paired = g[g["_merge"] == "both"]
            unpaired = int((g["_merge"] != "both").sum())
            if paired.empty:
                continue
            for ind in present:
                rows.append(
                    {
                        scenario_col: scen,
                        **dict(zip(by, _as_tuple(bkey), strict=True)),
                        **_effect_row(paired[ind], paired[f"{ind}__base"], level),
                        "indicator": ind,
                        "unpaired_seeds": unpaired,
                    }
                )
    return pd.DataFrame(rows, columns=[scenario_col, *by, *EFFECT_COLUMNS])


def _effect_row(scen: pd.Series, base: pd.Series, level: float) -> dict[str, Any]:
    """Paired difference statistics for one indicator (pairs with a NaN side are dropped)."""
    s = scen.to_numpy(dtype=float)
    b = base.to_numpy(dtype=float)
    ok = np.isfinite(s) & np.isfinite(b)
    s, b = s[ok], b[ok]
    d = mean_ci(s - b, level)
    bmean = float(b.mean()) if b.size else NAN
    # abs() keeps the sign of the change meaningful if a baseline mean is negative.
    scale = 100.0 / abs(bmean) if bmean and np.isfinite(bmean) else NAN
    return {
        "pairs": d.n,
        "baseline_mean": bmean,
        "scenario_mean": float(s.mean()) if s.size else NAN,
        "diff_mean": d.mean,
        "diff_sd": d.sd,
        "ci_low": d.low,
        "ci_high": d.high,
        "rel_change_pct": d.mean * scale,
        "rel_ci_low_pct": d.low * scale,
        "rel_ci_high_pct": d.high * scale,
        "distinguishable": bool(not d.collapsed and (d.low > 0 or d.high < 0)),
        "ci_collapsed": d.collapsed,
    }
