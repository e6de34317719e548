"""Pluggable decision rules, selected by name in the configuration.

Four kinds of behaviour can be swapped without touching the engine:

* ``platform``  – how a platform chooses its moderation effort (``platforms.<name>.strategy``)
* ``targeting`` – how the regulator picks whom to investigate (``regulator.targeting``)
* ``abuser``    – how abusers decide to offend (``abusers.rule``)
* ``justice``   – how police and courts process reports (``justice.rule``)

A class joins the allowlist by being decorated with :func:`register` inside a module of
this package; every module here is imported when the package is. Configuration values
are only ever *names* looked up in this registry, so a config file cannot import or run
arbitrary code. See ``docs/extending.md`` for a worked example.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.config import SimConfig

KINDS = ("platform", "targeting", "abuser", "justice")
_REGISTRY: dict[str, dict[str, type]] = {kind: {} for kind in KINDS}


def register(kind: str, name: str) -> Callable[[type], type]:
    """Class decorator adding a behaviour to the allowlist under ``name``."""
    if kind not in _REGISTRY:
        raise ValueError(f"unknown behaviour kind {kind!r}; known: {', '.join(KINDS)}")

    def deco(cls: type) -> type:
        existing = _REGISTRY[kind].get(name)
        if existing is not None and existing is not cls:
            raise ValueError(f"{kind} behaviour {name!r} is already registered by {existing}")
        _REGISTRY[kind][name] = cls
        cls.behaviour_name = name
        return cls

    return deco


def available(kind: str) -> list[str]:
    """Names registered for one kind of behaviour, sorted."""
    return sorted(_REGISTRY[kind])


def create(kind: str, name: str, key: str, params: dict[str, Any] | None = None) -> Any:
    """Instantiate the behaviour ``name`` with its parameters, with errors naming ``key``."""
    from sim.config import ConfigError

    cls = _REGISTRY[kind].get(name)
    if cls is None:
        raise ConfigError(
            f"{key}={name!r} is not allowed: choose one of {', '.join(available(kind))}"
        )
    params = dict(params or {})
    try:
        return cls(**params)
    except TypeError as err:
        raise ConfigError(f"{key}_params={params!r} is not allowed for {name!r}: {err}") from err


def check_strategy_names(cfg: SimConfig) -> None:
    """Fail early, before any simulation, if a behaviour name or its parameters are wrong."""
    for pname, pc in cfg.platforms.items():
        create("platform", pc.strategy, f"platforms.{pname}.strategy", pc.strategy_params)
    create(
        "targeting", cfg.regulator.targeting, "regulator.targeting", cfg.regulator.targeting_params
    )
    create("abuser", cfg.abusers.rule, "abusers.rule", cfg.abusers.rule_params)
    create("justice", cfg.justice.rule, "justice.rule", cfg.justice.rule_params)


def _import_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")


_import_all()
