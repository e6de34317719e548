"""Aggregate a sweep into tables, figures and one self-contained HTML report.

    python -m sim.report SWEEP_DIR [--out DIR] [--baseline NAME]

Reads whatever run folders exist (docs/outputs.md), so it works on a partial sweep, and
lists missing and failed runs. Writes ``runs.parquet``, ``scenarios.csv``,
``effects.csv``, ``figures/*.png`` and ``report.html`` into ``SWEEP_DIR/report/``.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml

from sim.stats import paired_effects, scenario_table

# Indicators in the headline table and effect plots, with plain labels.
KEY_INDICATORS = {
    "harmful_views_per_10k": "Harmful views per 10,000 views",
    "victims_women": "Women harmed",
    "victims_children": "Children harmed",
    "wrongful_removals": "Lawful posts wrongly removed",
    "deepfakes_created": "Sexual deepfakes created",
    "moderation_spend_gbp": "Moderation spend (GBP)",
    "fines_imposed_gbp": "Fines and penalties (GBP)",
    "convictions": "Convictions",
    "median_takedown_hours": "Median hours to takedown",
    "fringe_abuse_share": "Share of abuse on the fringe site",
    "platform_exits": "Platforms leaving the UK",
}
SHORT_LABELS = {
    "no_regulation": "No regulation",
    "baseline": "The Act as enacted",
    "higher_fines": "Higher fines",
    "senior_manager_liability": "Managers liable (counterfactual)",
    "deepfake_offence": "Deepfake creation offence",
    "fast_takedown": "24-hour takedown duty",
    "regulator_capacity": "Ofcom capacity doubled",
    "government_package": "Government package",
}
QUESTION = (
    "Which levers, at what strength, reduce harm to users (especially women and girls) and "
    "at what cost in over-removal of lawful speech, compliance cost and platform exit? Each "
    "scenario is simulated with the same replicates (random numbers shared by replicate), "
    "so differences from the Act as enacted are paired comparisons."
)
COLOURS = plt.get_cmap("tab10")


def label(name: str) -> str:
    """Plain label for a scenario name."""
    return SHORT_LABELS.get(name, name.replace("_", " ").capitalize())


@dataclass
class Sweep:
    """What a sweep folder holds."""

    root: Path
    runs: pd.DataFrame  # one row per complete run
    failed: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    swept: list[str] = field(default_factory=list)
    policy_start_day: int = 0
    platform_labels: dict[str, str] = field(default_factory=dict)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif not isinstance(v, list):
            out[key] = v
    return out


def _is_run_dir(p: Path) -> bool:
    return (
        p.is_dir()
        and p.name != "report"
        and any((p / n).exists() for n in (".hydra", "metadata.json", "error.json", "summary.json"))
    )


def collect(root: Path) -> Sweep:
    """Read every run folder under ``root`` (complete, failed) and the expected-run list."""
    rows, configs, failed = [], {}, []
    for d in sorted(p for p in root.iterdir() if _is_run_dir(p)):
        if (d / "summary.json").is_file():
            summary = json.loads((d / "summary.json").read_text())
            cfg = _flatten(yaml.safe_load((d / "config.yaml").read_text()))
            meta = (
                json.loads((d / "metadata.json").read_text())
                if (d / "metadata.json").is_file()
                else {}
            )
            configs[d.name] = cfg
            rows.append(
                {
                    "run_dir": d.name,
                    "status": "complete",
                    "wall_seconds": meta.get("wall_seconds"),
                    "scenario": cfg.get("scenario.name"),
                    "seed": cfg.get("seed"),
                    **summary,
                }
            )
        elif (d / "error.json").is_file():
            err = json.loads((d / "error.json").read_text())
            failed.append(
                {
                    "run_dir": d.name,
                    "error_type": err.get("error_type", ""),
                    "message": err.get("message", ""),
                }
            )
    runs = pd.DataFrame(rows)
    done = set(runs["run_dir"]) if len(runs) else set()
    failed_names = {f["run_dir"] for f in failed}
    missing = []
    expected = root / "expected_runs.json"
    if expected.is_file():
        for r in json.loads(expected.read_text()):
            if r["run_dir"] not in done and r["run_dir"] not in failed_names:
                missing.append(r)
    sweep = Sweep(root=root, runs=runs, failed=failed, missing=missing)
    if configs:
        cfg_df = pd.DataFrame.from_dict(configs, orient="index")
        sweep.swept = _swept_keys(cfg_df)
        for key in sweep.swept:
            runs[key] = runs["run_dir"].map(cfg_df[key])
        sweep.descriptions = dict(
            zip(cfg_df["scenario.name"], cfg_df["scenario.description"], strict=False)
        )
        sweep.policy_start_day = int(cfg_df["policy_start_day"].iloc[0])
        first = cfg_df.iloc[0]
        sweep.platform_labels = {
            k.split(".")[1]: str(v)
            for k, v in first.items()
            if k.startswith("platforms.") and k.endswith(".label")
        }
    return sweep


def _swept_keys(cfg: pd.DataFrame) -> list[str]:
    """Config keys that vary across runs, other than the seed and what a scenario file sets."""
    out = []
    for key in cfg.columns:
        if (
            key in ("seed", "scenario.name", "scenario.description")
            or cfg[key].astype(str).nunique() <= 1
        ):
            continue
        # A key that takes one value per scenario name is part of the scenario definition.
        if key.startswith("scenario.") and cfg.groupby("scenario.name")[key].nunique().max() <= 1:
            continue
        out.append(key)
    return out


# --- figures ---------------------------------------------------------------------------


def _timeseries(sweep: Sweep, columns: list[str]) -> pd.DataFrame:
    frames = []
    for _, r in sweep.runs.iterrows():
        path = sweep.root / r["run_dir"] / "timeseries.parquet"
        have = set(pq.read_schema(path).names)
        df = pd.read_parquet(path, columns=["day", *[c for c in columns if c in have]])
        df["scenario"], df["seed"] = r["scenario"], r["seed"]
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


_COLOUR_OF: dict[str, Any] = {}


def _colour(scen: str) -> Any:
    """One colour per scenario, the same in every figure."""
    if scen not in _COLOUR_OF:
        known = list(SHORT_LABELS)
        i = known.index(scen) if scen in known else len(known) + len(_COLOUR_OF)
        _COLOUR_OF[scen] = COLOURS(i % 10)
    return _COLOUR_OF[scen]


def _band(ax: Any, ts: pd.DataFrame, col: str, transform: Any = None) -> None:
    for scen, g in ts.groupby("scenario", sort=False):
        wide = g.pivot_table(index="day", columns="seed", values=col)
        if transform is not None:
            wide = transform(wide)
        m = wide.mean(axis=1)
        n = wide.shape[1]
        if n > 1:
            from scipy import stats

            half = stats.t.ppf(0.975, n - 1) * wide.std(axis=1, ddof=1) / np.sqrt(n)
            ax.fill_between(
                m.index, m - half, m + half, color=_colour(scen), alpha=0.2, linewidth=0
            )
        ax.plot(m.index, m, color=_colour(scen), label=label(scen), linewidth=1.5)


def _paired_difference(ts: pd.DataFrame, col: str, baseline: str) -> pd.DataFrame:
    """Per scenario, seed and day: value minus the baseline's value for the same seed and day."""
    base = ts[ts["scenario"] == baseline][["seed", "day", col]]
    if base.empty:
        return pd.DataFrame()
    other = ts[ts["scenario"] != baseline][["scenario", "seed", "day", col]]
    m = other.merge(base, on=["seed", "day"], suffixes=("", "__b"))
    m[col] = m[col] - m[f"{col}__b"]
    return m[["scenario", "seed", "day", col]]


def figure_timeseries(
    sweep: Sweep, out: Path, baseline: str = "baseline"
) -> list[tuple[str, str, str]]:
    """Time series with 95% bands: prevalence, victims by gender, effort per platform, fines."""
    figs: list[tuple[str, str, str]] = []
    start = sweep.policy_start_day
    order = _scenario_order(sweep)
    first = sweep.root / sweep.runs["run_dir"].iloc[0] / "timeseries.parquet"
    effort_cols = [c for c in pq.read_schema(first).names if c.startswith("effort__")]
    base_cols = [
        "harmful_views_per_10k",
        "victims_new_women",
        "victims_new_men",
        "fines_imposed_gbp",
    ]
    ts = _timeseries(sweep, base_cols + effort_cols)
    ts["scenario"] = pd.Categorical(ts["scenario"], order)
    ts = ts.sort_values(["scenario", "seed", "day"])
    ts["scenario"] = ts["scenario"].astype(str)

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    smooth = lambda w: w.rolling(30, min_periods=1).mean()  # noqa: E731
    _band(axes[0], ts, "harmful_views_per_10k", smooth)
    axes[0].set(
        title="Level (30-day rolling mean, 95% band over replicates)",
        xlabel="Day of simulation",
        ylabel="Harmful views per 10,000 views",
    )
    diff = _paired_difference(ts, "harmful_views_per_10k", baseline)
    if not diff.empty:
        _band(axes[1], diff[diff["day"] >= start - 30], "harmful_views_per_10k", smooth)
        axes[1].axhline(0, color="k", linewidth=0.8)
        axes[1].set(
            title="Difference from the Act as enacted, paired by replicate",
            xlabel="Day of simulation",
            ylabel="Difference in harmful views per 10,000",
        )
    for ax in axes:
        ax.axvline(start, color="k", linestyle="--", linewidth=1)
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=8, frameon=False
    )
    fig.suptitle("Prevalence of harmful content (dashed line: the policy starts)")
    fig.subplots_adjust(bottom=0.24)
    figs.append(
        _save(fig, out, "prevalence", "Prevalence of harmful content over time", tight=False)
    )

    pol = ts[ts["day"] >= start]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, col, who in zip(
        axes, ["victims_new_women", "victims_new_men"], ["Women", "Men"], strict=True
    ):
        _band(ax, pol, col, lambda w: w.cumsum())
        ax.set(
            title=f"{who} harmed since the policy started",
            xlabel="Day of simulation",
            ylabel="Cumulative simulated users harmed",
        )
    axes[0].legend(fontsize=8)
    figs.append(_save(fig, out, "victims", "Victims by gender"))

    effort_cols = [c for c in ts if c.startswith("effort__")]
    if effort_cols:
        fig, axes = plt.subplots(
            1, len(effort_cols), figsize=(3.6 * len(effort_cols), 4), sharey=True
        )
        for ax, col in zip(np.atleast_1d(axes), effort_cols, strict=True):
            _band(ax, ts, col)
            ax.axvline(start, color="k", linestyle="--", linewidth=1)
            name = col.split("__", 1)[1]
            ax.set(title=sweep.platform_labels.get(name, name), xlabel="Day", ylim=(-0.02, 1.02))
        np.atleast_1d(axes)[0].set_ylabel("Moderation effort (0 = none, 1 = maximum)")
        np.atleast_1d(axes)[0].legend(fontsize=7)
        figs.append(_save(fig, out, "effort", "Moderation effort per platform"))

    fig, ax = plt.subplots(figsize=(9, 4.5))
    _band(ax, pol, "fines_imposed_gbp", lambda w: w.cumsum() / 1e6)
    ax.set(
        title="Fines and daily penalties imposed since the policy started (95% band)",
        xlabel="Day of simulation",
        ylabel="Cumulative fines (GBP million)",
    )
    ax.legend(fontsize=8, ncol=2)
    figs.append(_save(fig, out, "fines", "Fines imposed"))
    return figs


def figure_effects(effects: pd.DataFrame, out: Path) -> tuple[str, str, str] | None:
    """Bars: % change vs baseline with 95% intervals; grey hatched where it overlaps zero."""
    inds = [i for i in KEY_INDICATORS if i in set(effects["indicator"])][:6]
    if effects.empty or not inds:
        return None
    scens = list(dict.fromkeys(effects["scenario"]))
    fig, axes = plt.subplots(2, 3, figsize=(14, 8), sharey=True)
    for ax, ind in zip(axes.flat, inds, strict=False):
        e = effects[effects["indicator"] == ind].set_index("scenario").reindex(scens)
        y = np.arange(len(scens))
        x = e["rel_change_pct"].to_numpy(float)
        err = np.vstack(
            [x - e["rel_ci_low_pct"].to_numpy(float), e["rel_ci_high_pct"].to_numpy(float) - x]
        )
        colours = ["tab:blue" if d else "lightgrey" for d in e["distinguishable"].fillna(False)]
        bars = ax.barh(
            y, x, xerr=np.nan_to_num(err), color=colours, capsize=3, edgecolor="k", linewidth=0.5
        )
        for b, d in zip(bars, e["distinguishable"].fillna(False), strict=True):
            if not d:
                b.set_hatch("//")
        ax.axvline(0, color="k", linewidth=0.8)
        ax.set_yticks(y, [label(s) for s in scens], fontsize=8)
        ax.set_title(KEY_INDICATORS[ind], fontsize=10)
        ax.set_xlabel("% change vs the Act as enacted")
    for ax in axes.flat[len(inds) :]:
        ax.axis("off")
    fig.suptitle(
        "Effect of each scenario compared with the Act as enacted (95% intervals, paired by replicate;\n"
        "grey hatched bars: not distinguishable from zero)",
        fontsize=11,
    )
    return _save(fig, out, "effects", "Effects versus the Act as enacted")


def figure_tradeoff(effects: pd.DataFrame, out: Path) -> tuple[str, str, str] | None:
    """Harm reduced against lawful content wrongly removed, % vs baseline, with intervals."""
    h = effects[effects["indicator"] == "harmful_views_per_10k"].set_index("scenario")
    w = effects[effects["indicator"] == "wrongful_removals"].set_index("scenario")
    scens = [s for s in h.index if s in w.index]
    if not scens:
        return None
    fig, ax = plt.subplots(figsize=(8, 6))
    for s in scens:
        x = -h.loc[s, "rel_change_pct"]
        xe = [[x - -h.loc[s, "rel_ci_high_pct"]], [-h.loc[s, "rel_ci_low_pct"] - x]]
        y = w.loc[s, "rel_change_pct"]
        ye = [[y - w.loc[s, "rel_ci_low_pct"]], [w.loc[s, "rel_ci_high_pct"] - y]]
        ax.errorbar(
            x,
            y,
            xerr=np.nan_to_num(xe),
            yerr=np.nan_to_num(ye),
            fmt="o",
            color=_colour(s),
            capsize=3,
        )
        ax.annotate(label(s), (x, y), textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set(
        title="Trade-off: harm reduced against lawful content wrongly removed\n"
        "(% vs the Act as enacted, 95% intervals)",
        xlabel="Reduction in harmful views per 10,000 views (%)  ->  less harm",
        ylabel="Change in lawful posts wrongly removed (%)  ->  more over-removal",
    )
    return _save(fig, out, "tradeoff", "Harm reduced versus lawful content removed")


def figure_grid(sweep: Sweep, table: pd.DataFrame, out: Path) -> list[tuple[str, str, str]]:
    """Heatmap of cell means for a two-parameter sweep; line with CI for one parameter."""
    numeric = [k for k in sweep.swept if pd.api.types.is_numeric_dtype(sweep.runs[k])]
    figs = []
    if len(numeric) == 2:
        x, y = numeric
        for ind in ("harmful_views_per_10k", "wrongful_removals"):
            t = table[table["indicator"] == ind].pivot_table(index=y, columns=x, values="mean")
            fig, ax = plt.subplots(figsize=(7, 5.5))
            im = ax.imshow(t.to_numpy(), origin="lower", cmap="viridis", aspect="auto")
            ax.set_xticks(range(t.shape[1]), [f"{v:g}" for v in t.columns])
            ax.set_yticks(range(t.shape[0]), [f"{v:g}" for v in t.index])
            for (i, j), v in np.ndenumerate(t.to_numpy()):
                ax.text(j, i, f"{v:,.3g}", ha="center", va="center", color="w", fontsize=9)
            ax.set(
                xlabel=x, ylabel=y, title=f"{KEY_INDICATORS.get(ind, ind)}: mean over replicates"
            )
            fig.colorbar(im, ax=ax, label=KEY_INDICATORS.get(ind, ind))
            figs.append(
                _save(fig, out, f"heatmap_{ind}", f"{KEY_INDICATORS.get(ind, ind)} across the grid")
            )
    elif len(numeric) == 1:
        x = numeric[0]
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
        for ax, ind in zip(axes, ("harmful_views_per_10k", "wrongful_removals"), strict=True):
            t = table[table["indicator"] == ind].sort_values(x)
            ax.plot(t[x], t["mean"], "o-")
            ax.fill_between(t[x], t["ci_low"], t["ci_high"], alpha=0.25)
            ax.set(
                xlabel=x,
                ylabel=KEY_INDICATORS.get(ind, ind),
                title=f"{KEY_INDICATORS.get(ind, ind)} (95% CI)",
            )
        figs.append(_save(fig, out, "sweep_line", f"Indicators against {x}"))
    return figs


def _save(fig: Any, out: Path, name: str, title: str, tight: bool = True) -> tuple[str, str, str]:
    if tight:
        fig.tight_layout()
    path = out / f"{name}.png"
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return name, title, str(path)


def _scenario_order(sweep: Sweep) -> list[str]:
    names = list(dict.fromkeys(sweep.runs["scenario"]))
    known = [s for s in SHORT_LABELS if s in names]
    return known + [s for s in names if s not in known]


# --- readings and HTML ----------------------------------------------------------------


def effect_sentence(effects: pd.DataFrame, scen: str, ind: str) -> str:
    """One sentence on a scenario's effect on an indicator, honest about uncertainty."""
    row = effects[(effects["scenario"] == scen) & (effects["indicator"] == ind)]
    if row.empty:
        return ""
    r = row.iloc[0]
    what = KEY_INDICATORS.get(ind, ind).lower()
    if not r["distinguishable"]:
        return (
            f"{label(scen)}: no difference in {what} distinguishable from zero at {int(r['pairs'])} "
            f"replicates ({r['rel_change_pct']:+.1f}%, "
            f"95% CI {r['rel_ci_low_pct']:+.1f}% to {r['rel_ci_high_pct']:+.1f}%)."
        )
    verb = "lowers" if r["diff_mean"] < 0 else "raises"
    return (
        f"{label(scen)} {verb} {what} by {abs(r['rel_change_pct']):.1f}% (95% CI "
        f"{r['rel_ci_low_pct']:+.1f}% to {r['rel_ci_high_pct']:+.1f}%) compared with the Act as enacted."
    )


def _reading(name: str, sweep: Sweep, effects: pd.DataFrame) -> str:
    if effects.empty:
        return ""
    hv = effects[effects["indicator"] == "harmful_views_per_10k"]
    if name in ("prevalence", "effects") and not hv.empty:
        best = hv.sort_values("rel_change_pct").iloc[0]
        return effect_sentence(effects, best["scenario"], "harmful_views_per_10k")
    if name == "victims":
        vw = effects[effects["indicator"] == "victims_women"].sort_values("rel_change_pct")
        return effect_sentence(effects, vw.iloc[0]["scenario"], "victims_women") if len(vw) else ""
    if name == "tradeoff":
        w = effects[effects["indicator"] == "wrongful_removals"].sort_values(
            "rel_change_pct", ascending=False
        )
        return (
            effect_sentence(effects, w.iloc[0]["scenario"], "wrongful_removals") if len(w) else ""
        )
    if name == "fines":
        f = effects[effects["indicator"] == "fines_imposed_gbp"].sort_values(
            "rel_change_pct", ascending=False
        )
        return (
            effect_sentence(effects, f.iloc[0]["scenario"], "fines_imposed_gbp") if len(f) else ""
        )
    if name == "effort":
        return "Platforms raise effort after the policy starts where they expect fines; the fringe site does not."
    return ""


def _fmt(v: float, ind: str) -> str:
    if not np.isfinite(v):
        return "-"
    if ind.endswith("_gbp"):
        return f"{v / 1e6:,.1f}m"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.3g}"


def headline_html(sweep: Sweep, table: pd.DataFrame, effects: pd.DataFrame, baseline: str) -> str:
    """Headline table: mean [95% CI] per scenario, and % effect vs baseline."""
    inds = [i for i in KEY_INDICATORS if i in set(table["indicator"])]
    head = "".join(f"<th>{html.escape(KEY_INDICATORS[i])}</th>" for i in inds)
    rows = []
    for scen in _scenario_order(sweep):
        cells = []
        for ind in inds:
            t = table[(table["scenario"] == scen) & (table["indicator"] == ind)]
            if t.empty:
                cells.append("<td>-</td>")
                continue
            t = t.iloc[0]
            cell = f"{_fmt(t['mean'], ind)}<br><small>[{_fmt(t['ci_low'], ind)}, {_fmt(t['ci_high'], ind)}]</small>"
            e = (
                effects[(effects["scenario"] == scen) & (effects["indicator"] == ind)]
                if len(effects)
                else effects
            )
            if len(e):
                e = e.iloc[0]
                style = "eff" if e["distinguishable"] else "noeff"
                cell += f"<br><span class='{style}'>{e['rel_change_pct']:+.1f}%</span>"
            cells.append(f"<td>{cell}</td>")
        rows.append(f"<tr><th>{html.escape(label(scen))}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th>Scenario</th>{head}</tr>{''.join(rows)}</table>"


def write_html(
    sweep: Sweep, table: pd.DataFrame, effects: pd.DataFrame, figs: list, out: Path, baseline: str
) -> Path:
    """The self-contained report page."""
    runs = sweep.runs
    reps = runs.groupby("scenario")["seed"].nunique()
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>ohsim report</title><style>",
        "body{font-family:sans-serif;max-width:1150px;margin:2em auto;line-height:1.45;color:#222}",
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:4px 6px;text-align:right}",
        "th{background:#f3f3f3}.eff{color:#0a5;font-weight:bold}.noeff{color:#999}img{max-width:100%}",
        "</style></head><body>",
        f"<h1>Online-harm regulation: scenario comparison</h1><p><b>Question.</b> {html.escape(QUESTION)}</p>",
        "<h2>The sweep</h2><ul>",
        f"<li>Folder: <code>{html.escape(str(sweep.root))}</code></li>",
        f"<li>Complete runs: {len(runs)}; failed: {len(sweep.failed)}; missing: {len(sweep.missing)}</li>",
        f"<li>Replicates per scenario: {', '.join(f'{label(s)} {n}' for s, n in reps.items())}</li>",
    ]
    if "wall_seconds" in runs and runs["wall_seconds"].notna().any():
        parts.append(
            f"<li>Run time: {runs['wall_seconds'].sum():,.0f} s in total, "
            f"{runs['wall_seconds'].mean():.1f} s per run</li>"
        )
    if "n_users" in runs:
        parts.append(
            f"<li>Simulated users per run: {int(runs['n_users'].iloc[0]):,}; days: "
            f"{int(runs['days_simulated'].iloc[0])} (policy from day {sweep.policy_start_day}); "
            "indicators are totals or rates over the policy period</li>"
        )
    if sweep.swept:
        parts.append(
            f"<li>Parameters varied: {', '.join(html.escape(k) for k in sweep.swept)}</li>"
        )
    parts.append("</ul><h2>Scenarios</h2><ul>")
    for s in _scenario_order(sweep):
        parts.append(
            f"<li><b>{html.escape(label(s))}</b> (<code>{html.escape(s)}</code>): "
            f"{html.escape(sweep.descriptions.get(s, ''))}</li>"
        )
    parts.append("</ul><h2>Headline results</h2>")
    parts.append(
        "<p>Mean over replicates with 95% interval; below it, the change versus the Act as enacted "
        "(green: the paired 95% interval excludes zero; grey: not distinguishable from zero).</p>"
    )
    parts.append(headline_html(sweep, table, effects, baseline))
    if len(effects):
        parts.append("<ul>")
        for scen in dict.fromkeys(effects["scenario"]):
            parts.append(
                f"<li>{html.escape(effect_sentence(effects, scen, 'harmful_views_per_10k'))}</li>"
            )
        parts.append("</ul>")
    parts.append("<h2>Figures</h2>")
    for name, title, path in figs:
        data = base64.b64encode(Path(path).read_bytes()).decode()
        reading = _reading(name, sweep, effects)
        parts.append(
            f"<h3>{html.escape(title)}</h3><img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"
        )
        if reading:
            parts.append(f"<p><i>Reading:</i> {html.escape(reading)}</p>")
    parts.append("<h2>Assumptions</h2>")
    assumptions = Path(__file__).resolve().parent.parent / "docs" / "assumptions_summary.md"
    if assumptions.is_file():
        items = [
            ln.lstrip("- ").strip()
            for ln in assumptions.read_text().splitlines()
            if ln.startswith("- ")
        ]
        parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    parts.append(
        "<p>Every parameter, its source or the label <i>assumption</i>, is listed in "
        "<code>sim/config.py</code>; the model is described in <code>docs/ODD.md</code>.</p>"
    )
    parts.append("<h2>Missing and failed runs</h2>")
    if not sweep.failed and not sweep.missing:
        parts.append("<p>None: every expected run is complete.</p>")
    if sweep.failed:
        parts.append(
            "<h3>Failed</h3><ul>"
            + "".join(
                f"<li><code>{html.escape(f['run_dir'])}</code>: {html.escape(f['error_type'])}: "
                f"{html.escape(f['message'])}</li>"
                for f in sweep.failed
            )
            + "</ul>"
        )
    if sweep.missing:
        parts.append(
            "<h3>Missing (rerun the sweep command to complete them)</h3><ul>"
            + "".join(f"<li><code>{html.escape(m['run_dir'])}</code></li>" for m in sweep.missing)
            + "</ul>"
        )
    parts.append("</body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path


def build(root: Path, out: Path | None = None, baseline: str = "baseline") -> Path:
    """Aggregate ``root`` into ``out`` (default ``root/report``); returns the report path."""
    sweep = collect(root)
    if sweep.runs.empty:
        raise SystemExit(f"error: {root} holds no complete run (looked for */summary.json)")
    out = out or root / "report"
    figdir = out / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    runs = sweep.runs
    runs.to_parquet(out / "runs.parquet", index=False)
    indicators = [
        c
        for c in runs.columns
        if c not in ("run_dir", "status", "scenario", "seed", "wall_seconds", *sweep.swept)
        and pd.api.types.is_numeric_dtype(runs[c])
    ]
    by = ["scenario", *sweep.swept]
    table = scenario_table(runs, indicators, by)
    table.to_csv(out / "scenarios.csv", index=False)
    effects = pd.DataFrame()
    if baseline in set(runs["scenario"]) and runs["scenario"].nunique() > 1:
        effects = paired_effects(runs, indicators, baseline=baseline, by=sweep.swept)
        effects.to_csv(out / "effects.csv", index=False)
    else:
        print(f"note: no effects.csv: needs scenario '{baseline}' and at least one other scenario")
    figs = figure_timeseries(sweep, figdir, baseline)
    if not effects.empty and not sweep.swept:
        figs += [
            f for f in (figure_effects(effects, figdir), figure_tradeoff(effects, figdir)) if f
        ]
    figs += figure_grid(sweep, table, figdir)
    report = write_html(sweep, table, effects, figs, out, baseline)
    print(f"{len(runs)} complete runs, {len(sweep.failed)} failed, {len(sweep.missing)} missing")
    for f in sweep.failed:
        print(f"  failed: {f['run_dir']}: {f['error_type']}: {f['message']}")
    print(f"Report: {report.resolve()}")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir", type=Path)
    ap.add_argument(
        "--out", type=Path, default=None, help="output folder (default SWEEP_DIR/report)"
    )
    ap.add_argument("--baseline", default="baseline", help="scenario effects are measured against")
    args = ap.parse_args(argv)
    if not args.sweep_dir.is_dir():
        print(f"error: sweep folder {args.sweep_dir} does not exist", file=sys.stderr)
        return 2
    build(args.sweep_dir, args.out, args.baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
