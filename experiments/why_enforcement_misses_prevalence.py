"""Why do higher fines (and more regulator capacity) not lower harmful views per 10,000 views?

Runs baseline and the enforcement scenarios paired by seed at the default size (10,000
users, 730 days, policy from day 365), each once as configured and once with the fringe
site unable to leave the UK (the counterfactual that isolates displacement after its exit:
``platforms.fringe.exit_patience_months=120``, longer than the policy period, and
``regulator.disruption_after_unpaid_days=3650``, so no access restriction order either).
Prints the paired change in prevalence and its parts: harmful views by platform, total
views (the denominator), harmful items created and removed by platform, effort and recall
by platform, exits, and the replicates a two-sided paired t-test would need to detect the
observed prevalence change with 80% power.

Usage: python -m experiments.why_enforcement_misses_prevalence [--seeds N] [--jobs J]
       [--scenarios higher_fines,regulator_capacity] [extra overrides...]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

NOEXIT = (
    "platforms.fringe.exit_patience_months=120",
    "regulator.disruption_after_unpaid_days=3650",
)
SUMMARY = (
    "harmful_views_per_10k",
    "harmful_views",
    "total_views",
    "harmful_items_created",
    "harmful_items_removed",
    "wrongful_removals",
    "accounts_suspended",
    "self_censoring_users",
    "users_left_platform",
    "victims_women",
    "moderation_spend_gbp",
    "fringe_abuse_share",
    "platform_exits",
)


def one_run(scenario: str, noexit: bool, seed: int, extra: tuple[str, ...]) -> dict[str, Any]:
    """Run one model; return summary indicators and per-platform policy-period totals."""
    from sim.content import REMOVED
    from sim.defaults import compose_config
    from sim.indicators import summarise
    from sim.model import HarmModel

    overrides = [f"scenario={scenario}", f"seed={seed}", *(NOEXIT if noexit else ()), *extra]
    cfg = compose_config(overrides)
    model = HarmModel(cfg)
    model.run_for(cfg.days)
    summ = summarise(model)
    start = cfg.policy_start_day
    ts = model.timeseries()
    pol = ts[ts["day"] >= start]
    ev = model.events()
    exits = ev[(ev["kind"] == "platform_exit") & (ev["day"] >= start)]
    items = model.items
    removed = (items.view("day") >= start) & (items.view("state") == REMOVED)
    row: dict[str, Any] = {
        "scenario": scenario,
        "noexit": noexit,
        "seed": seed,
        **{k: summ[k] for k in SUMMARY},
        "exit_day": float(exits["day"].min()) if len(exits) else np.nan,
        "exit_platforms": ",".join(exits["platform"]),
        "exit_reasons": ";".join(exits["detail"]),
    }
    for p in model.platform_list:
        n = p.name
        open_days = pol[f"exited__{n}"] == 0
        row[f"hv__{n}"] = float(pol[f"harmful_views__{n}"].sum())
        row[f"created__{n}"] = float(pol[f"harmful_items_created__{n}"].sum())
        row[f"removed__{n}"] = float((removed & (items.view("platform") == p.index)).sum())
        row[f"spend__{n}"] = float(pol[f"moderation_spend_gbp__{n}"].sum())
        # Effort and recall while the platform operates in the UK (an exited one has none).
        row[f"effort__{n}"] = float(pol.loc[open_days, f"effort__{n}"].mean())
        row[f"recall__{n}"] = float(pol.loc[open_days, f"recall__{n}"].mean())
        row[f"members_end__{n}"] = float(pol[f"members__{n}"].iloc[-1])
    return row


def paired(df: pd.DataFrame, col: str, arm: tuple[str, bool], ref: tuple[str, bool]) -> str:
    """Mean paired difference arm - ref with its 95% t interval, also as % of the ref mean."""
    a = df[(df.scenario == arm[0]) & (df.noexit == arm[1])].set_index("seed")[col]
    b = df[(df.scenario == ref[0]) & (df.noexit == ref[1])].set_index("seed")[col]
    d = (a - b).dropna()
    n = len(d)
    if n < 2:
        return "n/a"
    m, se = float(d.mean()), float(d.std(ddof=1)) / np.sqrt(n)
    h = float(stats.t.ppf(0.975, n - 1)) * se
    base = float(b.loc[d.index].mean())
    if base == 0 or not np.isfinite(base):
        return f"{m:+.3g} [{m - h:+.3g}, {m + h:+.3g}]"
    s = 100 / abs(base)
    return f"{m * s:+6.1f}% [{(m - h) * s:+6.1f}, {(m + h) * s:+6.1f}]"


def contributions(df: pd.DataFrame, plats: list[str], arm: tuple[str, bool], ref: tuple[str, bool]):
    """Each platform's share of the change in all harmful views, in % of the ref total.

    The four shares sum to the change in harmful views (the numerator); the change in
    prevalence is about that minus the change in total views (the denominator).
    """
    a = df[(df.scenario == arm[0]) & (df.noexit == arm[1])].set_index("seed")
    b = df[(df.scenario == ref[0]) & (df.noexit == ref[1])].set_index("seed")
    total = float(b["harmful_views"].mean())
    out = {}
    for p in plats:
        d = (a[f"hv__{p}"] - b[f"hv__{p}"]).dropna() * 100 / total
        n = len(d)
        h = float(stats.t.ppf(0.975, n - 1)) * float(d.std(ddof=1)) / np.sqrt(n)
        out[p] = (float(d.mean()), float(d.mean()) - h, float(d.mean()) + h)
    return out


def replicates_needed(df: pd.DataFrame, col: str, arm: tuple[str, bool], ref: tuple[str, bool]):
    """Observed paired effect d, sd of differences, and pairs for 80% power (alpha 0.05)."""
    a = df[(df.scenario == arm[0]) & (df.noexit == arm[1])].set_index("seed")[col]
    b = df[(df.scenario == ref[0]) & (df.noexit == ref[1])].set_index("seed")[col]
    d = (a - b).dropna()
    m, sd = float(d.mean()), float(d.std(ddof=1))
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    need = int(np.ceil((z * sd / abs(m)) ** 2)) if m else np.inf
    return m, sd, need


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scenarios", default="higher_fines,regulator_capacity")
    ap.add_argument("--out", default="", help="optional parquet file for the per-run table")
    ap.add_argument("extra", nargs="*", help="further Hydra overrides for every run")
    args = ap.parse_args()
    scens = ["baseline", *args.scenarios.split(",")]
    extra = tuple(args.extra)
    jobs = [(s, ne, k) for s in scens for ne in (False, True) for k in range(args.seeds)]
    rows = Parallel(n_jobs=args.jobs, batch_size=4)(
        delayed(one_run)(s, ne, k, extra) for s, ne, k in jobs
    )
    df = pd.DataFrame(rows)
    if args.out:
        df.to_parquet(args.out)
    plats = [c.split("__")[1] for c in df.columns if c.startswith("hv__")]
    print(f"seeds={args.seeds} extra={extra}; paired change vs baseline, mean [95% CI]")

    base_mean = df[(df.scenario == "baseline") & ~df.noexit]
    print("\nbaseline (fringe may exit), policy-period means:")
    hv = base_mean["harmful_views"].mean()
    for p in plats:
        print(
            f"  {p:10s} harmful views {base_mean[f'hv__{p}'].mean():9.0f} "
            f"({100 * base_mean[f'hv__{p}'].mean() / hv:4.1f}%)  items "
            f"{base_mean[f'created__{p}'].mean():7.0f}  removed "
            f"{base_mean[f'removed__{p}'].mean():6.0f}  effort "
            f"{base_mean[f'effort__{p}'].mean():.3f}  recall {base_mean[f'recall__{p}'].mean():.3f}"
            f"  harmful views/item {base_mean[f'hv__{p}'].sum() / base_mean[f'created__{p}'].sum():.3f}"
        )
    cols = [
        ("harmful_views_per_10k", "prevalence (per 10k views)"),
        ("harmful_views", "harmful views (numerator)"),
        ("total_views", "total views (denominator)"),
        ("harmful_items_created", "harmful items created"),
        ("harmful_items_removed", "harmful items removed"),
        ("accounts_suspended", "accounts suspended"),
        ("wrongful_removals", "wrongful removals"),
        ("moderation_spend_gbp", "moderation spend"),
        ("self_censoring_users", "self-censoring users"),
        ("users_left_platform", "users who left a platform"),
        ("victims_women", "women harmed"),
        ("fringe_abuse_share", "fringe share of abuse"),
        ("platform_exits", "platform exits (count diff)"),
    ]
    cols += [(f"hv__{p}", f"harmful views on {p}") for p in plats]
    cols += [(f"created__{p}", f"harmful items on {p}") for p in plats]
    cols += [(f"removed__{p}", f"removed on {p}") for p in plats]
    cols += [(f"effort__{p}", f"effort on {p} (while open)") for p in plats]
    cols += [(f"recall__{p}", f"recall on {p} (while open)") for p in plats]
    for s in scens[1:]:
        for ne in (False, True):
            tag = "fringe cannot exit" if ne else "as configured"
            sub = df[(df.scenario == s) & (df.noexit == ne)]
            exits = (sub["exit_platforms"] != "").mean()
            print(f"\n{s} vs baseline ({tag}; runs with an exit: {exits:.0%} vs baseline ", end="")
            b = df[(df.scenario == "baseline") & (df.noexit == ne)]
            print(f"{(b['exit_platforms'] != '').mean():.0%})")
            for c, label in cols:
                print(f"  {label:34s} {paired(df, c, (s, ne), ('baseline', ne))}")
            parts = contributions(df, plats, (s, ne), ("baseline", ne))
            print(
                "  contribution to the change in harmful views, % of baseline total: "
                + ", ".join(
                    f"{p} {m:+.1f} [{lo:+.1f}, {hi:+.1f}]" for p, (m, lo, hi) in parts.items()
                )
            )
            m, sd, need = replicates_needed(df, "harmful_views_per_10k", (s, ne), ("baseline", ne))
            print(
                f"  power: prevalence diff {m:+.3f} per 10k (sd of paired diffs {sd:.3f}); "
                f"pairs for 80% power at this effect: {need}"
            )
        print(f"\n{s}: effect of the fringe exit within the scenario (configured - cannot exit)")
        for c, label in cols[:4] + [(f"hv__{p}", f"harmful views on {p}") for p in plats]:
            print(f"  {label:34s} {paired(df, c, (s, False), (s, True))}")
    print("\nbaseline: configured - cannot exit")
    for c, label in cols[:4]:
        print(f"  {label:34s} {paired(df, c, ('baseline', False), ('baseline', True))}")
    # Difference in differences: how much of the scenario's prevalence change the exit makes.
    for s in scens[1:]:
        d = {}
        for ne in (False, True):
            a = df[(df.scenario == s) & (df.noexit == ne)].set_index("seed")
            b = df[(df.scenario == "baseline") & (df.noexit == ne)].set_index("seed")
            d[ne] = a["harmful_views_per_10k"] - b["harmful_views_per_10k"]
        did = (d[False] - d[True]).dropna()
        n = len(did)
        h = float(stats.t.ppf(0.975, n - 1)) * float(did.std(ddof=1)) / np.sqrt(n)
        print(
            f"\n{s}: prevalence effect with exits minus effect without: {did.mean():+.3f} "
            f"[{did.mean() - h:+.3f}, {did.mean() + h:+.3f}] per 10k views "
            f"(baseline mean {df.loc[df.scenario == 'baseline', 'harmful_views_per_10k'].mean():.2f})"
        )
    # Exit timing and reasons.
    ex = df[df.exit_platforms != ""]
    if len(ex):
        print("\nexits (policy period): scenario, noexit, runs, mean first exit day, reasons")
        for (s, ne), g in ex.groupby(["scenario", "noexit"]):
            reasons = sorted(set(";".join(g.exit_reasons).split(";")))
            print(f"  {s:20s} {ne!s:5s} {len(g):3d} {g.exit_day.mean():6.0f}  {reasons}")


if __name__ == "__main__":
    main()
