"""Check that a change to the engine leaves its results bit-for-bit identical.

``python -m benchmarks.identical save DIR`` runs a set of configurations and stores
everything a run produces (summary, time series, event log, the item and share tables,
the users' and abusers' final state, the platforms' state and the final state of every
random stream); ``python -m benchmarks.identical compare DIR`` reruns them with the
current code and reports, per run, which of these differ. Use it before and after a
performance change: the change is behaviour-preserving only if every run is IDENTICAL.

The default set is the scenarios baseline, no_regulation and government_package with
seeds 0-2, the benchmark core (``benchmarks/core.py``) with seeds 0-2, and the other
named scenarios with seed 0; 10,000 users and 730 days (about a minute of runs).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.core import core_config
from sim.config import SimConfig
from sim.defaults import compose_config
from sim.model import HarmModel

MAIN_SCENARIOS = ("baseline", "no_regulation", "government_package")
OTHER_SCENARIOS = (
    "fast_takedown",
    "deepfake_offence",
    "senior_manager_liability",
    "higher_fines",
    "regulator_capacity",
)


def configurations(users: int, days: int) -> Iterator[tuple[str, SimConfig]]:
    """(name, configuration) of every run in the set."""
    size = [f"population.n_users={users}", f"days={days}"]
    for scenario in MAIN_SCENARIOS:
        for seed in range(3):
            yield (
                f"{scenario}-{seed}",
                compose_config([*size, f"scenario={scenario}", f"seed={seed}"]),
            )
    for seed in range(3):
        yield f"core-{seed}", core_config(users, days, seed)
    for scenario in OTHER_SCENARIOS:
        yield f"{scenario}-0", compose_config([*size, f"scenario={scenario}", "seed=0"])


def outputs(model: HarmModel) -> dict[str, Any]:
    """Everything a finished run produced, as plain values and arrays."""
    out: dict[str, Any] = {
        "summary": model.summary(),
        "timeseries": model.timeseries(),
        "events": model.events(),
    }
    for table in ("items", "shares"):
        cols = getattr(model, table)
        for name in cols._spec:
            out[f"{table}.{name}"] = cols.view(name).copy()
    u = model.users
    for name in ("member", "harm", "victim", "first_harm_day", "self_censoring", "left_any"):
        out[f"users.{name}"] = getattr(u, name).copy()
    ab = model.abusers
    out["abusers.alpha"], out["abusers.beta"] = ab.alpha.copy(), ab.beta.copy()
    out["abusers.incapacitated_until"] = ab.incapacitated_until.copy()
    out["platforms"] = [
        (p.effort, p.meets_duty, p.belief_investigation, p.exited, p.fines_imposed)
        for p in model.platform_list
    ]
    out["streams"] = {k: r.bit_generator.state for k, r in model.streams.items()}
    return out


def same(a: Any, b: Any) -> bool:
    """Exact equality of values, arrays (dtype, shape, NaN in place) and frames."""
    if isinstance(a, pd.DataFrame):
        return list(a.columns) == list(b.columns) and a.equals(b)
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


def main(argv: list[str] | None = None) -> int:
    """Command line; returns 1 if any run differs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["save", "compare"])
    ap.add_argument("folder", type=Path, help="where the reference outputs are kept")
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--only", nargs="*", default=[], help="run names starting with these")
    args = ap.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    differ = 0
    for name, cfg in configurations(args.users, args.days):
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        model = HarmModel(cfg)
        model.run_for(args.days)
        result = outputs(model)
        path = args.folder / f"{name}.pkl"
        if args.mode == "save":
            path.write_bytes(pickle.dumps(result))
            print(f"{name}: saved", flush=True)
            continue
        reference = pickle.loads(path.read_bytes())
        changed = [key for key in reference if not same(reference[key], result[key])]
        differ += bool(changed)
        print(f"{name}: {'IDENTICAL' if not changed else 'DIFFERS in ' + ', '.join(changed)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
