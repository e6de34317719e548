"""The benchmark suite: ``python -m benchmarks.run [--quick] [--sizes ...] [--days N]``.

It measures, on this machine:

1. **Scaling.** For each size, in a fresh process (``benchmarks.one``) so memory peaks
   do not mix: users, edges, days, wall seconds of the network build (cold: a new
   temporary cache) and of the simulation, simulated days per second, seconds per day
   and peak resident memory. Then the log-log slope of seconds per simulated day
   against users + edges from the smallest to the largest size (flagged if > 1.15:
   the daily step should cost about linearly in the size of the population and graph).
2. **The acceptance run.** The exact command
   ``python -m sim.run population.n_users=1000000 days=365 scenario=baseline``, timed as a
   whole subprocess (interpreter start, imports, Hydra, network build with a cold cache,
   365 days, writing the run folder), with its peak resident memory from ``wait4``.
   Targets: <= 120 s wall and <= 4 GB. It runs in a scratch working directory so its
   run folder does not land in ``results/``.
3. **The scenario sweep.** ``make run``'s sweep (``+experiment=compare_scenarios``, 80
   runs at the default size, one joblib worker per core) into a scratch folder: wall
   time / sum of the runs' times (target <= 60% on 2 cores; ideal 1/cores) and where
   the rest goes (``benchmarks.sweep``).
4. **The per-agent Mesa baseline.** ``benchmarks.mesa_baseline`` at the given sizes:
   both programs on identical inputs, the speed ratio (seconds per simulated day,
   baseline / engine; target >= 50x) and the core indicators side by side.

Prints readable tables and writes everything to ``benchmarks/results/bench-<UTC
timestamp>.json`` (git-ignored). ``--quick`` (10,000 and 50,000 users, 60 days, the
baseline at 10,000 users, no acceptance run, no sweep) takes well under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.machine import REPO, describe_machine, format_machine, load_average
from benchmarks.sweep import SWEEP_RATIO_LIMIT, format_sweeps, measure_sweep

RESULTS = REPO / "benchmarks" / "results"
ACCEPTANCE_CMD = ("-m", "sim.run", "population.n_users=1000000", "days=365", "scenario=baseline")
ACCEPTANCE_WALL_S = 120.0
ACCEPTANCE_RSS_BYTES = 4e9  # 4 GB
SLOPE_LIMIT = 1.15


@dataclass
class ChildResult:
    """A finished subprocess: exit code, wall and CPU seconds, peak RSS (MB) and its output."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_child(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> ChildResult:
    """Run ``python <args>`` and measure it as a whole.

    Peak memory comes from ``os.wait4``, i.e. the rusage of this one child (and any
    processes it waited for), not a maximum over every child this process ever had.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return ChildResult(
            proc.returncode, wall, cpu, usage.ru_maxrss / 1024.0, out.read(), err.read()
        )


def last_json_line(text: str) -> dict[str, Any]:
    """The last line of ``text`` that parses as a JSON object."""
    for line in reversed(text.strip().splitlines()):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            return obj
    raise ValueError(f"no JSON result in output:\n{text[-2000:]}")


def child_env(**extra: str) -> dict[str, str]:
    """This environment, with the repository importable and any extra variables."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


# --- 1. scaling -----------------------------------------------------------------------------


def measure_size(users: int, days: int, repeats: int = 1) -> dict[str, Any]:
    """One size, each repeat in a fresh process (``benchmarks.one``).

    With several repeats the fastest simulation is kept (other work on the machine only
    adds time) and the largest memory peak is reported.
    """
    runs = []
    for _ in range(max(1, repeats)):
        load = load_average()[0]
        res = run_child(
            ["-m", "benchmarks.one", "--users", str(users), "--days", str(days)],
            REPO,
            child_env(),
        )
        if res.returncode != 0:
            raise RuntimeError(f"benchmarks.one --users {users} failed:\n{res.stderr[-3000:]}")
        out = last_json_line(res.stdout)
        out["process_wall_s"] = res.wall_s
        out["load_average_before"] = load
        runs.append(out)
    best = dict(min(runs, key=lambda r: r["s_per_day"]))
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    best["repeats"] = len(runs)
    best["s_per_day_all"] = [r["s_per_day"] for r in runs]
    return best


def loglog_slope(rows: list[dict[str, Any]]) -> float:
    """Slope of log(seconds per day) against log(users + edges), smallest to largest size."""
    lo, hi = rows[0], rows[-1]
    x0, x1 = lo["users"] + lo["edges"], hi["users"] + hi["edges"]
    if x1 == x0:
        return math.nan
    return math.log(hi["s_per_day"] / lo["s_per_day"]) / math.log(x1 / x0)


def format_sizes(rows: list[dict[str, Any]]) -> str:
    """The scaling table."""
    head = (
        f"{'users':>10}{'edges':>12}{'days':>6}{'kernels s':>10}{'net build s':>12}{'setup s':>9}"
        f"{'simulate s':>12}{'s/day':>10}{'CPU s/day':>11}{'days/s':>9}{'peak RSS MB':>13}"
        f"{'load':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['users']:>10,}{r['edges']:>12,}{r['days']:>6}{r.get('kernels_load_s', 0.0):>10.2f}"
            f"{r['network_build_s']:>12.2f}"
            f"{r['model_setup_s']:>9.2f}{r['simulate_s']:>12.2f}{r['s_per_day']:>10.4f}"
            f"{r['cpu_s_per_day']:>11.4f}{r['days_per_s']:>9.1f}{r['peak_rss_mb']:>13,.0f}"
            f"{r['load_average_before']:>6.1f}"
        )
    return "\n".join(lines)


# --- 2. the acceptance command ----------------------------------------------------------------


def measure_acceptance() -> dict[str, Any]:
    """Time ``python -m sim.run population.n_users=1000000 days=365 scenario=baseline``.

    Cold network cache (a new ``OHSIM_CACHE``), scratch working directory (Hydra writes
    the run folder under it and it is deleted afterwards).
    """
    load = load_average()[0]
    with tempfile.TemporaryDirectory() as scratch:
        env = child_env(OHSIM_CACHE=str(Path(scratch) / "cache"))
        res = run_child(list(ACCEPTANCE_CMD), Path(scratch), env)
    rss_bytes = res.peak_rss_mb * 2**20
    return {
        "command": "python " + " ".join(ACCEPTANCE_CMD),
        "returncode": res.returncode,
        "wall_s": res.wall_s,
        "cpu_s": res.cpu_s,
        "peak_rss_mb": res.peak_rss_mb,
        "peak_rss_gb": rss_bytes / 1e9,
        "wall_ok": res.returncode == 0 and res.wall_s <= ACCEPTANCE_WALL_S,
        "rss_ok": res.returncode == 0 and rss_bytes <= ACCEPTANCE_RSS_BYTES,
        "stderr_tail": res.stderr[-2000:] if res.returncode else "",
        "load_average_before": load,
    }


# --- 3. the Mesa baseline ---------------------------------------------------------------------


def measure_baseline(users: int, days: int) -> dict[str, Any]:
    """Engine vs per-agent baseline at one size, in a fresh process."""
    load = load_average()[0]
    res = run_child(
        ["-m", "benchmarks.mesa_baseline", "--users", str(users), "--days", str(days), "--json"],
        REPO,
        child_env(),
    )
    if res.returncode != 0:
        raise RuntimeError(
            f"benchmarks.mesa_baseline --users {users} failed:\n{res.stderr[-3000:]}"
        )
    out = last_json_line(res.stdout)
    out["peak_rss_mb"] = res.peak_rss_mb
    out["load_average_before"] = load
    return out


def format_baselines(rows: list[dict[str, Any]]) -> str:
    """Speed ratio and core indicators of engine (E) and baseline (B) per size."""
    head = (
        f"{'users':>9}{'days':>6}{'engine s/day':>14}{'Mesa s/day':>12}{'ratio':>8}"
        f"{'B setup s':>11}  {'items/day E|B':>15}{'views/10k E|B':>15}"
        f"{'removed E|B':>14}{'median h E|B':>15}{'load':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        e, b = r["engine"], r["baseline"]
        lines.append(
            f"{r['users']:>9,}{r['days']:>6}{r['engine_s_per_day']:>14.5f}"
            f"{r['baseline_s_per_day']:>12.4f}{r['ratio']:>7.1f}x{r['baseline_setup_s']:>11.1f}  "
            f"{e['items_per_day']:>7.1f}|{b['items_per_day']:<7.1f}"
            f"{e['harmful_views_per_10k']:>7.2f}|{b['harmful_views_per_10k']:<7.2f}"
            f"{e['share_removed']:>6.3f}|{b['share_removed']:<7.3f}"
            f"{e['median_takedown_hours']:>7.1f}|{b['median_takedown_hours']:<7.1f}"
            f"{r['load_average_before']:>6.1f}"
        )
    return "\n".join(lines)


def _loads(record: dict[str, Any]) -> list[float]:
    """Load averages recorded before each measurement."""
    rows = [*record.get("sizes", []), *record.get("baseline", [])]
    if "acceptance" in record:
        rows.append(record["acceptance"])
    rows.extend(record.get("sweep", []))
    return [float(r["load_average_before"]) for r in rows if "load_average_before" in r]


# --- command line -----------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    """'10000,100000' -> [10000, 100000] (underscores allowed)."""
    return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> None:
    """Run the suite, print the tables and write the JSON record."""
    ap = argparse.ArgumentParser(description="ohsim performance benchmarks")
    ap.add_argument("--quick", action="store_true", help="10k and 50k users, 60 days, < 1 min")
    ap.add_argument("--sizes", type=parse_sizes, help="users per size, e.g. 10000,100000,1000000")
    ap.add_argument("--days", type=int, help="days simulated at every size (default 365)")
    ap.add_argument(
        "--baseline-sizes",
        type=parse_sizes,
        help="sizes for the Mesa baseline (default 10000,100000)",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="fresh-process repeats (best kept) for sizes up to 200,000 users; larger run once",
    )
    ap.add_argument("--baseline-days", type=int, default=60)
    ap.add_argument("--no-baseline", action="store_true", help="skip the Mesa baseline")
    ap.add_argument("--no-acceptance", action="store_true", help="skip the 1M x 365 CLI run")
    ap.add_argument("--no-sweep", action="store_true", help="skip the compare_scenarios sweep")
    ap.add_argument(
        "--sweep-repeats", type=int, default=1, help="times to run the sweep (each ~1-2 min)"
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON record")
    args = ap.parse_args(argv)

    sizes = args.sizes or ([10_000, 50_000] if args.quick else [10_000, 100_000, 1_000_000])
    days = args.days or (60 if args.quick else 365)
    baseline_sizes = args.baseline_sizes or ([10_000] if args.quick else [10_000, 100_000])
    run_acceptance = not (args.quick or args.no_acceptance)
    run_sweep = not (args.quick or args.no_sweep)

    machine = describe_machine()
    print(f"Machine: {format_machine(machine)}\n", flush=True)
    record: dict[str, Any] = {
        "machine": machine,
        "args": {k: str(v) for k, v in vars(args).items()},
    }

    rows = []
    for n in sorted(sizes):
        print(f"  measuring {n:,} users x {days} days ...", flush=True)
        rows.append(measure_size(n, days, args.repeats if n <= 200_000 else 1))
    record["sizes"] = rows
    print("\nScaling (each size in a fresh process; network build cold)")
    print(format_sizes(rows))
    if len(rows) >= 2:
        slope = loglog_slope(rows)
        record["slope"] = {
            "value": slope,
            "limit": SLOPE_LIMIT,
            "ok": slope <= SLOPE_LIMIT,
            "definition": "d log(s per simulated day) / d log(users + edges), smallest to largest",
        }
        flag = "OK" if slope <= SLOPE_LIMIT else "ABOVE LIMIT"
        print(
            f"log-log slope of s/day vs users+edges ({rows[0]['users']:,} -> "
            f"{rows[-1]['users']:,}): {slope:.3f} (limit {SLOPE_LIMIT}: {flag})"
        )

    if run_acceptance:
        print("\n  running the acceptance command (cold cache) ...", flush=True)
        acc = measure_acceptance()
        record["acceptance"] = acc
        print(f"\nAcceptance: {acc['command']}")
        print(
            f"  exit {acc['returncode']}, wall {acc['wall_s']:.1f} s (limit "
            f"{ACCEPTANCE_WALL_S:.0f} s: {'OK' if acc['wall_ok'] else 'FAIL'}), CPU {acc['cpu_s']:.1f} s, peak RSS "
            f"{acc['peak_rss_mb']:,.0f} MB = {acc['peak_rss_gb']:.2f} GB (limit 4 GB: "
            f"{'OK' if acc['rss_ok'] else 'FAIL'}); load average before {acc['load_average_before']:.1f}"
        )
        if acc["stderr_tail"]:
            print(acc["stderr_tail"])

    if run_sweep:
        cores = int(machine["cores_usable"] or machine["cores"] or 2)  # type: ignore[call-overload]
        sweeps = []
        for i in range(max(1, args.sweep_repeats)):
            print(f"\n  compare_scenarios sweep {i + 1}, {cores} workers ...", flush=True)
            sweeps.append(measure_sweep(cores))
        record["sweep"] = sweeps
        print(f"\nSweep: {sweeps[0]['command']}")
        print(format_sweeps(sweeps))
        best = min(r["wall_over_sum"] for r in sweeps)
        print(
            f"wall / sum of runs: best {best:.0%} (limit {SWEEP_RATIO_LIMIT:.0%} on 2 cores; "
            f"ideal {1 / cores:.0%} with {cores} workers)"
        )

    if not args.no_baseline:
        base = []
        for n in baseline_sizes:
            print(
                f"\n  engine vs Mesa baseline at {n:,} users x {args.baseline_days} days ...",
                flush=True,
            )
            base.append(measure_baseline(n, args.baseline_days))
        record["baseline"] = base
        print("\nEngine (E) vs per-agent Mesa baseline (B), same inputs, restricted core")
        print(format_baselines(base))
        print("ratio = baseline s/day / engine s/day (target >= 50x)")

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.out / f"bench-{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str))
    print(f"\nWrote {path}")
    busy = [x for x in _loads(record) if x > 0.5 * (machine["cores"] or 1)]  # type: ignore[operator]
    if busy:
        print(
            f"Note: {len(busy)} measurement(s) started with a 1-minute load average above half "
            "the cores; other work was running and wall times are inflated (see CPU s/day)."
        )


if __name__ == "__main__":
    main()
