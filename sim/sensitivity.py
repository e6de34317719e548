"""Global sensitivity analysis: ``python -m sim.sensitivity`` (Morris screening, Sobol indices).

Examples::

    python -m sim.sensitivity                                  # Morris, default parameter set
    python -m sim.sensitivity method=sobol sobol.n=256
    python -m sim.sensitivity sensitivity=ishigami method=sobol  # test function, same machinery
    python -m sim.sensitivity hydra/launcher=slurm hydra.launcher.partition=short

The run has three stages, all done by the default ``stage=all`` and each callable alone:

1. **design** - SALib draws the design (``SALib.sample.morris`` or ``SALib.sample.sobol``)
   over the parameter set ``configs/sensitivity/<set>.yaml``; it is written to
   ``<out>/design.csv`` with each row's seed, and ``<out>/spec.json`` records the settings.
2. **evaluate** - the rows are cut into chunks of ``chunk_size`` rows and each chunk is one
   Hydra job of a multirun (``chunk=...``) through the configured launcher (joblib by
   default; ``submitit_local``; ``slurm``). A chunk writes ``<out>/rows/chunk-XXXX.parquet``
   atomically; a rerun of the same command launches only the chunks that are missing.
3. **analyse** - ``SALib.analyze.morris`` / ``sobol`` per indicator; writes
   ``outputs.parquet``, ``indices.csv`` and the figures in ``<out>/plots/``.

The output folder ``results/sensitivity/<set>-<method>/`` is fixed, so rerunning resumes.
Each row's model gets the overrides built from the row (``key=value`` strings that
``python -m sim.run`` accepts too, recorded in ``outputs.parquet``) and a seed derived from
``root_seed`` and the row number only, so results do not depend on the launcher, the
chunking order or the machine.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config import SimConfig, register_configs, validate

register_configs()

METHODS = ("morris", "sobol")
MODELS = ("simulator", "ishigami")
SEEDINGS = ("per_row", "common")
DUMMY = "dummy"
# Ishigami test function constants (Ishigami & Homma 1990; the values SALib's docs use).
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
# Rows per chunk when chunk_size=0: a simulator row takes ~2 s at the default size, so 10
# rows make a job long enough that the launcher's ~0.2-1 s start-up is a few per cent.
AUTO_CHUNK_SIMULATOR = 10
# Test functions cost microseconds per row: a handful of chunks still exercises resume.
AUTO_CHUNKS_FUNCTION = 4

# Words for the indicators most often analysed (label, unit); others fall back to the key.
INDICATOR_WORDS: dict[str, tuple[str, str]] = {
    "harmful_views_per_10k": ("Harmful views per 10,000 views", "views per 10,000"),
    "wrongful_removals": ("Lawful posts wrongly removed", "posts in the policy year"),
    "victims_women": ("Women harmed for the first time", "women in the policy year"),
    "victims_men": ("Men harmed for the first time", "men in the policy year"),
    "victims_children": ("Children (13-17) harmed", "children in the policy year"),
    "deepfakes_created": ("Sexual deepfakes created", "deepfakes in the policy year"),
    "harmful_items_created": ("Harmful items created", "items in the policy year"),
    "median_takedown_hours": ("Median time to takedown", "hours"),
    "median_report_to_takedown_hours": ("Median time from report to takedown", "hours"),
    "moderation_spend_gbp": ("Platforms' moderation spend", "GBP in the policy year"),
    "fines_imposed_gbp": ("Fines and penalties imposed", "GBP in the policy year"),
    "convictions": ("Convictions", "convictions in the policy year"),
    "self_censoring_users": ("Users self-censoring", "users at the end"),
    "fringe_abuse_share": ("Share of abuse on the fringe site", "share of harmful items"),
    "share_victims_women": ("Share of victims who are women", "share of first-time victims"),
    "convictions_per_police_report": ("Convictions per police report", "ratio"),
    "log10_max_fine_to_cap": ("Largest fine / statutory cap (log10)", "log10 of the ratio"),
    "y": ("Ishigami function value", "dimensionless"),
}

# Per-run indicators derived from summary.json (added to every simulator row).
# The floor keeps runs without any fine finite on the log scale: 1e-6 is below any fine
# Ofcom has imposed relative to its cap (domain.md 2.4), so it reads as "no fine".
LOG_RATIO_FLOOR = 1e-6


def derived_indicators(summary: dict[str, float]) -> dict[str, float]:
    """Ratios a reader compares with published figures, computed from one run's summary."""
    victims = summary["victims_women"] + summary["victims_men"] + summary["victims_other"]
    reports = summary["police_reports"]
    return {
        "share_victims_women": summary["victims_women"] / victims if victims else math.nan,
        "convictions_per_police_report": summary["convictions"] / reports if reports else math.nan,
        "log10_max_fine_to_cap": math.log10(max(summary["max_fine_to_cap_ratio"], LOG_RATIO_FLOOR)),
    }


# --- the problem ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One uncertain input: a named range mapped onto one or more configuration keys.

    ``mode="set"`` gives every key the sampled value; ``mode="scale"`` multiplies each
    key's value in the base configuration by it (e.g. every platform's detection skill
    x 0.8). ``scale="log"`` samples log10(value) uniformly, for ranges spanning orders of
    magnitude; indices then refer to moving along that log scale.
    """

    name: str
    label: str
    unit: str
    keys: tuple[str, ...]
    low: float
    high: float
    scale: str = "linear"
    mode: str = "set"

    def bounds(self) -> list[float]:
        """Bounds in the space SALib samples (log10 units for ``scale="log"``)."""
        if self.scale == "log":
            return [math.log10(self.low), math.log10(self.high)]
        return [self.low, self.high]

    def natural(self, sampled: np.ndarray) -> np.ndarray:
        """Values in the parameter's own unit from values in the sampled space."""
        return 10.0**sampled if self.scale == "log" else sampled

    def column(self) -> str:
        """Design column holding the sampled-space value (differs only on a log scale)."""
        return f"log10({self.name})" if self.scale == "log" else self.name


@dataclass(frozen=True)
class Spec:
    """Everything that determines a design and its rows' results (hashed for resume)."""

    set_name: str
    model: str
    method: str
    factors: tuple[Factor, ...]
    root_seed: int
    seeding: str
    replicates: int
    sim_overrides: tuple[str, ...]
    chunk_size: int
    method_settings: dict[str, Any]

    @property
    def names(self) -> list[str]:
        """Factor names in design order."""
        return [f.name for f in self.factors]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        return {
            "num_vars": len(self.factors),
            "names": self.names,
            "bounds": [f.bounds() for f in self.factors],
        }

    def to_json(self) -> dict[str, Any]:
        """A JSON-able record of the specification."""
        d = dataclasses.asdict(self)
        d["factors"] = [dataclasses.asdict(f) for f in self.factors]
        return d

    def digest(self) -> str:
        """Hash of the specification: chunks written under another hash are recomputed."""
        blob = json.dumps(self.to_json(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def n_rows(self) -> int:
        """Rows in the design: Morris r(D+1); Sobol N(D+2), or N(2D+2) with second order."""
        d = len(self.factors)
        if self.method == "morris":
            r = self.method_settings["optimal_trajectories"] or self.method_settings["trajectories"]
            return int(r) * (d + 1)
        n = int(self.method_settings["n"])
        return n * (2 * d + 2 if self.method_settings["calc_second_order"] else d + 2)


def _expand_keys(key: str, base: dict[str, Any]) -> list[str]:
    """``platforms.*.detection_skill`` -> one key per platform of the base configuration."""
    parts = key.split(".")
    out = [""]
    node_list: list[Any] = [base]
    for part in parts:
        new_out, new_nodes = [], []
        for prefix, node in zip(out, node_list, strict=True):
            if not isinstance(node, dict):
                raise ValueError(f"sensitivity key {key!r}: {prefix!r} is not a group of keys")
            names = list(node) if part == "*" else [part]
            for name in names:
                if name not in node:
                    raise ValueError(
                        f"sensitivity key {key!r} is not allowed: {prefix + name!r} does not "
                        f"exist (known here: {', '.join(map(str, node))})"
                    )
                new_out.append(f"{prefix}{name}.")
                new_nodes.append(node[name])
        out, node_list = new_out, new_nodes
    return [k.rstrip(".") for k in out]


def build_spec(cfg: DictConfig, base: SimConfig | None = None) -> Spec:
    """Read the parameter set and method settings from the app's configuration."""
    s = cfg.sensitivity
    model = str(s.get("model", "simulator"))
    method = str(cfg.method)
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not allowed: choose one of {', '.join(METHODS)}")
    if model not in MODELS:
        raise ValueError(f"sensitivity.model={model!r} is not allowed: choose {', '.join(MODELS)}")
    seeding = str(cfg.seeding)
    if seeding not in SEEDINGS:
        raise ValueError(f"seeding={seeding!r} is not allowed: choose {', '.join(SEEDINGS)}")
    base_dict: dict[str, Any] = {}
    if model == "simulator":
        base = base or base_config(cfg)
        base_dict = OmegaConf.to_container(OmegaConf.structured(base))  # type: ignore[assignment]
    factors = []
    for name, p in s.parameters.items():
        keys: list[str] = []
        for key in p.get("keys", []) or []:
            keys.extend(_expand_keys(str(key), base_dict) if model == "simulator" else [str(key)])
        f = Factor(
            name=str(name),
            label=str(p.get("label", name)),
            unit=str(p.get("unit", "")),
            keys=tuple(keys),
            low=float(p.low),
            high=float(p.high),
            scale=str(p.get("scale", "linear")),
            mode=str(p.get("mode", "set")),
        )
        if not f.low < f.high:
            raise ValueError(f"parameter {name}: low={f.low} must be below high={f.high}")
        if f.scale not in ("linear", "log") or (f.scale == "log" and f.low <= 0):
            raise ValueError(f"parameter {name}: scale must be linear, or log with low > 0")
        if f.mode not in ("set", "scale"):
            raise ValueError(f"parameter {name}: mode={f.mode!r} must be set or scale")
        if model == "simulator" and not f.keys:
            raise ValueError(f"parameter {name}: give at least one configuration key")
        factors.append(f)
    if model == "simulator" and seeding == "per_row" and bool(cfg.dummy):
        # A factor wired to nothing: its indices measure run-to-run noise alone, the floor
        # below which a parameter's effect cannot be told apart from chance.
        factors.append(Factor(DUMMY, "Dummy (changes nothing: noise floor)", "", (), 0.0, 1.0))
    if len({f.name for f in factors}) != len(factors):
        raise ValueError("parameter names must be unique")
    if method == "morris":
        settings = {
            "trajectories": int(cfg.morris.trajectories),
            "num_levels": int(cfg.morris.num_levels),
            "optimal_trajectories": cfg.morris.get("optimal_trajectories"),
            "local_optimization": bool(cfg.morris.local_optimization),
        }
    else:
        n = int(cfg.sobol.n)
        if n < 2 or n & (n - 1):
            raise ValueError(f"sobol.n={n} is not allowed: must be a power of 2 (e.g. 256)")
        settings = {
            "n": n,
            "calc_second_order": bool(cfg.sobol.calc_second_order),
            "scramble": bool(cfg.sobol.scramble),
        }
    chunk_size = int(cfg.chunk_size)
    spec = Spec(
        set_name=str(s.name),
        model=model,
        method=method,
        factors=tuple(factors),
        root_seed=int(cfg.root_seed),
        seeding=seeding,
        replicates=int(cfg.replicates),
        sim_overrides=tuple(str(o) for o in cfg.sim_overrides) if model == "simulator" else (),
        chunk_size=max(chunk_size, 0),
        method_settings=settings,
    )
    if spec.replicates < 1:
        raise ValueError(f"replicates={spec.replicates} is not allowed: must be >= 1")
    if chunk_size <= 0:
        rows = spec.n_rows()
        auto = (
            AUTO_CHUNK_SIMULATOR
            if model == "simulator"
            else max(1, math.ceil(rows / AUTO_CHUNKS_FUNCTION))
        )
        spec = dataclasses.replace(spec, chunk_size=auto)
    if model == "simulator":
        _check_ranges(spec, base)  # type: ignore[arg-type]
    return spec


def base_config(cfg: DictConfig) -> SimConfig:
    """The simulator configuration every row starts from (``sim_overrides`` applied)."""
    from sim.defaults import compose_config

    return compose_config([str(o) for o in cfg.sim_overrides])


def _check_ranges(spec: Spec, base: SimConfig) -> None:
    """Fail before anything runs if a range's end is outside what the model allows."""
    for f in spec.factors:
        for end in (f.low, f.high):
            values = {k: _target_value(base, f, k, end) for k in f.keys}
            validate(apply_values(base, values))


# --- rows: overrides and seeds ---------------------------------------------------------------


def _node(obj: Any, part: str, key: str) -> Any:
    """One step down a configuration path (dataclass field or dict entry)."""
    if isinstance(obj, dict):
        if part in obj:
            return obj[part]
    elif dataclasses.is_dataclass(obj) and part in {f.name for f in dataclasses.fields(obj)}:
        return getattr(obj, part)
    raise ValueError(f"{key} is not allowed: unknown key ({part!r} not found)")


def get_value(cfg: SimConfig, key: str) -> Any:
    """The value of a dotted key, e.g. ``platforms.mega.detection_skill``."""
    node: Any = cfg
    for part in key.split("."):
        node = _node(node, part, key)
    return node


def _target_value(base: SimConfig, f: Factor, key: str, value: float) -> Any:
    """The value ``key`` gets when factor ``f`` takes ``value`` (rounded for integer keys)."""
    current = get_value(base, key)
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise ValueError(f"{key} is not a number: it cannot be a sensitivity factor")
    v = value * current if f.mode == "scale" else value
    return round(v) if isinstance(current, int) else float(v)


def apply_values(base: SimConfig, values: dict[str, Any]) -> SimConfig:
    """A copy of ``base`` with ``key -> value`` set, type-checked and validated.

    Equivalent to ``compose_config([*base overrides, "key=value", ...])`` for numeric and
    true/false keys (a test checks it), without re-composing Hydra's defaults for every
    run, which costs ~0.25 s.
    """
    cfg = copy.deepcopy(base)
    for key, value in values.items():
        *parents, last = key.split(".")
        node: Any = cfg
        for part in parents:
            node = _node(node, part, key)
        current = _node(node, last, key)
        if isinstance(current, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{key}={value!r} is not allowed: must be true or false")
        elif isinstance(current, int):
            if isinstance(value, bool) or not float(value).is_integer():
                raise ValueError(f"{key}={value!r} is not allowed: must be a whole number")
            value = int(value)
        elif isinstance(current, float):
            value = float(value)
        else:
            raise ValueError(f"{key}={value!r} is not allowed: only numbers and switches are set")
        if isinstance(node, dict):
            node[last] = value
        else:
            setattr(node, last, value)
    return validate(cfg)


def row_seed(root_seed: int, row: int) -> int:
    """The root seed of one design row: ``SeedSequence(root_seed, spawn_key=(row,))``.

    It depends on nothing but the root seed and the row number, so any launcher, chunk
    size or order of evaluation gives the row the same random numbers. The top bit is
    dropped to fit the model's ``root_seed`` range (< 2**63).
    """
    state = np.random.SeedSequence(root_seed, spawn_key=(row,)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def row_overrides(spec: Spec, base: SimConfig, values: dict[str, float]) -> dict[str, Any]:
    """Configuration keys and values for one design row (factor name -> natural value)."""
    out: dict[str, Any] = {}
    for f in spec.factors:
        for key in f.keys:
            out[key] = _target_value(base, f, key, values[f.name])
    return out


def seed_values(spec: Spec, row: int, replicate: int, row_root: int) -> dict[str, Any]:
    """Seeding keys of one run: the row's own stream, or the shared one (``common``)."""
    if spec.seeding == "common":
        return {"root_seed": spec.root_seed, "seed": replicate}
    # Every row builds its own graph: caching thousands of single-use graphs would only
    # fill the disk, and building one takes ~0.1 s at 10,000 users.
    return {"root_seed": row_root, "seed": replicate, "network.cache": False}


def override_strings(values: dict[str, Any]) -> list[str]:
    """``key=value`` strings (``repr`` keeps floats exact), usable with ``python -m sim.run``."""
    return [f"{k}={str(v).lower() if isinstance(v, bool) else repr(v)}" for k, v in values.items()]


# --- design ------------------------------------------------------------------------------------


def sample(spec: Spec) -> np.ndarray:
    """The SALib design matrix (rows x factors) in the sampled space."""
    problem = spec.problem()
    ms = spec.method_settings
    # The sampler's seed comes from the root seed, so the same command draws the same design.
    seed = int(np.random.SeedSequence(spec.root_seed).generate_state(1)[0])
    if spec.method == "morris":
        from SALib.sample import morris as morris_sample

        return morris_sample.sample(
            problem,
            int(ms["trajectories"]),
            num_levels=int(ms["num_levels"]),
            optimal_trajectories=ms["optimal_trajectories"],
            local_optimization=bool(ms["local_optimization"]),
            seed=seed,
        )
    from SALib.sample import sobol as sobol_sample

    return sobol_sample.sample(
        problem,
        int(ms["n"]),
        calc_second_order=bool(ms["calc_second_order"]),
        scramble=bool(ms["scramble"]),
        seed=seed,
    )


def make_design(spec: Spec) -> pd.DataFrame:
    """Design table: ``row``, ``row_seed``, each factor in its unit (+ log10 columns)."""
    x = sample(spec)
    cols: dict[str, Any] = {
        "row": np.arange(len(x)),
        "row_seed": [row_seed(spec.root_seed, r) for r in range(len(x))],
    }
    for j, f in enumerate(spec.factors):
        cols[f.name] = f.natural(x[:, j])
        if f.scale == "log":
            cols[f.column()] = x[:, j]
    return pd.DataFrame(cols)


def read_design(out: Path) -> pd.DataFrame:
    """``design.csv`` with floats read back exactly as written."""
    # pandas >= 3 reads floats back exactly by default; 2.x needs the round-trip parser.
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    return pd.read_csv(out / "design.csv", **exact)


def write_design(out: Path, spec: Spec) -> pd.DataFrame:
    """Write ``design.csv`` and ``spec.json``, or reuse them if the specification is unchanged."""
    out.mkdir(parents=True, exist_ok=True)
    spec_file = out / "spec.json"
    digest = spec.digest()
    if spec_file.is_file() and (out / "design.csv").is_file():
        old = json.loads(spec_file.read_text())
        if old.get("digest") == digest:
            return read_design(out)
        print(f"[design] settings changed since the last run in {out}: new design", flush=True)
    design = make_design(spec)
    _atomic(out / "design.csv", lambda p: design.to_csv(p, index=False))
    record = {
        "digest": digest,
        "n_rows": len(design),
        "n_chunks": n_chunks(len(design), spec.chunk_size),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "spec": spec.to_json(),
        "problem": spec.problem(),
    }
    _atomic(spec_file, lambda p: p.write_text(json.dumps(record, indent=1, default=str) + "\n"))
    return read_design(out)


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Write through a temporary file in the same folder, then rename (atomic on POSIX)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def n_chunks(n_rows: int, chunk_size: int) -> int:
    """Number of chunks of at most ``chunk_size`` consecutive rows."""
    return math.ceil(n_rows / chunk_size)


def chunk_file(out: Path, k: int) -> Path:
    """Where chunk ``k`` writes its rows."""
    return out / "rows" / f"chunk-{k:04d}.parquet"


def chunk_done(out: Path, k: int, digest: str) -> bool:
    """A chunk is done iff its file exists and was written for this design."""
    path = chunk_file(out, k)
    if not path.is_file():
        return False
    try:
        hashes = pd.read_parquet(path, columns=["design_digest"])["design_digest"].unique()
    except (OSError, ValueError, KeyError):
        return False
    return list(hashes) == [digest]


def missing_chunks(out: Path, spec: Spec, n_rows: int) -> list[int]:
    """Chunks that still have to be evaluated."""
    digest = spec.digest()
    return [k for k in range(n_chunks(n_rows, spec.chunk_size)) if not chunk_done(out, k, digest)]


# --- evaluation ----------------------------------------------------------------------------------


def ishigami(x1: float, x2: float, x3: float) -> float:
    """Ishigami & Homma (1990) test function with a=7, b=0.1 (dimensionless)."""
    return math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * math.sin(x1)


def evaluate_row(
    spec: Spec, base: SimConfig | None, design_row: dict[str, Any], replicate: int
) -> dict[str, Any]:
    """Run one (row, replicate) and return its indicators plus what it was given."""
    values = {f.name: float(design_row[f.name]) for f in spec.factors}
    t0 = time.perf_counter()
    if spec.model == "ishigami":
        x = [values[n] for n in spec.names]
        return {"y": ishigami(*x), "overrides": "", "run_seconds": time.perf_counter() - t0}
    from sim.model import HarmModel

    assert base is not None
    given = row_overrides(spec, base, values)
    seeds = seed_values(spec, int(design_row["row"]), replicate, int(design_row["row_seed"]))
    sim_cfg = apply_values(base, {**given, **seeds})
    model = HarmModel(sim_cfg)
    model.run_for(sim_cfg.days)
    summary = model.summary()
    return {
        **summary,
        **derived_indicators(summary),
        "root_seed": sim_cfg.root_seed,
        "seed": sim_cfg.seed,
        "overrides": " ".join(override_strings({**given, **seeds})),
        "run_seconds": time.perf_counter() - t0,
    }


def evaluate_chunk(cfg: DictConfig, out: Path, k: int) -> Path:
    """Evaluate the rows of chunk ``k`` and write ``rows/chunk-XXXX.parquet`` atomically."""
    base = (
        base_config(cfg) if str(cfg.sensitivity.get("model", "simulator")) == "simulator" else None
    )
    spec = build_spec(cfg, base)
    record = json.loads((out / "spec.json").read_text())
    if record["digest"] != spec.digest():
        raise RuntimeError(
            f"{out / 'spec.json'} was written for other settings: run the same command "
            "without stage=evaluate first, so the design is rewritten"
        )
    design = read_design(out)
    rows = design.iloc[k * spec.chunk_size : (k + 1) * spec.chunk_size]
    if rows.empty:
        raise ValueError(f"chunk={k} is not allowed: the design has {record['n_chunks']} chunks")
    t0 = time.perf_counter()
    records = []
    # Records, not iterrows(): iterrows() casts a row to one dtype (float), which would round
    # the 63-bit row seeds.
    for row in rows.to_dict("records"):
        for r in range(spec.replicates):
            rec = evaluate_row(spec, base, row, r)
            records.append({"row": int(row["row"]), "replicate": r, **rec})
    df = pd.DataFrame(records)
    df["design_digest"] = spec.digest()
    path = chunk_file(out, k)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic(path, lambda p: df.to_parquet(p, index=False))
    (path.with_suffix(".error.json")).unlink(missing_ok=True)
    wall = time.perf_counter() - t0
    print(
        f"[chunk {k}] rows {rows['row'].iloc[0]}-{rows['row'].iloc[-1]}: {len(df)} runs "
        f"in {wall:.1f} s",
        flush=True,
    )
    return path


# --- launching ---------------------------------------------------------------------------------


# Keys the head sets itself for its child multirun (anything else is passed through).
_HEAD_KEYS = ("stage", "chunk", "out_dir")


def _override_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def chunk_sweep(chunks: Sequence[int], total: int) -> str:
    """Hydra sweep value for a list of chunk numbers (``range`` when it is all of them)."""
    if list(chunks) == list(range(total)):
        return f"range(0,{total})"
    return ",".join(str(k) for k in chunks)


def launch_command(out: Path, chunks: Sequence[int], total: int) -> list[str]:
    """The child multirun that evaluates ``chunks`` with the launcher this run was given."""
    hc = HydraConfig.get()
    task = [o for o in hc.overrides.task if _override_key(o) not in _HEAD_KEYS]
    # hydra.mode/run.dir belong to this (single-run) process, not to the child sweep.
    skip = ("hydra.mode", "hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir")
    hyd = [o for o in hc.overrides.hydra if _override_key(o) not in skip]
    return [
        sys.executable,
        "-m",
        "sim.sensitivity",
        "--multirun",
        *task,
        *hyd,
        "stage=evaluate",
        f"out_dir={out}",
        f"chunk={chunk_sweep(chunks, total)}",
    ]


def evaluate_missing(out: Path, spec: Spec, n_rows: int) -> None:
    """Launch the missing chunks as a Hydra multirun; raise if any is still missing after."""
    todo = missing_chunks(out, spec, n_rows)
    total = n_chunks(n_rows, spec.chunk_size)
    if not todo:
        print(f"[evaluate] all {total} chunks complete in {out / 'rows'}", flush=True)
        return
    runs = sum(
        len(range(k * spec.chunk_size, min((k + 1) * spec.chunk_size, n_rows))) for k in todo
    )
    runs *= spec.replicates
    print(
        f"[evaluate] {len(todo)} of {total} chunks to run ({runs} model runs, "
        f"{spec.chunk_size} rows per chunk)",
        flush=True,
    )
    t0 = time.perf_counter()
    cmd = launch_command(out, todo, total)
    subprocess.run(cmd, check=False)
    left = missing_chunks(out, spec, n_rows)
    print(f"[evaluate] wall {time.perf_counter() - t0:.1f} s", flush=True)
    if left:
        errors = [chunk_file(out, k).with_suffix(".error.json") for k in left]
        shown = "\n".join(
            f"  chunk {k}: {e if e.is_file() else 'no output'}"
            for k, e in zip(left, errors, strict=True)
        )
        raise RuntimeError(
            f"{len(left)} chunk(s) did not complete:\n{shown}\nRerun the same command to "
            "evaluate only these."
        )


# --- analysis ------------------------------------------------------------------------------------


def collect(out: Path, spec: Spec, design: pd.DataFrame) -> pd.DataFrame:
    """All chunk files joined to the design: one row per (design row, replicate)."""
    total = n_chunks(len(design), spec.chunk_size)
    parts = [pd.read_parquet(chunk_file(out, k)) for k in range(total)]
    raw = pd.concat(parts, ignore_index=True).drop(columns=["design_digest"])
    return design.merge(raw, on="row", how="left", validate="one_to_many")


def analyse(spec: Spec, design: pd.DataFrame, raw: pd.DataFrame, cfg: DictConfig) -> pd.DataFrame:
    """Sensitivity indices per indicator, tidy: parameter, indicator, index, value, conf."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    indicators = list(cfg.indicators) if spec.model == "simulator" else ["y"]
    missing = [i for i in indicators if i not in raw]
    if missing:
        raise ValueError(f"indicators {missing} are not outputs of the model; known: {list(raw)}")
    problem = spec.problem()
    x = design[[f.column() for f in spec.factors]].to_numpy(float)
    means = raw.groupby("row")[indicators].mean().reindex(design["row"])
    seed = int(np.random.SeedSequence(spec.root_seed).generate_state(2)[1])
    labels = {f.name: f.label for f in spec.factors}
    rows = []
    for ind in indicators:
        y = means[ind].to_numpy(float)
        if not np.all(np.isfinite(y)):
            bad = int((~np.isfinite(y)).sum())
            print(f"[analyse] {ind}: {bad} rows not finite (e.g. 0/0): indicator skipped")
            continue
        if np.ptp(y) == 0:
            print(f"[analyse] {ind}: the same value in every row: indicator skipped")
            continue
        conf_level = float(cfg.analysis.conf_level)
        resamples = int(cfg.analysis.num_resamples)
        if spec.method == "morris":
            si = morris_analyze.analyze(
                problem,
                x,
                y,
                num_resamples=resamples,
                conf_level=conf_level,
                num_levels=int(spec.method_settings["num_levels"]),
                seed=seed,
            )
            for j, name in enumerate(spec.names):
                for index, conf in (("mu_star", "mu_star_conf"), ("mu", None), ("sigma", None)):
                    rows.append(
                        (
                            name,
                            labels[name],
                            ind,
                            index,
                            si[index][j],
                            si[conf][j] if conf else math.nan,
                        )
                    )
        else:
            second = bool(spec.method_settings["calc_second_order"])
            si = sobol_analyze.analyze(
                problem,
                y,
                calc_second_order=second,
                num_resamples=resamples,
                conf_level=conf_level,
                seed=seed,
            )
            for j, name in enumerate(spec.names):
                for index in ("S1", "ST"):
                    rows.append(
                        (name, labels[name], ind, index, si[index][j], si[f"{index}_conf"][j])
                    )
            if second:
                for a in range(len(spec.names)):
                    for b in range(a + 1, len(spec.names)):
                        pair = f"{spec.names[a]}:{spec.names[b]}"
                        text = f"{labels[spec.names[a]]} x {labels[spec.names[b]]}"
                        rows.append((pair, text, ind, "S2", si["S2"][a, b], si["S2_conf"][a, b]))
    return pd.DataFrame(rows, columns=["parameter", "label", "indicator", "index", "value", "conf"])


def indicator_words(name: str) -> tuple[str, str]:
    """(label, unit) of an indicator for figures."""
    return INDICATOR_WORDS.get(name, (name.replace("_", " ").capitalize(), ""))


def run_analysis(out: Path, spec: Spec, cfg: DictConfig, design: pd.DataFrame) -> pd.DataFrame:
    """Collect, analyse, and write ``outputs.parquet``, ``indices.csv`` and the figures."""
    raw = collect(out, spec, design)
    _atomic(out / "outputs.parquet", lambda p: raw.to_parquet(p, index=False))
    idx = analyse(spec, design, raw, cfg)
    _atomic(out / "indices.csv", lambda p: idx.to_csv(p, index=False))
    if bool(cfg.get("plots", True)):
        plot_indices(idx, spec, out / "plots", _context_line(spec, raw))
    print_table(idx, spec)
    return idx


def _context_line(spec: Spec, raw: pd.DataFrame) -> str:
    """One line under each figure title: what was run."""
    if spec.model != "simulator":
        return f"{spec.set_name} test function, {len(raw):,} evaluations"
    size = ""
    if "n_users" in raw and "days_simulated" in raw:
        size = f"{int(raw['n_users'].iloc[0]):,} users, {int(raw['days_simulated'].iloc[0])} days, "
    seeding = "a new seed per row" if spec.seeding == "per_row" else "one seed for all rows"
    return f"{size}{len(raw):,} runs, {seeding}"


def print_table(idx: pd.DataFrame, spec: Spec) -> None:
    """The indices on screen: one block per indicator, parameters by importance."""
    main = "mu_star" if spec.method == "morris" else "ST"
    for ind, part in idx.groupby("indicator", sort=False):
        wide = part.pivot_table(index="parameter", columns="index", values="value", sort=False)
        conf = part[part["index"] == main].set_index("parameter")["conf"]
        wide[f"{main}_conf"] = conf
        wide = wide.sort_values(main, ascending=False)
        print(f"\n{ind}")
        print(wide.to_string(float_format=lambda v: f"{v:.4g}"))


# --- figures --------------------------------------------------------------------------------------

# Analytic Sobol indices of the Ishigami function with a=7, b=0.1 (Saltelli et al. 2008).
ISHIGAMI_ANALYTIC = {
    "S1": {"x1": 0.3139, "x2": 0.4424, "x3": 0.0},
    "ST": {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437},
}


def plot_indices(idx: pd.DataFrame, spec: Spec, folder: Path, context: str) -> list[Path]:
    """One figure per indicator plus an overview; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for ind, part in idx.groupby("indicator", sort=False):
        if spec.method == "morris":
            fig = _morris_figure(part, spec, str(ind), context)
        else:
            fig = _sobol_figure(part, spec, str(ind), context)
        path = folder / f"{spec.method}_{ind}.png"
        fig.savefig(path, dpi=130, bbox_inches="tight")
        written.append(path)
        import matplotlib.pyplot as plt

        plt.close(fig)
    if idx["indicator"].nunique() > 1:
        fig = _overview_figure(idx, spec, context)
        path = folder / f"{spec.method}_overview.png"
        fig.savefig(path, dpi=130, bbox_inches="tight")
        written.append(path)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return written


def _wide(part: pd.DataFrame, index: str) -> pd.DataFrame:
    sel = part[part["index"] == index].set_index("parameter")
    return sel[["label", "value", "conf"]]


def _morris_figure(part: pd.DataFrame, spec: Spec, ind: str, context: str) -> Any:
    """Left: mu* with its confidence interval, ranked. Right: mu* against sigma, labelled."""
    import matplotlib.pyplot as plt

    label, unit = indicator_words(ind)
    mu_star = _wide(part, "mu_star").sort_values("value")
    sigma = _wide(part, "sigma")["value"]
    fig, (ax_bar, ax_sc) = plt.subplots(
        1, 2, figsize=(13, 0.42 * len(mu_star) + 2.6), gridspec_kw={"width_ratios": [1, 1.15]}
    )
    colours = ["0.6" if p == DUMMY else "tab:blue" for p in mu_star.index]
    ypos = np.arange(len(mu_star))
    ax_bar.barh(ypos, mu_star["value"], xerr=mu_star["conf"], color=colours, capsize=3)
    ax_bar.set_yticks(ypos, mu_star["label"])
    ax_bar.set_xlabel(f"μ*: mean size of the effect ({unit})" if unit else "μ*")
    ax_bar.set_title("Ranking (bars: 95% confidence interval)", fontsize=10)
    ax_bar.set_xlim(left=0)
    floor = mu_star["value"].get(DUMMY)
    for ax in (ax_bar, ax_sc):
        if floor is not None:
            ax.axvline(floor, color="0.5", ls=":", lw=1)
    if floor is not None:
        ax_bar.text(floor, len(mu_star) - 0.4, " noise floor (dummy)", color="0.4", fontsize=8)
    xs, ys = mu_star["value"].to_numpy(), sigma.reindex(mu_star.index).to_numpy()
    ax_sc.scatter(xs, ys, c=colours, zorder=3)
    top = max(float(np.nanmax(xs)), float(np.nanmax(ys)), 1e-12) * 1.08
    line = np.array([0, top])
    ax_sc.plot(line, line, color="0.7", ls="--", lw=1)
    ax_sc.text(
        top * 0.97, top * 0.99, "σ = μ*", color="0.45", fontsize=8, ha="right", va="top", rotation=0
    )
    ax_sc.set_xlim(0, top * 1.02)
    ax_sc.set_ylim(0, top * 1.02)
    ax_sc.set_xlabel(f"μ*: mean size of the effect ({unit})" if unit else "μ*")
    ax_sc.set_ylabel(f"σ: spread of the effect ({unit})" if unit else "σ")
    ax_sc.set_title(
        "Above the dashed line: effect depends on the other parameters (non-linear or interacting)",
        fontsize=9,
    )
    fig.suptitle(f"Which parameters move “{label}”? Morris screening\n{context}", fontsize=12)
    if floor is not None:
        caveat = "Parameters whose μ* is near the dummy's cannot be told apart from randomness."
    elif spec.model == "simulator" and spec.seeding == "common":
        caveat = "All runs share one seed: effects are measured for that draw of users and network."
    else:
        caveat = ""
    fig.text(
        0.01,
        -0.02,
        "μ* is the mean absolute change in the indicator when one parameter moves across its "
        "whole range (sampled on a log scale where the range is marked 'log'), the others held "
        f"fixed; σ is how much that change varies\nwith the other parameters. {caveat}",
        fontsize=8,
        color="0.3",
        va="top",
    )
    fig.tight_layout()
    _label_points(ax_sc, xs, ys, list(mu_star["label"]))
    return fig


def _label_points(ax: Any, xs: np.ndarray, ys: np.ndarray, texts: list[str]) -> None:
    """Label scatter points, moving each label until it overlaps no other label.

    Call after the figure's layout is final: positions are checked on the screen.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer=renderer)
    placed: list[Any] = []
    steps = [0]
    for k in range(1, 10):
        steps += [9 * k, -9 * k]
    candidates = [(dx, dy) for dy in steps for dx in (5, -5)]
    # Most important first, so they keep the best spot next to their point.
    for i in np.argsort(-xs):
        chosen = None
        for dx, dy in candidates:
            # A moved label gets a thin leader line so it is clear which point it names.
            arrow = {"arrowstyle": "-", "color": "0.6", "lw": 0.6} if dy else None
            t = ax.annotate(
                texts[i],
                (xs[i], ys[i]),
                xytext=(dx, 3 + dy),
                textcoords="offset points",
                fontsize=8,
                ha="left" if dx > 0 else "right",
                va="center",
                arrowprops=arrow,
            )
            bb = _text_box(t, renderer)
            inside = frame.x0 <= bb.x0 and bb.x1 <= frame.x1 and frame.y0 <= bb.y0 <= frame.y1
            if inside and not any(bb.overlaps(o) for o in placed):
                chosen = bb
                break
            t.remove()
        if chosen is None:  # nowhere free: keep the plain position next to the point
            t = ax.annotate(
                texts[i],
                (xs[i], ys[i]),
                xytext=(5, 3),
                textcoords="offset points",
                fontsize=8,
                va="center",
            )
            chosen = _text_box(t, renderer)
        placed.append(chosen)


def _text_box(annotation: Any, renderer: Any) -> Any:
    """Screen box of a label's text alone (an annotation's own box includes its leader line)."""
    from matplotlib.text import Text

    annotation.update_positions(renderer)  # places the text; Text's box alone skips that
    return Text.get_window_extent(annotation, renderer=renderer)


def _sobol_figure(part: pd.DataFrame, spec: Spec, ind: str, context: str) -> Any:
    """Bars of first-order (S1) and total (ST) indices with confidence intervals."""
    import matplotlib.pyplot as plt

    label, _ = indicator_words(ind)
    st = _wide(part, "ST").sort_values("value")
    s1 = _wide(part, "S1").reindex(st.index)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(st) + 2.2))
    y = np.arange(len(st))
    h = 0.38
    ax.barh(
        y + h / 2,
        st["value"],
        h,
        xerr=st["conf"],
        capsize=3,
        color="tab:orange",
        label="total effect ST (alone and through interactions)",
    )
    ax.barh(
        y - h / 2,
        s1["value"],
        h,
        xerr=s1["conf"],
        capsize=3,
        color="tab:blue",
        label="first-order S1 (alone)",
    )
    if spec.model == "ishigami":
        for index, dy in (("ST", h / 2), ("S1", -h / 2)):
            vals = [ISHIGAMI_ANALYTIC[index].get(p, math.nan) for p in st.index]
            ax.scatter(
                vals,
                y + dy,
                marker="D",
                s=28,
                color="crimson",
                edgecolor="white",
                zorder=4,
                label="analytic value" if index == "ST" else None,
            )
    ax.set_yticks(y, st["label"])
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("share of the indicator's variance over the parameter ranges")
    ax.set_xlim(min(-0.05, float(np.nanmin(s1["value"] - s1["conf"])) - 0.02), None)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title(f"What drives the variance of “{label}”? Sobol indices\n{context}", fontsize=11)
    fig.text(
        0.01,
        -0.02,
        "Error bars: 95% bootstrap confidence intervals. ST - S1 is the share due to "
        "interactions with other parameters; indices near 0 mean the parameter hardly matters "
        "over its range\n(true indices are never negative: a negative estimate is sampling "
        "noise).",
        fontsize=8,
        color="0.3",
        va="top",
    )
    fig.tight_layout()
    return fig


def _overview_figure(idx: pd.DataFrame, spec: Spec, context: str) -> Any:
    """Heat map: each parameter's importance for each indicator (scaled to the top one)."""
    import matplotlib.pyplot as plt

    main = "mu_star" if spec.method == "morris" else "ST"
    sel = idx[idx["index"] == main]
    order = [f.name for f in spec.factors]
    wide = sel.pivot_table(index="parameter", columns="indicator", values="value", sort=False)
    wide = wide.reindex([p for p in order if p in wide.index])
    cols = list(dict.fromkeys(sel["indicator"]))
    wide = wide[cols]
    scaled = wide / wide.max(axis=0).replace(0, np.nan) if main == "mu_star" else wide.clip(0, 1)
    fig, ax = plt.subplots(figsize=(2.0 * len(cols) + 4, 0.45 * len(wide) + 2.4))
    im = ax.imshow(scaled.to_numpy(float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    labels = {f.name: f.label for f in spec.factors}
    ax.set_yticks(range(len(wide)), [labels.get(p, p) for p in wide.index])
    ax.set_xticks(range(len(cols)), [indicator_words(c)[0] for c in cols], rotation=20, ha="right")
    for i in range(len(wide)):
        for j in range(len(cols)):
            v = scaled.iat[i, j]
            if np.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v > 0.6 else "black",
                )
    what = (
        "μ* as a share of the largest μ* for that indicator"
        if main == "mu_star"
        else "total Sobol index ST"
    )
    fig.colorbar(im, ax=ax, label=what, shrink=0.8)
    method = "Morris screening" if spec.method == "morris" else "Sobol indices"
    ax.set_title(f"Parameter importance by indicator ({method})\n{context}", fontsize=11)
    fig.tight_layout()
    return fig


# --- the app ------------------------------------------------------------------------------------


def output_dir(cfg: DictConfig) -> Path:
    """The fixed output folder (absolute), so every process agrees on it."""
    return Path(str(cfg.out_dir)).resolve()


def run(cfg: DictConfig) -> pd.DataFrame | Path | None:
    """Dispatch on ``stage``: all (default), design, evaluate (one chunk), analyse."""
    stage = str(cfg.stage)
    out = output_dir(cfg)
    multirun = HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN
    if stage == "evaluate":
        if cfg.get("chunk") is None:
            raise ValueError("stage=evaluate needs chunk=<k> (or -m chunk=range(0,K))")
        k = int(cfg.chunk)
        try:
            return evaluate_chunk(cfg, out, k)
        except Exception as err:
            # Record the failure and let the other chunks of the sweep run; the head
            # reports missing chunks and a rerun retries only them.
            path = chunk_file(out, k).with_suffix(".error.json")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                json.dumps(
                    {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()},
                    indent=1,
                )
            )
            print(f"[chunk {k}] failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
            if not multirun:
                raise
            return None
    if multirun:
        raise ValueError(f"stage={stage} runs as one process: drop -m (only stage=evaluate sweeps)")
    if stage not in ("all", "design", "analyse"):
        raise ValueError(f"stage={stage!r} is not allowed: choose all, design, evaluate, analyse")
    spec = build_spec(cfg)
    design = write_design(out, spec)
    total = n_chunks(len(design), spec.chunk_size)
    print(
        f"[design] {spec.method} over {len(spec.factors)} parameters: {len(design)} rows x "
        f"{spec.replicates} replicate(s), {total} chunks -> {out}",
        flush=True,
    )
    if stage == "design":
        cmd = launch_command(out, missing_chunks(out, spec, len(design)), total)
        print("Evaluate with:\n  python -m " + " ".join(_quote(c) for c in cmd[2:]))
        return out
    if stage == "all":
        evaluate_missing(out, spec, len(design))
    elif missing := missing_chunks(out, spec, len(design)):
        raise RuntimeError(f"cannot analyse: chunks {missing} are missing (run stage=all)")
    idx = run_analysis(out, spec, cfg, design)
    print(f"\nWrote {out}/indices.csv, outputs.parquet and plots/")
    return idx


def _quote(arg: str) -> str:
    return f"'{arg}'" if any(c in arg for c in "()[] ,*") else arg


@hydra.main(version_base="1.3", config_path="../configs", config_name="sensitivity")
def main(cfg: DictConfig) -> Any:
    """Hydra task: one stage of a sensitivity analysis (see the module docstring)."""
    result = run(cfg)
    return None if isinstance(result, pd.DataFrame) else result


if __name__ == "__main__":
    main()
