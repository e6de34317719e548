"""``hydra/launcher=joblib_kept_state``: Hydra's joblib launcher without per-job plugin re-discovery.

The joblib launcher (``hydra_plugins.hydra_joblib_launcher``) sends each job Hydra's
global state and installs it with ``Singleton.set_state``, which also re-discovers every
Hydra plugin: it re-imports each module under ``hydra_plugins`` and Hydra's core plugins
(~35 ms a job). Re-importing re-creates the plugins' structured-config classes (e.g. the
launcher's own ``JobLibLauncherConf``), so the job's Hydra config refers to classes
that are no longer the modules' own, and returning the job's result pickles those
classes by value (another ~30-70 ms a job, in the worker and again in the launching
process).

This launcher is the joblib launcher with one change: a worker re-discovers plugins for
the first job of a launch only. For later jobs of the same launch it installs the same
state (config store, resolvers, Hydra's other singletons, freshly sent with the job)
but keeps the plugin registry it already built, as Hydra's basic launcher does when it
runs one job after another in one process. Everything else (composing the job's
configuration in the worker, ``run_job``, logging, the output folders, ``n_jobs`` and
the other joblib keys) is the joblib launcher's ``_core.launch`` and ``execute_job``,
copied from hydra-joblib-launcher 1.2.0 (MIT, Facebook, Inc. and its affiliates).
"""

import copy
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from hydra_plugins.hydra_joblib_launcher import joblib_launcher
from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
from joblib import Parallel, delayed
from omegaconf import DictConfig, open_dict
from omegaconf.basecontainer import BaseContainer

log = logging.getLogger(__name__)

# The launch whose plugin registry this worker process holds (one entry, or none). Kept
# across Hydra's plugin scan, which re-executes this module in place.
_WORKER_LAUNCH: list[str] = globals().get("_WORKER_LAUNCH", [])


@dataclass
class KeptStateJoblibLauncherConf(JobLibLauncherConf):
    """The joblib launcher's keys (``n_jobs``, ``pre_dispatch``, ...), this launcher's target.

    No ``from __future__ import annotations`` in this module: Hydra's plugin scan runs it
    in a way that breaks ``dataclass`` on string annotations.
    """

    _target_: str = "hydra_plugins.ohsim.joblib_launcher.KeptStateJoblibLauncher"


ConfigStore.instance().store(
    group="hydra/launcher",
    name="joblib_kept_state",
    node=KeptStateJoblibLauncherConf,
    provider="ohsim",
)


def install_state(singleton_state: dict[str, Any], launch_id: str) -> bool:
    """Install Hydra's global state sent with a job; True if plugins were re-discovered.

    The first job of a launch in this process does what ``Singleton.set_state`` does;
    later jobs of the same launch keep the ``Plugins`` registry and install the rest.
    """
    if [launch_id] != _WORKER_LAUNCH or Plugins not in Singleton._instances:
        Singleton.set_state(singleton_state)
        _WORKER_LAUNCH[:] = [launch_id]
        return True
    plugins = Singleton._instances[Plugins]
    instances = dict(singleton_state["instances"])
    instances[Plugins] = plugins
    Singleton._instances = instances
    BaseContainer._resolvers = copy.deepcopy(singleton_state["omegaconf_resolvers"])
    return False


def execute_job(
    idx: int,
    overrides: Sequence[str],
    hydra_context: HydraContext,
    config: DictConfig,
    task_function: TaskFunction,
    singleton_state: dict[Any, Any],
    launch_id: str,
) -> JobReturn:
    """The joblib launcher's ``execute_job``, installing state with ``install_state``."""
    setup_globals()
    install_state(singleton_state, launch_id)

    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)

    return run_job(
        hydra_context=hydra_context,
        config=sweep_config,
        task_function=task_function,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


class KeptStateJoblibLauncher(joblib_launcher.JoblibLauncher):
    """Joblib launcher whose workers re-discover Hydra's plugins once per launch, not per job."""

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """As ``hydra_plugins.hydra_joblib_launcher._core.launch``, with this module's job."""
        setup_globals()
        assert self.config is not None
        assert self.task_function is not None
        assert self.hydra_context is not None

        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)

        # Joblib's backend is loky: the threading backend is incompatible with Hydra.
        joblib_cfg = self.joblib
        joblib_cfg["backend"] = "loky"
        process_joblib_cfg(joblib_cfg)

        log.info(
            "Joblib.Parallel({}) is launching {} jobs".format(
                ",".join([f"{k}={v}" for k, v in joblib_cfg.items()]), len(job_overrides)
            )
        )
        log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
        for idx, overrides in enumerate(job_overrides):
            log.info("\t#{} : {}".format(idx, " ".join(filter_overrides(overrides))))

        singleton_state = Singleton.get_state()
        launch_id = uuid.uuid4().hex
        runs = Parallel(**joblib_cfg)(
            delayed(execute_job)(
                initial_job_idx + idx,
                overrides,
                self.hydra_context,
                self.config,
                self.task_function,
                singleton_state,
                launch_id,
            )
            for idx, overrides in enumerate(job_overrides)
        )
        assert isinstance(runs, list)
        for run in runs:
            assert isinstance(run, JobReturn)
        return runs
