"""``hydra/sweeper=grouped_validation``: the basic sweeper, validating each batch faster.

Hydra 1.3's basic sweeper checks, before launching a batch, that every job's
configuration can be composed (``Sweeper.validate_batch_is_legal``): it composes each
job's full configuration in the launching process, one after another, while no job runs.
A composition costs about 0.1 s (defaults list, YAML files, the structured schema), so
an 80-run sweep idles both cores for about 8 s; the launcher then composes every job
again where it runs.

This sweeper keeps everything else of the basic sweeper (the cartesian product of the
sweep overrides, ``max_batch_size``, ``params``, job order and numbering) and validates
the same way, but composes once per distinct *structural* override set. Following
Hydra's own split (``hydra._internal.defaults_list.Overrides``), an override is
structural if it chooses a config group option (``scenario=baseline``,
``+experiment=x``, ``~group``, ``group@pkg=x``) or sets a ``hydra.*`` key: these
decide which files make up the configuration. Every other override (``seed=3``,
``population.n_users=5000``, ``+new_key=1``, ``~key``) is applied, with Hydra's own
``ConfigLoaderImpl._apply_overrides_to_config``, to a copy of the composed
configuration, exactly as Hydra applies it after composing. Hydra 1.3's defaults lists
may only interpolate config group choices, never config values, so a value override
cannot change which files compose. A job that the basic sweeper would reject is
rejected here with the same ``ConfigCompositionException`` (or parse error) before any
job starts. ``compare_scenarios`` (8 scenarios x 10 seeds) composes 8 times, not 80.

If the config loader is not Hydra's ``ConfigLoaderImpl`` (no ``repository`` to tell
config groups apart), every job is composed in full, as in the basic sweeper.
"""

import copy
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Dict, Optional  # noqa: UP035 (OmegaConf reads these annotations)

from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig

log = logging.getLogger(__name__)


@dataclass
class GroupedValidationSweeperConf:
    """Same keys as Hydra's ``BasicSweeperConf``.

    No ``from __future__ import annotations`` in this module: Hydra's plugin scan runs it
    without registering it in ``sys.modules``, where ``dataclass`` looks up string
    annotations.
    """

    _target_: str = "hydra_plugins.ohsim.grouped_sweeper.GroupedValidationSweeper"
    max_batch_size: Optional[int] = None  # noqa: UP045
    params: Optional[Dict[str, str]] = None  # noqa: UP006, UP045


ConfigStore.instance().store(
    group="hydra/sweeper",
    name="grouped_validation",
    node=GroupedValidationSweeperConf,
    provider="ohsim",
)


class GroupedValidationSweeper(BasicSweeper):
    """Basic sweeper that composes once per distinct set of config-group choices to validate."""

    compositions: int = 0  # full compositions done by the last validate_batch_is_legal call

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Raise as the basic sweeper would if any job of ``batch`` cannot be composed."""
        assert self.hydra_context is not None
        assert self.config is not None
        loader = self.hydra_context.config_loader
        repo = getattr(loader, "repository", None)
        if not isinstance(loader, ConfigLoaderImpl) or repo is None:
            super().validate_batch_is_legal(batch)
            self.compositions = len(batch)
            return
        tic = time.perf_counter()
        parser = OverridesParser.create()
        composed: dict[tuple[str, ...], DictConfig] = {}
        for overrides in batch:
            structural: list[str] = []
            values: list[Override] = []
            for o in parser.parse_overrides(list(overrides)):
                if is_structural(o, repo):
                    structural.append(o.input_line or "")
                else:
                    values.append(o)
            key = tuple(structural)
            if key not in composed:
                composed[key] = loader.load_sweep_config(
                    master_config=self.config, sweep_overrides=list(structural)
                )
            if values:
                cfg = copy.deepcopy(composed[key])
                ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        self.compositions = len(composed)
        log.debug(
            f"Validated {len(batch)} jobs with {len(composed)} compositions in "
            f"{time.perf_counter() - tic:.2f} s"
        )


def is_structural(override: Override, repo: object) -> bool:
    """True if ``override`` changes which configs compose (a group choice or a hydra key).

    The test for a config group is Hydra's own (``Overrides.__init__`` in
    ``hydra._internal.defaults_list``): the key names an existing group and the value is
    not a dict. Package-qualified overrides (``group@pkg=x``) count as structural too, so
    that a wrong group name fails in the full composition with Hydra's message.
    """
    if override.is_hydra_override() or override.package is not None:
        return True
    return bool(repo.group_exists(override.key_or_group)) and not isinstance(  # type: ignore[attr-defined]
        override.value(), dict
    )
