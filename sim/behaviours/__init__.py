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

import difflib
import importlib
import inspect
import math
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


def parameters(cls: type) -> list[str]:
    """Names of the keyword parameters a behaviour class accepts (its ``__init__``)."""
    sig = inspect.signature(cls)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in sig.parameters.values() if p.kind in kinds]


def create(kind: str, name: str, key: str, params: dict[str, Any] | None = None) -> Any:
    """Instantiate the behaviour ``name`` with its parameters, with errors naming ``key``.

    ``key`` is the config key of the name (``platforms.mega.strategy``); its parameters
    are at ``key + "_params"``. Unknown parameters are refused with the ones the class
    accepts; non-finite values and the class's own range checks (``ValueError``) are
    refused naming the key.
    """
    from sim.config import ConfigError

    cls = _REGISTRY[kind].get(name)
    if cls is None:
        raise ConfigError(
            f"{key}={name!r} is not allowed: choose one of {', '.join(available(kind))}"
        )
    params = dict(params or {})
    accepted = parameters(cls)
    for pname, value in params.items():
        if pname not in accepted:
            allowed = (
                f"parameters of {name!r}: {', '.join(accepted)}"
                if accepted
                else f"{name!r} takes no parameters"
            )
            close = difflib.get_close_matches(pname, accepted, n=1)
            hint = f"; closest match: {key}_params.{close[0]}" if close else ""
            raise ConfigError(
                f"{key}_params.{pname}={value!r} is not allowed: unknown parameter "
                f"({allowed}){hint}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(
                f"{key}_params.{pname}={value!r} is not allowed: must be a finite number"
            )
    try:
        return cls(**params)
    except (TypeError, ValueError) as err:
        # Name the one parameter the class complained about when its message says which.
        culprit = [p for p in params if str(err).startswith(f"{p}=")]
        what = f"{key}_params.{culprit[0]}={params[culprit[0]]!r}" if culprit else None
        what = what or f"{key}_params={params!r}"
        raise ConfigError(f"{what} is not allowed for {name!r}: {err}") from err


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
