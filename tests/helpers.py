"""Shared helpers for tests (small, fast configurations)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim.config import SimConfig
from sim.defaults import compose_config

REPO = Path(__file__).resolve().parent.parent
# The named scenarios, one file each in configs/scenario/.
SCENARIOS = tuple(sorted(p.stem for p in (REPO / "configs" / "scenario").glob("*.yaml")))


def small_config(
    *overrides: str, n_users: int = 2000, days: int = 200, start: int = 100
) -> SimConfig:
    """A quick configuration: few users, short run, policy halfway."""
    return compose_config(
        [f"population.n_users={n_users}", f"days={days}", f"policy_start_day={start}", *overrides]
    )


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m sim.run`` in a subprocess from the repository root."""
    env = dict(os.environ)
    env.setdefault("OHSIM_CACHE", str(REPO / ".cache"))
    return subprocess.run(
        [sys.executable, "-m", "sim.run", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
