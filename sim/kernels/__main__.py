"""Compile and cache the kernels once: ``python -m sim.kernels`` (``make setup`` runs it).

numba compiles a kernel the first time it is called and stores the machine code next to
its source (``cache=True``); later processes load it in milliseconds. Without this step
the first run after installing (or after editing a kernel) pays a few seconds of
compilation, in every worker of a sweep at once. A short regulated run at a small size
calls the kernels with the argument types the model uses.
"""

from __future__ import annotations

import importlib
import pkgutil
import tempfile
import time

from numba.core.registry import CPUDispatcher

import sim.kernels
from sim.defaults import compose_config
from sim.model import HarmModel


def kernels() -> dict[str, CPUDispatcher]:
    """Every public compiled function of the package, by dotted name.

    Private ones (``_name``) are only called from other kernels, which compile them.
    """
    found: dict[str, CPUDispatcher] = {}
    for mod in pkgutil.iter_modules(sim.kernels.__path__):
        module = importlib.import_module(f"sim.kernels.{mod.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and not name.startswith("_"):
                found[f"{mod.name}.{name}"] = obj
    return found


def warm_up(n_users: int = 3000, days: int = 150) -> list[str]:
    """Run a small model so the kernels compile (or load from the cache).

    Returns:
        Names of kernels the run did not call (they compile on first use).
    """
    with tempfile.TemporaryDirectory() as cache:
        cfg = compose_config(
            [
                f"population.n_users={n_users}",
                f"days={days}",
                "policy_start_day=30",
                # ~500 harmful views in this run: at the default 0.001 reports per view
                # bystanders often report nothing, and the report path would not compile.
                "population.report_prob_per_view=0.05",
                f"network_cache_dir={cache}",
            ]
        )
        HarmModel(cfg).run_for(days)
    return sorted(name for name, k in kernels().items() if not k.signatures)


def main() -> None:
    """Command line."""
    t0 = time.perf_counter()
    missed = warm_up()
    n = len(kernels())
    print(
        f"numba kernels: {n - len(missed)} of {n} compiled or loaded in {time.perf_counter() - t0:.1f} s"
    )
    if missed:
        print("not called by the warm-up run (compiled on first use):", ", ".join(missed))


if __name__ == "__main__":
    main()
