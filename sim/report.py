"""Aggregate a sweep into tables, figures and one self-contained HTML report.

    python -m sim.report SWEEP_DIR [--out DIR] [--baseline NAME]

Reads whatever run folders exist under SWEEP_DIR (docs/outputs.md), so it works on a
partial sweep, and lists missing and failed runs. Writes ``runs.parquet``,
``scenarios.csv``, ``effects.csv``, ``figures/*.png`` and ``report.html`` into
``SWEEP_DIR/report/`` (or ``--out``). Exits 0 when at least one run is complete, even if
others failed; 1 when there is no complete run; 2 when SWEEP_DIR does not exist.

Vocabulary used below: a *swept parameter* is a config key that takes different values
within one scenario (e.g. ``scenario.fine_cap_multiplier=1,2``); an *arm* is one
scenario at one combination of swept values; its runs are the replicates (seeds).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: reports are built on clusters and in CI
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from sim.stats import paired_effects, scenario_table, t_half_width

REPO = Path(__file__).resolve().parent.parent
DPI = 150
ROLLING_DAYS = 30
MAX_TIMESERIES_ARMS = 12  # beyond this many lines a time-series plot is unreadable

# --- plain words -------------------------------------------------------------------------

QUESTION = (
    "The simulator compares UK online-safety policy scenarios before they are tried for "
    "real. The UK government is pushing platforms to remove illegal and harmful content "
    "through Ofcom's powers under the Online Safety Act 2023 (fines up to the greater of "
    "£18m or 10% of qualifying worldwide revenue, business disruption orders, criminal "
    "liability for senior managers in defined cases), and has created criminal offences "
    "for creating and sharing sexually explicit deepfakes, whose victims are overwhelmingly "
    "women and girls. The question: which levers, at what strength, reduce harm to users "
    "(especially women and girls), and at what cost in over-removal of lawful speech, "
    "compliance cost and platforms leaving the UK?"
)


@dataclass(frozen=True)
class Indicator:
    """How to name an indicator: ``label`` for axes and tables (with unit), ``phrase`` in
    sentences; ``money`` values are shown in £ million."""

    label: str
    phrase: str
    money: bool = False


INDICATORS: dict[str, Indicator] = {
    "harmful_views_per_10k": Indicator(
        "Harmful views per 10,000 views", "harmful views per 10,000 views"
    ),
    "victims_women": Indicator("Women harmed (users)", "the number of women harmed"),
    "victims_men": Indicator("Men harmed (users)", "the number of men harmed"),
    "victims_children": Indicator("Children harmed (users)", "the number of children harmed"),
    "wrongful_removals": Indicator("Lawful posts wrongly removed", "lawful posts wrongly removed"),
    "deepfakes_created": Indicator("Sexual deepfakes created", "sexual deepfakes created"),
    "moderation_spend_gbp": Indicator("Moderation spend (£m)", "moderation spend", money=True),
    "fines_imposed_gbp": Indicator("Fines imposed (£m)", "fines imposed", money=True),
    "convictions": Indicator("Convictions of offenders", "convictions of individual offenders"),
    "platform_exits": Indicator("Platforms leaving the UK", "platforms leaving the UK"),
    "median_takedown_hours": Indicator(
        "Median hours to takedown", "the median time to take harmful content down"
    ),
    "median_report_to_takedown_hours": Indicator(
        "Hours from report to takedown (median)",
        "the median time from a user's report to the removal of reported content",
    ),
    "self_censoring_users": Indicator("Users self-censoring", "users self-censoring"),
    "users_left_platform": Indicator("Users who left a platform", "users leaving a platform"),
    "regulator_cost_gbp": Indicator("Regulator cost (£m)", "the regulator's cost", money=True),
}
HEADLINE = [
    "harmful_views_per_10k",
    "victims_women",
    "victims_children",
    "median_report_to_takedown_hours",
    "wrongful_removals",
    "deepfakes_created",
    "moderation_spend_gbp",
    "fines_imposed_gbp",
    "convictions",
    "platform_exits",
]
EFFECT_BARS = [
    "harmful_views_per_10k",
    "victims_women",
    "wrongful_removals",
    "deepfakes_created",
    "moderation_spend_gbp",
    "convictions",
]
GRID_INDICATORS = ["harmful_views_per_10k", "wrongful_removals"]

# Short plain labels; the order is the order scenarios appear in tables and legends.
SCENARIO_LABELS = {
    "no_regulation": "No regulation",
    "baseline": "Act as enacted",
    "higher_fines": "Higher fines (cap ×2)",
    "senior_manager_liability": "Manager liability (counterfactual)",
    "deepfake_offence": "Deepfake creation offence",
    "fast_takedown": "24-hour takedown duty",
    "regulator_capacity": "Ofcom capacity doubled",
    "government_package": "Government package",
}
# Fixed colours so a scenario looks the same in every figure; the reference is black.
SCENARIO_COLOURS = {
    "no_regulation": "#7f7f7f",
    "baseline": "#000000",
    "higher_fines": "#1f77b4",
    "senior_manager_liability": "#d62728",
    "deepfake_offence": "#9467bd",
    "fast_takedown": "#ff7f0e",
    "regulator_capacity": "#2ca02c",
    "government_package": "#e377c2",
}
# Swept parameters: (short label for legends, taking the value; axis label with unit).
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "scenario.fine_cap_multiplier": (
        "fine cap ×{v}",
        "Statutory fine cap (multiple of today's cap)",
    ),
    "scenario.regulator_capacity_multiplier": (
        "Ofcom capacity ×{v}",
        "Ofcom capacity (multiple of today's)",
    ),
    "scenario.takedown_duty_hours": (
        "takedown deadline {v} h",
        "Takedown deadline (hours; 0 = no deadline)",
    ),
}


def scenario_label(name: str) -> str:
    """Short plain label for a scenario name (unknown names are made readable)."""
    return SCENARIO_LABELS.get(name, str(name).replace("_", " ").capitalize())


def indicator_info(name: str) -> Indicator:
    """Naming for an indicator; unknown ones get a readable fallback."""
    readable = name.replace("_", " ")
    return INDICATORS.get(name, Indicator(readable.capitalize(), readable, name.endswith("_gbp")))


def _fmt_value(v: Any) -> str:
    """A parameter value as people write it (2 rather than 2.0)."""
    if isinstance(v, float | np.floating):
        return f"{float(v):g}"
    return str(v)


def param_labels(key: str) -> tuple[str, str]:
    """(short template with ``{v}``, axis label) for a swept config key."""
    if key in PARAM_LABELS:
        return PARAM_LABELS[key]
    name = key.rsplit(".", 1)[-1].replace("_", " ")
    unit = _param_units().get(key) or _param_units().get(_generic_key(key), "")
    axis = f"{name.capitalize()} ({unit})" if unit else name.capitalize()
    return f"{name} = {{v}}", axis


# Values that mean something special, said in words.
PARAM_VALUE_WORDS: dict[tuple[str, float], str] = {
    ("scenario.takedown_duty_hours", 0.0): "no takedown deadline",
}


def param_value_label(key: str, value: Any) -> str:
    """Short plain label of one swept value, e.g. "fine cap ×2"."""
    try:
        special = PARAM_VALUE_WORDS.get((key, float(value)))
    except (TypeError, ValueError):
        special = None
    return special or param_labels(key)[0].format(v=_fmt_value(value))


def _generic_key(key: str) -> str:
    """platforms.mega.x -> platforms.<name>.x (as sim.config.parameter_table names it)."""
    parts = key.split(".")
    return f"platforms.<name>.{'.'.join(parts[2:])}" if parts[0] == "platforms" else key


@cache
def _param_units() -> dict[str, str]:
    """Units of config keys from the project's parameter table, if it can be imported."""
    try:
        from sim.config import parameter_table

        return {r["key"]: r["unit"] for r in parameter_table() if r.get("unit")}
    except Exception:  # the report must work on result folders even if the model code moved
        return {}


# --- reading a sweep folder ----------------------------------------------------------------


class ReportError(Exception):
    """The sweep cannot be reported (no folder, no complete run)."""


@dataclass
class Sweep:
    """What a sweep folder holds, read once."""

    root: Path
    runs: pd.DataFrame  # one row per complete run (the runs.parquet table)
    indicators: list[str]  # summary.json keys
    varying: list[str]  # config keys that differ between complete runs
    swept: list[str]  # of those, the ones that vary within a scenario
    failed: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    expected: int | None = None
    descriptions: dict[str, str] = field(default_factory=dict)
    counterfactual: dict[str, bool] = field(default_factory=dict)
    policy_start_day: int = 0
    days: int | None = None
    platform_labels: dict[str, str] = field(default_factory=dict)
    git_commits: list[str] = field(default_factory=list)

    @property
    def arm_cols(self) -> list[str]:
        """Columns that define an arm: the scenario and the swept parameters."""
        return ["scenario", *self.swept]


RUN_MARKERS = (".hydra", "metadata.json", "error.json", "summary.json")


def find_run_dirs(root: Path, skip: Sequence[Path] = ()) -> list[Path]:
    """Every folder under ``root`` that is a run folder (holds one of RUN_MARKERS).

    Searches recursively, because an override value containing ``/`` nests Hydra's job
    folder, but does not descend into a run folder or into the report output.
    """
    skip_set = {p.resolve() for p in skip}
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        here = Path(dirpath)
        if here != root and any((here / m).exists() for m in RUN_MARKERS):
            found.append(here)
            dirnames.clear()
            continue
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and (here / d).resolve() not in skip_set and d != "report"
        )
    if not found and (root / "summary.json").is_file():  # pointed at one run folder
        return [root]
    return sorted(found)


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mapping -> {"a.b.c": value}; lists become JSON text so they compare and store."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            out[key] = json.dumps(v, default=str)
        else:
            out[key] = v
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _read_config(run: Path) -> dict[str, Any]:
    """The resolved config of a run (falls back to Hydra's copy)."""
    for p in (run / "config.yaml", run / ".hydra" / "config.yaml"):
        if p.is_file():
            return flatten(yaml.safe_load(p.read_text()) or {})
    return {}


# Config keys that do not change what is simulated: differing values (a cache folder on a
# cluster, a progress bar switched off) must not split runs into separate arms.
NON_MODEL_KEYS = (
    "seed",
    "scenario.name",
    "scenario.description",
    "network_cache_dir",
    "network_cache_max_gb",
)
NON_MODEL_PREFIXES = ("output.",)


def varying_keys(configs: pd.DataFrame) -> list[str]:
    """Config keys that change the simulation and whose value differs between runs."""
    as_text = configs.astype(str)  # compares ints, floats, None and JSON lists uniformly
    return [
        k
        for k in configs.columns
        if k not in NON_MODEL_KEYS
        and not k.startswith(NON_MODEL_PREFIXES)
        and as_text[k].nunique() > 1
    ]


def swept_keys(configs: pd.DataFrame, varying: Sequence[str]) -> list[str]:
    """Varying keys that take more than one value within some scenario.

    A key that only changes with the scenario name (e.g. ``scenario.fine_cap_multiplier``
    in a scenario comparison) is part of that scenario's definition, not a sweep axis;
    treating it as one would stop scenarios from pairing with the baseline.
    """
    as_text = configs.astype(str)
    return [k for k in varying if as_text.groupby("scenario.name")[k].nunique().max() > 1]


def _error_entry(run_dir: str, err: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_dir": run_dir,
        "error_type": str(err.get("error_type", "unknown error")),
        "message": str(err.get("message", "")),
        "overrides": err.get("overrides", []),
    }


def collect(root: Path, skip: Sequence[Path] = ()) -> Sweep:
    """Read every run folder under ``root`` and the sweep's expected-run list."""
    rows: list[dict[str, Any]] = []
    configs: dict[str, dict[str, Any]] = {}
    failed, incomplete, commits = [], [], []
    indicators: dict[str, None] = {}  # ordered set
    for d in find_run_dirs(root, skip):
        name = d.relative_to(root).as_posix()
        summary = _read_json(d / "summary.json") if (d / "summary.json").is_file() else None
        if summary is None:
            if (d / "error.json").is_file():
                failed.append(_error_entry(name, _read_json(d / "error.json")))
            else:
                incomplete.append(name)
            continue
        cfg = _read_config(d)
        meta = _read_json(d / "metadata.json")
        configs[name] = cfg
        indicators.update(dict.fromkeys(k for k, v in summary.items() if _is_number(v)))
        if meta.get("git_commit"):
            commits.append(
                str(meta["git_commit"])[:10] + (" (modified)" if meta.get("git_dirty") else "")
            )
        rows.append(
            {
                "run_dir": name,
                "status": "complete",
                "scenario": str(cfg.get("scenario.name", meta.get("scenario", "unknown"))),
                "seed": cfg.get("seed", meta.get("seed")),
                **{k: v for k, v in summary.items() if _is_number(v)},
                "wall_seconds": meta.get("wall_seconds", np.nan),
            }
        )
    sweep = Sweep(root, pd.DataFrame(rows), list(indicators), [], [], failed=failed)
    sweep.git_commits = sorted(set(commits))
    sweep.missing = _missing(root, {r["run_dir"] for r in rows}, failed, incomplete, sweep)
    if rows:
        _attach_config(sweep, pd.DataFrame.from_dict(configs, orient="index"))
    return sweep


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float)  # bool counts: a 0/1 indicator averages to a share


def _missing(
    root: Path, done: set[str], failed: list[dict[str, Any]], incomplete: list[str], sweep: Sweep
) -> list[dict[str, Any]]:
    """Expected runs with neither a complete folder nor error.json, plus stray half-runs."""
    failed_names = {f["run_dir"] for f in failed}
    out: list[dict[str, Any]] = []
    expected_path = root / "expected_runs.json"
    if expected_path.is_file():
        try:
            expected = json.loads(expected_path.read_text())
        except ValueError:
            expected = []
        sweep.expected = len(expected)
        for e in expected:
            name = str(e.get("run_dir", ""))
            if name and name not in done and name not in failed_names:
                state = "started, not finished" if name in incomplete else "not started"
                out.append({"run_dir": name, "overrides": e.get("overrides", []), "state": state})
    listed = {m["run_dir"] for m in out}
    for name in incomplete:  # folders without summary.json that the expected list omits
        if name not in listed:
            out.append({"run_dir": name, "overrides": [], "state": "started, not finished"})
    return out


def _attach_config(sweep: Sweep, cfg: pd.DataFrame) -> None:
    """Add varying config keys to the run table and read scenario and platform naming."""
    runs = sweep.runs
    if "scenario.name" not in cfg:
        cfg["scenario.name"] = runs.set_index("run_dir")["scenario"]
    sweep.varying = varying_keys(cfg)
    sweep.swept = swept_keys(cfg, sweep.varying)
    insert_at = runs.columns.get_loc("seed") + 1
    for i, key in enumerate(sweep.varying):
        col = key if key not in runs.columns else f"config.{key}"  # never shadow an indicator
        values = runs["run_dir"].map(cfg[key])
        if values.map(type).nunique() > 1:  # mixed types cannot be stored in parquet
            numbers = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
            values = values.astype(float) if numbers.all() else values.astype(str)
        runs.insert(insert_at + i, col, values)
        if col != key:
            sweep.swept = [col if k == key else k for k in sweep.swept]
    for scen, g in cfg.groupby("scenario.name"):
        first = g.iloc[0]
        sweep.descriptions[str(scen)] = str(first.get("scenario.description", "") or "")
        sweep.counterfactual[str(scen)] = bool(first.get("scenario.counterfactual", False))
    if "policy_start_day" in cfg:
        sweep.policy_start_day = int(pd.to_numeric(cfg["policy_start_day"]).mode().iloc[0])
    if "days" in cfg:
        sweep.days = int(pd.to_numeric(cfg["days"]).max())
    first = cfg.iloc[0]
    for k, v in first.items():
        parts = str(k).split(".")
        if len(parts) == 3 and parts[0] == "platforms" and parts[2] == "label":
            sweep.platform_labels[parts[1]] = str(v)
    _drop_duplicates(sweep)


def _drop_duplicates(sweep: Sweep) -> None:
    """Keep one run per arm and seed (the last by folder name), e.g. when a folder holds a
    run repeated under another name; the others are listed in the report."""
    keys = [*sweep.arm_cols, "seed"]
    dup = sweep.runs.astype(dict.fromkeys(keys, str)).duplicated(keys, keep="last")
    sweep.duplicates = sweep.runs.loc[dup, "run_dir"].tolist()
    sweep.runs = sweep.runs.loc[~dup].reset_index(drop=True)


# --- arms: scenario x swept values -----------------------------------------------------------


def arm_order(sweep: Sweep) -> list[tuple[Any, ...]]:
    """Arms in reading order: known scenarios first (in SCENARIO_LABELS order), then swept
    values ascending."""
    known = list(SCENARIO_LABELS)
    keys = sweep.runs[sweep.arm_cols].drop_duplicates().itertuples(index=False, name=None)

    def sort_key(arm: tuple[Any, ...]) -> tuple[Any, ...]:
        s = arm[0]
        return (known.index(s) if s in known else len(known), str(s), *arm[1:])

    return sorted(keys, key=sort_key)


def arm_label(sweep: Sweep, arm: tuple[Any, ...]) -> str:
    """Plain label of an arm: the scenario, then the swept values if any."""
    scen, values = arm[0], arm[1:]
    parts = [param_value_label(k, v) for k, v in zip(sweep.swept, values, strict=True)]
    if not parts:
        return scenario_label(scen)
    if sweep.runs["scenario"].nunique() == 1:
        return ", ".join(parts)
    return f"{scenario_label(scen)}: {', '.join(parts)}"


def arm_colours(sweep: Sweep, arms: Sequence[tuple[Any, ...]]) -> dict[tuple[Any, ...], Any]:
    """Scenario colours when arms are scenarios; an ordered colour ramp along a sweep."""
    if not sweep.swept:
        spare = iter(plt.get_cmap("tab10")(np.linspace(0, 1, 10)))
        return {a: SCENARIO_COLOURS.get(a[0]) or next(spare, "#444444") for a in arms}
    ramp = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(arms), 2)))
    return {a: ramp[i] for i, a in enumerate(arms)}


def arm_ids(df: pd.DataFrame, ctx: _Ctx) -> pd.Series:
    """Integer id (position in ``ctx.arms``) of each row of ``df``, which has the arm columns."""
    keys = df[["scenario", *ctx.swept]].itertuples(index=False, name=None)
    return pd.Series([ctx.ids.get(k, -1) for k in keys], index=df.index, dtype=int)


# --- figures: shared helpers --------------------------------------------------------------


@dataclass
class FigureInfo:
    """A figure written to disk, with the sentence the report prints under it."""

    name: str
    title: str
    path: Path
    reading: str = ""


def _save(fig: Figure, out: Path, name: str, title: str, reading: str = "") -> FigureInfo:
    path = out / f"{name}.png"
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return FigureInfo(name, title, path, reading)


def load_timeseries(sweep: Sweep, columns: Sequence[str], ctx: _Ctx) -> pd.DataFrame:
    """Long table of the wanted timeseries columns for every complete run, with its arm id."""
    frames = []
    ids = arm_ids(sweep.runs, ctx)
    for i, r in sweep.runs.iterrows():
        path = sweep.root / r["run_dir"] / "timeseries.parquet"
        if not path.is_file():
            continue
        have = set(pq.read_schema(path).names)
        df = pd.read_parquet(path, columns=["day", *[c for c in columns if c in have]])
        df["arm_id"] = ids[i]
        df["seed"] = r["seed"]
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def bands(
    ts: pd.DataFrame,
    col: str,
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    level: float = 0.95,
) -> dict[int, pd.DataFrame]:
    """Per arm: mean across replicates per day with its t-interval (columns mean/low/high).

    ``transform`` acts on one arm's day x seed table first (a rolling mean, a cumulative
    sum), so the band is over replicate trajectories, not over days.
    """
    out = {}
    for arm_id, g in ts.groupby("arm_id", sort=True):
        wide = g.pivot_table(index="day", columns="seed", values=col, aggfunc="mean")
        if transform is not None:
            wide = transform(wide)
        out[int(arm_id)] = _band_of(wide, level)
    return out


def _band_of(wide: pd.DataFrame, level: float) -> pd.DataFrame:
    """Mean and t-interval across the columns (replicates) of a day x replicate table."""
    m = wide.mean(axis=1)
    n = wide.notna().sum(axis=1).to_numpy()
    half = t_half_width(wide.std(axis=1, ddof=1).fillna(0).to_numpy(), n, level)
    return pd.DataFrame({"mean": m, "low": m - half, "high": m + half, "n": n}, index=wide.index)


def _draw_bands(
    ax: Axes,
    bands_by_arm: dict[int, pd.DataFrame],
    ctx: _Ctx,
    clip: tuple[float | None, float | None] = (None, None),
) -> None:
    """Mean line and shaded band per arm; the reference scenario drawn last and thicker, so
    it stays visible where scenarios coincide (before the policy starts).

    ``clip`` cuts the band at bounds the quantity cannot cross (a count below zero, an
    effort above one); a t-interval of a skewed quantity otherwise crosses them.
    """
    order = sorted(bands_by_arm, key=lambda i: i == ctx.base_id)
    for arm_id in order:
        b = bands_by_arm[arm_id]
        arm = ctx.arms[arm_id]
        colour = ctx.colours[arm]
        low, high = b["low"].clip(*clip), b["high"].clip(*clip)
        ax.fill_between(b.index, low, high, color=colour, alpha=0.12, linewidth=0)
        is_ref = arm_id == ctx.base_id
        ax.plot(
            b.index,
            b["mean"],
            color=colour,
            linewidth=2.2 if is_ref else 1.4,
            label=ctx.labels[arm],
            zorder=3 if is_ref else 2,
        )


def _handles(ax: Axes, ctx: _Ctx) -> list[Any]:
    """Lines of ``ax`` in arm order (the reference is drawn last but listed in place)."""
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    return [lines[ctx.labels[a]] for a in ctx.arms if ctx.labels[a] in lines]


def _policy_line(ax: Axes, day: int) -> None:
    ax.axvline(day, color="#555555", linestyle="--", linewidth=1)


def _legend_below(fig: Figure, ax: Axes, ctx: _Ctx, ncol: int = 4) -> None:
    """One legend for all panels, under the figure."""
    handles = _handles(ax, ctx)
    labels = [h.get_label() for h in handles]
    if handles:
        fig.legend(
            handles,
            labels,
            loc="lower center",
            ncol=min(ncol, len(handles)),
            fontsize=9,
            frameon=False,
            bbox_to_anchor=(0.5, -0.02),
        )


@dataclass
class _Ctx:
    """What every figure needs: arms in order, their labels and colours, the reference."""

    arms: list[tuple[Any, ...]]
    swept: list[str]
    labels: dict[tuple[Any, ...], str]
    colours: dict[tuple[Any, ...], Any]
    baseline: str
    baseline_phrase: str
    reps: str  # "10 replicates" or "2-3 replicates"
    ids: dict[tuple[Any, ...], int] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = {a: i for i, a in enumerate(self.arms)}

    @property
    def base_id(self) -> int | None:
        """Arm id of the reference scenario when it is a single arm, else None."""
        ids = [i for i, a in enumerate(self.arms) if a[0] == self.baseline]
        return ids[0] if len(ids) == 1 else None


# --- figures: time series ------------------------------------------------------------------


def figure_prevalence(sweep: Sweep, ts: pd.DataFrame, ctx: _Ctx, out: Path) -> FigureInfo:
    """Harmful views per 10k (30-day rolling mean) with bands; and the paired difference."""
    col = "harmful_views_per_10k"
    smooth = lambda w: w.rolling(ROLLING_DAYS, min_periods=1).mean()  # noqa: E731
    base_id = ctx.base_id
    show_diff = base_id is not None and len(ctx.arms) > 1
    fig, axes = plt.subplots(
        1, 2 if show_diff else 1, figsize=(13 if show_diff else 8, 4.8), squeeze=False
    )
    ax = axes[0, 0]
    _draw_bands(ax, bands(ts, col, smooth), ctx, clip=(0, None))
    ax.set(
        xlabel="Day of the simulation",
        ylabel="Harmful views per 10,000 views",
        title="Level in each scenario",
    )
    if show_diff:
        diff = _paired_daily_difference(ts, col, base_id, smooth)
        _draw_bands(axes[0, 1], diff, ctx)
        axes[0, 1].axhline(0, color="black", linewidth=0.8)
        axes[0, 1].set(
            xlabel="Day of the simulation",
            ylabel="Difference in harmful views per 10,000",
            title=f"Difference from {ctx.baseline_phrase}, replicate by replicate",
        )
        axes[0, 1].set_xlim(max(sweep.policy_start_day - ROLLING_DAYS, 0), ts["day"].max())
    for a in axes.flat:
        _policy_line(a, sweep.policy_start_day)
    fig.suptitle(
        f"Harmful content seen by users: {ROLLING_DAYS}-day rolling mean, shaded 95% band over "
        f"{ctx.reps}\n(dashed line: policy starts on day {sweep.policy_start_day})"
    )
    _legend_below(fig, ax, ctx)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return _save(fig, out, "prevalence", "Harmful content seen over time")


def _paired_daily_difference(
    ts: pd.DataFrame, col: str, base_id: int, transform: Callable[[pd.DataFrame], pd.DataFrame]
) -> dict[int, pd.DataFrame]:
    """Per arm: band of (arm - baseline) for the same seed and day, after ``transform``."""
    wide = {
        int(a): transform(g.pivot_table(index="day", columns="seed", values=col, aggfunc="mean"))
        for a, g in ts.groupby("arm_id")
    }
    base = wide[base_id]
    out = {}
    for arm_id, w in wide.items():
        if arm_id == base_id:
            continue
        seeds = [s for s in w.columns if s in base.columns]
        if seeds:
            out[arm_id] = _band_of(w[seeds] - base[seeds], 0.95)
    return out


def figure_victims(sweep: Sweep, ts: pd.DataFrame, ctx: _Ctx, out: Path) -> FigureInfo | None:
    """Cumulative new victims since the policy started, women and men side by side."""
    cols = [("victims_new_women", "Women"), ("victims_new_men", "Men")]
    cols = [(c, w) for c, w in cols if c in ts]
    if not cols:
        return None
    pol = ts[ts["day"] >= sweep.policy_start_day]
    fig, axes = plt.subplots(1, len(cols), figsize=(6 * len(cols), 4.6), sharey=True, squeeze=False)
    for ax, (col, who) in zip(axes.flat, cols, strict=True):
        _draw_bands(ax, bands(pol, col, lambda w: w.cumsum()), ctx, clip=(0, None))
        ax.set(
            title=who,
            xlabel="Day of the simulation",
            ylabel="Users harmed for the first time, cumulative",
        )
    fig.suptitle(
        f"Users harmed since the policy started (day {sweep.policy_start_day}), by gender\n"
        f"(mean and shaded 95% band over {ctx.reps}; simulated users)"
    )
    _legend_below(fig, axes[0, 0], ctx)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return _save(fig, out, "victims", "Victims by gender since the policy started")


def figure_effort(sweep: Sweep, ts: pd.DataFrame, ctx: _Ctx, out: Path) -> FigureInfo | None:
    """Moderation effort per platform over time, one panel per platform."""
    cols = [c for c in ts.columns if c.startswith("effort__")]
    if not cols:
        return None
    ncol = 2 if len(cols) == 4 else min(len(cols), 3)
    nrow = int(np.ceil(len(cols) / ncol))
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(6 * ncol, 3.6 * nrow), sharey=True, sharex=True, squeeze=False
    )
    for ax, col in zip(axes.flat, cols, strict=False):
        _draw_bands(ax, bands(ts, col), ctx, clip=(0, 1))
        _policy_line(ax, sweep.policy_start_day)
        name = col.split("__", 1)[1]
        ax.set_title(sweep.platform_labels.get(name, name), fontsize=11)
        ax.set_ylim(-0.02, 1.02)
    for ax in axes[:, 0]:
        ax.set_ylabel("Moderation effort\n(0 = none, 1 = maximum)")
    for ax in axes[-1, :]:
        ax.set_xlabel("Day of the simulation")
    for ax in axes.flat[len(cols) :]:
        ax.axis("off")
    fig.suptitle(
        f"Moderation effort chosen by each platform (mean and shaded 95% band over {ctx.reps};\n"
        f"dashed line: policy starts on day {sweep.policy_start_day})"
    )
    _legend_below(fig, axes.flat[0], ctx)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _save(fig, out, "effort", "Moderation effort per platform")


def figure_fines(sweep: Sweep, ts: pd.DataFrame, ctx: _Ctx, out: Path) -> FigureInfo | None:
    """Cumulative fines and penalties imposed since the policy started, £ million."""
    if "fines_imposed_gbp" not in ts:
        return None
    pol = ts[ts["day"] >= sweep.policy_start_day]
    fig, ax = plt.subplots(figsize=(9, 5))
    cum = bands(pol, "fines_imposed_gbp", lambda w: w.cumsum() / 1e6)
    _draw_bands(ax, cum, ctx, clip=(0, None))
    ax.set(
        title=f"Fines and daily penalties imposed by Ofcom since the policy started\n"
        f"(cumulative; mean and shaded 95% band over {ctx.reps}, band cut at zero)",
        xlabel="Day of the simulation",
        ylabel="Cumulative fines imposed (£ million)",
    )
    ax.legend(handles=_handles(ax, ctx), fontsize=9, loc="upper left", frameon=False)
    fig.tight_layout()
    return _save(fig, out, "fines", "Fines imposed since the policy started")


# --- figures: effects and trade-off ---------------------------------------------------------


def _effect_rows(effects: pd.DataFrame, ctx: _Ctx, ind: str) -> pd.DataFrame:
    """Effect rows of one indicator indexed by arm id, in arm order."""
    e = effects[effects["indicator"] == ind]
    return e.set_index(arm_ids(e, ctx).rename("arm_id")).sort_index()


def figure_effects(effects: pd.DataFrame, sweep: Sweep, ctx: _Ctx, out: Path) -> FigureInfo | None:
    """Bars of % change vs baseline with 95% intervals; grey hatched where overlapping zero."""
    inds = [i for i in EFFECT_BARS if i in set(effects["indicator"])]
    if not inds:
        return None
    arms = [ctx.ids[a] for a in ctx.arms if a[0] != ctx.baseline]
    names = [ctx.labels[ctx.arms[i]] for i in arms]
    ncol = 3 if len(inds) > 4 else len(inds)
    nrow = int(np.ceil(len(inds) / ncol))
    height = max(3.2, 0.42 * len(arms) + 1.6)
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(5.2 * ncol, height * nrow), sharey=True, squeeze=False
    )
    y = np.arange(len(arms))
    for ax, ind in zip(axes.flat, inds, strict=False):
        e = _effect_rows(effects, ctx, ind).reindex(arms)
        _effect_panel(ax, e, y)
        ax.set_title(indicator_info(ind).label.split(" (")[0], fontsize=11)  # no unit: a %
        ax.set_xlabel(f"% change vs {ctx.baseline_phrase}")
    axes[0, 0].set_yticks(y, names)
    axes[0, 0].invert_yaxis()  # first scenario on top, as in the tables
    for ax in axes[1:, 0]:
        ax.set_yticks(y, names)
    for ax in axes.flat[len(inds) :]:
        ax.axis("off")
    fig.suptitle(
        f"Change compared with {ctx.baseline_phrase}, in % of its mean (bars: mean over paired "
        f"replicates; lines: 95% interval).\nGrey hatched bars: interval includes zero, so no "
        f"difference is distinguishable at this number of replicates."
    )
    fig.tight_layout()
    reading = extreme_reading(effects, "harmful_views_per_10k", ctx)
    n_dist = int(effects[effects["indicator"].isin(inds)]["distinguishable"].sum())
    n_all = int(effects["indicator"].isin(inds).sum())
    reading += (
        f" Of the {n_all} scenario-indicator comparisons shown, {n_dist} have an "
        "interval that excludes zero."
    )
    return _save(
        fig, out, "effects", f"Effects compared with {ctx.baseline_phrase}", reading.strip()
    )


def _effect_panel(ax: Axes, e: pd.DataFrame, y: np.ndarray) -> None:
    """One indicator: horizontal bars with interval whiskers and the value written."""
    x = e["rel_change_pct"].to_numpy(dtype=float)
    lo = e["rel_ci_low_pct"].to_numpy(dtype=float)
    hi = e["rel_ci_high_pct"].to_numpy(dtype=float)
    dist = e["distinguishable"].fillna(False).astype(bool).to_numpy()
    ok = np.isfinite(x)
    colours = np.where(dist, "#3b75af", "#d0d0d0")
    bars = ax.barh(y[ok], x[ok], color=colours[ok], edgecolor="#333333", linewidth=0.6)
    for b, d in zip(bars, dist[ok], strict=True):
        if not d:
            b.set_hatch("///")
    ax.errorbar(
        x[ok],
        y[ok],
        xerr=np.vstack([x[ok] - lo[ok], hi[ok] - x[ok]]),
        fmt="none",
        ecolor="black",
        capsize=3,
        linewidth=1,
    )
    ax.axvline(0, color="black", linewidth=0.8)
    span = np.nanmax(np.abs(np.concatenate([lo[ok], hi[ok], [1.0]])))
    ax.set_xlim(-span * 1.35, span * 1.35)
    for yi, xi, hii, loi, good in zip(y, x, hi, lo, ok, strict=True):
        if not good:
            ax.text(
                0, yi, " baseline mean is 0: no % change", va="center", fontsize=8, color="#555555"
            )
            continue
        edge = hii if xi >= 0 else loi
        ax.text(
            edge + span * 0.03 * (1 if xi >= 0 else -1),
            yi,
            _spct(xi),
            va="center",
            ha="left" if xi >= 0 else "right",
            fontsize=8,
        )
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)


def figure_tradeoff(effects: pd.DataFrame, sweep: Sweep, ctx: _Ctx, out: Path) -> FigureInfo | None:
    """Harm reduced (%) against change in lawful posts wrongly removed (%), per arm."""
    h = _effect_rows(effects, ctx, "harmful_views_per_10k")
    w = _effect_rows(effects, ctx, "wrongful_removals")
    arms = [
        a
        for a in h.index
        if a in w.index
        and np.isfinite(h.loc[a, "rel_change_pct"])
        and np.isfinite(w.loc[a, "rel_change_pct"])
    ]
    if not arms:
        return None
    fig, ax = plt.subplots(figsize=(9, 6.5))
    pts = []
    for a in arms:
        hx, wy = h.loc[a], w.loc[a]
        x = -hx["rel_change_pct"]  # reduction: positive = less harm
        xerr = [[x - -hx["rel_ci_high_pct"]], [-hx["rel_ci_low_pct"] - x]]
        y = wy["rel_change_pct"]
        yerr = [[y - wy["rel_ci_low_pct"]], [wy["rel_ci_high_pct"] - y]]
        arm = ctx.arms[a]
        ax.errorbar(
            x,
            y,
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            color=ctx.colours[arm],
            markersize=7,
            capsize=3,
            linewidth=1.2,
        )
        pts.append((x, y, ctx.labels[arm], ctx.colours[arm]))
    ax.axhline(0, color="#777777", linewidth=0.8)
    ax.axvline(0, color="#777777", linewidth=0.8)
    _corner_notes(ax)
    ax.set(
        title=f"Trade-off: harm reduced against lawful content wrongly removed\n"
        f"(each point: a scenario compared with {ctx.baseline_phrase}; bars: 95% intervals over "
        f"{ctx.reps})",
        xlabel="Reduction in harmful views per 10,000 views (%)   →  less harm",
        ylabel="Change in lawful posts wrongly removed (%)   →  more over-removal",
    )
    fig.tight_layout()  # before placing labels: layout moves the points on screen
    _place_labels(fig, ax, pts)
    reading = _tradeoff_reading(h, w, arms, ctx)
    return _save(
        fig, out, "tradeoff", "Harm reduced versus lawful content wrongly removed", reading
    )


def _corner_notes(ax: Axes) -> None:
    """Say in words what each corner means, so the axes' signs need no decoding."""
    style = {"fontsize": 8, "color": "#777777", "transform": ax.transAxes}
    ax.text(0.99, 0.01, "less harm,\nless over-removal", ha="right", va="bottom", **style)
    ax.text(0.99, 0.99, "less harm,\nmore over-removal", ha="right", va="top", **style)
    ax.text(0.01, 0.99, "more harm,\nmore over-removal", ha="left", va="top", **style)
    ax.text(0.01, 0.01, "more harm,\nless over-removal", ha="left", va="bottom", **style)


def _place_labels(fig: Figure, ax: Axes, pts: list[tuple[float, float, str, Any]]) -> None:
    """Label each (x, y, text, colour) point at the nearest free spot, with a leader line.

    Tries offsets at growing distance in eight directions and takes the first whose text
    stays inside the axes and overlaps no marker and no label already placed, so crowded
    points keep unambiguous labels.
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    markers = []
    for x, y, _, _ in pts:
        px, py = ax.transData.transform((x, y))
        markers.append(Bbox.from_bounds(px - 7, py - 7, 14, 14))
    placed: list[Bbox] = []
    angles = np.deg2rad([45, -45, 135, -135, 90, -90, 0, 180, 22, -22, 158, -158, 68, -68])
    radii = (10, 20, 32, 46, 62, 80, 100, 125, 150)
    candidates = [(r * np.cos(a), r * np.sin(a)) for r in radii for a in angles]
    for x, y, text, colour in sorted(pts, key=lambda p: -p[1]):
        best: tuple[float, float, float] | None = None  # (overlap, dx, dy)
        for dx, dy in candidates:
            t = _label_at(ax, x, y, text, colour, dx, dy)
            box = t.get_window_extent(renderer).expanded(1.04, 1.2)
            t.remove()
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            overlap = sum(_overlap_area(box, b) for b in [*placed, *markers])
            if inside and overlap == 0:
                best = (0.0, dx, dy)
                break
            if inside and (best is None or overlap < best[0]):
                best = (overlap, dx, dy)  # fallback: the least crowded spot seen
        _, dx, dy = best if best is not None else (0.0, *candidates[0])
        t = _label_at(ax, x, y, text, colour, dx, dy)
        placed.append(t.get_window_extent(renderer))


def _overlap_area(a: Bbox, b: Bbox) -> float:
    """Area shared by two boxes (0 when apart)."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


def _label_at(ax: Axes, x: float, y: float, text: str, colour: Any, dx: float, dy: float) -> Any:
    """One label at an offset in points, aligned away from its point."""
    ha = "left" if dx > 1 else "right" if dx < -1 else "center"
    va = "bottom" if dy > 1 else "top" if dy < -1 else "center"
    far = abs(dx) + abs(dy) > 20
    return ax.annotate(
        text,
        (x, y),
        xytext=(dx, dy),
        textcoords="offset points",
        fontsize=9,
        ha=ha,
        va=va,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "lw": 0.8, "alpha": 0.9},
        arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.8} if far else None,
    )


# --- figures: parameter sweeps --------------------------------------------------------------


def numeric_swept(sweep: Sweep) -> list[str]:
    """Swept keys whose values are all numbers (not booleans)."""
    out = []
    for k in sweep.swept:
        col = sweep.runs[k]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out.append(k)
    return out


def figure_heatmaps(sweep: Sweep, table: pd.DataFrame, ctx: _Ctx, out: Path) -> list[FigureInfo]:
    """For a two-parameter sweep: heatmaps of the cell means, one figure per indicator and
    one panel per scenario."""
    keys = numeric_swept(sweep)
    if len(keys) != 2:
        return []
    xk, yk = keys
    figs = []
    scens = list(dict.fromkeys(a[0] for a in ctx.arms))
    for ind in [i for i in GRID_INDICATORS if i in set(table["indicator"])]:
        info = indicator_info(ind)
        scale = 1e6 if info.money else 1.0
        t = table[table["indicator"] == ind]
        fig, axes = plt.subplots(1, len(scens), figsize=(7.5 * len(scens), 6), squeeze=False)
        readings = []
        for ax, scen in zip(axes.flat, scens, strict=True):
            # Other swept keys (non-numeric ones), if any, are averaged within a cell.
            grid = t[t["scenario"] == scen].pivot_table(
                index=yk, columns=xk, values="mean", aggfunc="mean"
            )
            _heatmap(fig, ax, grid / scale, info.label)
            ax.set(xlabel=param_labels(xk)[1], ylabel=param_labels(yk)[1])
            prefix = f"{scenario_label(scen)}: " if len(scens) > 1 else ""
            if len(scens) > 1:
                ax.set_title(scenario_label(scen))
            readings.append(prefix + _heatmap_reading(grid / scale, info, xk, yk))
        fig.suptitle(
            f"{info.label}: mean over {ctx.reps} in each cell (darker colour = lower value)"
        )
        fig.tight_layout()
        readings.append(
            "These are differences between cell means; scenarios.csv gives each cell's 95% "
            "interval."
        )
        figs.append(
            _save(
                fig,
                out,
                f"heatmap_{ind}",
                f"{info.label} across the two levers",
                " ".join(readings),
            )
        )
    return figs


def _heatmap(fig: Figure, ax: Axes, grid: pd.DataFrame, label: str) -> None:
    """Annotated heatmap of a y x x table (rows bottom to top in increasing order)."""
    values = grid.to_numpy(dtype=float)
    im = ax.imshow(values, origin="lower", cmap="viridis", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [_fmt_value(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [_fmt_value(v) for v in grid.index])
    finite = values[np.isfinite(values)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):  # dark text on the light (high) end of viridis, white on the dark
            colour = "black" if v > mid else "white"
            ax.text(j, i, _short_number(v), ha="center", va="center", fontsize=10, color=colour)
    fig.colorbar(im, ax=ax, label=label)


def _heatmap_reading(grid: pd.DataFrame, info: Indicator, xk: str, yk: str) -> str:
    """Where in the grid the indicator is lowest and highest."""
    cells = grid.stack()
    (ly, lx), (hy, hx) = cells.idxmin(), cells.idxmax()

    def where(x: Any, y: Any) -> str:
        return f"{param_value_label(xk, x)} and {param_value_label(yk, y)}"

    return (
        f"The cell mean of {info.phrase} is lowest ({_short_number(cells.min())}) with "
        f"{where(lx, ly)}, and "
        f"highest ({_short_number(cells.max())}) with {where(hx, hy)}."
    )


def figure_sweep_lines(sweep: Sweep, table: pd.DataFrame, ctx: _Ctx, out: Path) -> list[FigureInfo]:
    """For a one-parameter sweep: indicator means with 95% CI against the parameter."""
    keys = numeric_swept(sweep)
    if len(keys) != 1:
        return []
    (k,) = keys
    inds = [i for i in [*GRID_INDICATORS, "victims_women"] if i in set(table["indicator"])]
    fig, axes = plt.subplots(1, len(inds), figsize=(5.2 * len(inds), 4.6), squeeze=False)
    readings = []
    for ax, ind in zip(axes.flat, inds, strict=True):
        info = indicator_info(ind)
        scale = 1e6 if info.money else 1.0
        for scen, t in table[table["indicator"] == ind].groupby("scenario", sort=False):
            t = t.sort_values(k)
            one = table["scenario"].nunique() == 1
            colour = "#3b75af" if one else SCENARIO_COLOURS.get(str(scen), "#3b75af")
            ax.plot(t[k], t["mean"] / scale, "o-", color=colour, label=scenario_label(scen))
            ax.fill_between(
                t[k],
                (t["ci_low"] / scale).clip(lower=0),  # these indicators cannot be negative
                t["ci_high"] / scale,
                color=colour,
                alpha=0.2,
                linewidth=0,
            )
            first, last = t.iloc[0], t.iloc[-1]
            readings.append(
                f"{info.label}: {_short_number(first['mean'] / scale)} at "
                f"{param_value_label(k, first[k])}, "
                f"{_short_number(last['mean'] / scale)} at "
                f"{param_value_label(k, last[k])}"
            )
        ax.set(xlabel=param_labels(k)[1], ylabel=info.label, title=info.label)
        ax.grid(color="#eeeeee")
    if table["scenario"].nunique() > 1:
        axes[0, 0].legend(fontsize=9, frameon=False)
    fig.suptitle(
        f"Indicators against {param_labels(k)[1].lower()}\n"
        f"(mean and shaded 95% interval over {ctx.reps})"
    )
    fig.tight_layout()
    name = "sweep_" + k.rsplit(".", 1)[-1]
    return [
        _save(
            fig,
            out,
            name,
            f"Indicators against {param_labels(k)[1].lower()}",
            "; ".join(readings) + ".",
        )
    ]


# --- sentences from numbers ---------------------------------------------------------------


def _pct(v: float) -> str:
    """A percentage with two significant figures for small values, never "-0%"."""
    text = f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}"
    return ("0" if float(text) == 0 else text) + "%"


def _spct(v: float) -> str:
    """A signed percentage: +5%, -3.2%, 0%."""
    text = _pct(v)
    return text if text.startswith(("-", "0%")) else "+" + text


def _short_number(v: float) -> str:
    """Readable precision: 12,345 / 136 / 4.46 / 0.05."""
    if not np.isfinite(v):
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) >= 10 else f"{v:.2f}"


def _row_label(row: pd.Series, ctx: _Ctx) -> str:
    """Label of the arm a table row (with scenario and swept columns) belongs to."""
    arm = tuple(row[c] for c in ["scenario", *ctx.swept])
    return ctx.labels.get(arm, scenario_label(str(row["scenario"])))


def extreme_reading(effects: pd.DataFrame, ind: str, ctx: _Ctx, want: str = "fall") -> str:
    """Sentence on the largest distinguishable fall (or rise) in ``ind`` among scenarios.

    If no scenario moves ``ind`` that way distinguishably from zero, says so and gives the
    largest estimate with its interval, rather than promoting a noisy estimate to an effect.
    """
    e = effects[effects["indicator"] == ind].dropna(subset=["rel_change_pct"])
    if e.empty:
        return ""
    sign = -1 if want == "fall" else 1
    e = e.assign(_key=sign * e["rel_change_pct"]).sort_values("_key", ascending=False)
    hits = e[e["distinguishable"] & (sign * e["diff_mean"] > 0)]
    if len(hits):
        row = hits.iloc[0]
        return effect_sentence(row, _row_label(row, ctx), ctx)
    phrase = indicator_info(ind).phrase
    verb = "lowers" if want == "fall" else "raises"
    top = e.iloc[0]
    if sign * top["rel_change_pct"] <= 0:
        return f"No scenario {verb} {phrase} compared with {ctx.baseline_phrase}."
    return (
        f"No scenario {verb} {phrase} distinguishably from zero at this number of replicates; "
        f"the largest estimate is {_row_label(top, ctx)} ({_spct(top['rel_change_pct'])}, "
        f"95% CI {_spct(top['rel_ci_low_pct'])} to {_spct(top['rel_ci_high_pct'])})."
    )


def scenario_sentence(effects: pd.DataFrame, arm: tuple[Any, ...], ctx: _Ctx) -> str:
    """Per scenario: its distinguishable changes in the headline indicators, then the rest."""
    e = effects[arm_ids(effects, ctx) == ctx.ids[arm]].set_index("indicator")
    moved, flat = [], []
    for ind in [i for i in HEADLINE if i in e.index]:
        r = e.loc[ind]
        label = indicator_info(ind).label.split(" (")[0]
        name = label[0].lower() + label[1:]  # keep "UK" upper case
        if r["distinguishable"] and np.isfinite(r["rel_change_pct"]):
            moved.append(
                f"{name} {_spct(r['rel_change_pct'])} (95% CI {_spct(r['rel_ci_low_pct'])} to "
                f"{_spct(r['rel_ci_high_pct'])})"
            )
        else:
            flat.append(name)
    text = f"{ctx.labels[arm]}: " + ("; ".join(moved) if moved else "no distinguishable change")
    if moved and flat:
        text += f". No difference distinguishable from zero in {', '.join(flat)}"
    return text + "."


def effect_sentence(row: pd.Series, subject: str, ctx: _Ctx) -> str:
    """One sentence on an effect, honest about uncertainty.

    e.g. "Fast takedown lowers harmful views per 10,000 views by 23% (95% CI 18% to 28%)
    compared with the Act as enacted." An interval that includes zero is never called an
    effect.
    """
    phrase = indicator_info(str(row["indicator"])).phrase
    rel, lo, hi = row["rel_change_pct"], row["rel_ci_low_pct"], row["rel_ci_high_pct"]
    pairs = int(row["pairs"])
    if not np.isfinite(rel):
        return (
            f"{subject}: {phrase} is zero under {ctx.baseline_phrase}, so no percentage "
            f"change is given (mean difference {_short_number(row['diff_mean'])})."
        )
    if not row["distinguishable"]:
        interval = (
            "only one paired replicate, so no interval"
            if row["ci_collapsed"]
            else f"estimate {_spct(rel)}, 95% CI {_spct(lo)} to {_spct(hi)}"
        )
        who = subject[0].lower() + subject[1:] if subject.startswith("The ") else subject
        return (
            f"For {who}, the change in {phrase} compared with {ctx.baseline_phrase}: no "
            f"difference distinguishable from zero at this number of replicates ({pairs} "
            f"pairs; {interval})."
        )
    verb, a, b = ("lowers", -hi, -lo) if rel < 0 else ("raises", lo, hi)
    return (
        f"{subject} {verb} {phrase} by {_pct(abs(rel))} (95% CI {_pct(a)} to {_pct(b)}) "
        f"compared with {ctx.baseline_phrase}."
    )


def _tradeoff_reading(h: pd.DataFrame, w: pd.DataFrame, arms: list[int], ctx: _Ctx) -> str:
    """The scenario that cuts harm most (by estimate), and its cost in wrongful removals."""
    best = min(arms, key=lambda a: h.loc[a, "rel_change_pct"])
    harm = effect_sentence(h.loc[best], ctx.labels[ctx.arms[best]], ctx)
    return f"{harm} {effect_sentence(w.loc[best], 'The same scenario', ctx)}"


def _timeseries_reading(
    name: str, sweep: Sweep, table: pd.DataFrame, effects: pd.DataFrame, ctx: _Ctx, ts: pd.DataFrame
) -> str:
    """Sentence under a time-series figure."""
    if name == "prevalence" and len(effects):
        return extreme_reading(effects, "harmful_views_per_10k", ctx)
    if name == "victims" and len(effects):
        return extreme_reading(effects, "victims_women", ctx)
    if name == "fines":
        return _fines_reading(table, ctx)
    if name == "effort":
        return _effort_reading(sweep, ts, ctx)
    return ""


def _fines_reading(table: pd.DataFrame, ctx: _Ctx) -> str:
    t = table[table["indicator"] == "fines_imposed_gbp"]
    if t.empty:
        return ""
    top = t.sort_values("mean").iloc[-1]
    who = _row_label(top, ctx)
    return (
        f"Fines are highest under {who}: £{top['mean'] / 1e6:,.1f}m on average over the "
        f"policy period (95% CI £{top['ci_low'] / 1e6:,.1f}m to £{top['ci_high'] / 1e6:,.1f}m)."
    )


def _effort_reading(sweep: Sweep, ts: pd.DataFrame, ctx: _Ctx) -> str:
    cols = [c for c in ts.columns if c.startswith("effort__")]
    ref = ctx.base_id if ctx.base_id is not None else 0
    pol = ts[(ts["day"] >= sweep.policy_start_day) & (ts["arm_id"] == ref)]
    if not cols or pol.empty:
        return ""
    means = pol[cols].mean().sort_values()
    name = lambda c: sweep.platform_labels.get(c.split("__", 1)[1], c.split("__", 1)[1])  # noqa: E731
    who = ctx.baseline_phrase if ref == ctx.base_id else ctx.labels[ctx.arms[ref]]
    return (
        f"Under {who}, mean effort over the policy period is highest "
        f"for the {name(means.index[-1]).lower()} ({means.iloc[-1]:.2f}) and lowest for the "
        f"{name(means.index[0]).lower()} ({means.iloc[0]:.2f}). A platform that remedies "
        "under a provisional notice, or is bound by a confirmation decision, raises its effort "
        "to reach the codes' detection level, and one with weaker detection needs more effort "
        "to get there, whatever its owner's stance."
    )


# --- HTML ---------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;line-height:1.5;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 7px;
vertical-align:top}td{text-align:right}th{background:#f4f4f4;text-align:left}
.scroll{overflow-x:auto}.ci{color:#666;font-size:11px}.eff{color:#1a5e9a;font-weight:600}
.noeff{color:#999}img{max-width:100%;border:1px solid #eee}.reading{background:#f7f9fc;
padding:.5em .8em;border-left:3px solid #3b75af}code{background:#f4f4f4;padding:0 .2em}
.warn{background:#fff4e5;padding:.5em .8em;border-left:3px solid #e08a00}
"""


def _fmt(v: float, ind: str) -> str:
    """A mean or bound in the indicator's unit."""
    if not np.isfinite(v):
        return "-"
    if indicator_info(ind).money:
        return f"{'-' if v < 0 else ''}£{abs(v) / 1e6:,.1f}m"
    return _short_number(v)


def headline_table(sweep: Sweep, table: pd.DataFrame, effects: pd.DataFrame, ctx: _Ctx) -> str:
    """Per arm and key indicator: mean [95% CI], and % change vs baseline [95% CI]."""
    inds = [i for i in HEADLINE if i in set(table["indicator"])]
    tab = table.set_index([*sweep.arm_cols, "indicator"]).sort_index()
    eff = effects.set_index([*sweep.arm_cols, "indicator"]).sort_index() if len(effects) else None
    head = "".join(f"<th>{html.escape(indicator_info(i).label)}</th>" for i in inds)
    rows = []
    for arm in ctx.arms:
        cells = []
        for ind in inds:
            key = (*arm, ind)
            if key not in tab.index:
                cells.append("<td>-</td>")
                continue
            t = tab.loc[key]
            cell = (
                f"{_fmt(t['mean'], ind)}<br><span class='ci'>{_fmt(t['ci_low'], ind)} to "
                f"{_fmt(t['ci_high'], ind)}</span>"
            )
            if eff is not None and key in eff.index:
                e = eff.loc[key]
                cls = "eff" if e["distinguishable"] else "noeff"
                if np.isfinite(e["rel_change_pct"]):
                    cell += (
                        f"<br><span class='{cls}'>{_spct(e['rel_change_pct'])}</span> "
                        f"<span class='ci'>({_spct(e['rel_ci_low_pct'])} to "
                        f"{_spct(e['rel_ci_high_pct'])})</span>"
                    )
            cells.append(f"<td>{cell}</td>")
        rows.append(f"<tr><th>{html.escape(ctx.labels[arm])}</th>{''.join(cells)}</tr>")
    return (
        f"<div class='scroll'><table><tr><th>Scenario</th>{head}</tr>{''.join(rows)}</table></div>"
    )


def read_assumptions() -> list[str]:
    """Bullet points of docs/assumptions_summary.md (continuation lines joined)."""
    path = REPO / "docs" / "assumptions_summary.md"
    if not path.is_file():
        return []
    items: list[str] = []
    for line in path.read_text().splitlines():
        if line.lstrip().startswith(("- ", "* ")) and not line.startswith((" ", "\t")):
            items.append(line.lstrip()[2:].strip())
        elif items and line.startswith((" ", "\t")) and line.strip():
            items[-1] += " " + line.strip()
    return items


def _sweep_section(sweep: Sweep) -> list[str]:
    """Where the runs are, how many, how long they took, what varied."""
    runs = sweep.runs
    reps = runs.groupby(sweep.arm_cols, dropna=False)["seed"].nunique()
    per = "per scenario" + (" and parameter combination" if sweep.swept else "")
    rep_text = (
        f"{reps.iloc[0]} {per}"
        if reps.nunique() == 1
        else f"{reps.min()} to {reps.max()} {per} (column n of scenarios.csv)"
    )
    n_expected = f" of {sweep.expected} expected" if sweep.expected is not None else ""
    items = [
        f"Folder: <code>{html.escape(str(sweep.root.resolve()))}</code>",
        f"Complete runs: <b>{len(runs)}</b>{n_expected}; missing: <b>{len(sweep.missing)}</b>; "
        f"failed: <b>{len(sweep.failed)}</b>",
        f"Replicates (seeds, shared across scenarios so comparisons are paired): {rep_text}",
    ]
    wall = pd.to_numeric(runs["wall_seconds"], errors="coerce")
    if wall.notna().any():
        items.append(
            f"Run time: {wall.sum() / 60:,.1f} minutes in total, "
            f"{wall.mean():,.1f} s per run on average"
        )
    if sweep.days is not None:
        items.append(
            f"Each run simulates {sweep.days} days; the policy starts on day "
            f"{sweep.policy_start_day}. Indicators are totals or rates over the "
            "policy period."
        )
    if "n_users" in runs:
        items.append(f"Simulated users per run: {int(runs['n_users'].max()):,}")
    if sweep.swept:
        items.append(
            "Parameters varied: "
            + "; ".join(
                f"{html.escape(param_labels(k)[1])} (<code>{html.escape(k)}</code>): "
                + ", ".join(_fmt_value(v) for v in _sorted_values(runs[k]))
                for k in sweep.swept
            )
        )
    if sweep.git_commits:
        items.append("Code version: " + ", ".join(html.escape(c) for c in sweep.git_commits))
    if sweep.duplicates:
        items.append(
            f"Duplicate runs ignored (same scenario, parameters and seed): "
            f"{html.escape(', '.join(sweep.duplicates))}"
        )
    out = ["<h2>The sweep</h2>"]
    if sweep.failed or sweep.missing:  # say it before any number is read
        out.append(
            f"<p class='warn'>{len(sweep.failed)} run(s) failed and {len(sweep.missing)} "
            "are missing: the results below use the complete runs only. They are listed at "
            "the end of this page.</p>"
        )
    return [*out, "<ul>", *[f"<li>{i}</li>" for i in items], "</ul>"]


def _sorted_values(col: pd.Series) -> list[Any]:
    """Distinct values, numerically ordered when they are numbers."""
    values = list(col.dropna().unique())
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _scenarios_section(sweep: Sweep, ctx: _Ctx) -> list[str]:
    """Each scenario in plain words, counterfactuals marked."""
    names = list(dict.fromkeys(str(a[0]) for a in ctx.arms))
    out = ["<h2>The scenarios</h2><ul>"]
    for s in names:
        cf = " <i>(counterfactual: not current UK law)</i>" if sweep.counterfactual.get(s) else ""
        out.append(
            f"<li><b>{html.escape(scenario_label(s))}</b> (<code>{html.escape(s)}</code>)"
            f": {html.escape(sweep.descriptions.get(s, ''))}{cf}</li>"
        )
    return [*out, "</ul>"]


def _problems_section(sweep: Sweep) -> list[str]:
    out = ["<h2>Missing and failed runs</h2>"]
    if not sweep.failed and not sweep.missing:
        return [*out, "<p>None: every run found (and every expected run) is complete.</p>"]
    if sweep.failed:
        out.append(
            "<h3>Failed runs</h3><table><tr><th>Run folder</th><th>Error</th><th>Message</th></tr>"
        )
        out += [
            f"<tr><td><code>{html.escape(f['run_dir'])}</code></td>"
            f"<td>{html.escape(f['error_type'])}</td><td style='text-align:left'>"
            f"{html.escape(f['message'])}</td></tr>"
            for f in sweep.failed
        ]
        out.append("</table><p>Each folder's <code>error.json</code> holds the traceback.</p>")
    if sweep.missing:
        out.append(
            "<h3>Missing runs</h3><p>Rerunning the same sweep command completes them "
            "(complete runs are skipped).</p><table><tr><th>Run folder</th>"
            "<th>State</th><th>Overrides</th></tr>"
        )
        out += [
            f"<tr><td><code>{html.escape(m['run_dir'])}</code></td>"
            f"<td>{html.escape(m['state'])}</td><td style='text-align:left'><code>"
            f"{html.escape(' '.join(map(str, m['overrides'])))}</code></td></tr>"
            for m in sweep.missing
        ]
        out.append("</table>")
    return out


def write_html(
    sweep: Sweep,
    table: pd.DataFrame,
    effects: pd.DataFrame,
    effects_note: str,
    figs: list[FigureInfo],
    notes: list[str],
    ctx: _Ctx,
    out: Path,
) -> Path:
    """The self-contained report page (figures inlined as base64 PNG)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>ohsim report: {html.escape(sweep.root.name)}</title><style>{CSS}</style>"
        "</head><body>",
        "<h1>Online-harm regulation: what the simulated scenarios show</h1>",
        f"<h2>The question</h2><p>{html.escape(QUESTION)}</p>",
        "<p>The numbers come from an agent-based simulation: they compare scenarios under the "
        "same assumptions, they are not forecasts. Money is at UK scale; user counts are "
        "simulated users.</p>",
        *_sweep_section(sweep),
        *_scenarios_section(sweep, ctx),
        "<h2>Headline results</h2>",
        "<p>Each cell: mean over replicates, with its 95% confidence interval below. "
        f"Then the change compared with {html.escape(ctx.baseline_phrase)} (paired by replicate)"
        " with its 95% interval: <span class='eff'>blue</span> when the interval excludes zero,"
        " <span class='noeff'>grey</span> when no difference is distinguishable from zero at "
        "this number of replicates. Intervals are t-intervals; with few replicates and skewed "
        "quantities they can reach values that are impossible (below zero, or below -100%). "
        "All numbers: <code>scenarios.csv</code> and "
        "<code>effects.csv</code> next to this page.</p>",
        headline_table(sweep, table, effects, ctx),
    ]
    if effects_note:
        parts.append(f"<p><b>Note:</b> {html.escape(effects_note)}</p>")
    elif len(effects):
        parts.append(
            f"<p>In words, change compared with {html.escape(ctx.baseline_phrase)}:</p><ul>"
        )
        for arm in ctx.arms:
            if arm[0] != ctx.baseline:
                parts.append(f"<li>{html.escape(scenario_sentence(effects, arm, ctx))}</li>")
        parts.append("</ul>")
    parts.append("<h2>Figures</h2>")
    parts += [f"<p><b>Note:</b> {html.escape(n)}</p>" for n in notes]
    for f in figs:
        data = base64.b64encode(f.path.read_bytes()).decode("ascii")
        parts.append(
            f"<h3>{html.escape(f.title)}</h3>"
            f"<img alt='{html.escape(f.title)}' src='data:image/png;base64,{data}'>"
        )
        if f.reading:
            parts.append(f"<p class='reading'>{html.escape(f.reading)}</p>")
    parts.append("<h2>Assumptions</h2>")
    items = read_assumptions()
    if items:
        parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    else:
        parts.append(
            "<p>A summary of assumptions is not available here; every mechanism and "
            "parameter, with its source or the label <i>assumption</i>, is described "
            "in <code>docs/ODD.md</code>.</p>"
        )
    parts.append(
        "<p>Details: <code>docs/ODD.md</code> (model description) and "
        "<code>sim/config.py</code> (every parameter with unit and source).</p>"
    )
    parts += _problems_section(sweep)
    parts.append("</body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


# --- putting it together ------------------------------------------------------------------


def _context(sweep: Sweep, baseline: str) -> _Ctx:
    arms = arm_order(sweep)
    labels = {a: arm_label(sweep, a) for a in arms}
    reps = sweep.runs.groupby(sweep.arm_cols, dropna=False)["seed"].nunique()
    rep_text = (
        f"{reps.iloc[0]} replicates"
        if reps.nunique() == 1
        else f"{reps.min()}-{reps.max()} replicates"
    )
    phrase = (
        "the Act as enacted"
        if baseline == "baseline"
        else f"the scenario '{scenario_label(baseline)}'"
    )
    return _Ctx(arms, sweep.swept, labels, arm_colours(sweep, arms), baseline, phrase, rep_text)


def _timeseries_figures(
    sweep: Sweep,
    table: pd.DataFrame,
    effects: pd.DataFrame,
    ctx: _Ctx,
    figdir: Path,
    notes: list[str],
) -> list[FigureInfo]:
    if len(ctx.arms) > MAX_TIMESERIES_ARMS:
        notes.append(
            f"Time-series figures are left out: {len(ctx.arms)} combinations of "
            "scenario and parameters are too many lines for one readable plot."
        )
        return []
    first = sweep.root / sweep.runs["run_dir"].iloc[0] / "timeseries.parquet"
    effort = (
        [c for c in pq.read_schema(first).names if c.startswith("effort__")]
        if first.is_file()
        else []
    )
    wanted = ["harmful_views_per_10k", "victims_new_women", "victims_new_men", "fines_imposed_gbp"]
    ts = load_timeseries(sweep, [*wanted, *effort], ctx)
    if ts.empty:
        notes.append("No timeseries.parquet found: time-series figures are left out.")
        return []
    figs = []
    makers = [figure_prevalence, figure_victims, figure_effort, figure_fines]
    for make in makers:
        f = make(sweep, ts, ctx, figdir)
        if f is not None:
            f.reading = _timeseries_reading(f.name, sweep, table, effects, ctx, ts)
            figs.append(f)
    return figs


def compute_effects(sweep: Sweep, baseline: str) -> tuple[pd.DataFrame, str]:
    """Paired effects vs ``baseline``, or an empty table and the reason."""
    names = set(sweep.runs["scenario"])
    if baseline not in names:
        return pd.DataFrame(), (
            f"No scenario named '{baseline}' among the complete runs "
            f"({', '.join(sorted(names))}), so effects versus a baseline are not computed; "
            "pass --baseline NAME to choose another reference."
        )
    if len(names) < 2:
        return pd.DataFrame(), (
            f"Only the scenario '{baseline}' is present, so there is no "
            "effect versus it to compute."
        )
    eff = paired_effects(sweep.runs, baseline, sweep.indicators, by=sweep.swept)
    if eff.empty:
        return eff, f"No seed is shared between '{baseline}' and another scenario: no pairs."
    return eff, ""


@dataclass
class BuildResult:
    """What ``build`` wrote and found."""

    report: Path
    sweep: Sweep
    figures: list[FigureInfo]
    effects_note: str


def build(root: Path, out: Path | None = None, baseline: str = "baseline") -> BuildResult:
    """Aggregate the sweep in ``root`` into ``out`` (default ``root/report``).

    Raises:
        ReportError: ``root`` does not exist or holds no complete run.
    """
    root = Path(root)
    if not root.is_dir():
        raise ReportError(f"sweep folder {root} does not exist")
    out = Path(out) if out is not None else root / "report"
    sweep = collect(root, skip=[out])
    if sweep.runs.empty:
        raise ReportError(
            f"{root} holds no complete run (a complete run folder has summary.json); "
            f"found {len(sweep.failed)} failed and {len(sweep.missing)} missing"
        )
    figdir = out / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    for stale in [*figdir.glob("*.png"), out / "effects.csv"]:  # from an earlier build
        stale.unlink(missing_ok=True)
    sweep.runs.to_parquet(out / "runs.parquet", index=False)
    table = scenario_table(sweep.runs, sweep.indicators, by=sweep.arm_cols)
    table.to_csv(out / "scenarios.csv", index=False)
    effects, note = compute_effects(sweep, baseline)
    if len(effects):
        effects.to_csv(out / "effects.csv", index=False)
    ctx = _context(sweep, baseline)
    notes: list[str] = []
    figs = _timeseries_figures(sweep, table, effects, ctx, figdir, notes)
    if len(effects):
        figs += [
            f
            for f in (
                figure_effects(effects, sweep, ctx, figdir),
                figure_tradeoff(effects, sweep, ctx, figdir),
            )
            if f is not None
        ]
    figs += figure_heatmaps(sweep, table, ctx, figdir)
    figs += figure_sweep_lines(sweep, table, ctx, figdir)
    report = write_html(sweep, table, effects, note, figs, notes, ctx, out)
    return BuildResult(report, sweep, figs, note)


def summary_text(res: BuildResult) -> str:
    """The short summary the command prints."""
    s = res.sweep
    expected = f" (of {s.expected} expected)" if s.expected is not None else ""
    lines = [
        f"{len(s.runs)} complete runs{expected}, {len(s.missing)} missing, {len(s.failed)} failed"
    ]
    lines += [f"  failed: {f['run_dir']}: {f['error_type']}: {f['message']}" for f in s.failed]
    lines += [f"  missing: {m['run_dir']} ({m['state']})" for m in s.missing]
    if res.effects_note:
        lines.append(f"note: {res.effects_note}")
    lines.append(f"{len(res.figures)} figures; report: {res.report.resolve()}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="python -m sim.report",
        description="Build tables, figures and report.html from a sweep folder.",
    )
    ap.add_argument("sweep_dir", type=Path, help="folder holding the sweep's run folders")
    ap.add_argument(
        "--out", type=Path, default=None, help="output folder (default: SWEEP_DIR/report)"
    )
    ap.add_argument(
        "--baseline",
        default="baseline",
        help="scenario that effects are measured against (default: baseline)",
    )
    args = ap.parse_args(argv)
    try:
        res = build(args.sweep_dir, args.out, args.baseline)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if not args.sweep_dir.is_dir() else 1
    print(summary_text(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
