"""The machine and software a benchmark ran on (recorded with every result)."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("numpy", "scipy", "mesa", "networkx", "pandas", "hydra-core")


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo ('unknown' where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gb() -> float:
    """Total physical memory, GB (0 if unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1e6  # kB -> GB
    except OSError:
        pass
    return 0.0


def git_commit() -> tuple[str, bool]:
    """(commit, dirty) of the working tree ('' if not a git checkout)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        return commit, bool(status.strip())
    except (OSError, subprocess.CalledProcessError):
        return "", False


def load_average() -> tuple[float, float, float]:
    """1-, 5- and 15-minute load averages: other work on a shared machine inflates timings."""
    try:
        return os.getloadavg()
    except OSError:
        return (math.nan, math.nan, math.nan)


def describe_machine() -> dict[str, object]:
    """Cores, CPU, memory, Python and package versions, commit and date (UTC)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = ""
    commit, dirty = git_commit()
    return {
        "cores": os.cpu_count() or 0,
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0,
        "cpu_model": cpu_model(),
        "memory_gb": round(memory_gb(), 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": commit,
        "git_dirty": dirty,
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average": load_average(),
    }


def format_machine(m: dict[str, object]) -> str:
    """One line for the report header."""
    pk = m["packages"]
    assert isinstance(pk, dict)
    return (
        f"{m['cores']} cores ({m['cpu_model']}), {m['memory_gb']} GB, Python {m['python']}, "
        f"numpy {pk['numpy']}, scipy {pk['scipy']}, mesa {pk['mesa']}, networkx "
        f"{pk['networkx']}; commit {str(m['git_commit'])[:10]}{' (dirty)' if m['git_dirty'] else ''}; "
        f"{m['date_utc']}; load average {m['load_average'][0]:.2f}"  # type: ignore[index]
    )
