"""The ``grouped_validation`` sweeper plugin: registered, the default, same verdicts as basic.

``hydra_plugins/ohsim`` validates a batch by composing once per distinct set of
config-group choices and applying every other override to a copy of that composition.
It must accept and reject exactly the batches Hydra's basic sweeper accepts and rejects,
with the same exception and message, and reject them before any job runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hydra._internal.callbacks import Callbacks
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, RunMode

from sim.config import register_configs
from sim.defaults import CONFIG_DIR
from tests.helpers import run_cli

TARGET = "hydra_plugins.ohsim.grouped_sweeper.GroupedValidationSweeper"


def _sweeper(choice: str | None) -> Sweeper:
    """A sweeper instantiated the way Hydra does it, for the project's main config."""
    register_configs()  # the structured schema configs/config.yaml starts from
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path(str(CONFIG_DIR)))
    overrides = [] if choice is None else [f"hydra/sweeper={choice}"]
    master = loader.load_configuration("config", overrides, RunMode.MULTIRUN)
    return Plugins.instance().instantiate_sweeper(
        config=master,
        hydra_context=HydraContext(config_loader=loader, callbacks=Callbacks(master)),
        task_function=lambda cfg: None,
    )


def _verdict(sweeper: Sweeper, batch: Sequence[Sequence[str]]) -> tuple[str, str] | None:
    try:
        sweeper.validate_batch_is_legal(batch)
    except Exception as err:
        return type(err).__name__, str(err)
    return None


def test_registered_and_the_default() -> None:
    """Hydra's plugin scan finds it, and configs/config.yaml selects it."""
    names = [p.__name__ for p in Plugins.instance().discover(Sweeper)]
    assert "GroupedValidationSweeper" in names
    sweeper = _sweeper(None)
    assert f"{type(sweeper).__module__}.{type(sweeper).__name__}" == TARGET
    assert sweeper.config.hydra.sweeper._target_ == TARGET


GOOD = [
    ["scenario=baseline", "seed=0"],
    ["scenario=baseline", "seed=1", "+note=a"],
    ["scenario=fast_takedown", "seed=0", "population.n_users=500"],
    ["scenario=fast_takedown", "seed=1", "network=small_world"],
]


@pytest.mark.parametrize(
    "bad_job",
    [
        ["scenario=martial_law", "seed=0"],  # no such option: fails in the composition
        ["scenario=baseline", "seed=abc"],  # wrong type: only the cheap path sees it
        ["scenario=baseline", "population.no_such_key=1"],  # not in the schema
        ["scenario=baseline", "+seed=3"],  # append where a value already is
        ["scenario=baseline", "~population.no_such_key"],  # delete what is not there
        ["scenario=baseline", "nosuchgroup@pkg=x"],  # package override of no group
        ["scenario=baseline", "population.n_users=[1,2"],  # does not parse
    ],
)
def test_rejects_what_basic_rejects(bad_job: list[str]) -> None:
    """A bad job anywhere in the batch fails with the basic sweeper's exception and message."""
    batch = [*GOOD, bad_job]
    basic = _verdict(_sweeper("basic"), batch)
    grouped = _verdict(_sweeper("grouped_validation"), batch)
    assert basic is not None, "the basic sweeper should reject this batch"
    assert grouped == basic


def test_accepts_what_basic_accepts_with_fewer_compositions() -> None:
    """A good batch passes both; the grouped sweeper composes once per group choice set."""
    sweeper = _sweeper("grouped_validation")
    assert _verdict(_sweeper("basic"), GOOD) is None
    assert _verdict(sweeper, GOOD) is None
    # (baseline), (fast_takedown), (fast_takedown, network=small_world)
    assert sweeper.compositions == 3  # type: ignore[attr-defined]


def test_bad_value_in_last_job_fails_the_sweep_before_any_run(tmp_path: Path) -> None:
    """`seed=0,abc`: the sweep exits non-zero at validation and no run starts."""
    sweep = tmp_path / "sweep"
    res = run_cli("-m", "population.n_users=400", "seed=0,abc", f"hydra.sweep.dir={sweep}")
    assert res.returncode != 0
    assert "seed=abc" in res.stderr
    assert not list(sweep.glob("*/.hydra"))


# --- hydra/launcher=joblib_kept_state -------------------------------------------------------

LAUNCHER = "hydra_plugins.ohsim.joblib_launcher.KeptStateJoblibLauncher"


def test_launcher_registered_and_the_default() -> None:
    """Hydra finds the launcher, and configs/config.yaml selects it."""
    from hydra.plugins.launcher import Launcher

    assert "KeptStateJoblibLauncher" in [p.__name__ for p in Plugins.instance().discover(Launcher)]
    assert _sweeper(None).config.hydra.launcher._target_ == LAUNCHER


def test_install_state_rediscovers_plugins_once_per_launch() -> None:
    """First job of a launch: Hydra's set_state; later jobs keep the plugin registry only."""
    from hydra.core.config_store import ConfigStore
    from hydra.core.singleton import Singleton

    from hydra_plugins.ohsim import joblib_launcher as jl

    register_configs()
    saved = Singleton.get_state()
    try:
        assert jl.install_state(Singleton.get_state(), "launch-a") is True
        plugins = Plugins.instance()
        sent = Singleton.get_state()  # a fresh copy, as a job receives it
        assert jl.install_state(sent, "launch-a") is False
        assert Plugins.instance() is plugins  # not re-discovered
        assert ConfigStore.instance() is sent["instances"][ConfigStore]  # the job's own state
        assert jl.install_state(Singleton.get_state(), "launch-b") is True
        assert Plugins.instance() is not plugins
    finally:
        Singleton.set_state(saved)


def test_job_starts_when_the_worker_picked_it_up() -> None:
    """With the default launcher a run's time includes composing its configuration."""
    from omegaconf import OmegaConf

    from sim import sweeps

    cfg = OmegaConf.create({})
    sweeps.JOB_PICKED_UP[:] = [123.0]
    sweeps.SweepBookkeeping().on_job_start(cfg)
    assert sweeps.JOB_STARTED == [123.0] and sweeps.JOB_PICKED_UP == []
    sweeps.SweepBookkeeping().on_job_start(cfg)  # another launcher: Hydra's job start
    assert sweeps.JOB_STARTED[0] > 123.0
