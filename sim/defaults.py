"""The project's default configuration, composed from ``configs/`` without running Hydra's app."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim.config import SimConfig, register_configs, to_simconfig

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def compose_config(overrides: list[str] | None = None) -> SimConfig:
    """Compose ``configs/config.yaml`` with Hydra-style overrides into a typed SimConfig.

    Example: ``compose_config(["scenario=fast_takedown", "population.n_users=2000"])``.
    """
    register_configs()
    overrides = list(overrides or [])
    if GlobalHydra.instance().is_initialized():
        cfg = compose(config_name="config", overrides=overrides)
    else:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
    return to_simconfig(cfg)


def default_config() -> SimConfig:
    """The configuration ``python -m sim.run`` uses with no overrides."""
    return compose_config()
