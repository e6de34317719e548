"""Sweep bookkeeping: which runs a sweep will produce, and which completed or failed.

Hydra 1.3 has no resume and no record of a sweep's expected jobs; this module expands
the sweep's overrides the way the basic sweeper does (so the report can list missing
runs) and, after the sweep, counts complete and failed run folders.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, ClassVar

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from sim.outputs import is_complete

JOB_STARTED: list[float] = []  # perf_counter() when the current job started (in the worker)
# Set by a launcher that knows when its worker picked the job up, before composing its
# configuration (hydra_plugins/ohsim/joblib_launcher.py); consumed by the next job start.
JOB_PICKED_UP: list[float] = []


class SweepBookkeeping(Callback):
    """Writes the list of expected runs before a sweep and reports failures after it."""

    failed: ClassVar[list[str]] = []
    started: ClassVar[float] = 0.0

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Note when this job started, so a run's time includes Hydra's own set-up.

        That is when the worker picked the job up if the launcher says so (before the
        job's configuration was composed), else now (Hydra's job start, after it).
        """
        JOB_STARTED[:] = [JOB_PICKED_UP.pop() if JOB_PICKED_UP else time.perf_counter()]

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Write ``expected_runs.json`` (one entry per job) into the sweep folder."""
        runs = expected_runs(config)
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        (sweep_dir / "expected_runs.json").write_text(json.dumps(runs, indent=1) + "\n")
        SweepBookkeeping.started = time.perf_counter()
        print(f"Sweep of {len(runs)} runs -> {sweep_dir}", flush=True)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Count complete and failed runs; remember failures for the exit code."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        runs = expected_runs(config)
        failed = [r["run_dir"] for r in runs if (sweep_dir / r["run_dir"] / "error.json").is_file()]
        done = sum(is_complete(sweep_dir / r["run_dir"]) for r in runs)
        SweepBookkeeping.failed = failed
        print(
            f"Sweep finished: {done}/{len(runs)} runs complete, {len(failed)} failed -> {sweep_dir}"
        )
        for name in failed:
            print(f"  failed: {name} (see {sweep_dir / name / 'error.json'})")
        wall = time.perf_counter() - SweepBookkeeping.started
        busy = sum(j for r in runs if (j := _job_seconds(sweep_dir / r["run_dir"])) is not None)
        if busy > 0:
            # On a resumed sweep, skipped runs count their original time: compare fresh sweeps.
            print(
                f"Wall {wall:.1f} s for {busy:.1f} s of run time: wall / sum of runs = {wall / busy:.0%}"
            )


def _job_seconds(run_dir: Path) -> float | None:
    try:
        return float(json.loads((run_dir / "metadata.json").read_text())["job_seconds"])
    except (OSError, ValueError, KeyError):
        return None


def expected_runs(config: DictConfig) -> list[dict[str, Any]]:
    """Expand a sweep's overrides the way Hydra's basic sweeper does, naming each job's folder."""
    # Hydra 1.3 exposes these only as internals; pinned (<1.4) in pyproject.toml.
    from hydra._internal.config_loader_impl import get_overrides_dirname
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = config.hydra.sweeper.get("params") or {}
    args = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
    parser = OverridesParser.create()
    batches = BasicSweeper.split_arguments(parser.parse_overrides(args), None)
    dn = config.hydra.job.config.override_dirname
    runs = []
    for batch in batches:
        for job in batch:
            name = get_overrides_dirname(
                parser.parse_overrides(job),
                exclude_keys=list(dn.exclude_keys),
                item_sep=dn.item_sep,
                kv_sep=dn.kv_sep,
            )
            runs.append({"run_dir": name, "overrides": list(job)})
    return runs
