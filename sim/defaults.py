"""The project's default configuration, composed from ``configs/`` without running Hydra's app."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig

from sim.config import ConfigError, SimConfig, register_configs, to_simconfig

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def compose_config(overrides: list[str] | None = None) -> SimConfig:
    """Compose ``configs/config.yaml`` with Hydra-style overrides into a typed SimConfig.

    Example: ``compose_config(["scenario=fast_takedown", "population.n_users=2000"])``.

    Raises:
        ConfigError: a key the schema does not have (with the keys allowed there), a
            platform no group file defines, or a value outside its range.
        hydra.errors.ConfigCompositionException: other composition errors (wrong type,
            unknown group option), with Hydra's message.
    """
    register_configs()
    overrides = list(overrides or [])

    def _compose() -> DictConfig:
        try:
            return compose(config_name="config", overrides=overrides)
        except ConfigCompositionException as err:
            # Hydra's message names the key but not the keys that exist: say which do.
            from sim.overrides import check_overrides

            try:
                check_overrides(overrides)
            except ConfigError as better:
                raise better from err
            raise

    if GlobalHydra.instance().is_initialized():
        cfg = _compose()
    else:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = _compose()
    return to_simconfig(cfg)


def default_config() -> SimConfig:
    """The configuration ``python -m sim.run`` uses with no overrides."""
    return compose_config()
