"""One benchmark measurement in its own process: build and run one model, report as JSON.

``python -m benchmarks.one --users 100000 --days 365`` prints one JSON line with the
one-off loading of the compiled kernels (numba's start-up, once per process), the
network build time (cold: a fresh temporary cache folder, so the graph is generated and
written as the first run of a configuration does), the rest of the model's set-up, the
simulation time and this process's peak resident memory. ``benchmarks.run`` starts one
of these per size so that peaks of different sizes do not mix.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from typing import Any

import sim.network
from sim.defaults import compose_config
from sim.kernels.__main__ import warm_up
from sim.model import HarmModel


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports ru_maxrss in kB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def measure(users: int, days: int, overrides: list[str]) -> dict[str, Any]:
    """Build and run one model; wall seconds of each part, sizes and peak memory.

    The policy starts on ``min(365, days)`` (the default, clipped so short runs are
    valid), so a 365-day run is the burn-in year exactly as
    ``python -m sim.run days=365`` runs it.
    """
    # numba's start-up and loading the cached kernels (~0.4 s, once per process) are
    # a fixed cost, not a cost per day: paid here, on a tiny model, and reported apart.
    t0 = time.perf_counter()
    warm_up(n_users=500, days=40)
    kernels_s = time.perf_counter() - t0
    build_s = 0.0
    original = sim.network.build_network

    def timed_build(*args: Any, **kwargs: Any) -> Any:
        nonlocal build_s
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            build_s += time.perf_counter() - t0

    # HarmModel calls sim.network.build_network through the module, so this wrapper
    # sees the call without any change to sim/.
    sim.network.build_network = timed_build
    try:
        with tempfile.TemporaryDirectory() as cache:
            cfg = compose_config(
                [
                    f"population.n_users={users}",
                    f"days={days}",
                    f"policy_start_day={min(365, days - 1)}",
                    f"network_cache_dir={cache}",
                    *overrides,
                ]
            )
            t0 = time.perf_counter()
            model = HarmModel(cfg)
            init_s = time.perf_counter() - t0
    finally:
        sim.network.build_network = original
    if build_s == 0.0:
        raise RuntimeError(
            "the network build was not timed: HarmModel no longer calls "
            "sim.network.build_network through the module; update benchmarks/one.py"
        )
    t0, c0 = time.perf_counter(), time.process_time()
    model.run_for(days)
    sim_s = time.perf_counter() - t0
    # CPU seconds are less sensitive than wall seconds to other work on a shared machine.
    sim_cpu_s = time.process_time() - c0
    ts = model.timeseries()
    total_views = float(ts["total_views"].sum())
    return {
        "users": users,
        "edges": int(model.adj.nnz // 2),
        "days": days,
        "overrides": overrides,
        "kernels_load_s": kernels_s,
        "network_build_s": build_s,
        "model_setup_s": init_s - build_s,
        "simulate_s": sim_s,
        "simulate_cpu_s": sim_cpu_s,
        "s_per_day": sim_s / days,
        "cpu_s_per_day": sim_cpu_s / days,
        "days_per_s": days / sim_s if sim_s > 0 else float("inf"),
        "peak_rss_mb": peak_rss_mb(),
        "harmful_items": int(model.items.n),
        # Over every day (the summary covers only the policy period, empty at days=365).
        "harmful_views_per_10k": 1e4 * float(ts["harmful_views"].sum()) / total_views
        if total_views > 0
        else 0.0,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: print the measurement as one JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, required=True)
    ap.add_argument("--days", type=int, required=True)
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.users, args.days, args.overrides)))


if __name__ == "__main__":
    main()
