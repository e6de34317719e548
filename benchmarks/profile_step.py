"""Where a day of the engine goes: seconds per day for each process of ``HarmModel.step``.

``python -m benchmarks.profile_step --users 1000000 --days 30`` builds a model, runs a
few warm-up days (so the items and shares tables are not empty), then times every
process called in ``HarmModel.step`` for ``--days`` days and prints seconds per day per
process. The processes are read from the source of ``HarmModel.step`` (calls of the form
``self.name(...)`` or ``self.name.step()``), so the list follows the schedule if it
changes. ``--top N`` adds a cProfile listing of the N functions with the most own time,
which names the lines inside a slow process (cProfile slows the run by ~1.5-2x, so the
per-process table is timed in a separate pass without it).

``--core`` profiles the restricted daily core that the per-agent Mesa baseline also runs
(``benchmarks/core.py``), where the speed ratio of issue 4 is measured.

By default the policy starts on day 0 (``scenario=baseline``), so the regulated world is
profiled: the regulator, platforms' reviews and the takedown duty are all active.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import inspect
import io
import pstats
import tempfile
import textwrap
import time
from collections.abc import Callable
from typing import Any

from benchmarks.core import core_overrides
from sim.defaults import compose_config
from sim.model import HarmModel


def step_phases() -> list[str]:
    """Dotted names of the processes ``HarmModel.step`` calls, in order (e.g. ``justice.step``).

    A process is a top-level statement of ``step`` that calls a method of the model or
    of one of its attributes (``self.name(...)``, ``x = self.name(...)``,
    ``self.justice.step()``); loops and other statements (daily resets) are not processes.
    """
    func = ast.parse(textwrap.dedent(inspect.getsource(HarmModel.step))).body[0]
    assert isinstance(func, ast.FunctionDef)
    names: list[str] = []
    for stmt in func.body:
        call = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if not isinstance(call, ast.Call):
            continue
        parts: list[str] = []
        f: ast.expr = call.func
        while isinstance(f, ast.Attribute):
            parts.append(f.attr)
            f = f.value
        if isinstance(f, ast.Name) and f.id == "self" and parts:
            names.append(".".join(reversed(parts)))
    return names


class PhaseTimer:
    """Wraps each process of one model instance with a wall-clock timer.

    The wrappers are set as instance attributes (``model.post_harmful_items``, or
    ``model.justice.step`` on the agent), which shadow the class methods for that
    instance only; nothing in ``sim/`` is modified.
    """

    def __init__(self, model: HarmModel, phases: list[str]) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(phases, 0.0)
        self.calls: dict[str, int] = dict.fromkeys(phases, 0)
        for name in phases:
            *path, attr = name.split(".")
            owner: Any = model
            for p in path:
                owner = getattr(owner, p)
            setattr(owner, attr, self._wrap(name, getattr(owner, attr)))

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - t0
                self.calls[name] += 1

        return timed


def build(users: int, days: int, warmup: int, policy_start_day: int, extra: list[str]) -> HarmModel:
    """A model with a cold, temporary network cache (the build is not what is profiled)."""
    with tempfile.TemporaryDirectory() as cache:
        cfg = compose_config(
            [
                f"population.n_users={users}",
                f"days={warmup + days}",
                f"policy_start_day={policy_start_day}",
                f"network_cache_dir={cache}",
                *extra,
            ]
        )
        return HarmModel(cfg)


def profile(
    users: int,
    days: int,
    warmup: int = 5,
    policy_start_day: int = 0,
    extra: list[str] | None = None,
    top: int = 0,
) -> dict[str, Any]:
    """Time each process over ``days`` days after ``warmup`` days.

    Returns:
        ``{"phases": {name: seconds per day}, "step_s_per_day": ..., "other_s_per_day":
        ..., "cprofile": text or ""}``; ``other`` is step time outside the named
        processes (day counter, resets, Mesa's event loop).
    """
    extra = list(extra or [])
    phases = step_phases()
    model = build(users, days, warmup, policy_start_day, extra)
    model.run_for(warmup)
    timer = PhaseTimer(model, phases)
    t0 = time.perf_counter()
    model.run_for(days)
    total = time.perf_counter() - t0
    per_day = {k: v / days for k, v in timer.seconds.items()}
    text = ""
    if top > 0:
        model = build(users, days, warmup, policy_start_day, extra)
        model.run_for(warmup)
        prof = cProfile.Profile()
        prof.enable()
        model.run_for(days)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
        text = buf.getvalue()
    return {
        "users": users,
        "edges": int(model.adj.nnz // 2),
        "days": days,
        "warmup_days": warmup,
        "policy_start_day": policy_start_day,
        "phases": per_day,
        "step_s_per_day": total / days,
        "other_s_per_day": total / days - sum(per_day.values()),
        "cprofile": text,
    }


def format_profile(res: dict[str, Any]) -> str:
    """Per-process seconds per day, largest first, with shares of the step."""
    total = res["step_s_per_day"]
    lines = [
        f"HarmModel.step at {res['users']:,} users ({res['edges']:,} edges), {res['days']} days "
        f"after {res['warmup_days']} warm-up days; policy from day {res['policy_start_day']}",
        f"{'process':<34}{'s/day':>10}{'ms/day':>10}{'share':>8}",
    ]
    rows = sorted(res["phases"].items(), key=lambda kv: -kv[1])
    rows.append(("(other: loop, resets)", res["other_s_per_day"]))
    for name, s in rows:
        lines.append(f"{name:<34}{s:>10.4f}{1e3 * s:>10.2f}{s / total:>8.1%}")
    lines.append(f"{'step total':<34}{total:>10.4f}{1e3 * total:>10.2f}{1:>8.0%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=30, help="days timed")
    ap.add_argument("--warmup", type=int, default=5, help="days run before timing")
    ap.add_argument(
        "--policy-start-day", type=int, default=0, help="0: profile the regulated world"
    )
    ap.add_argument("--top", type=int, default=0, help="also list the N functions by own time")
    ap.add_argument(
        "--core",
        action="store_true",
        help="profile the restricted core the Mesa baseline runs (benchmarks/core.py)",
    )
    ap.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. scenario=fast_takedown")
    args = ap.parse_args(argv)
    overrides = list(args.overrides)
    if args.core:
        overrides = [*core_overrides(), *overrides]
    res = profile(args.users, args.days, args.warmup, args.policy_start_day, overrides, args.top)
    print(format_profile(res))
    if res["cprofile"]:
        print()
        print(res["cprofile"])


if __name__ == "__main__":
    main()
