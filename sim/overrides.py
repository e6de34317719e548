"""Command-line overrides checked against the schema, so a typo names what is allowed.

Hydra refuses an override whose key is not in the schema (``population.n_usres=5``) or
names a platform no group file defines (``+platforms.newsite.reach=0.5``), but its
message names neither the keys that exist nor the closest one, and it suggests a ``+``
that is then refused. :func:`check_overrides` walks each override's key through
:class:`sim.config.SimConfig` and raises a :class:`~sim.config.ConfigError` naming the
key, the value, the keys allowed there and the closest match. It reads overrides with
Hydra's own parser, so sweeps (``-m key=a,b``, ``range(...)``) are checked by key, once.

It runs before Hydra: in ``python -m sim.run`` (whose task function Hydra never
reaches when composition fails), and in :func:`sim.defaults.compose_config` when
Hydra's composition fails. It only reads names; it never imports or runs a value.
"""

from __future__ import annotations

import contextlib
import dataclasses
import typing
from collections.abc import Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, ValueType
from hydra.errors import HydraException

from sim.config import ConfigError, PlatformConfig, SimConfig, unknown_key_error
from sim.defaults import CONFIG_DIR


def config_groups() -> list[str]:
    """Names of the config groups under ``configs/`` (e.g. scenario, network, platforms)."""
    return sorted(p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name != "hydra")


def group_options(group: str) -> list[str]:
    """The option files of one config group (``configs/<group>/*.yaml``), without suffix."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def _value_text(o: Override) -> str:
    """The value as the message shows it: repr of a single value, the text of a sweep."""
    if o.is_sweep_override() or o.input_line is None:
        return (o.input_line or "").split("=", 1)[-1]
    return repr(o.value())


def _choices(o: Override) -> list[str]:
    """Options of a group override (one, or each of a choice sweep)."""
    if o.value_type in (ValueType.CHOICE_SWEEP, ValueType.SIMPLE_CHOICE_SWEEP):
        return [str(v) for v in o.sweep_string_iterator()]
    if o.is_sweep_override():
        return []
    return [str(o.value())]


def _compose_groups(parsed: list[Override]) -> list[Any]:
    """Compose the config for each choice of the groups that define platforms.

    Returns the composed configs (Hydra's own config included, for an experiment's sweep
    parameters); an empty list if composition fails for a reason Hydra will report.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.config import register_configs

    fixed = [o.input_line for o in parsed if o.key_or_group.startswith("hydra.searchpath")]
    fixed += [o.input_line for o in parsed if o.key_or_group == "experiment"]
    variants: list[list[str]] = [[]]
    for o in parsed:
        if o.key_or_group == "platforms" and not o.is_delete():
            prefix = "+" if o.is_add() else ""
            variants = [[f"{prefix}platforms={c}"] for c in _choices(o)] or [[]]
    register_configs()
    out = []

    def run() -> None:
        for v in variants:
            out.append(
                compose(
                    config_name="config",
                    overrides=[x for x in fixed + v if x],
                    return_hydra_config=True,
                )
            )

    try:
        if GlobalHydra.instance().is_initialized():
            run()
        else:
            with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
                run()
    except (HydraException, ValueError, KeyError):
        return []
    return out


def check_overrides(overrides: Sequence[str], config_dir: str | None = None) -> None:
    """Refuse overrides whose key the schema does not have, naming the allowed keys.

    Group choices (``scenario=...``), Hydra's own keys (``hydra.*``, ``hydra/...``) and
    deletions are left to Hydra, whose messages for those already list the options.
    Keys under a parameter dictionary (``*_params``) are checked later against the
    behaviour's signature (:func:`sim.behaviours.create`). With an extra config
    directory (``config_dir``, from ``--config-dir``, or a ``hydra.searchpath``
    override), groups may exist that are not under ``configs/``: a top-level name the
    schema lacks is then left to Hydra. Platform names are checked by composing the
    chosen platforms file (with the search path), but not with ``config_dir``.

    Raises:
        ConfigError: naming the key, the value, the keys allowed there and the closest.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException:
        return  # a syntax error: Hydra's parser message points at the character
    groups = config_groups()
    searchpath = config_dir is not None or any(
        o.key_or_group.startswith("hydra.searchpath") for o in parsed
    )
    composed: list[Any] | None = None

    def lazily_composed() -> list[Any]:
        nonlocal composed
        if composed is None:
            composed = [] if config_dir is not None else _compose_groups(parsed)
        return composed

    to_check = [o for o in parsed if not _skip(o, groups, searchpath)]
    if any(o.key_or_group == "experiment" for o in parsed):
        # An experiment's sweep parameters are overrides too, applied by the sweeper.
        extra = []
        for cfg in lazily_composed():
            params = cfg.hydra.sweeper.get("params") or {}
            extra += [f"{k}={v}" for k, v in params.items()]
        with contextlib.suppress(HydraException):  # a syntax error: Hydra reports it
            to_check += [
                o
                for o in OverridesParser.create().parse_overrides(extra)
                if not _skip(o, groups, searchpath)
            ]
    if not to_check:
        return

    def platform_names() -> set[str] | None:
        cfgs = lazily_composed()
        if not cfgs:
            return None
        return {str(name) for cfg in cfgs for name in (cfg.get("platforms") or {})}

    for o in to_check:
        _check_key(o, platform_names)


def _skip(o: Override, groups: list[str], searchpath: bool) -> bool:
    key = o.key_or_group
    if o.is_delete() or o.package is not None or "/" in key:
        return True
    if key == "hydra" or key.startswith("hydra."):
        return True
    if "." not in key and (key in groups or searchpath):
        # A group choice; with an extra search path, groups may exist that we cannot list.
        fields = {f.name for f in dataclasses.fields(SimConfig)}
        return key in groups or key not in fields
    return False


def _check_key(o: Override, platform_names: typing.Callable[[], set[str] | None]) -> None:
    """Walk ``o``'s dotted key through the schema; raise on the first unknown part."""
    parts = o.key_or_group.split(".")
    value = _value_text(o)
    full = o.key_or_group
    cls: type = SimConfig
    i = 0
    while i < len(parts):
        seg = parts[i]
        hints = typing.get_type_hints(cls)
        fields = [f.name for f in dataclasses.fields(cls)]
        prefix = ".".join(parts[:i])
        if seg not in fields:
            raise unknown_key_error(full, value, fields, prefix=prefix, part=seg)
        hint = hints[seg]
        if dataclasses.is_dataclass(hint):
            cls = hint  # type: ignore[assignment]
            i += 1
            continue
        if typing.get_origin(hint) is dict and typing.get_args(hint)[1] is PlatformConfig:
            if i + 1 >= len(parts):
                return  # platforms=... as a value: Hydra's type check names it
            name = parts[i + 1]
            names = platform_names()
            if names is not None and name not in names:
                raise unknown_platform_error(full, value, name, names)
            cls = PlatformConfig
            i += 2
            continue
        return  # a leaf or a parameter dictionary: checked by type, range and signature


def unknown_platform_error(key: str, value: str, name: str, names: set[str]) -> ConfigError:
    """The error for a platform that no ``configs/platforms`` file defines."""
    import difflib

    known = sorted(names)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; closest match: platforms.{close[0]}" if close else ""
    files = ", ".join(group_options("platforms"))
    return ConfigError(
        f"{key}={value} is not allowed: unknown platform {name!r} (platforms defined: "
        f"{', '.join(known)}{hint}). Platforms are defined in the configs/platforms/*.yaml "
        f"group files ({files}; choose one with platforms=<file>); to add a platform, write "
        "a new file there (e.g. starting from uk_market.yaml) and select it"
    )
