"""``hydra/launcher=joblib_kept_state``: the joblib launcher, with workers that keep plugins.

Same keys as ``hydra/launcher=joblib`` (``n_jobs``, ``pre_dispatch``, ``batch_size``, ...),
same jobs, folders and logs. Three things differ:

* **Plugins are discovered once per worker and launch.** Hydra's joblib launcher hands
  every job the launching process's global state through ``Singleton.set_state``, which
  re-imports every Hydra plugin module (~35 ms a job). Re-importing re-creates the
  plugins' structured-config classes, so the job's result then refers to classes that
  are no longer their modules' own and is pickled by value on the way back (another
  ~30-70 ms, in the worker and again in the launching process). Here a worker does that
  for its first job of a launch only; later jobs install the launch's state but keep
  the plugin registry, as the basic launcher does when it runs one job after another
  in one process (:func:`install_state`).
* **The launch's state travels once per worker**, not with every job: it is written to
  a temporary file when the launch starts and read by each worker on its first job
  (:func:`launch_state`); a job carries only its number, overrides and that path.
  Pickling the ~0.1 MB state for every job cost the launching process ~13 ms a job.
* **A job's time starts when the worker picks it up**, before its configuration is
  composed: the worker's clock reading goes to ``sim.sweeps.JOB_PICKED_UP``, from which
  the run's ``job_seconds`` is counted (with another launcher it starts at Hydra's
  ``on_job_start``, after composition). Composing the job's configuration (~0.1 s) is
  then part of the run, and a sweep's "wall / sum of runs" measures the time the cores
  were idle or busy with anything but jobs (docs/sweeps.md).

No ``from __future__ import annotations`` here: Hydra's plugin scan executes this module
in a way that breaks ``dataclass`` on string annotations.
"""

import copy
import logging
import os
import pickle
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
from joblib import Parallel, delayed
from omegaconf import DictConfig, open_dict
from omegaconf.basecontainer import BaseContainer

log = logging.getLogger(__name__)

# The launch whose plugin registry this worker process holds (one entry, or none). Kept
# across Hydra's plugin scan, which re-executes this module in place.
_WORKER_LAUNCH: list[str] = globals().get("_WORKER_LAUNCH", [])
_WORKER_STATE: dict[str, Any] = globals().get("_WORKER_STATE", {})


@dataclass
class KeptStateJoblibLauncherConf(JobLibLauncherConf):
    """The joblib launcher's keys, pointing at :class:`KeptStateJoblibLauncher`."""

    _target_: str = "hydra_plugins.ohsim.joblib_launcher.KeptStateJoblibLauncher"


ConfigStore.instance().store(
    group="hydra/launcher",
    name="joblib_kept_state",
    node=KeptStateJoblibLauncherConf,
    provider="ohsim",
)


@dataclass
class LaunchState:
    """What every job of one launch shares (~0.1 MB pickled; one file per launch)."""

    launch_id: str
    hydra_context: HydraContext
    config: DictConfig
    task_function: TaskFunction
    singleton_state: dict[Any, Any]


def install_state(singleton_state: dict[str, Any], launch_id: str) -> bool:
    """Install the launch's Hydra global state for a job; True if plugins were re-discovered.

    The first job of a launch in this process does what ``Singleton.set_state`` does;
    later jobs of the same launch keep the ``Plugins`` registry and install the rest.
    """
    if [launch_id] != _WORKER_LAUNCH or Plugins not in Singleton._instances:
        Singleton.set_state(singleton_state)
        _WORKER_LAUNCH[:] = [launch_id]
        return True
    instances = dict(singleton_state["instances"])
    instances[Plugins] = Singleton._instances[Plugins]
    Singleton._instances = instances
    BaseContainer._resolvers = copy.deepcopy(singleton_state["omegaconf_resolvers"])
    return False


def job_config(state: LaunchState, idx: int, overrides: Sequence[str]) -> DictConfig:
    """The job's configuration: the launch's config with the job's overrides, numbered."""
    cfg = state.hydra_context.config_loader.load_sweep_config(state.config, list(overrides))
    with open_dict(cfg):
        cfg.hydra.job.num = idx
        cfg.hydra.job.id = f"{cfg.hydra.job.name}_{idx}"
    return cfg


def launch_state(path: str) -> LaunchState:
    """The launch's shared state, read from ``path`` once per worker and launch."""
    if _WORKER_STATE.get("path") != path:
        with open(path, "rb") as f:
            _WORKER_STATE.clear()
            _WORKER_STATE.update(path=path, state=pickle.load(f))
    return _WORKER_STATE["state"]


def run_in_worker(idx: int, overrides: Sequence[str], state_path: str) -> JobReturn:
    """One job in a worker process: install state, compose, run (Hydra's ``run_job``)."""
    from sim.sweeps import JOB_PICKED_UP

    JOB_PICKED_UP[:] = [time.perf_counter()]
    state = launch_state(state_path)
    setup_globals()
    install_state(state.singleton_state, state.launch_id)
    cfg = job_config(state, idx, overrides)
    HydraConfig.instance().set_config(cfg)
    return run_job(
        hydra_context=state.hydra_context,
        config=cfg,
        task_function=state.task_function,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


class KeptStateJoblibLauncher(JoblibLauncher):
    """Joblib launcher whose workers keep Hydra's plugin registry between jobs of a launch."""

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """Run the jobs on a loky pool (``self.joblib`` holds the joblib keys)."""
        if self.config is None or self.task_function is None or self.hydra_context is None:
            raise RuntimeError("KeptStateJoblibLauncher.launch called before setup")
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        options = dict(self.joblib)
        options["backend"] = "loky"  # Hydra's state does not survive the threading backend
        process_joblib_cfg(options)
        log.info(f"Launching {len(job_overrides)} jobs on {options.get('n_jobs')} joblib workers")
        log.debug(f"joblib.Parallel options: {options}")
        for i, overrides in enumerate(job_overrides):
            log.info(f"\t#{initial_job_idx + i} : {' '.join(filter_overrides(overrides))}")
        state = LaunchState(
            launch_id=uuid.uuid4().hex,
            hydra_context=self.hydra_context,
            config=self.config,
            task_function=self.task_function,
            singleton_state=Singleton.get_state(),
        )
        with tempfile.TemporaryDirectory(prefix="ohsim-launch-") as tmp:
            state_path = os.path.join(tmp, "state.pkl")
            with open(state_path, "wb") as f:
                cloudpickle.dump(state, f)
            jobs = (
                delayed(run_in_worker)(initial_job_idx + i, list(o), state_path)
                for i, o in enumerate(job_overrides)
            )
            returns = list(Parallel(**options)(jobs))
        if not all(isinstance(r, JobReturn) for r in returns):
            raise TypeError("a joblib worker returned something other than a JobReturn")
        return returns
